"""Duration of response and time to response among imaging responders (issue 17, item 7).

Spec -> query -> statistics -> disclosure -> result. :func:`duration_of_response` opens the
selection for the viewer (:func:`core.analyses.view.open_view`), reads the selected patients,
computes exactly, then decides what may be shown.

Definitions (times are whole days from the first treatment):

* Responders: imaging response (RECIST) CR or PR (``imaging_response``).
* Duration of response (DoR): from the response assessment day (``imaging_response_days``) to
  imaging progression or death (``pfs_imaging_days``, event ``pfs_imaging_event``), censored at
  the last imaging follow-up otherwise. Kaplan-Meier with Greenwood variance and a log-log 95%
  CI, median and quartiles as R's ``quantile.survfit`` (R: ``survfit(Surv(dor, event) ~ 1,
  conf.type = "log-log")``), the project's engine (:mod:`core.stats.survival`).
* Rule for inconsistent or missing timing: a responder is not analysed when the response day is
  not recorded, the imaging PFS is not recorded, or the PFS ends on or before the response day
  (DoR <= 0: a progression, death or censoring recorded no later than the assessment that found
  the response carries no duration). Each reason is counted.
* Time to response (TTR): ``imaging_response_days`` of the responders with a recorded day, in
  months: median, quartiles (R ``quantile(type = 7)``, numpy's default) and range.

Disclosure (protected mode with imported data in view). The number of responders is the ORR
numerator of the Response page's table, protected there as part of a system of sums (CR + PR,
evaluable, ...); nothing is shown here unless that table shows it (ungrouped imaging response,
the page's default denominator), otherwise a hidden CR or PR count could be worked out from it.
Responders left out of the Kaplan-Meier (the reasons above) are a complement: 1 to
threshold-1 left out refuses the analysis (the left-out rule of docs/PRIVACY.md). The curve is
the Survival page's protected curve (whole months from the exact estimate, stopped where fewer
than the threshold remain at risk, numbers at risk after 0 rounded up to 5, no censor marks),
medians and quartiles in whole months (:func:`core.analyses.survival._protect`). Time to
response: shown when at least the threshold of responders have a recorded day and the number
without one is 0 or at least the threshold; median and quartiles to whole months, the range
(two patients' own values) withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.disclosure import EXEMPT, Disclosure, Mode, suppressed_cells
from core.analyses.disclosure import round_median_months as whole_months
from core.analyses.left_out import left_out_small
from core.analyses.responses import ResponseSpec, protection, response_analysis
from core.analyses.survival import (
    GroupResult,
    SurvivalAnalysis,
    SurvivalSpec,
    _protect,
    exact_curve,
)
from core.analyses.view import open_view
from core.data import queries
from core.data.filters import Filters
from core.stats.responses import OVERALL_LABEL
from core.stats.survival import (
    Quantile,
    counts_from_arrays,
    kaplan_meier,
    km_quantiles,
    survival_at,
)
from core.vocab.methods import DAYS_PER_MONTH, TIME_UNIT_DAYS, ConfType, Endpoint, TimeUnit

RESPONDER_CODES = ("CR", "PR")
COLUMNS = ("imaging_response", "imaging_response_days", "pfs_imaging_days", "pfs_imaging_event")
LABEL = "Responders (CR/PR)"
METHOD = (
    "Kaplan-Meier from the imaging response assessment day to imaging progression or death "
    "(imaging PFS), among CR/PR responders; Greenwood variance, log-log 95% CI; median as R's "
    "quantile.survfit (R: survfit(Surv(dor, event) ~ 1, conf.type = 'log-log'))"
)
TTR_METHOD = (
    "time to response: days from the first treatment to the imaging response assessment, "
    "among responders with a recorded day; quartiles as R's quantile(type = 7)"
)
RULE = (
    "Responders whose imaging PFS ends on or before the response assessment day (no duration "
    "after the response), or without a recorded response day or imaging PFS, are not analysed "
    "and are counted."
)
NOT_SHOWN_RESPONDERS = (
    "Under disclosure control the number of responders is withheld in the response table, so "
    "the duration of response is not shown (it would give that number back)."
)


def left_out_text(d: Disclosure) -> str:
    """Why the duration of response is withheld when 1 .. threshold-1 responders are not
    analysed (the left-out rule of :func:`core.analyses.disclosure.left_out_refusal`)."""
    return (
        f"Under disclosure control the duration of response is not shown: fewer than "
        f"{d.threshold} responders are left out of it (no recorded response day or imaging "
        "PFS, or PFS ending on or before the response day), and the number analysed beside "
        "the number of responders would reveal them."
    )


LEFT_OUT_EVENTS = (
    "Under disclosure control the duration of response is not shown: among the responders "
    "left out of it (no recorded response day, or PFS ending on or before it), fewer than {t} "
    "had a PFS event, or fewer than that had none, and the events analysed beside the "
    "responders' imaging PFS would reveal them."
)


@dataclass(frozen=True, slots=True)
class DurationSpec:
    """Options of the duration-of-response view (frozen: a cache key)."""

    times_months: tuple[float, ...] = (6.0, 12.0, 24.0, 36.0)
    conf_type: ConfType = ConfType.LOG_LOG

    @property
    def times_days(self) -> np.ndarray:
        return np.asarray(self.times_months, dtype=float) * DAYS_PER_MONTH


@dataclass(frozen=True, slots=True)
class TimeToResponse:
    """Time to response in days: n, median, quartiles, range (None where withheld)."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class DurationRows:
    """The exact per-responder rows (days; never shown as such)."""

    n_responders: int
    n_no_day: int
    n_no_pfs: int
    n_ended_by_response: int
    dor: np.ndarray
    event: np.ndarray
    ttr: np.ndarray
    n_left_known: int = 0
    """Responders left out with a known imaging PFS time and status (no response day, or PFS
    ending on or before it): their PFS events are shown by the Survival page's responders."""
    n_left_events: int = 0

    @property
    def n_analysed(self) -> int:
        return int(self.dor.size)

    @property
    def n_left_out(self) -> int:
        return self.n_responders - self.n_analysed


