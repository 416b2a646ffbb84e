"""From a selection to survival results: the DuckDB fast path and the analysis orchestrator.

DuckDB reduces the selected patients to counts of events, censorings and delayed entries per
group and distinct day (``GROUP BY g, t``); :mod:`core.survival` does the product-limit,
Greenwood and log-rank arithmetic on those counts. The cost of a recompute therefore grows with
the number of distinct days, not with the number of patients.

Time origins. Times are stored as days from the index date (first treatment). From diagnosis or
metastatic diagnosis, time = offset + days, and with ``left_truncation`` (default) a patient
enters the risk set only at the first treatment (delayed entry at the offset), as R's
``Surv(entry, exit, event)``.

Landmark. A landmark of L days is counted from the index date: patients whose endpoint time
(event or censoring) is at or before L are excluded and counted; from the index origin the
rest are re-originated at L (time - L); from a diagnosis origin they enter the risk set at
offset + L.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.db import query_df
from core.filters import Filters
from core.methods import (
    DAYS_PER_MONTH,
    ENDPOINT_COLUMNS,
    ORIGIN_OFFSET_COLUMN,
    ConfType,
    Endpoint,
    Origin,
)
from core.schema import METASTATIC_SITES, PATIENTS, PRIOR_THERAPIES, column
from core.survival import (
    GroupHR,
    KMResult,
    LogRankResult,
    PairwiseLogRank,
    Quantile,
    RMSTDifference,
    RMSTResult,
    SurvAt,
    SurvivalCounts,
    counts_from_frame,
    cox_group_hr,
    kaplan_meier,
    km_quantiles,
    logrank_test,
    pairwise_logrank,
    rmst,
    rmst_difference,
    survival_at,
)


@dataclass(frozen=True, slots=True)
class Grouping:
    key: str
    label: str
    sql: str
    """A SQL expression over allow-listed columns (no user values)."""
    post_baseline: bool = False
    order: tuple[str, ...] = ()


def _code_grouping(name: str) -> Grouping:
    f = PATIENTS[name]
    cases = " ".join(
        f"WHEN {column(name)} = '{c}' THEN '{lbl}'"
        for c, lbl in zip(f.codes, f.code_labels, strict=True)
    )
    return Grouping(
        name, f.label, f"CASE {cases} ELSE 'Missing' END", False, (*f.code_labels, "Missing")
    )


def _bool_grouping(name: str, label: str) -> Grouping:
    col = column(name)
    return Grouping(
        name,
        label,
        f"CASE WHEN {col} THEN 'Yes' WHEN NOT {col} THEN 'No' ELSE 'Missing' END",
        False,
        ("Yes", "No", "Missing"),
    )


NOT_ASSESSED = "Not assessed"
GROUPINGS: dict[str, Grouping] = {
    "cohort_id": Grouping("cohort_id", "Cohort", "cohort_id"),
    **{n: _code_grouping(n) for n in ("sex", "race", "primary_site", "grade", "route", "agent")},
    "age_65": Grouping(
        "age_65",
        "Age 65 or older",
        f"CASE WHEN {column('age')} >= 65 THEN '65 or older' WHEN "
        f"{column('age')} < 65 THEN 'Under 65' ELSE 'Missing' END",
        False,
        ("Under 65", "65 or older", "Missing"),
    ),
    **{n: _bool_grouping(n, lbl) for n, lbl in PRIOR_THERAPIES},
    **{
        f"met_{c}": _bool_grouping(f"met_{c}", f"Metastasis: {lbl}")
        for c, lbl in METASTATIC_SITES[:4]
    },
    "treatments": Grouping(
        "treatments",
        "Single vs multiple treatments (post-baseline)",
        f"CASE WHEN {column('n_treatments')} > 1 THEN 'Multiple' WHEN "
        f"{column('n_treatments')} = 1 THEN 'Single' ELSE '{NOT_ASSESSED}' END",
        True,
        ("Single", "Multiple", NOT_ASSESSED),
    ),
    "imaging_response": Grouping(
        "imaging_response",
        "Imaging response at first follow-up (post-baseline)",
        f"CASE WHEN {column('imaging_response')} IN ('CR','PR','SD') THEN 'CR/PR/SD' WHEN "
        f"{column('imaging_response')} = 'PD' THEN 'PD' ELSE '{NOT_ASSESSED}' END",
        True,
        ("CR/PR/SD", "PD", NOT_ASSESSED),
    ),
    "symptomatic_response": Grouping(
        "symptomatic_response",
        "Symptomatic response at first follow-up (post-baseline)",
        f"CASE WHEN {column('symptomatic_response')} = 'improved' THEN 'Improved' WHEN "
        f"{column('symptomatic_response')} IN ('stable','worse') THEN 'Not improved' "
        f"ELSE '{NOT_ASSESSED}' END",
        True,
        ("Improved", "Not improved", NOT_ASSESSED),
    ),
    "biochem_response": Grouping(
        "biochem_response",
        "Biochemical response at first follow-up (post-baseline)",
        f"CASE WHEN {column('biochem_response')} IN ('response','stable') THEN "
        f"'Response/stable' WHEN {column('biochem_response')} = 'progression' THEN "
        f"'Progression' ELSE '{NOT_ASSESSED}' END",
        True,
        ("Response/stable", "Progression", NOT_ASSESSED),
    ),
}


@dataclass(frozen=True, slots=True)
class SurvivalSpec:
    """Everything that defines a survival view besides the patient filter."""

    endpoint: Endpoint = Endpoint.OS
    origin: Origin = Origin.INDEX
    by: str | None = None
    left_truncation: bool = True
    landmark_months: float | None = None
    conf_type: ConfType = ConfType.LOG_LOG
    include_not_assessed: bool = True
    times_months: tuple[float, ...] = (12.0, 24.0, 36.0, 60.0)
    rmst_months: float | None = 60.0

    @property
    def landmark_days(self) -> float | None:
        return None if self.landmark_months is None else self.landmark_months * DAYS_PER_MONTH


@dataclass(frozen=True)
class GroupResult:
    label: str
    counts: SurvivalCounts
    km: KMResult | None
    quantiles: tuple[Quantile, ...] = ()
    at: tuple[SurvAt, ...] = ()
    rmst: RMSTResult | None = None
    message: str = ""

    @property
    def n(self) -> int:
        return self.counts.n

    @property
    def events(self) -> int:
        return self.counts.events

    @property
    def median(self) -> Quantile | None:
        return next((q for q in self.quantiles if q.p == 0.5), None)


@dataclass(frozen=True)
class SurvivalAnalysis:
    spec: SurvivalSpec
    filters: Filters
    groups: tuple[GroupResult, ...]
    logrank: LogRankResult | None
    pairwise: tuple[PairwiseLogRank, ...] = ()
    hazard_ratios: tuple[GroupHR, ...] = ()
    rmst_differences: tuple[tuple[str, str, RMSTDifference], ...] = ()
    n_selected: int = 0
    n_missing_time: int = 0
    n_landmark_excluded: int = 0
    n_landmark_excluded_events: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_analysed(self) -> int:
        return sum(g.n for g in self.groups)


def _time_sql(spec: SurvivalSpec) -> tuple[str, str, str]:
    """SQL for (exit time, entry time, condition) in days on the analysis time scale."""
    days_col, ev_col = ENDPOINT_COLUMNS[spec.endpoint]
    days = column(days_col)
    off_col = ORIGIN_OFFSET_COLUMN[spec.origin]
    off = column(off_col) if off_col else "0"
    cond = f"{days} IS NOT NULL AND {column(ev_col)} IS NOT NULL"
    if off_col:
        cond += f" AND {off} IS NOT NULL AND {off} >= 0"
        if spec.left_truncation:
            cond += f" AND {days} > 0"  # entry must precede exit (R: stop > start)
    L = spec.landmark_days
    if L is None:
        exit_ = f"({days} + {off})"
        entry = off if (off_col and spec.left_truncation) else "0"
    elif off_col:
        exit_ = f"({days} + {off})"
        entry = f"({off} + ?)" if spec.left_truncation else "0"
    else:
        exit_ = f"({days} - ?)"
        entry = "0"
    return exit_, entry, cond


def aggregate_counts(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> tuple[pd.DataFrame, dict]:
    """Counts per group and distinct day: columns g, t, d, c, e; plus exclusion tallies."""
    where, params = filters.where()
    grouping = GROUPINGS[spec.by].sql if spec.by else "'All'"
    exit_, entry, cond = _time_sql(spec)
    ev_col = column(ENDPOINT_COLUMNS[spec.endpoint][1])
    days_col = column(ENDPOINT_COLUMNS[spec.endpoint][0])
    L = spec.landmark_days
    base_params: list = list(params)
    select_params: list = []
    if L is not None:
        select_params = [L] if "?" in exit_ or "?" in entry else []
    lm_cond = f" AND {days_col} > ?" if L is not None else ""
    sql = f"""
