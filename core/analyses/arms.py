"""The cohort view set against a reconstructed trial arm, as two samples.

A reconstructed arm (:mod:`core.literature.arms`: rows rebuilt from a published Kaplan-Meier
figure) is compared with the view's patients on the arm's endpoint and clock:

* log-rank test (:func:`core.stats.survival.logrank_test`; R ``survdiff``),
* Cox hazard ratio of the view against the arm with a Wald 95% CI (Efron ties; the project's
  one-factor Cox fit on counts, :func:`core.stats.survival.cox_group_hr_counts`; R ``coxph``),
* difference in restricted mean survival time at a chosen horizon
  (:func:`core.stats.survival.rmst_difference`; R ``print(survfit, rmean=)``),
* difference in Kaplan-Meier survival at chosen times (:func:`survival_differences`),

each with its method named, and every comparability warning the registry knows about the arm
(population, line of therapy, endpoint definition, assessment schedule, time origin) plus
"not randomised" and "reconstructed data". Times are months (view days / 30.4375).

Every statistic comes from the view's aggregated counts (the survival analysis's exits and
delayed entries per day, in months): no query reads one row per patient.

Disclosure (the view's side; the arm is published, not patient data). :func:`compare_arm`
opens the selection for the viewer (:func:`core.analyses.view.open_view`), computes every
statistic on the exact counts, then decides once what may be shown. In protected mode with
imported data in view: nothing but the refusal for a refused selection (or one whose endpoint
leaves out 1 .. threshold-1 patients); the view's curve is the Survival page's protected curve
(whole months, stopped where fewer than the threshold remain at risk; no censoring marks) and
its median is in whole months; with fewer than the threshold of patients no curve and no
figure; when its events or its patients without an event are 1 .. threshold-1, no log-rank
test, hazard ratio or RMST difference (O gives the events back, and the arm's own RMST is
public, so the difference gives the view's); no survival difference where fewer than the
threshold of the view are at risk or where its events up to that time are 1 .. threshold-1
(S(t) gives them back, as the landmark rule of :mod:`core.analyses.comparison`); numbers at
risk as the Survival page shows them.

User-added arms: :func:`add_user_arm`, :func:`user_arms`, :func:`remove_user_arm` (SQL in
:mod:`core.data.arms_sql`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.comparison import TTE_ENDPOINTS, cohort_origin, cohort_view
from core.analyses.disclosure import EXEMPT, Disclosure, Mode, suppressed_cells
from core.analyses.survival import GroupResult, SurvivalSpec
from core.analyses.survival import analyse as survival_analyse
from core.analyses.view import open_view
from core.data import arms_sql
from core.data.filters import Filters
from core.literature.arms import (
    LABEL,
    ReconstructedArm,
    arm_warnings,
    shipped_arms,
    user_arm,
    validate_user_arm,
)
from core.literature.registry import ComparabilityWarning, comparability
from core.stats.effects import survival_difference
from core.stats.reconstruct import Reconstruction
from core.stats.survival import (
    GroupHR,
    KMResult,
    LogRankResult,
    RMSTDifference,
    SurvivalCounts,
    counts_from_arrays,
    cox_group_hr_counts,
    kaplan_meier,
    km_quantiles,
    logrank_test,
    rmst_difference,
    to_unit,
)
from core.vocab.formatting import fmt_num, fmt_p
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin
from core.vocab.schema import USER_ARM_COLUMNS

VIEW, ARM = "view", "arm"
"""Group labels of the combined rows (the Cox reference is the arm)."""

DEFAULT_TIMES = (12.0, 24.0)
DEFAULT_HORIZON = 24.0

METHODS = {
    "logrank": "log-rank test (Mantel-Haenszel; R survdiff)",
    "hr": "Cox proportional hazards, Efron ties, Wald 95% CI (R coxph); view vs arm",
    "rmst": "difference in restricted mean survival time, areas under the Kaplan-Meier curves, "
    "SE sqrt(se1^2 + se2^2), Wald 95% CI (R print(survfit, rmean=))",
    "survival": "difference of Kaplan-Meier estimates with Greenwood standard errors, Wald 95% "
    "CI and z test (R summary(survfit, times=))",
}


class UnknownArm(ValueError):
    """No reconstructed arm with that id."""


# --------------------------------------------------------------------------------------------
# The arms: shipped and user-added
# --------------------------------------------------------------------------------------------


def user_arms(path: Path | str | None = None) -> list[ReconstructedArm]:
    """Arms added by users (stored in the database), oldest first."""
    meta, rows = arms_sql.user_arm_frames(path)
    out = []
    for rec in meta.astype(object).where(meta.notna(), None).to_dict(orient="records"):
        r = rows[rows["arm_id"] == rec["id"]]
        try:
            out.append(
                user_arm(
                    rec,
                    r["time_months"].to_numpy(dtype=float),
                    r["event"].to_numpy(dtype=int),
                    rec.get("reconstruction_note") or "",
                )
            )
        except ValueError:
            continue  # a row that no longer validates is not offered
    return out


def all_arms(path: Path | str | None = None) -> tuple[ReconstructedArm, ...]:
    """The shipped arms followed by the user-added ones."""
    return (*shipped_arms(), *user_arms(path))


def find_arm(ident: str, path: Path | str | None = None) -> ReconstructedArm:
    for arm in all_arms(path):
        if arm.id == ident:
            return arm
    known = ", ".join(a.id for a in all_arms(path))
    raise UnknownArm(f"no reconstructed arm {ident!r} (have: {known})")


TIME_UNITS_PER_MONTH = {"months": 1.0, "years": 1.0 / 12.0, "weeks": 30.4375 / 7.0, "days": 30.4375}
"""Units a digitised figure's time axis may be in, per month."""


