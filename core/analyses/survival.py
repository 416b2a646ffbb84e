"""From a selection to survival results: the DuckDB fast path and the analysis orchestrator.

DuckDB reduces the selected patients to counts of events, censorings and delayed entries per
group and distinct day (``GROUP BY g, t``); :mod:`core.stats.survival` does the product-limit,
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

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.analyses.disclosure import (
    EXEMPT,
    Disclosure,
    disclosure_for_selection,
    suppressed_cells,
)
from core.data.db import list_cohorts, query_arrays
from core.data.filters import Filters
from core.stats.survival import (
    GroupHR,
    KMResult,
    LogRankResult,
    PairwiseLogRank,
    Quantile,
    RMSTDifference,
    RMSTResult,
    SurvAt,
    SurvivalCounts,
    cox_group_hr,
    kaplan_meier,
    km_quantiles,
    logrank_with_pairwise,
    rmst,
    rmst_difference,
    survival_at,
)
from core.vocab.methods import (
    DAYS_PER_MONTH,
    ENDPOINT_COLUMNS,
    ORIGIN_OFFSET_COLUMN,
    ConfType,
    Endpoint,
    Origin,
)
from core.vocab.schema import METASTATIC_SITES, PATIENTS, PRIOR_THERAPIES, column


@dataclass(frozen=True, slots=True)
class Grouping:
    """A way to split patients: the raw column DuckDB groups on, and how values become labels.

    DuckDB groups on the stored value (cheap); the relabelling of the few distinct values, and
    the merging of values that share a label, happen afterwards on the aggregate (counts add).
    """

    key: str
    label: str
    column: str
    labels: Callable[[object], str]
    post_baseline: bool = False
    order: tuple[str, ...] = ()


def _code_grouping(name: str) -> Grouping:
    f = PATIENTS[name]
    return Grouping(
        name,
        f.label,
        name,
        lambda v, f=f: "Missing" if v is None else f.label_of(v),
        False,
        (*f.code_labels, "Missing"),
    )


def _bool_grouping(name: str, label: str) -> Grouping:
    return Grouping(
        name,
        label,
        name,
        lambda v: "Missing" if v is None else ("Yes" if v else "No"),
        False,
        ("Yes", "No", "Missing"),
    )


def _age_label(v: object) -> str:
    if v is None:
        return "Missing"
    return "65 or older" if int(v) >= 65 else "Under 65"


def _tx_label(v: object) -> str:
    if v is None or int(v) < 1:
        return NOT_ASSESSED
    return "Multiple" if int(v) > 1 else "Single"


NOT_ASSESSED = "Not assessed"
_IMG = {"CR": "CR/PR/SD", "PR": "CR/PR/SD", "SD": "CR/PR/SD", "PD": "PD"}
_SYM = {"improved": "Improved", "stable": "Not improved", "worse": "Not improved"}
_BIO = {"response": "Response/stable", "stable": "Response/stable", "progression": "Progression"}

GROUPINGS: dict[str, Grouping] = {
    "cohort_id": Grouping("cohort_id", "Cohort", "cohort_id", str),
    **{n: _code_grouping(n) for n in ("sex", "race", "primary_site", "grade", "route", "agent")},
    "age_65": Grouping(
        "age_65",
        "Age 65 or older",
        "age",
        _age_label,
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
        "n_treatments",
        _tx_label,
        True,
        ("Single", "Multiple", NOT_ASSESSED),
    ),
    "imaging_response": Grouping(
        "imaging_response",
        "Imaging response at first follow-up (post-baseline)",
        "imaging_response",
        lambda v: _IMG.get(v, NOT_ASSESSED),
        True,
        ("CR/PR/SD", "PD", NOT_ASSESSED),
    ),
    "symptomatic_response": Grouping(
        "symptomatic_response",
        "Symptomatic response at first follow-up (post-baseline)",
        "symptomatic_response",
        lambda v: _SYM.get(v, NOT_ASSESSED),
        True,
        ("Improved", "Not improved", NOT_ASSESSED),
    ),
    "biochem_response": Grouping(
        "biochem_response",
        "Biochemical response at first follow-up (post-baseline)",
        "biochem_response",
        lambda v: _BIO.get(v, NOT_ASSESSED),
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
    suppressed: bool = False
    """Small-cell protection: no curve, no at-risk row, counts not shown."""

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
    disclosure: Disclosure = EXEMPT

    @property
    def n_analysed(self) -> int:
        return sum(g.n for g in self.groups)

    def show(self, n: int | None) -> str:
        """A count as it may be displayed under this view's small-cell rule."""
        return self.disclosure.show(n)

    @property
    def n_shown(self) -> str:
        return self.disclosure.show(self.n_analysed)

    def cell(self, value: int, group: GroupResult | None = None) -> int | str:
        """A count for a table: the number itself when exempt, else '<11' or 'suppressed'."""
        if not self.disclosure.active:
            return int(value)
        if group is not None and group.suppressed and not self.disclosure.hidden(value):
            return "suppressed"
        return self.disclosure.show(value)