WITH sel AS (SELECT * FROM patients WHERE {where}),
base AS (
  SELECT {grouping} AS g, CAST({exit_} AS DOUBLE) AS t, CAST({ev_col} AS INTEGER) AS ev,
         CAST({entry} AS DOUBLE) AS en
  FROM sel WHERE {cond}{lm_cond}
),
exits AS (SELECT g, t, sum(ev) AS d, count(*) - sum(ev) AS c, 0 AS e FROM base GROUP BY g, t),
entries AS (SELECT g, en AS t, 0 AS d, 0 AS c, count(*) AS e FROM base WHERE en > 0
            GROUP BY g, en)
SELECT g, t, sum(d)::BIGINT AS d, sum(c)::BIGINT AS c, sum(e)::BIGINT AS e
FROM (SELECT * FROM exits UNION ALL SELECT * FROM entries) GROUP BY g, t ORDER BY g, t
"""
    all_params = base_params + select_params + ([L] if L is not None else [])
    frame = query_df(sql, all_params, path)
    tally_sql = f"""
SELECT count(*) AS n_sel,
       count(*) FILTER (WHERE NOT ({cond})) AS n_missing,
       count(*) FILTER (WHERE ({cond}) {"AND " + days_col + " <= ?" if L is not None else "AND FALSE"}) AS n_lm,
       count(*) FILTER (WHERE ({cond}) {"AND " + days_col + " <= ? AND " + ev_col + " = 1" if L is not None else "AND FALSE"}) AS n_lm_ev