def add_user_arm(
    fields: Mapping[str, Any],
    rec: Reconstruction,
    time_unit: str = "months",
    path: Path | str | None = None,
) -> tuple[ReconstructedArm | None, list[str]]:
    """Validate an arm's description and store it with its reconstructed rows.

    ``rec`` holds times in ``time_unit`` (months, years, weeks or days); they are stored in
    months. Returns ``(arm, [])`` once written (id made unique), or ``(None, errors)``.
    """
    if time_unit not in TIME_UNITS_PER_MONTH:
        return None, [f"time unit must be one of {', '.join(TIME_UNITS_PER_MONTH)}"]
    profile, errors = validate_user_arm(fields)
    if errors or profile is None:
        return None, errors
    acc = rec.accuracy
    note = (
        f"{rec.n} patients, {rec.events} events, from {rec.curve.time.size} points; largest "
        f"distance to the points {acc.max_abs_diff:.3f}"
    )
    record = {c: None for c in USER_ARM_COLUMNS}
    record.update({k: None if v is None else str(v) for k, v in fields.items() if k in record})
    record.update(
        id=profile.id,
        study=profile.study,
        arm=profile.arm,
        citation=profile.citation,
        endpoint=profile.endpoint.value,
        time_origin=profile.time_origin.value,
        reconstruction_note=note,
    )
    months = np.asarray(rec.time, dtype=float) / TIME_UNITS_PER_MONTH[time_unit]
    reserved = {a.id for a in shipped_arms()}
    ident = arms_sql.insert_user_arm(record, months, rec.event, reserved, path)
    record["id"] = ident
    return user_arm(record, months, rec.event, note), []


def remove_user_arm(ident: str, path: Path | str | None = None) -> bool:
    """Remove a user-added arm (shipped arms cannot be removed); True when it existed."""
    if any(a.id == ident for a in shipped_arms()):
        return False
    return arms_sql.delete_user_arm(ident, path)