def _raw_sql(
    filters: Filters, spec: SurvivalSpec, *, per_patient: bool = False
) -> tuple[str, list]:
    """One GROUP BY over stored values: (group value, days, origin offset) -> counts.

    Each row holds ``n_all`` patients, ``n`` of them with a known event status and ``d`` of
    those with the event. Rows with a missing time or origin offset come back as NULLs in their
    own aggregate rows, so they are counted without a second query. From the index origin the
    offset is 0 and the aggregate has one row per group value and day.

    The inner GROUP BY keys are stored columns only (no per-row expressions), so DuckDB knows
    their value ranges and can use its perfect-hash aggregate (see ``core.data.db``); the group is
    turned into a small integer code (see :func:`_decode_group`) on the aggregate. With
    ``per_patient`` the same columns come back one row per patient (n_all = 1).
    """
    where, params = filters.where()
    days_col, ev_col = ENDPOINT_COLUMNS[spec.endpoint]
    off_col = ORIGIN_OFFSET_COLUMN[spec.origin]
    off = column(off_col) if off_col else "0"
    g_inner, g_outer = _group_sql(spec)
    ev = column(ev_col)
    if per_patient:
        counts = f"1 AS n_all, ({ev} IS NOT NULL)::BIGINT AS n, coalesce({ev}, 0)::BIGINT AS d"
        group_by = ""
    else:
        counts = f"count(*) AS n_all, count({ev}) AS n, coalesce(sum({ev}), 0)::BIGINT AS d"
        group_by = " GROUP BY ALL"
    sql = (
        f"SELECT {g_outer} AS g, t, off, n_all, n, d FROM (SELECT {g_inner} AS g, "
        f"{column(days_col)} AS t, {off} AS off, {counts} FROM patients WHERE {where}{group_by})"
    )
    return sql, params


def _group_sql(spec: SurvivalSpec) -> tuple[str, str]:
    """(stored column grouped on, expression that turns it into a small integer code)."""
    if not spec.by:
        return "0", "g"
    name = GROUPINGS[spec.by].column
    f = PATIENTS.get(name)
    if f is not None and f.kind == "code":
        return column(name), "enum_code(g)"  # ENUM position: codes[i]
    if f is not None and f.kind == "bool":
        return column(name), "g::TINYINT"
    return column(name), "g"  # integers (age, treatments) or cohort ids as they are


def _decode_group(spec: SurvivalSpec, value: object) -> object:
    """The stored value behind a group code from :func:`_raw_sql` (None for NULL)."""
    if value is None or not spec.by:
        return value
    f = PATIENTS.get(GROUPINGS[spec.by].column)
    if f is not None and f.kind == "code":
        return f.codes[int(value)]
    if f is not None and f.kind == "bool":
        return bool(value)
    return value