def responder_rows(patients: pd.DataFrame) -> DurationRows:
    """Responders' DoR (days), event flags and TTR (days) under the module's rule (exact)."""
    resp = patients["imaging_response"].astype(object)
    is_resp = resp.isin(RESPONDER_CODES).to_numpy(dtype=bool)
    day = pd.to_numeric(patients["imaging_response_days"], errors="coerce").to_numpy(float)
    pfs = pd.to_numeric(patients["pfs_imaging_days"], errors="coerce").to_numpy(float)
    ev = pd.to_numeric(patients["pfs_imaging_event"], errors="coerce").to_numpy(float)
    no_day = is_resp & np.isnan(day)
    no_pfs = is_resp & ~np.isnan(day) & (np.isnan(pfs) | np.isnan(ev))
    dur = pfs - day
    complete = is_resp & ~np.isnan(day) & ~np.isnan(pfs) & ~np.isnan(ev)
    ended = complete & (dur <= 0)
    keep = complete & (dur > 0)
    return DurationRows(
        n_responders=int(is_resp.sum()),
        n_no_day=int(no_day.sum()),
        n_no_pfs=int(no_pfs.sum()),
        n_ended_by_response=int(ended.sum()),
        dor=dur[keep],
        event=(ev[keep] == 1).astype(np.int64),
        ttr=day[is_resp & ~np.isnan(day)],
        n_left_known=int((left_known := is_resp & ~keep & ~np.isnan(pfs) & ~np.isnan(ev)).sum()),
        n_left_events=int((left_known & (ev == 1)).sum()),
    )


def time_to_response(days: np.ndarray) -> TimeToResponse | None:
    """Median, quartiles (R ``quantile(type = 7)``) and range of the responders' TTR (days)."""
    if days.size == 0:
        return None
    q1, med, q3 = (float(v) for v in np.percentile(days, [25, 50, 75]))
    return TimeToResponse(int(days.size), med, q1, q3, float(days.min()), float(days.max()))