def arms_frame(arms: Sequence[ReconstructedArm]) -> pd.DataFrame:
    """One row per arm for the page's list."""
    return pd.DataFrame(
        [
            {
                "ID": a.id,
                "Trial": a.trial,
                "Arm": a.arm,
                "Endpoint": a.endpoint.label,
                "Origin": a.profile.time_origin.label,
                "Patients": a.n,
                "Events": a.events,
                "Published median, months": a.published_median,
                "Source": ("user-added, " if a.user_added else "") + LABEL,
                "Citation": a.citation,
            }
            for a in arms
        ],
        columns=[
            "ID",
            "Trial",
            "Arm",
            "Endpoint",
            "Origin",
            "Patients",
            "Events",
            "Published median, months",
            "Source",
            "Citation",
        ],
    )


# --------------------------------------------------------------------------------------------
# Statistics on the two samples
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurvivalDifference:
    """S_view(t) - S_arm(t) with its Wald CI and p (None where withheld or not estimable)."""

    time: float
    view: float | None
    arm: float | None
    difference: float | None
    lower: float | None
    upper: float | None
    p: float | None
    withheld: str = ""


def survival_differences(
    km_view: KMResult, km_arm: KMResult, times: Sequence[float], conf_level: float = 0.95
) -> list[SurvivalDifference]:
    """Difference of two independent Kaplan-Meier estimates at fixed times: the view's minus
    the arm's, by :func:`core.stats.effects.survival_difference` (Greenwood SEs on the survival
    scale, Wald CI, two-sided z-test p; not estimable after either curve's last time).

    R equivalent: ``s <- summary(survfit(Surv(time, status) ~ g), times = t)``;
    ``diff(rev(s$surv))``, ``sqrt(sum(s$std.err^2))``.
    """
    return [
        SurvivalDifference(d.time, d.surv, d.surv_ref, d.estimate, d.lower, d.upper, d.p)
        for d in survival_difference(km_view, km_arm, times, conf_level)
    ]


@dataclass(frozen=True, slots=True, eq=False)
class TwoSamples:
    """The exact two-sample statistics (never leave this module unprotected)."""

    km_view: KMResult
    km_arm: KMResult
    logrank: LogRankResult
    hr: GroupHR | None
    rmst: RMSTDifference | None
    differences: tuple[SurvivalDifference, ...]


def combined_rows(
    view_months: np.ndarray, view_event: np.ndarray, arm: ReconstructedArm
) -> pd.DataFrame:
    """The patient rows the two-sample statistics stand for: the view's (months) then the
    arm's (what R is given; :func:`two_samples` works on their counts)."""
    return pd.DataFrame(
        {
            "time": np.concatenate((np.asarray(view_months, float), arm.time)),
            "status": np.concatenate((np.asarray(view_event, int), arm.event)),
            "g": [VIEW] * len(view_months) + [ARM] * arm.n,
        }
    )


def view_counts_months(counts_days: SurvivalCounts) -> SurvivalCounts:
    """The view's counts (the survival analysis's, in days) in months: every time divided by
    30.4375, the same distinct values as the patients' days / 30.4375 (the division is
    monotone), with the exits and delayed entries per time unchanged."""
    return to_unit(counts_days, DAYS_PER_MONTH)


def two_samples(
    view: SurvivalCounts,
    arm: ReconstructedArm,
    horizon: float | None,
    times: Sequence[float],
) -> TwoSamples:
    """Log-rank, Cox HR (view vs arm), RMST difference and survival differences, exact.

    ``view`` is the view's counts in months (:func:`view_counts_months`): exits per time and,
    under delayed entry, the entries after 0 per time. Every statistic depends on the patients
    only through these counts, so no patient rows are read: Kaplan-Meier and the log-rank test
    use them directly, the hazard ratio is the one-factor Cox fit on the counts per group
    (:func:`core.stats.survival.cox_group_hr_counts`; the Survival page's hazard ratios),
    equal to the per-patient fit of R ``coxph`` on :func:`combined_rows` (tested to 1e-10).
    """
    ca = counts_from_arrays(arm.time, arm.event)
    km_v, km_a = kaplan_meier(view), kaplan_meier(ca)
    lr = logrank_test([view, ca])
    try:
        hr = cox_group_hr_counts({VIEW: view, ARM: ca}, ARM)[0]
    except ValueError:
        hr = None
    rm = None
    if horizon is not None and horizon > 0:
        rm = rmst_difference(km_v, km_a, float(horizon))
    diffs = tuple(survival_differences(km_v, km_a, times))
    return TwoSamples(km_v, km_a, lr, hr, rm, diffs)