def aggregate_counts(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> tuple[dict[str, SurvivalCounts], dict]:
    """Counts per group label (events, censorings, delayed entries per distinct time), exact."""
    sql, params = _raw_sql(filters, spec)
    raw = query_arrays(sql, params, path, perfect_hash=_cohort_rows(filters, path) >= LARGE)
    return counts_from_raw(raw, spec)


LARGE = 500_000
"""Patients in the selected cohorts from which the aggregate uses DuckDB's perfect-hash GROUP
BY (see ``core.data.db.PERFECT_HASH_BITS``; measured break-even between 10^5 and 10^6)."""


def _cohort_rows(filters: Filters, path: Path | str | None) -> int:
    """Patients in the cohorts a selection reads (all cohorts when none is chosen)."""
    cohorts = list_cohorts(path)
    chosen = set(filters.cohorts)
    return sum(c.n_patients for c in cohorts if not chosen or c.cohort_id in chosen)


@dataclass(frozen=True)
class _Rows:
    """One row per (group, entry, exit): ``weight`` patients, ``event`` of whom had the event."""

    labels: np.ndarray
    exit: np.ndarray
    event: np.ndarray
    entry: np.ndarray
    weight: np.ndarray
    tallies: dict
    names: tuple[str, ...] = ()


def _prepare(raw: dict, spec: SurvivalSpec) -> _Rows:
    """Apply validity, origin, delayed entry and landmark to raw (g, t, off, n_all, n, d) rows.

    A patient is counted as missing when the time, the event status or the origin offset is
    missing or the offset is negative (or, under delayed entry, the endpoint is on the day of
    the first treatment or before: R needs entry < exit).
    """
    n_all = np.asarray(raw["n_all"], dtype=np.int64)
    n = np.asarray(np.ma.getdata(raw["n"]), dtype=np.int64)
    d = np.asarray(np.ma.getdata(raw["d"]), dtype=np.int64)
    t_raw = raw["t"]
    has_offset = ORIGIN_OFFSET_COLUMN[spec.origin] is not None
    valid = ~_missing(t_raw)
    if has_offset:
        off_all = np.ma.getdata(raw["off"]).astype(np.float64)
        valid &= ~_missing(raw["off"]) & (np.where(_missing(raw["off"]), 0.0, off_all) >= 0)
    tallies = {
        "n_sel": int(n_all.sum()),
        "n_missing": int(n_all[~valid].sum() + (n_all - n)[valid].sum()),
        "n_lm": 0,
        "n_lm_ev": 0,
    }
    valid &= n > 0
    g_raw = raw["g"]
    g_mask = _missing(g_raw)
    g_vals = np.ma.getdata(g_raw) if np.ma.isMaskedArray(g_raw) else np.asarray(g_raw)
    # integer codes for the few distinct group values (NULL is its own code)
    g_set = g_vals[~g_mask] if g_vals.dtype.kind in "iub" else g_vals[:0]
    if g_vals.dtype.kind in "iub" and (g_set.size == 0 or 0 <= g_set.min() <= g_set.max() < 4096):
        # small non-negative codes (ENUM positions, booleans, counts): a lookup table, no sort
        top = int(g_set.max()) + 1 if g_set.size else 0
        keyed = np.where(g_mask, top, g_vals).astype(np.intp)  # NULL -> top
        present = np.flatnonzero(np.bincount(keyed, minlength=top + 1))
        lookup = np.zeros(top + 1, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        gi_all = lookup[keyed]
        value_of = {i: (None if u == top else int(u)) for i, u in enumerate(present)}
    elif g_vals.dtype.kind in "iub":
        keyed = np.where(g_mask, np.iinfo(np.int64).min, g_vals.astype(np.int64))
        uniq, gi_all = np.unique(keyed, return_inverse=True)
        value_of = {
            i: (None if u == np.iinfo(np.int64).min else int(u)) for i, u in enumerate(uniq)
        }
    else:
        codes, uniques = pd.factorize(
            pd.Series(np.where(g_mask, None, g_vals), dtype=object), use_na_sentinel=False
        )
        gi_all = codes.astype(np.int64)
        value_of = {i: (None if pd.isna(u) else u) for i, u in enumerate(uniques)}
    value_of = {k: _decode_group(spec, v) for k, v in value_of.items()}
    everyone = bool(valid.all())
    gi = gi_all if everyone else gi_all[valid]
    days = np.ma.getdata(t_raw).astype(np.float64)
    days = days if everyone else days[valid]
    ev = d if everyone else d[valid]
    n = n if everyone else n[valid]
    if has_offset:
        off = np.ma.getdata(raw["off"]).astype(np.float64)
        off = off if everyone else off[valid]
        exit_ = days + off
        entry = off.copy() if spec.left_truncation else np.zeros_like(off)
    else:
        off = np.zeros_like(days)
        exit_, entry = days, off
    keep = np.ones(days.size, dtype=bool)
    if has_offset and spec.left_truncation:
        bad = days <= 0  # entry must precede exit (R: stop > start)
        tallies["n_missing"] += int(n[bad].sum())
        keep &= ~bad
    L = spec.landmark_days
    if L is not None:
        drop = keep & (days <= L)
        tallies["n_lm"] = int(n[drop].sum())
        tallies["n_lm_ev"] = int(ev[drop].sum())
        keep &= ~drop
        if has_offset:
            entry = off + L if spec.left_truncation else np.zeros_like(off)
        else:
            exit_ = days - L
    labeler = GROUPINGS[spec.by].labels if spec.by else (lambda _v: "All")
    n_codes = len(value_of)
    names = [labeler(_py(value_of.get(k))) for k in range(n_codes)]
    label_names = list(dict.fromkeys(names))
    code_to_label = np.array([label_names.index(nm) for nm in names], dtype=np.int64)
    labels = code_to_label[gi] if gi.size else gi
    if keep.all():
        return _Rows(labels, exit_, ev, entry, n, tallies, tuple(label_names))
    return _Rows(
        labels[keep], exit_[keep], ev[keep], entry[keep], n[keep], tallies, tuple(label_names)
    )


def _missing(a) -> np.ndarray:
    """NULL mask of a fetched column (masked array or object array with None/NaN)."""
    if np.ma.isMaskedArray(a):
        return np.ma.getmaskarray(a)
    return pd.isna(a)


def _py(v: object) -> object:
    """numpy scalars -> Python values (True/False, int) for the labelling functions."""
    return v.item() if hasattr(v, "item") else v


def counts_from_raw(raw: dict, spec: SurvivalSpec) -> tuple[dict[str, SurvivalCounts], dict]:
    """Turn the raw aggregate into per-group SurvivalCounts (exact times, never coarsened)."""
    r = _prepare(raw, spec)
    exit_, entry = r.exit, r.entry
    return _counts_by_label(r.labels, exit_, r.event, entry, r.weight, r.names), r.tallies


def _counts_by_label_sorted(
    labels: np.ndarray,
    exit_: np.ndarray,
    ev: np.ndarray,
    entry: np.ndarray,
    n: np.ndarray,
    names: tuple[str, ...],
) -> dict[str, SurvivalCounts]:
    """SurvivalCounts for every group at once: one sort of (group, time), then run sums.

    Each input row stands for ``n`` patients with the same group, entry and exit, ``ev`` of
    whom had the event; delayed entries (entry > 0) add rows of their own with only an entry
    count.
    """
    delayed = entry > 0
    lab = np.concatenate((labels, labels[delayed]))
    t = np.concatenate((exit_, entry[delayed]))
    w_exit = np.concatenate((n, np.zeros(int(delayed.sum()), dtype=np.int64)))
    w_event = np.concatenate((ev, np.zeros(int(delayed.sum()), dtype=np.int64)))
    w_enter = np.concatenate((np.zeros(labels.size, dtype=np.int64), n[delayed]))
    order = np.lexsort((t, lab))
    lab, t = lab[order], t[order]
    new = np.ones(t.size, dtype=bool)
    new[1:] = (lab[1:] != lab[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    if starts.size == 0:
        return {}
    d = np.add.reduceat(w_event[order], starts)
    tot = np.add.reduceat(w_exit[order], starts)
    e = np.add.reduceat(w_enter[order], starts)
    ut, ulab = t[starts], lab[starts]
    out: dict[str, SurvivalCounts] = {}
    bounds = np.flatnonzero(np.diff(ulab)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, ulab.size], strict=True):
        out[names[int(ulab[lo])]] = SurvivalCounts(
            ut[lo:hi], d[lo:hi], tot[lo:hi] - d[lo:hi], e[lo:hi]
        )
    return out


def _counts_by_label(
    labels: np.ndarray,
    exit_: np.ndarray,
    ev: np.ndarray,
    entry: np.ndarray,
    n: np.ndarray,
    names: tuple[str, ...],
) -> dict[str, SurvivalCounts]:
    """SurvivalCounts for every group at once (bins for whole days, else one sort)."""
    if labels.size and _whole(exit_) and _whole(entry) and exit_.min() >= 0:
        return _counts_by_label_bincount(labels, exit_, ev, entry, n, names)
    return _counts_by_label_sorted(labels, exit_, ev, entry, n, names)


def _whole(a: np.ndarray) -> bool:
    return bool(np.all(a == np.floor(a))) and (a.size == 0 or float(a.max()) < 2**40)


def _counts_by_label_bincount(
    labels: np.ndarray,
    exit_: np.ndarray,
    ev: np.ndarray,
    entry: np.ndarray,
    n: np.ndarray,
    names: tuple[str, ...],
) -> dict[str, SurvivalCounts]:
    """Same as :func:`_counts_by_label` for whole-day times, without sorting: every
    (group, day) pair is a bin of one ``bincount`` (the usual case: times are integer days)."""
    span = int(max(exit_.max(), entry.max() if entry.size else 0)) + 1
    if labels.size * 4 < span * (int(labels.max()) + 1):  # sparse: sorting is cheaper
        return _counts_by_label_sorted(labels, exit_, ev, entry, n, names)
    key = labels.astype(np.int64) * span + exit_.astype(np.int64)
    size = (int(labels.max()) + 1) * span
    tot = np.bincount(key, weights=n, minlength=size)
    d = np.bincount(key, weights=ev, minlength=size)
    delayed = entry > 0
    ekey = labels[delayed].astype(np.int64) * span + entry[delayed].astype(np.int64)
    e = np.bincount(ekey, weights=n[delayed], minlength=size)
    out: dict[str, SurvivalCounts] = {}
    for code in np.flatnonzero(np.bincount(labels)):
        sl = slice(int(code) * span, (int(code) + 1) * span)
        tt, dd, ee = tot[sl], d[sl], e[sl]
        nz = np.flatnonzero((tt > 0) | (ee > 0))
        out[names[int(code)]] = SurvivalCounts(
            nz.astype(np.float64),
            dd[nz].astype(np.int64),
            (tt[nz] - dd[nz]).astype(np.int64),
            ee[nz].astype(np.int64),
        )
    return out


def _protect(groups: list[GroupResult], d: Disclosure) -> list[GroupResult]:
    """Small-cell rule on survival groups: suppress small groups (and a complementary one),
    and cut each shown curve where fewer than the threshold remain at risk."""
    hide = suppressed_cells([g.n for g in groups], d, total_shown=True)
    out = []
    for g, h in zip(groups, hide, strict=True):
        if h:
            out.append(
                replace(
                    g,
                    km=None,
                    quantiles=(),
                    at=(),
                    rmst=None,
                    suppressed=True,
                    message="Not shown: small-cell protection.",
                )
            )
            continue
        km = g.km
        keep = km.n_risk >= d.threshold
        cut = {
            f: getattr(km, f)[keep]
            for f in ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper")
        }
        at = tuple(
            replace(a, surv=None, lower=None, upper=None) if a.n_risk < d.threshold else a
            for a in g.at
        )
        out.append(replace(g, km=replace(km, **cut), at=at))
    return out


def analyse(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> SurvivalAnalysis:
    """Full recompute for one view: KM with CI and quantiles per group, log-rank, pairwise.

    When an imported cohort is in view, small-cell protection (core.analyses.disclosure) is applied here,
    before the result can reach a page or an export.
    """
    disclosure = disclosure_for_selection(filters.cohorts, path)
    by_label, tallies = aggregate_counts(filters, spec, path)
    order = GROUPINGS[spec.by].order if spec.by else ("All",)
    labels = sorted(by_label, key=lambda g: (order.index(g) if g in order else len(order), str(g)))
    if not spec.include_not_assessed:
        labels = [g for g in labels if g != NOT_ASSESSED]
    groups: list[GroupResult] = []
    times_days = np.asarray(spec.times_months, dtype=float) * DAYS_PER_MONTH
    for g in labels:
        counts = by_label[g]
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
    if disclosure.active:
        groups = _protect(groups, disclosure)
    lr = None
    pw: tuple = ()
    rdiff: list = []
    usable = [g for g in groups if g.n > 0]
    if len(usable) > 1 and sum(g.events for g in usable) > 0:
        lr, pairs = logrank_with_pairwise([g.counts for g in usable], [g.label for g in usable])
        pw = tuple(pairs)
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
        disclosure=disclosure,
        warnings=tuple(warnings),
    )


def patient_arrays(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> pd.DataFrame:
    """Patient-level rows (g, t, ev, en) after origin, delayed entry and landmark."""
    sql, params = _raw_sql(filters, spec, per_patient=True)
    r = _prepare(query_arrays(sql, params, path), spec)
    labels = np.array(r.names, dtype=object)[r.labels] if r.labels.size else r.labels
    return pd.DataFrame({"g": labels, "t": r.exit, "ev": r.event, "en": r.entry})


@dataclass(frozen=True)
class HazardRatios:
    reference: str
    rows: tuple[GroupHR, ...]
    note: str = ""


MIN_GROUP_FOR_HR = 5


def hazard_ratios(
    filters: Filters, spec: SurvivalSpec, reference: str, path: Path | str | None = None
) -> HazardRatios:
    """Cox (Efron) hazard ratio of each group against ``reference``.

    Groups with fewer than MIN_GROUP_FOR_HR patients or without events are left out of the
    model (their coefficient is not estimable) and named in ``note``.
    """
    df = patient_arrays(filters, spec, path)
    if not spec.include_not_assessed:
        df = df[df["g"] != NOT_ASSESSED]
    sizes = df.groupby("g")["ev"].agg(["size", "sum"])
    small = sizes[(sizes["size"] < MIN_GROUP_FOR_HR) | (sizes["sum"] == 0)].index.tolist()
    note = ""
    if small:
        note = (
            f"Not estimable (fewer than {MIN_GROUP_FOR_HR} patients or no events): "
            + ", ".join(map(str, small))
            + "."
        )
    if reference in small:
        return HazardRatios(reference, (), note + " The reference group is among them.")
    df = df[~df["g"].isin(small)]
    if df["g"].nunique() < 2:
        return HazardRatios(reference, (), note)
    entry = df["en"].to_numpy() if (df["en"] > 0).any() else None
    try:
        rows = cox_group_hr(
            df["t"].to_numpy(), df["ev"].to_numpy(), df["g"].to_numpy(), reference, entry=entry
        )
    except ValueError as exc:
        return HazardRatios(reference, (), f"The Cox model could not be fitted: {exc}")
    # monotone likelihood (complete separation): the estimate runs off to 0 or infinity
    diverged = [
        r.label
        for r in rows
        if r.hr is not None
        and not (
            r.lower is not None
            and r.upper is not None
            and r.lower > 0
            and math.isfinite(r.upper)
            and 1e-8 < r.hr < 1e8
        )
    ]
    if diverged:
        note = (note + " " if note else "") + (
            "Not estimable (complete separation: the hazard ratio has no finite estimate): "
            + ", ".join(map(str, diverged))
            + "."
        )
    return HazardRatios(reference, tuple(r for r in rows if r.label not in diverged), note)


# ------------------------------------------------------------------ tables and JSON
def _scaled(x: float | None, scale: float) -> float | None:
    return None if x is None else x / scale


def _quantile_text(quantile: Quantile | None, scale: float) -> str:
    """'24.6 (20.0–31.0)' in the display unit; 'not reached' / '–' as the table shows them."""
    from core.vocab.formatting import fmt_est_ci

    if quantile is None:
        return "–"
    return fmt_est_ci(
        _scaled(quantile.estimate, scale),
        _scaled(quantile.lower, scale),
        _scaled(quantile.upper, scale),
    )


def summary_frame(analysis: SurvivalAnalysis, unit) -> pd.DataFrame:
    """One row per group: n, events, median (95% CI), quartiles, RMST, in ``unit``."""
    from core.vocab.formatting import fmt_est_ci
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    rows = []
    for g in analysis.groups:
        q = {round(x.p, 2): x for x in g.quantiles}
        med = q.get(0.5)
        rows.append(
            {
                "Group": g.label,
                "n": analysis.cell(g.n, g),
                "Events": analysis.cell(g.events, g),
                f"Median, {unit.label} (95% CI)": _quantile_text(med, s),
                f"25th percentile, {unit.label}": _quantile_text(q.get(0.25), s),
                f"75th percentile, {unit.label}": _quantile_text(q.get(0.75), s),
                **(
                    {
                        f"RMST to {analysis.spec.rmst_months:g} months, {unit.label} (95% CI)": (
                            fmt_est_ci(g.rmst.estimate / s, g.rmst.lower / s, g.rmst.upper / s)
                            if g.rmst
                            else "–"
                        )
                    }
                    if analysis.spec.rmst_months
                    else {}
                ),
                "Note": g.message,
            }
        )
    frame = pd.DataFrame(rows)
    return frame.drop(columns=[c for c in frame.columns if frame[c].isna().all()])


def survival_at_frame(analysis: SurvivalAnalysis) -> pd.DataFrame:
    """Survival (95% CI) and number at risk at the spec's times, one row per group x time."""
    from core.vocab.formatting import fmt_num

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
                    "At risk": analysis.cell(a.n_risk),
                }
            )
    return pd.DataFrame(rows)


def pairwise_frame(analysis: SurvivalAnalysis) -> pd.DataFrame:
    from core.vocab.formatting import fmt_p

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


def hr_frame(hrs: HazardRatios) -> pd.DataFrame:
    from core.vocab.formatting import fmt_est_ci, fmt_p

    reference = hrs.reference
    return pd.DataFrame(
        [
            {
                "Group": h.label,
                "Reference": reference,
                "Hazard ratio (95% CI)": fmt_est_ci(h.hr, h.lower, h.upper, 2),
                "p (Wald)": fmt_p(h.p, prefix=False),
            }
            for h in hrs.rows
        ]
    )


def to_json_dict(analysis: SurvivalAnalysis, unit, cohort: str) -> dict:
    """The CLI's JSON shape; times in ``unit``; null for what is not reached or not defined."""
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    groups = []
    for g in analysis.groups:
        med = g.median
        groups.append(
            {
                "label": g.label,
                "n": analysis.cell(g.n, g),
                "events": analysis.cell(g.events, g),
                "median": _scaled(med.estimate, s) if med else None,
                "median_ci": [_scaled(med.lower, s), _scaled(med.upper, s)]
                if med
                else [None, None],
                "at": [
                    {
                        "time": a.time / s,
                        "survival": a.surv,
                        "ci": [a.lower, a.upper],
                        "at_risk": analysis.cell(a.n_risk),
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


def exclusion_notes(analysis: SurvivalAnalysis) -> list[str]:
    """Sentences saying which selected patients are not in the analysis, and why."""
    notes = []
    if analysis.n_missing_time:
        notes.append(
            f"{analysis.n_missing_time} of {analysis.n_selected} selected patients have no "
            f"{analysis.spec.endpoint.label.lower()} data for this origin and are not analysed."
        )
    if analysis.spec.landmark_months is not None:
        lm = analysis.n_landmark_excluded
        ev = analysis.n_landmark_excluded_events
        notes.append(
            f"Landmark at {analysis.spec.landmark_months:g} months: {lm} patients excluded "
            f"({ev} with an event, {lm - ev} censored before the landmark)."
        )
    return notes


def max_time(analysis: SurvivalAnalysis) -> float:
    """Largest observed time in days across groups (0 when empty)."""
    return max(
        (float(g.counts.time[-1]) for g in analysis.groups if g.counts.time.size), default=0.0
    )
