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

from core.analyses.competing import CAUSES, CompetingSpec, _as_survival, decoded_rows
from core.analyses.cox import CoxAnalysis, CoxSpec, model_rows
from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.survival import (
    MISSING,
    NOT_ASSESSED,
    SurvivalAnalysis,
    SurvivalSpec,
    patient_arrays,
)
from core.analyses.view import open_view
from core.data.filters import Filters
from core.vocab.schema import PATIENTS

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
    rows, _ = decoded_rows(view.filters, spec, path)
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


def response_rows_refusal(result: Any) -> str:
    """:func:`rows_refusal` for an analysed response view (``ResponseResult``)."""
    if result.refused:
        return result.refusal
    return PROTECTED_REFUSAL if result.disclosure.active else ""


def response_data(
    filters: Filters,
    spec: Any,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> AnalysisData:
    """The patient-level rows of the response view ``(filters, spec)`` (a ``ResponseSpec``).

    One row per patient in the selection: ``group`` (the page's group label; None where the
    grouping value is missing or the view is ungrouped: R's ``NA``), ``response`` (the domain's
    code, ``NE`` for not evaluable, None for missing) and ``evaluable`` (1 when the code is one
    of the domain's evaluable codes). Given under the same rule as :func:`analysis_data`.
    """
    from core.analyses.responses import grouped_frame
    from core.data import queries
    from core.stats.responses import RESPONSE_DOMAINS

    view = open_view(filters, mode, path, count=False)
    empty = pd.DataFrame({"group": [], "response": [], "evaluable": []})
    if view.refused:
        return AnalysisData(spec, filters, empty, view.disclosure, view.refusal)
    if view.disclosure.active:
        return AnalysisData(spec, filters, empty, view.disclosure, PROTECTED_REFUSAL)
    dom = RESPONSE_DOMAINS[spec.domain]
    gf = grouped_frame(queries.patients_frame(view.filters, path=path), spec)
    resp = [None if pd.isna(v) else str(v) for v in gf[dom.column]]
    groups = [None if pd.isna(v) else str(v) for v in gf[spec.by]] if spec.by else [None] * len(gf)
    frame = pd.DataFrame(
        {
            "group": pd.Series(groups, dtype=object),
            "response": pd.Series(resp, dtype=object),
            "evaluable": np.array([int(r in dom.codes) for r in resp], dtype=np.int64),
        }
    )
    return AnalysisData(spec, filters, frame, view.disclosure, "")


SPLIT_COLUMN = "split_group"


def table1_rows_refusal(t1: Any) -> str:
    """:func:`rows_refusal` for Table 1 as shown (``core.analyses.table1.Table1``)."""
    if t1.refused:
        return t1.refusal
    return PROTECTED_REFUSAL if t1.disclosure.active else ""


def table1_data(
    filters: Filters,
    split_by: str | None,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> AnalysisData:
    """The patient-level rows behind Table 1's tests, split by ``split_by``.

    One row per patient in the selection: ``split_group`` (the column label Table 1 shows;
    None where the split value is missing: R's ``NA``, not compared, as in the app), then one
    column per tested characteristic named by its key, holding the values its test compares
    (continuous: the number; yes/no: TRUE/FALSE; categorical: the stored code; ``treatments``:
    none/single/multiple), None where missing. Given under the same rule as
    :func:`analysis_data`.
    """
    from core.analyses import table1 as t1m
    from core.data import queries

    view = open_view(filters, mode, path, count=False)
    empty = pd.DataFrame({SPLIT_COLUMN: []})
    spec: Any = ("table1", split_by)
    if view.refused:
        return AnalysisData(spec, filters, empty, view.disclosure, view.refusal)
    if view.disclosure.active:
        return AnalysisData(spec, filters, empty, view.disclosure, PROTECTED_REFUSAL)
    df = queries.patients_frame(view.filters, path=path)
    exact = t1m.table1(df, split_by)
    df = df.copy()
    df["n_treatments_group"] = t1m.treatment_group(df["n_treatments"]) if len(df) else []
    out: dict[str, Any] = {}
    if split_by:
        fd = PATIENTS.get(split_by)
        out[SPLIT_COLUMN] = [
            None if pd.isna(v) else (fd.label_of(v) if fd else str(v)) for v in df[split_by]
        ]
    else:
        out[SPLIT_COLUMN] = [None] * len(df)
    for v in exact.tests:
        vals = t1m._family_values(df, v.family, v.kind).reindex(df.index)
        out[v.family] = [None if pd.isna(x) else _py_value(x) for x in vals]
    return AnalysisData(spec, filters, pd.DataFrame(out, index=None), view.disclosure, "")


def _py_value(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x