# --------------------------------------------------------------------------------------------
# The comparison as the viewer may see it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ArmComparison:
    """The view against one reconstructed arm, as this viewer may see it (times in months)."""

    arm: ReconstructedArm
    endpoint: Endpoint
    origin: Origin
    disclosure: Disclosure = EXEMPT
    filters: Filters | None = None
    refusal: str = ""
    notices: tuple[str, ...] = ()
    view_n: str = ""
    view_events: str = ""
    view_median: float | None = None
    view_median_text: str = ""
    arm_median: float | None = None
    view_curve: pd.DataFrame | None = None
    """Columns time (months), surv: the view's curve as shown (None: not drawn)."""
    arm_curve: pd.DataFrame | None = None
    risk_times: tuple[float, ...] = ()
    view_risk: tuple[str, ...] = ()
    arm_risk: tuple[int, ...] = ()
    logrank: LogRankResult | None = None
    hr: GroupHR | None = None
    rmst: RMSTDifference | None = None
    horizon: float | None = None
    differences: tuple[SurvivalDifference, ...] = ()
    withheld: str = ""
    warnings: tuple[ComparabilityWarning, ...] = field(default_factory=tuple)
    delayed_entry: bool = False
    """The view's patients join the risk set late (a diagnosis clock): the log-rank test is
    then the Cox score test with counting-process risk sets (R refuses survdiff there)."""

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    def risk_frame(self) -> pd.DataFrame:
        """The numbers at risk of both, at the chosen times (months)."""
        return pd.DataFrame(
            {
                "Months": [f"{t:g}" for t in self.risk_times],
                "This view": list(self.view_risk),
                f"{self.arm.arm} (reconstructed)": list(self.arm_risk),
            }
        )

    def test_lines(self) -> list[str]:
        """One line per statistic, each naming its method."""
        if self.refusal:
            return [self.refusal]
        out = []
        if self.withheld:
            out.append(
                f"Log-rank test, hazard ratio and RMST difference not shown: {self.withheld}."
            )
        if self.logrank is not None:
            lr = self.logrank
            if self.delayed_entry:
                out.append(
                    "The view's patients enter the risk set at their first treatment (delayed "
                    "entry): the log-rank test uses counting-process risk sets (R: the score "
                    "test of coxph(Surv(entry, time, status) ~ g, ties = 'exact'))."
                )
            out.append(
                f"Log-rank: chi-square {lr.chi2:.2f} on {lr.df} df, {fmt_p(lr.p)}; observed/"
                f"expected events: view {lr.observed[0]:.0f}/{lr.expected[0]:.1f}, arm "
                f"{lr.observed[1]:.0f}/{lr.expected[1]:.1f} ({METHODS['logrank']})."
            )
        if self.hr is not None and self.hr.hr is not None:
            h = self.hr
            out.append(
                f"Hazard ratio, view vs arm: {h.hr:.2f} (95% CI {h.lower:.2f}-{h.upper:.2f}), "
                f"{fmt_p(h.p)} ({METHODS['hr']})."
            )
        if self.rmst is not None:
            r = self.rmst
            out.append(
                f"RMST difference at {self.horizon:g} months, view - arm: {r.estimate:.2f} "
                f"months (95% CI {r.lower:.2f} to {r.upper:.2f}), {fmt_p(r.p)} "
                f"({METHODS['rmst']})."
            )
        for d in self.differences:
            if d.withheld:
                out.append(f"Survival at {d.time:g} months: not shown ({d.withheld}).")
            elif d.difference is None:
                out.append(f"Survival at {d.time:g} months: not estimable (follow-up ends).")
            else:
                out.append(
                    f"Survival at {d.time:g} months: view {100 * d.view:.1f}%, arm "
                    f"{100 * d.arm:.1f}%, difference {100 * d.difference:+.1f} points (95% CI "
                    f"{100 * d.lower:+.1f} to {100 * d.upper:+.1f}), {fmt_p(d.p)} "
                    f"({METHODS['survival']})."
                )
        return out

    def table(self) -> pd.DataFrame:
        """The statistics as shown, one row each, with the method (for CSV export)."""
        rows: list[dict[str, Any]] = []
        if not self.refusal:
            if self.logrank is not None:
                lr = self.logrank
                rows.append(_row("log-rank chi-square", lr.chi2, None, None, lr.p, "logrank"))
            if self.hr is not None and self.hr.hr is not None:
                h = self.hr
                rows.append(_row("hazard ratio, view vs arm", h.hr, h.lower, h.upper, h.p, "hr"))
            if self.rmst is not None:
                r = self.rmst
                what = f"RMST difference at {self.horizon:g} months, view - arm (months)"
                rows.append(_row(what, r.estimate, r.lower, r.upper, r.p, "rmst"))
            for d in self.differences:
                what = f"survival difference at {d.time:g} months, view - arm"
                rows.append(_row(what, d.difference, d.lower, d.upper, d.p, "survival"))
                if d.withheld:
                    rows[-1]["note"] = f"not shown: {d.withheld}"
        return pd.DataFrame(
            rows, columns=["statistic", "estimate", "lower", "upper", "p", "method", "note"]
        )

    def provenance_lines(self) -> list[str]:
        """Lines opening an export: the selection, the arm (reconstructed, citations), mode."""
        lines = [
            (self.filters.describe(self.view_n or None) if self.filters else "this view"),
            f"{self.endpoint.label} from {self.origin.label.lower()}; months = days / 30.4375",
            self.arm.provenance(),
        ]
        if self.withheld:
            lines.append(
                f"log-rank test, hazard ratio and RMST difference not shown: {self.withheld}"
            )
        stamp = self.disclosure.stamp()
        return [*lines, stamp] if stamp else lines

    def paragraph(self) -> str:
        """The comparison in words, naming the arm as reconstructed with both citations."""
        d = self.disclosure
        head = (
            f"The view ({self.endpoint.label} from {self.origin.label.lower()}) was compared "
            f"with {self.arm.provenance()}"
        )
        if self.refusal:
            return f"{head} {self.refusal}"
        body = " ".join(self.test_lines())
        tail = " The comparison is not randomised; see the comparability warnings." + (
            f" {d.sentence()}" if d.sentence() else ""
        )
        return f"{head} {body}{tail}"

    def caption(self) -> str:
        """Figure caption: what is drawn, the arm's provenance and citations, the mode."""
        stamp = self.disclosure.stamp()
        return f"Kaplan-Meier curves in months (days / 30.4375). {self.arm.provenance()}" + (
            f" {stamp}." if stamp else ""
        )

    def json(self) -> dict[str, Any]:
        """The JSON of ``compare-arm``: the arm (reconstructed, with citations), the view as
        it may be shown, every statistic with its method, the warnings and the disclosure."""
        out: dict[str, Any] = {
            "arm": self.arm.summary_dict(),
            "provenance": self.arm.provenance(),
            "endpoint": self.endpoint.value,
            "origin": self.origin.value,
            "notices": list(self.notices),
            "disclosure": self.disclosure.json(),
        }
        if self.refusal:
            out["refusal"] = self.refusal
            return out
        lr, h, r = self.logrank, self.hr, self.rmst
        out.update(
            view={"n": self.view_n, "events": self.view_events, "median_months": self.view_median},
            arm_median_months=self.arm_median,
            withheld=self.withheld or None,
            logrank=None
            if lr is None
            else {
                "method": METHODS["logrank"],
                "chisq": lr.chi2,
                "df": lr.df,
                "p": lr.p,
                "observed": [float(x) for x in lr.observed],
                "expected": [float(x) for x in lr.expected],
            },
            hazard_ratio=None
            if h is None or h.hr is None
            else {"method": METHODS["hr"], "hr": h.hr, "ci": [h.lower, h.upper], "p": h.p},
            rmst_difference=None
            if r is None
            else {
                "method": METHODS["rmst"],
                "horizon_months": self.horizon,
                "estimate": r.estimate,
                "ci": [r.lower, r.upper],
                "p": r.p,
            },
            survival_differences=[
                {
                    "method": METHODS["survival"],
                    "months": d.time,
                    "view": d.view,
                    "arm": d.arm,
                    "difference": d.difference,
                    "ci": [d.lower, d.upper],
                    "p": d.p,
                    "withheld": d.withheld or None,
                }
                for d in self.differences
            ],
            warnings=[w.to_dict() for w in self.warnings],
        )
        return _strict(out)