@dataclass(frozen=True)
class DurationOfResponse:
    """Duration of response and time to response as this viewer may see them (days)."""

    filters: Filters
    spec: DurationSpec = DurationSpec()
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    """Non-empty: the selection may not be shown (nothing else is)."""
    withheld: str = ""
    """Non-empty: the selection is shown elsewhere, but this analysis is withheld, and why."""
    notices: tuple[str, ...] = ()
    description: str = ""
    n_responders: int = 0
    n_no_day: int = 0
    n_no_pfs: int = 0
    n_ended_by_response: int = 0
    group: GroupResult | None = None
    """The Kaplan-Meier of the analysed responders as shown (exact estimate in ``km``; display
    curve, quantiles and ``at`` protected in protected mode); None when none is analysed."""
    ttr: TimeToResponse | None = None
    ttr_note: str = ""
    excluded_hidden: tuple[bool, bool, bool] = (False, False, False)
    """Protected mode: which of the three exclusion counts (PFS ending by the response day,
    no response day, no imaging PFS) are withheld; their total (responders minus analysed) is
    shown, so a small one is hidden with a complementary one."""

    def excluded(self) -> tuple[int | str, int | str, int | str]:
        """The three exclusion counts as they may be shown."""
        counts = (self.n_ended_by_response, self.n_no_day, self.n_no_pfs)
        return tuple(
            (self.disclosure.show(n) if self.disclosure.hidden(n) else "suppressed")
            if h
            else self.show(n)
            for n, h in zip(counts, self.excluded_hidden, strict=True)
        )

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def shown(self) -> bool:
        return not self.refusal and not self.withheld

    @property
    def n_analysed(self) -> int:
        return 0 if self.group is None else self.group.n

    @property
    def events(self) -> int:
        return 0 if self.group is None else self.group.events

    @property
    def median(self) -> Quantile | None:
        return None if self.group is None else self.group.median

    def show(self, n: int) -> int | str:
        """A count as it may be shown: the number when nothing is protected, else text."""
        return int(n) if not self.disclosure.active else self.disclosure.show(n)

    def as_survival(self) -> SurvivalAnalysis:
        """The curve as a one-group survival analysis, for the project's Kaplan-Meier chart."""
        groups = () if self.group is None else (self.group,)
        return SurvivalAnalysis(
            spec=SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, times_months=self.spec.times_months),
            filters=self.filters,
            groups=groups,
            logrank=None,
            disclosure=self.disclosure,
        )


def _protected_ttr(t: TimeToResponse | None, n_no_day: int, d: Disclosure) -> tuple[Any, str]:
    if t is None:
        return None, ""
    if d.hidden(t.n) or d.hidden(n_no_day):
        return None, (
            "Time to response is not shown under disclosure control: fewer than "
            f"{d.threshold} responders have, or lack, a recorded response day."
        )
    return (
        TimeToResponse(
            t.n, whole_months(t.median), whole_months(t.q1), whole_months(t.q3), None, None
        ),
        "Under disclosure control: median and quartiles in whole months; the range (two "
        "patients' own values) is not shown.",
    )


def duration_from_patients(
    patients: pd.DataFrame,
    spec: DurationSpec,
    filters: Filters,
    d: Disclosure = EXEMPT,
    description: str = "",
    notices: tuple[str, ...] = (),
) -> DurationOfResponse:
    """Compute exactly on the selection's patient rows, then apply ``d``."""
    rows = responder_rows(patients)
    base = dict(filters=filters, spec=spec, disclosure=d, description=description, notices=notices)
    if d.active:
        prot = protection(response_analysis(patients, ResponseSpec()), d)
        if rows.n_responders == 0:
            pass
        elif prot.hides(OVERALL_LABEL, "orr") or d.hidden(rows.n_responders):
            return DurationOfResponse(**base, withheld=NOT_SHOWN_RESPONDERS)
        elif left_out_small(d, rows.n_left_out, rows.n_left_known, rows.n_left_events):
            why = (
                left_out_text(d)
                if d.hidden(rows.n_left_out)
                else LEFT_OUT_EVENTS.format(t=d.threshold)
            )
            return DurationOfResponse(**base, withheld=why)
    group = None
    if rows.n_analysed:
        counts = counts_from_arrays(rows.dor, rows.event)
        km = kaplan_meier(counts, conf_type=spec.conf_type)
        group = GroupResult(
            LABEL,
            counts,
            km,
            tuple(km_quantiles(km)),
            tuple(survival_at(km, spec.times_days)),
            display=exact_curve(km),
        )
        if d.active:
            (group,) = _protect([group], d)
    ttr = time_to_response(rows.ttr)
    ttr_note = ""
    excluded = [rows.n_ended_by_response, rows.n_no_day, rows.n_no_pfs]
    hidden = tuple(suppressed_cells(excluded, d)) if d.active else (False, False, False)
    if d.active:
        ttr, ttr_note = _protected_ttr(ttr, rows.n_no_day, d)
    return DurationOfResponse(
        **base,
        n_responders=rows.n_responders,
        n_no_day=rows.n_no_day,
        n_no_pfs=rows.n_no_pfs,
        n_ended_by_response=rows.n_ended_by_response,
        group=group,
        ttr=ttr,
        ttr_note=ttr_note,
        excluded_hidden=hidden,
    )