FROM patients WHERE {where}"""
    tparams = ([L, L] if L is not None else []) + list(params)
    row = query_df(tally_sql, tparams, path).iloc[0]
    tallies = {k: int(row[k]) for k in ("n_sel", "n_missing", "n_lm", "n_lm_ev")}
    return frame, tallies


def analyse(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> SurvivalAnalysis:
    """Full recompute for one view: KM with CI and quantiles per group, log-rank, pairwise."""
    frame, tallies = aggregate_counts(filters, spec, path)
    order = GROUPINGS[spec.by].order if spec.by else ("All",)
    labels = list(pd.unique(frame["g"])) if len(frame) else []
    labels.sort(key=lambda g: (order.index(g) if g in order else len(order), str(g)))
    if not spec.include_not_assessed:
        labels = [g for g in labels if g != NOT_ASSESSED]
    groups: list[GroupResult] = []
    times_days = np.asarray(spec.times_months, dtype=float) * DAYS_PER_MONTH
    for g in labels:
        sub = frame[frame["g"] == g]
        counts = counts_from_frame(sub)
        if counts.n == 0:
            continue
        km = kaplan_meier(counts, conf_type=spec.conf_type)
        qs = tuple(km_quantiles(km))
        at = tuple(survival_at(km, times_days)) if len(times_days) else ()
        rm = None
        if spec.rmst_months and counts.events > 0:
            try:
                rm = rmst(km, spec.rmst_months * DAYS_PER_MONTH)
            except ValueError:
                rm = None
        msg = "" if counts.n > 1 else "One patient only: the curve is a single step."
        groups.append(GroupResult(str(g), counts, km, qs, at, rm, msg))
    lr = None
    pw: tuple = ()
    rdiff: list = []
    usable = [g for g in groups if g.n > 0]
    if len(usable) > 1 and sum(g.events for g in usable) > 0:
        lr = logrank_test([g.counts for g in usable])
        if len(usable) > 2:
            pw = tuple(pairwise_logrank([g.counts for g in usable], [g.label for g in usable]))
        ref = usable[0]
        for other in usable[1:]:
            if ref.rmst is not None and other.rmst is not None:
                rdiff.append(
                    (
                        other.label,
                        ref.label,
                        rmst_difference(other.km, ref.km, spec.rmst_months * DAYS_PER_MONTH),
                    )
                )
    warnings: list[str] = []
    if spec.by and GROUPINGS[spec.by].post_baseline and spec.landmark_months is None:
        warnings.append(
            "Grouping by a post-baseline status is immortal-time biased: a patient must survive "
            "to be assessed (or retreated). Turn on the landmark analysis."
        )
    if spec.origin is not Origin.INDEX and not spec.left_truncation:
        warnings.append(
            "Without delayed entry, patients count as at risk before they were treated, which "
            "they could not have been observed to die in: the curve is biased upward."
        )
    return SurvivalAnalysis(
        spec=spec,
        filters=filters,
        groups=tuple(groups),
        logrank=lr,
        pairwise=pw,
        rmst_differences=tuple(rdiff),
        n_selected=tallies["n_sel"],
        n_missing_time=tallies["n_missing"],
        n_landmark_excluded=tallies["n_lm"],
        n_landmark_excluded_events=tallies["n_lm_ev"],
        warnings=tuple(warnings),
    )


def patient_arrays(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> pd.DataFrame:
    """Patient-level (g, t, ev, en) for the selection: Cox HRs and the reference path."""
    where, params = filters.where()
    grouping = GROUPINGS[spec.by].sql if spec.by else "'All'"
    exit_, entry, cond = _time_sql(spec)
    ev_col = column(ENDPOINT_COLUMNS[spec.endpoint][1])
    days_col = column(ENDPOINT_COLUMNS[spec.endpoint][0])
    L = spec.landmark_days
    sel_params = ([L] if ("?" in exit_ or "?" in entry) else []) if L is not None else []
    lm_cond = f" AND {days_col} > ?" if L is not None else ""
    sql = (
        f"SELECT {grouping} AS g, CAST({exit_} AS DOUBLE) AS t, CAST({ev_col} AS INTEGER) AS ev, "
        f"CAST({entry} AS DOUBLE) AS en FROM (SELECT * FROM patients WHERE {where}) "
        f"WHERE {cond}{lm_cond}"
    )
    return query_df(sql, sel_params + list(params) + ([L] if L is not None else []), path)


def hazard_ratios(
    filters: Filters, spec: SurvivalSpec, reference: str, path: Path | str | None = None
) -> list[GroupHR]:
    """Cox (Efron) hazard ratio of each group against ``reference``."""
    df = patient_arrays(filters, spec, path)
    if not spec.include_not_assessed:
        df = df[df["g"] != NOT_ASSESSED]
    entry = df["en"].to_numpy() if (df["en"] > 0).any() else None
    return cox_group_hr(
        df["t"].to_numpy(), df["ev"].to_numpy(), df["g"].to_numpy(), reference, entry=entry
    )


# ------------------------------------------------------------------ tables and JSON
def _scaled(x: float | None, scale: float) -> float | None:
    return None if x is None else x / scale


def summary_frame(analysis: SurvivalAnalysis, unit) -> pd.DataFrame:
    """One row per group: n, events, median (95% CI), quartiles, RMST, in ``unit``."""
    from core.formatting import fmt_est_ci
    from core.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    rows = []
    for g in analysis.groups:
        q = {round(x.p, 2): x for x in g.quantiles}
        med = q.get(0.5)
        rows.append(
            {
                "Group": g.label,
                "n": g.n,
                "Events": g.events,
                f"Median, {unit.label} (95% CI)": fmt_est_ci(
                    _scaled(med.estimate, s), _scaled(med.lower, s), _scaled(med.upper, s)
                )
                if med
                else "–",
                f"25th percentile, {unit.label}": fmt_est_ci(
                    _scaled(q[0.25].estimate, s),
                    _scaled(q[0.25].lower, s),
                    _scaled(q[0.25].upper, s),
                )
                if 0.25 in q
                else "–",
                f"75th percentile, {unit.label}": fmt_est_ci(
                    _scaled(q[0.75].estimate, s),
                    _scaled(q[0.75].lower, s),
                    _scaled(q[0.75].upper, s),
                )
                if 0.75 in q
                else "–",
                f"RMST to {analysis.spec.rmst_months:g} months, {unit.label} (95% CI)": (
                    fmt_est_ci(g.rmst.estimate / s, g.rmst.lower / s, g.rmst.upper / s)
                    if g.rmst
                    else "–"
                )
                if analysis.spec.rmst_months
                else None,
                "Note": g.message,
            }
        )
    frame = pd.DataFrame(rows)
    return frame.drop(columns=[c for c in frame.columns if frame[c].isna().all()])


def survival_at_frame(analysis: SurvivalAnalysis) -> pd.DataFrame:
    """Survival (95% CI) and number at risk at the spec's times, one row per group x time."""
    from core.formatting import fmt_num

    rows = []
    for g in analysis.groups:
        for a in g.at:
            rows.append(
                {
                    "Group": g.label,
                    "Time, months": a.time / DAYS_PER_MONTH,
                    "Survival, %": fmt_num(None if a.surv is None else 100 * a.surv),
                    "95% CI, %": "–"
                    if a.surv is None
                    else f"{fmt_num(None if a.lower is None else 100 * a.lower)}–"
                    f"{fmt_num(None if a.upper is None else 100 * a.upper)}",
                    "At risk": a.n_risk,
                }
            )
    return pd.DataFrame(rows)