def _strict(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _row(
    what: str, est: float | None, lo: float | None, hi: float | None, p: float | None, m: str
) -> dict[str, Any]:
    return {"statistic": what, "estimate": est, "lower": lo, "upper": hi, "p": p,
            "method": METHODS[m], "note": ""}  # fmt: skip


def _curve_frame(time: np.ndarray, surv: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"time": np.asarray(time, float), "surv": np.asarray(surv, float)})


def _median(km: KMResult) -> float | None:
    q = next(q for q in km_quantiles(km) if q.p == 0.5)
    return q.estimate


def compare_arm(
    filters: Filters,
    arm: ReconstructedArm,
    *,
    horizon: float | None = DEFAULT_HORIZON,
    times: Sequence[float] = DEFAULT_TIMES,
    path: Path | str | None = None,
    mode: Mode = Mode.PROTECTED,
) -> ArmComparison:
    """Set the view against ``arm`` on the arm's endpoint and clock (see the module docstring).

    Raises ``ValueError`` when the arm's endpoint is not recorded for the cohort or the view
    has no patient with data for it.
    """
    view = open_view(filters, mode, path)
    d = view.disclosure
    endpoint = TTE_ENDPOINTS.get(arm.endpoint)
    if endpoint is None:
        raise ValueError(f"the cohort data record no {arm.endpoint.label.lower()}")
    origin = cohort_origin(arm.profile.time_origin)
    base = ArmComparison(arm, endpoint, origin, d, view.filters, notices=view.notices)
    times = tuple(sorted({float(t) for t in times if 0 < float(t) < math.inf}))
    if view.refused:
        return _replace_cmp(base, refusal=view.refusal)
    spec = SurvivalSpec(
        endpoint=endpoint,
        origin=origin,
        times_months=times,
        rmst_months=horizon,
    )
    shown = survival_analyse(filters, spec, path, mode=mode)
    if shown.refused:
        return _replace_cmp(base, refusal=shown.refusal)
    if not shown.groups:
        raise ValueError(f"no patient in the view has {endpoint.label.lower()} data")
    group: GroupResult = shown.groups[0]
    # the analysis's exact counts (exits, and entries after 0, per day): no patient rows
    view_counts = view_counts_months(group.counts)
    exact = two_samples(view_counts, arm, horizon, times)
    risk_times = (0.0, *times)
    arm_risk = tuple(int(x) for x in exact.km_arm.counts.n_risk_before(np.asarray(risk_times)))
    arm_curve = _curve_frame(
        np.concatenate(([0.0], exact.km_arm.time)), np.concatenate(([1.0], exact.km_arm.surv))
    )
    warnings = (
        *comparability(arm.profile, cohort_view(view.filters, endpoint, origin, path)),
        *arm_warnings(arm),
    )
    median_q = group.median
    view_median = (
        None
        if median_q is None or median_q.estimate is None
        else (median_q.estimate / DAYS_PER_MONTH)
    )
    common = dict(
        arm_median=_median(exact.km_arm),
        arm_curve=arm_curve,
        risk_times=risk_times,
        arm_risk=arm_risk,
        horizon=horizon if exact.rmst is not None else None,
        warnings=warnings,
        delayed_entry=bool((view_counts.n_enter > 0).any()),
    )
    n, events = group.n, group.events
    if not d.active:
        disp = group.display
        return _replace_cmp(
            base,
            view_n=str(n),
            view_events=str(events),
            view_median=view_median,
            view_median_text=_median_text(view_median),
            view_curve=_curve_frame(disp.time / DAYS_PER_MONTH, disp.surv),
            view_risk=tuple(
                str(int(x))
                for x in group.counts.n_risk_before(np.asarray(risk_times) * DAYS_PER_MONTH)
            ),
            logrank=exact.logrank,
            hr=exact.hr,
            rmst=exact.rmst,
            differences=exact.differences,
            **common,
        )
    t = d.threshold
    if group.suppressed or d.hidden(n):
        return _replace_cmp(
            base,
            view_n=d.show(n),
            view_events="withheld",
            view_median_text="withheld",
            view_risk=tuple("withheld" for _ in risk_times),
            withheld=f"the view has fewer than {t} patients with data",
            differences=tuple(
                SurvivalDifference(x.time, None, x.arm, None, None, None, None, "withheld")
                for x in exact.differences
            ),
            **common,
        )
    events_hidden = any(suppressed_cells([events, n - events], d))
    withheld = (
        f"they would give back a count below {t} (events or patients without one)"
        if events_hidden
        else ""
    )
    if events_hidden:
        common["horizon"] = None
    shown_at = {a.time: a for a in group.at}
    diffs = []
    for x in exact.differences:
        a = shown_at.get(x.time * DAYS_PER_MONTH)
        # the view's events up to t
        by_t = int(view_counts.n_event[view_counts.time <= x.time].sum())
        reason = ""
        if a is None or a.surv is None:
            reason = f"fewer than {t} of the view at risk"
        elif d.hidden(by_t):
            reason = f"the view's survival would give back a count below {t} (events by then)"
        if reason:
            diffs.append(SurvivalDifference(x.time, None, x.arm, None, None, None, None, reason))
        else:
            diffs.append(x)
    table = dict(group.display.risk_table or ())
    disp = group.display
    return _replace_cmp(
        base,
        view_n=str(n),
        view_events=f"<{t}" if events_hidden else str(events),
        view_median=view_median,
        view_median_text=_median_text(view_median),
        view_curve=_curve_frame(disp.time / DAYS_PER_MONTH, disp.surv),
        view_risk=tuple(table.get(x * DAYS_PER_MONTH, "withheld") for x in risk_times),
        logrank=None if events_hidden else exact.logrank,
        hr=None if events_hidden else exact.hr,
        rmst=None if events_hidden else exact.rmst,
        differences=tuple(diffs),
        withheld=withheld,
        **common,
    )


def _median_text(months: float | None) -> str:
    return "not reached" if months is None else f"{fmt_num(months)} months"


def _replace_cmp(c: ArmComparison, **changes: Any) -> ArmComparison:
    return replace(c, **changes)


def arm_list(*, mode: Mode = Mode.PROTECTED, path: Path | str | None = None):
    """:func:`all_arms` in the page cache's calling convention (``mode`` unused: the arms are
    published or user-added aggregate rows, the same for every viewer)."""
    return all_arms(path)


def compare_arm_by_id(
    filters: Filters,
    ident: str,
    horizon: float | None,
    times: tuple[float, ...],
    *,
    mode: Mode = Mode.PROTECTED,
    path: Path | str | None = None,
) -> ArmComparison | str:
    """:func:`compare_arm` for the arm named ``ident`` (for the page cache); a ``str`` is the
    reason there is no comparison (the arm's endpoint not recorded, no patient with data)."""
    try:
        return compare_arm(
            filters, find_arm(ident, path), horizon=horizon, times=times, path=path, mode=mode
        )
    except ValueError as exc:
        return str(exc)