def duration_of_response(
    filters: Filters,
    spec: DurationSpec = DurationSpec(),
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> DurationOfResponse:
    """Duration of response and time to response of the selection, for ``mode``."""
    view = open_view(filters, mode, path)
    d = view.disclosure
    if view.refused:
        return DurationOfResponse(view.filters, spec, d, refusal=view.refusal, notices=view.notices)
    patients = queries.patients_frame(view.filters, COLUMNS, path=path)
    return duration_from_patients(
        patients,
        spec,
        view.filters,
        d,
        view.filters.describe(view.n_selected),
        view.notices,
    )


# ------------------------------------------------------------------ text, tables, JSON
def _u(v: float | None, scale: float) -> float | None:
    return None if v is None else v / scale


def excluded_text(r: DurationOfResponse) -> str:
    """Who is not analysed and why, with counts as they may be shown ('' when nobody)."""
    whys = (
        "imaging PFS ending on or before the response day",
        "no recorded response day",
        "no recorded imaging PFS",
    )
    counts = (r.n_ended_by_response, r.n_no_day, r.n_no_pfs)
    shown = [f"{c} with {why}" for n, c, why in zip(counts, r.excluded(), whys, strict=True) if n]
    if not shown:
        return ""
    return "Responders not analysed: " + "; ".join(shown) + "."


def summary_text(r: DurationOfResponse, unit: TimeUnit = TimeUnit.MONTHS) -> list[str]:
    """Sentences for the page and the CLI (markdown-free)."""
    from core.vocab.formatting import fmt_est_ci

    if r.refused:
        return [r.refusal]
    if r.withheld:
        return [r.withheld]
    if r.n_responders == 0:
        return ["No imaging responder (CR/PR) in this selection."]
    s = TIME_UNIT_DAYS[unit]
    out = []
    if r.group is None:
        out.append(f"Responders: {r.show(r.n_responders)}; none can be analysed.")
    elif r.group.suppressed:
        out.append(
            f"Responders: {r.show(r.n_responders)}; too few analysed to show a curve under "
            "disclosure control."
        )
    else:
        m = r.median
        med = (
            "–"
            if m is None
            else fmt_est_ci(
                _u(m.estimate, s), _u(m.lower, s), _u(m.upper, s),
                beyond=_u(getattr(m, "beyond", None), s),
            )
        )  # fmt: skip
        out.append(
            f"Duration of response: {r.show(r.n_responders)} responders, "
            f"{r.show(r.n_analysed)} analysed, {r.show(r.events)} progressions or deaths; "
            f"median {med} {unit.label} (95% CI)."
        )
    if ex := excluded_text(r):
        out.append(ex)
    t = r.ttr
    if t is not None:
        rng = "" if t.minimum is None else f", range {t.minimum / s:.1f}–{t.maximum / s:.1f}"
        out.append(
            f"Time to response ({r.show(t.n)} responders with a recorded day): median "
            f"{t.median / s:.1f} {unit.label}, IQR {t.q1 / s:.1f}–{t.q3 / s:.1f}{rng}."
        )
    if r.ttr_note:
        out.append(r.ttr_note)
    return out


def duration_json(r: DurationOfResponse, unit: TimeUnit = TimeUnit.MONTHS) -> dict[str, Any]:
    """``duration_of_response`` and ``time_to_response`` for the CLI's JSON (times in ``unit``;
    counts as shown)."""
    s = TIME_UNIT_DAYS[unit]
    if not r.shown:
        return {
            "duration_of_response": {"withheld": r.refusal or r.withheld, "method": METHOD},
            "time_to_response": None,
        }
    g = r.group
    m = r.median
    at = []
    if g is not None and not g.suppressed:
        at = [
            {
                "time": a.time / s,
                "survival": a.surv,
                "ci": [a.lower, a.upper],
                "at_risk": r.show(a.n_risk),
                "events": r.show(a.events),
                "censored": r.show(a.censored),
            }
            for a in g.at
        ]
    dor = {
        "n_responders": r.show(r.n_responders),
        "n_analysed": r.show(r.n_analysed),
        "events": r.show(r.events),
        "excluded": dict(
            zip(
                ("n_pfs_ends_on_or_before_response", "n_no_response_day", "n_no_imaging_pfs"),
                r.excluded(),
                strict=True,
            )
        ),
        "median": None if m is None else _u(m.estimate, s),
        "ci": [None, None] if m is None else [_u(m.lower, s), _u(m.upper, s)],
        "median_beyond": None if m is None else _u(getattr(m, "beyond", None), s),
        "at": at,
        "unit": unit.value,
        "method": METHOD,
        "rule": RULE,
        "withheld": "suppressed" if g is not None and g.suppressed else None,
    }
    t = r.ttr
    ttr = (
        None
        if t is None
        else {
            "n": r.show(t.n),
            "median": t.median / s,
            "iqr": [t.q1 / s, t.q3 / s],
            "range": None if t.minimum is None else [t.minimum / s, t.maximum / s],
            "unit": unit.value,
            "method": TTR_METHOD,
            "note": r.ttr_note or None,
        }
    )
    return {"duration_of_response": dor, "time_to_response": ttr}


DURATION_COLUMNS_NOTE = (
    "Columns: measure (n_responders, n_analysed, events, excluded_*, median, survival at time, "
    "time_to_response_*), time and unit where a measure has one, estimate, lower, upper "
    "(95% CI; for time to response the quartiles, then the range), at_risk, events and "
    "censored (cumulative, at the time), method, rule. Counts withheld under disclosure "
    "control read '<11'."
)


def duration_table(r: DurationOfResponse, unit: TimeUnit = TimeUnit.MONTHS) -> pd.DataFrame:
    """Numeric CSV table (one row per measure); empty when nothing may be shown."""
    cols = ["measure", "time", "unit", "estimate", "lower", "upper", "at_risk", "events",
            "censored"]  # fmt: skip
    if not r.shown or r.n_responders == 0:
        return pd.DataFrame(columns=cols)
    s = TIME_UNIT_DAYS[unit]
    rows: list[dict[str, Any]] = [
        {"measure": "n_responders", "estimate": r.show(r.n_responders)},
        {"measure": "n_analysed", "estimate": r.show(r.n_analysed)},
        {"measure": "events", "estimate": r.show(r.events)},
    ]
    rows += [
        {"measure": f"excluded_{why}", "estimate": c}
        for why, c in zip(
            ("pfs_on_or_before_response", "no_response_day", "no_imaging_pfs"),
            r.excluded(),
            strict=True,
        )
    ]
    g = r.group
    if g is not None and not g.suppressed:
        m = g.median
        if m is not None:
            rows.append(
                {"measure": "median_duration_of_response", "unit": unit.value,
                 "estimate": _u(m.estimate, s), "lower": _u(m.lower, s),
                 "upper": _u(m.upper, s)}
            )  # fmt: skip
        for a in g.at:
            rows.append(
                {"measure": "remaining_in_response", "time": a.time / s, "unit": unit.value,
                 "estimate": a.surv, "lower": a.lower, "upper": a.upper,
                 "at_risk": r.show(a.n_risk), "events": r.show(a.events),
                 "censored": r.show(a.censored)}
            )  # fmt: skip
    t = r.ttr
    if t is not None:
        rows += [
            {"measure": "time_to_response_n", "estimate": r.show(t.n)},
            {"measure": "time_to_response_median", "unit": unit.value, "estimate": t.median / s,
             "lower": t.q1 / s, "upper": t.q3 / s},
        ]  # fmt: skip
        if t.minimum is not None:
            rows.append(
                {"measure": "time_to_response_range", "unit": unit.value,
                 "lower": t.minimum / s, "upper": t.maximum / s}
            )  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out["method"] = [TTR_METHOD if m.startswith("time_to") else METHOD for m in out["measure"]]
    out["rule"] = RULE
    return out


# ------------------------------------------------------------------ swimmer export
SWIMMER_COLUMNS_NOTE = (
    "One row per marker of the swimmer plot: lane (patient), cohort_id, patient_id, event "
    "(administration, imaging response, imaging progression, death or last follow-up), day "
    "and months from the first treatment (months = days / 30.4375), lane_end_months (the "
    "lane's length), detail."
)


def swimmer_export_frame(sw: Any) -> pd.DataFrame:
    """The swimmer plot's lanes and markers as one numeric table (``sw``: a
    :class:`core.analyses.responses.Swimmer`, which exists only where the mode may show it)."""
    cols = ["lane", "cohort_id", "patient_id", "event", "day", "months", "lane_end_months",
            "detail"]  # fmt: skip
    if sw is None or not len(sw.lanes):
        return pd.DataFrame(columns=cols)
    lanes = sw.lanes[["lane", "cohort_id", "patient_id", "months", "order"]].rename(
        columns={"months": "lane_end_months"}
    )
    out = sw.events.merge(lanes, on="lane", how="left")
    out = out.sort_values(["order", "day"], kind="stable")
    return out[cols].reset_index(drop=True)