def pairwise_frame(analysis: SurvivalAnalysis) -> pd.DataFrame:
    from core.formatting import fmt_p

    return pd.DataFrame(
        [
            {
                "Group A": p.a,
                "Group B": p.b,
                "Chi-square": round(p.chi2, 3),
                "p": fmt_p(p.p, prefix=False),
                "p (Holm)": fmt_p(p.p_adj, prefix=False),
            }
            for p in analysis.pairwise
        ]
    )


def hr_frame(hrs: list[GroupHR], reference: str) -> pd.DataFrame:
    from core.formatting import fmt_est_ci, fmt_p

    return pd.DataFrame(
        [
            {
                "Group": h.label,
                "Reference": reference,
                "Hazard ratio (95% CI)": fmt_est_ci(h.hr, h.lower, h.upper, 2),
                "p (Wald)": fmt_p(h.p, prefix=False),
            }
            for h in hrs
        ]
    )


def to_json_dict(analysis: SurvivalAnalysis, unit, cohort: str) -> dict:
    """The CLI's JSON shape; times in ``unit``; null for what is not reached or not defined."""
    from core.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    groups = []
    for g in analysis.groups:
        med = g.median
        groups.append(
            {
                "label": g.label,
                "n": g.n,
                "events": g.events,
                "median": _scaled(med.estimate, s) if med else None,
                "median_ci": [_scaled(med.lower, s), _scaled(med.upper, s)]
                if med
                else [None, None],
                "at": [
                    {
                        "time": a.time / s,
                        "survival": a.surv,
                        "ci": [a.lower, a.upper],
                        "at_risk": a.n_risk,
                    }
                    for a in g.at
                ],
            }
        )
    lr = analysis.logrank
    return {
        "cohort": cohort,
        "description": analysis.filters.describe(analysis.n_analysed),
        "endpoint": analysis.spec.endpoint.value,
        "origin": analysis.spec.origin.value,
        "time_unit": unit.value,
        "conf_type": analysis.spec.conf_type.value,
        "groups": groups,
        "logrank": None if lr is None else {"chi2": lr.chi2, "df": lr.df, "p": lr.p},
    }
