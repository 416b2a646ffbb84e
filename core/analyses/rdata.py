"""The analysis data set behind a survival view, for re-running it in R.

One row per patient after the view's origin, delayed entry and landmark: ``group``, ``entry_days``,
``exit_days``, ``status``. It is what :mod:`core.present.rcode`'s script reads, so that the
figure, the tests and the model a page shows can be reproduced with R's ``survival`` from the
download alone.

Patient-level rows are the one output that cannot be protected by rounding or suppression, so
they are given only where nothing is protected: exact mode (a verified analyst, or the owner on
their own machine) or a selection of synthetic and published cohorts only. Everyone else gets
the script without the data, and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.competing import CAUSES, CompetingSpec, _as_survival
from core.analyses.competing import _rows as competing_rows_decoded
from core.analyses.cox import CoxAnalysis, CoxSpec, model_rows
from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.survival import (
    GROUPINGS,
    MISSING,
    NOT_ASSESSED,
    SurvivalAnalysis,
    SurvivalSpec,
    patient_arrays,
)
from core.analyses.view import open_view
from core.data.competing_sql import competing_rows
from core.data.filters import Filters

PROTECTED_REFUSAL = (
    "Patient-level rows are not given under disclosure control: the analysis data set is "
    "available to analysts with exact access, and for synthetic and published cohorts. The R "
    "script is shown without it."
)


def rows_refusal(analysis: SurvivalAnalysis) -> str:
    """Why the patient rows of an analysed survival view may not be given ("" when they may):
    the view's own refusal, or disclosure control (the rule of :func:`analysis_data`)."""
    if analysis.refused:
        return analysis.refusal
    return PROTECTED_REFUSAL if analysis.disclosure.active else ""


def competing_rows_refusal(analysis: Any) -> str:
    """:func:`rows_refusal` for an analysed cumulative-incidence view."""
    if analysis.refused:
        return analysis.refusal
    return PROTECTED_REFUSAL if analysis.disclosure.active else ""


def cox_rows_refusal(analysis: CoxAnalysis) -> str:
    """:func:`rows_refusal` for an analysed Cox model: the view's refusal or the model withheld
    under disclosure control, else disclosure control itself ("" when the rows may be given)."""
    if analysis.withheld:
        return analysis.withheld
    return PROTECTED_REFUSAL if analysis.disclosure.active else ""


@dataclass(frozen=True)
class AnalysisData:
    """Patient-level rows of a view (empty and refused where they may not be shown)."""

    spec: SurvivalSpec | CoxSpec
    filters: Filters
    frame: pd.DataFrame
    """Columns ``group`` (None where the grouping value is missing: R's ``NA``), ``entry_days``,
    ``exit_days`` and ``status`` (1 = event, 0 = censored)."""
    disclosure: Disclosure = EXEMPT
    refusal: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.refusal)


def analysis_data(
    filters: Filters,
    spec: SurvivalSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> AnalysisData:
    """The patient-level rows of the survival view ``(filters, spec)`` for this viewer.

    Rows are in the analysis's time scale: days from the view's origin, after the landmark
    (entry is the left-truncation time; 0 without delayed entry). Patients without a valid
    time, and those the landmark leaves out, are not in the rows, exactly as in the analysis.
    Patients whose grouping value is missing keep ``group`` = None, which R reads as ``NA`` and
    leaves out of every test and model, as the app does.
    """
    view = open_view(filters, mode, path, count=False)
    empty = pd.DataFrame({"group": [], "entry_days": [], "exit_days": [], "status": []})
    if view.refused:
        return AnalysisData(spec, filters, empty, view.disclosure, view.refusal)
    if view.disclosure.active:
        return AnalysisData(spec, filters, empty, view.disclosure, PROTECTED_REFUSAL)
    df = patient_arrays(view.filters, spec, path)
    if spec.by and not spec.include_not_assessed:
        df = df[df["g"] != NOT_ASSESSED]
    labels = df["g"].astype(object)
    group = labels.where(labels != MISSING, None) if spec.by else pd.Series([None] * len(df))
    frame = pd.DataFrame(
        {
            "group": group.to_numpy(dtype=object),
            "entry_days": df["en"].to_numpy(dtype=float),
            "exit_days": df["t"].to_numpy(dtype=float),
            "status": df["ev"].to_numpy(dtype=np.int64),
        }
    )
    return AnalysisData(spec, filters, frame, view.disclosure, "")


def competing_data(
    filters: Filters,
    spec: CompetingSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> AnalysisData:
    """The patient-level rows of a cumulative-incidence view for this viewer.

    Columns ``group`` (None where missing), ``time_days`` and ``status``: ``censored`` or the
    cause of death (a death without a recorded cause is ``unknown``, as in the app). Given
    under the same rule as :func:`analysis_data`.
    """
    view = open_view(filters, mode, path, count=False)
    empty = pd.DataFrame({"group": [], "time_days": [], "status": []})
    why = view.refusal or spec.unsupported()
    if why:
        return AnalysisData(_as_survival(spec), filters, empty, view.disclosure, why)
    if view.disclosure.active:
        return AnalysisData(_as_survival(spec), filters, empty, view.disclosure, PROTECTED_REFUSAL)
    grouping = GROUPINGS[spec.by] if spec.by else None
    raw = competing_rows(
        view.filters,
        "os_days",
        "os_event",
        "death_cause",
        grouping.column if grouping else None,
        path,
    )
    rows, _ = competing_rows_decoded(raw, spec)
    keep = np.ones(rows.label.size, dtype=bool)
    if spec.by and not spec.include_not_assessed:
        keep &= rows.label != NOT_ASSESSED
    reps = rows.weight[keep]
    labels = np.repeat(rows.label[keep], reps)
    status_names = np.array(["censored", *CAUSES], dtype=object)
    frame = pd.DataFrame(
        {
            "group": [None if (not spec.by or g == MISSING) else g for g in labels],
            "time_days": np.repeat(rows.time[keep], reps),
            "status": status_names[np.repeat(rows.status[keep], reps)],
        }
    )
    return AnalysisData(_as_survival(spec), filters, frame, view.disclosure, "")


COX_FIXED = ("entry_days", "exit_days", "status")


def cox_data(
    filters: Filters,
    spec: CoxSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> AnalysisData:
    """The patient-level rows of the Cox model ``(filters, spec)`` for this viewer.

    Exactly the rows the model fits (:func:`core.analyses.cox.model_rows`: the analysis's own
    query, origin, delayed entry, landmark and complete-case rule): ``entry_days`` (0 without
    delayed entry), ``exit_days``, ``status`` and one column per covariate named by its key
    (categorical: the level label; continuous: the value, before the model's step), then the
    stratification field. Given under the same rule as :func:`analysis_data`.
    """
    view = open_view(filters, mode, path, count=False)
    fields = [*spec.covariates, *([spec.strata] if spec.strata else [])]
    empty = pd.DataFrame({c: [] for c in (*COX_FIXED, *fields)})
    if view.refused:
        return AnalysisData(spec, filters, empty, view.disclosure, view.refusal)
    if view.disclosure.active:
        return AnalysisData(spec, filters, empty, view.disclosure, PROTECTED_REFUSAL)
    return AnalysisData(spec, filters, model_rows(view.filters, spec, path), view.disclosure, "")
