"""From a selection to survival results: spec -> query -> statistics -> disclosure -> result.

:func:`analyse` opens the selection for the viewer (:func:`core.analyses.view.open_view`: mode,
query-set-size restriction, protected filter values), has DuckDB reduce the selected patients
to counts of events, censorings and delayed entries per group and distinct day (the query is
in :mod:`core.data.survival_sql`), computes every statistic exactly with
:mod:`core.stats.survival` on those counts, and then applies the disclosure to what is shown
(suppressed groups, whole-month display curves, medians to whole months, tests over the shown
groups only). The cost of a recompute grows with the number of distinct days, not with the
number of patients. Presentation code draws the frozen result and decides nothing.

Time origins. Times are stored as days from the index date (first treatment). From diagnosis or
metastatic diagnosis, time = offset + days, and with ``left_truncation`` (default) a patient
enters the risk set only at the first treatment (delayed entry at the offset), as R's
``Surv(entry, exit, event)``.

Landmark. A landmark of L days is counted from the index date: patients whose endpoint time
(event or censoring) is at or before L are excluded and counted; from the index origin the
rest are re-originated at L (time - L); from a diagnosis origin they enter the risk set at
offset + L. A post-baseline grouping with a recorded day (:attr:`Grouping.known_day`) is the
status known at L: an assessment after L (or on an unrecorded day) counts as not yet assessed.

Missing grouping values. Patients with no recorded value of a baseline grouping form a labelled
extra group (:data:`MISSING`) that is in no test or model, as R drops NA.

RMST. Not estimated for a group whose last follow-up is before the horizon (survRM2 refuses
such a horizon), unless its curve has reached 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.analyses import left_out
from core.analyses.disclosure import (
    EXEMPT,
    Disclosure,
    Mode,
    round_at_risk,
    round_median_months,
    shown_range,
    suppressed_cells,
    table_pins_a_small_count,
    whole_month_grid,
)
from core.analyses.view import open_view
from core.data.filters import Filters
from core.data.survival_sql import (
    SurvivalColumns,
    group_cohort_counts,
    split_rows,
    survival_rows,
    survival_sql,
)
from core.stats.survival import (
    GroupHR,
    KMResult,
    LogRankResult,
    PairwiseLogRank,
    Quantile,
    RiskTable,
    RMSTDifference,
    RMSTResult,
    SurvAt,
    SurvivalCounts,
    cox_group_hr_counts,
    kaplan_meier,
    km_quantiles,
    logrank_with_pairwise,
    median_followup,
    pooled_counts,
    reverse_counts,
    risk_table,
    rmst,
    rmst_difference_of,
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
from core.vocab.schema import METASTATIC_SITES, PATIENTS, PRIOR_THERAPIES


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
    known_day: str | None = None
    """Post-baseline: the stored day (from the index date) the status became known; at a
    landmark L a patient's group is the status known at L (later: not yet assessed)."""


MISSING = "Missing (not in tests)"
"""The group of patients with no recorded value of a baseline grouping: shown as a labelled
extra curve, left out of the log-rank, pairwise tests, RMST differences and hazard ratios (as
R's ``survdiff`` and ``coxph`` drop NA)."""


def _code_grouping(name: str) -> Grouping:
    f = PATIENTS[name]
    return Grouping(
        name,
        f.label,
        name,
        lambda v, f=f: MISSING if v is None else f.label_of(v),
        False,
        (*f.code_labels, MISSING),
    )


def _bool_grouping(name: str, label: str) -> Grouping:
    return Grouping(
        name,
        label,
        name,
        lambda v: MISSING if v is None else ("Yes" if v else "No"),
        False,
        ("Yes", "No", MISSING),
    )


def _age_label(v: object) -> str:
    if v is None:
        return MISSING
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
        ("Under 65", "65 or older", MISSING),
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
        "imaging_response_days",
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
    times_in_days: tuple[float, ...] | None = None
    """The requested times exactly as given in days (CLI ``--time-unit days``); when set they
    are used instead of ``times_months`` (which then only labels them), so that day 365 is
    365, never 365 / 30.4375 * 30.4375."""
    rmst_in_days: float | None = None
    """The RMST horizon exactly as given in days (overrides ``rmst_months``)."""

    @property
    def landmark_days(self) -> float | None:
        return None if self.landmark_months is None else self.landmark_months * DAYS_PER_MONTH

    @property
    def times_days(self) -> np.ndarray:
        """The requested times in days: as given in days, else months * 30.4375."""
        if self.times_in_days is not None:
            return np.asarray(self.times_in_days, dtype=float)
        return np.asarray(self.times_months, dtype=float) * DAYS_PER_MONTH

    @property
    def rmst_days(self) -> float | None:
        """The RMST horizon in days (None: no RMST)."""
        if self.rmst_in_days is not None:
            return float(self.rmst_in_days)
        return None if not self.rmst_months else self.rmst_months * DAYS_PER_MONTH


@dataclass(frozen=True, eq=False)
class Curve:
    """What a Kaplan-Meier chart draws for one group, decided by the analysis (times in days).

    Exact mode (or exempt data): every step of the exact estimate, the number at risk per step
    and the censoring marks. Protected mode with real data: the exact estimate sampled at whole
    months (value at month m = exact S(m)), stopped where fewer than the threshold are at risk;
    no per-step counts, no censoring marks, and numbers at risk only at the chosen times.
    """

    time: np.ndarray
    """Step times, starting at 0."""
    surv: np.ndarray
    lower: np.ndarray
    """CI limits; nan where R gives NA."""
    upper: np.ndarray
    n_risk: np.ndarray | None = None
    """Number at risk at each step (exact only)."""
    censor_time: np.ndarray | None = None
    censor_surv: np.ndarray | None = None
    n_censor: np.ndarray | None = None
    risk_table: tuple[tuple[float, str], ...] | None = None
    """(time, number at risk as shown) for the table under the chart; None: the exact numbers
    may be shown at any time (computed from the group's counts)."""
    risk_counts: tuple[tuple[float, str, str], ...] | None = None
    """(time, cumulative events, cumulative censorings) as shown, at the times of
    ``risk_table`` (the KMunicate rows); None: exact numbers at any time."""
    whole_months: bool = False

    def __post_init__(self) -> None:
        for name in ("time", "surv", "lower", "upper", "n_risk", "censor_time", "censor_surv",
                     "n_censor"):  # fmt: skip
            value = getattr(self, name)
            if value is not None:
                value = np.array(value, copy=True)
                value.setflags(write=False)  # shared between viewers through the page cache
                object.__setattr__(self, name, value)


@dataclass(frozen=True)
class GroupResult:
    label: str
    counts: SurvivalCounts
    km: KMResult | None
    """The exact estimate (every mode); None for a suppressed group."""
    quantiles: tuple[Quantile, ...] = ()
    """As shown: protected mode gives them in whole months."""
    at: tuple[SurvAt, ...] = ()
    """As shown: protected mode withholds the estimate where fewer than the threshold are at
    risk (show ``n_risk`` through the disclosure)."""
    rmst: RMSTResult | None = None
    message: str = ""
    suppressed: bool = False
    """Small-cell protection: no curve, no at-risk row, counts not shown."""
    display: Curve | None = None
    """What a chart draws (None: nothing)."""
    in_tests: bool = True
    """False for the patients with a missing grouping value (:data:`MISSING`): a labelled
    extra curve, in no test or model."""

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
    n_assessed_after_landmark: int = 0
    """Patients analysed at a landmark whose post-baseline status was assessed after it (or on
    an unrecorded day): grouped as not yet assessed at the landmark (exact; never shown under
    protection)."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    """Non-empty: the selection may not be shown (query-set-size restriction); no groups."""
    notices: tuple[str, ...] = ()
    """What protected mode changed in the request (e.g. age filters on 5-year bands)."""
    median_followup: Quantile | None = None
    """Median follow-up of all analysed patients by reverse Kaplan-Meier, with its CI (days;
    as shown: protected mode gives whole months, see :func:`followup_shown`)."""
    risk_table: RiskTable | None = field(default=None, repr=False, compare=False)
    """The log-rank test's numbers at risk and events of the tested groups (exact), which the
    hazard ratios reuse (:func:`hazard_ratios_of`); None without a test."""

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def n_analysed(self) -> int:
        return sum(g.n for g in self.groups)

    def show(self, n: int | None) -> str:
        """A count as it may be displayed under this view's small-cell rule."""
        return self.disclosure.show(n)

    @property
    def n_shown(self) -> str:
        return self.disclosure.show(self.n_analysed)

    def describe(self) -> str:
        """The selection in one line with the number analysed as it may be shown."""
        return self.filters.describe(None if self.refused else self.n_shown)

    def cell(self, value: int, group: GroupResult | None = None) -> int | str:
        """A count for a table: the number itself when exempt, else '<11' or 'suppressed'."""
        if not self.disclosure.active:
            return int(value)
        if group is not None and group.suppressed and not self.disclosure.hidden(value):
            return "suppressed"
        return self.disclosure.show(value)


def _columns(spec: SurvivalSpec) -> SurvivalColumns:
    """The stored columns a survival view reads."""
    days_col, ev_col = ENDPOINT_COLUMNS[spec.endpoint]
    grouping = GROUPINGS[spec.by] if spec.by else None
    group = grouping.column if grouping else None
    day = grouping.known_day if grouping else None
    known_by = spec.landmark_days if day else None
    return SurvivalColumns(
        days_col, ev_col, ORIGIN_OFFSET_COLUMN[spec.origin], group, day, known_by
    )


def _raw_sql(
    filters: Filters, spec: SurvivalSpec, *, per_patient: bool = False
) -> tuple[str, list]:
    """The aggregate query of a view (built in :func:`core.data.survival_sql.survival_sql`)."""
    return survival_sql(filters, _columns(spec), per_patient=per_patient)


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
    if ORIGIN_OFFSET_COLUMN[spec.origin] is not None:  # exits and entries counted apart
        lt = spec.left_truncation
        raw = split_rows(
            filters, _columns(spec), path, left_truncation=lt, landmark=spec.landmark_days
        )
        return counts_from_split(raw, spec)
    raw = survival_rows(filters, _columns(spec), path, large=LARGE)
    return counts_from_raw(raw, spec)


LARGE = 500_000
"""Patients in the selected cohorts from which the aggregate uses DuckDB's perfect-hash GROUP
BY (see ``core.data.db.PERFECT_HASH_BITS``; measured break-even between 10^5 and 10^6)."""


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
    # left out with a time and an event status (no usable origin): their events are shown
    # from the index date, so they fall under the left-out rule too (see left_out_events)
    timed = ~valid & ~_missing(t_raw)
    tallies = {
        "n_sel": int(n_all.sum()),
        "n_missing": int(n_all[~valid].sum() + (n_all - n)[valid].sum()),
        "n_missing_known": int(n[timed].sum()),
        "n_missing_ev": int(d[timed].sum()),
        "n_lm": 0,
        "n_lm_ev": 0,
        "n_late": 0,
    }
    late = np.asarray(np.ma.getdata(raw["late"]), dtype=np.int64) if "late" in raw else None
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
        tallies["n_missing_known"] += int(n[bad].sum())
        tallies["n_missing_ev"] += int(ev[bad].sum())
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
    if late is not None:
        late_kept = late if everyone else late[valid]
        tallies["n_late"] = int(late_kept[keep].sum())
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


def _group_codes(g_raw, spec: SurvivalSpec) -> tuple[np.ndarray, tuple[str, ...]]:
    """Label index of each aggregate row and the label names (NULL group values last)."""
    g_mask = _missing(g_raw)
    g_vals = np.ma.getdata(g_raw) if np.ma.isMaskedArray(g_raw) else np.asarray(g_raw)
    if g_vals.dtype.kind in "iub":
        keyed = np.where(g_mask, np.iinfo(np.int64).max, g_vals.astype(np.int64))
        uniq, codes = np.unique(keyed, return_inverse=True)
        values = [None if u == np.iinfo(np.int64).max else int(u) for u in uniq]
    else:
        codes, uniques = pd.factorize(
            pd.Series(np.where(g_mask, None, g_vals), dtype=object), use_na_sentinel=False
        )
        values = [None if pd.isna(u) else u for u in uniques]
    labeler = GROUPINGS[spec.by].labels if spec.by else (lambda _v: "All")
    names = [labeler(_py(_decode_group(spec, v))) for v in values]
    label_names = list(dict.fromkeys(names))
    code_to_label = np.array([label_names.index(nm) for nm in names], dtype=np.int64)
    return code_to_label[codes.reshape(-1)], tuple(label_names)


def counts_from_split(raw: dict, spec: SurvivalSpec) -> tuple[dict[str, SurvivalCounts], dict]:
    """:func:`counts_from_raw` for exits and entries counted apart
    (:func:`core.data.survival_sql.split_sql`, a time origin before the index date).

    Exits are on whole days (offset + days); entries are counted on whole days (the offset)
    and shifted by the landmark afterwards (entry = offset + landmark, 91.3125 days at 3
    months), so nothing is sorted per patient. Same counts and tallies as
    :func:`counts_from_raw` on the per-(group, days, offset) aggregate.
    """
    k = np.asarray(raw["k"])
    x = np.ma.getdata(raw["x"]).astype(np.float64)
    n_all = np.asarray(raw["n_all"], dtype=np.int64)
    n = np.asarray(raw["n"], dtype=np.int64)
    d = np.asarray(raw["d"], dtype=np.int64)
    late = np.asarray(np.ma.getdata(raw["late"]), dtype=np.int64)
    exits = k == 0
    timed = exits & (x == -3)  # a time and status, but no usable origin
    miss, lm = (exits & (x == -1)) | timed, exits & (x == -2)
    kept = exits & (x >= 0)
    tallies = {
        "n_sel": int(n_all[exits].sum()),
        "n_missing": int(n_all[miss].sum() + (n_all - n)[exits & ~miss].sum()),
        "n_missing_known": int(n[timed].sum()),
        "n_missing_ev": int(d[timed].sum()),
        "n_lm": int(n[lm].sum()),
        "n_lm_ev": int(d[lm].sum()),
        "n_late": int(late[kept].sum()),
    }
    labels, names = _group_codes(raw["g"], spec)
    kept &= n > 0
    shift = spec.landmark_days or 0.0
    ent = (k == 1) & (x + shift > 0)  # entry 0 is no delayed entry: at risk from the start
    out: dict[str, SurvivalCounts] = {}
    for code in np.unique(labels[kept]):
        sx, se = kept & (labels == code), ent & (labels == code)
        tx, ix = np.unique(x[sx], return_inverse=True)
        te, ie = np.unique(x[se], return_inverse=True)
        times, inv = np.unique(np.concatenate((tx, te + shift)), return_inverse=True)
        m = times.size
        to_x, to_e = inv[: tx.size], inv[tx.size :]
        ev = np.bincount(to_x, np.bincount(ix, d[sx], tx.size), m).astype(np.int64)
        ex = np.bincount(to_x, np.bincount(ix, n[sx], tx.size), m).astype(np.int64)
        en = np.bincount(to_e, np.bincount(ie, n[se], te.size), m).astype(np.int64)
        out[names[int(code)]] = SurvivalCounts(times, ev, ex - ev, en)
    return out, tallies


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


DENSE_CELLS_PER_ROW = 16
"""The whole-day counts use a (group x day) table unless it has more than this many cells per
aggregate row; then one sort is cheaper. Measured (issue 16): 10^5 patients by primary site,
26,189 rows into a 131,505-cell table, 2.8 ms dense against 4.6 ms sorted; the sort wins only
on far sparser tables (many groups over a long span of days)."""


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
    if labels.size * DENSE_CELLS_PER_ROW < span * (int(labels.max()) + 1):  # sparse: sort
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


def exact_curve(km: KMResult) -> Curve:
    """Every step of the exact estimate, with numbers at risk and censoring marks."""
    cens = km.n_censor > 0
    return Curve(
        time=np.concatenate(([0.0], km.time)),
        surv=np.concatenate(([1.0], km.surv)),
        lower=np.concatenate(([1.0], km.lower)),
        upper=np.concatenate(([1.0], km.upper)),
        n_risk=np.concatenate(([km.counts.n_start], km.n_risk)),
        censor_time=km.time[cens],
        censor_surv=km.surv[cens],
        n_censor=km.n_censor[cens],
    )


def _nan(v: float | None) -> float:
    return float("nan") if v is None else float(v)


def protected_curve(km: KMResult, at: Sequence[SurvAt], d: Disclosure) -> Curve:
    """The exact estimate sampled at whole months, where at least the threshold are at risk.

    The value drawn from month m to m+1 is the exact S(m). The curve is the first run of whole
    months with at least ``d.threshold`` patients at risk (at risk just before m, as R's
    ``summary(fit, times=)``), closed at the next whole month; no per-step counts or marks.
    The table under the chart gives the number at risk at 0 and at the chosen times ``at``
    (as shown by ``d``), and the cumulative events and censorings at the same times (rounded
    as :func:`_protected_at` does).
    """
    grid = whole_month_grid(float(km.time[-1]))
    risk = km.counts.n_risk_before(grid)
    ok = risk >= d.threshold
    keep = np.zeros(0, dtype=np.intp)
    if ok.any():
        first = int(np.argmax(ok))
        stop = first + int(np.argmin(ok[first:])) if not ok[first:].all() else grid.size
        keep = np.arange(first, stop)
    values = survival_at(km, grid[keep]) if keep.size else []
    t = grid[keep]
    s = np.array([v.surv for v in values], dtype=float)
    lo = np.array([_nan(v.lower) for v in values], dtype=float)
    hi = np.array([_nan(v.upper) for v in values], dtype=float)
    start = int(km.counts.n_risk_before(np.array([0.0]))[0])
    table = ((0.0, d.show(start)), *((a.time, d.show(a.n_risk)) for a in at))
    (zero,) = _protected_at(survival_at(km, [0.0]), d)  # exits on day 0, rounded as the rest
    n = int(km.counts.n_event.sum() + km.counts.n_censor.sum())
    counts = tuple(_count_cells(a, start if a.time <= 0 else a.n_risk, (n, start), d)
                   for a in (zero, *at))  # fmt: skip
    return Curve(t, s, lo, hi, risk_table=table, risk_counts=counts, whole_months=True)


def _count_cells(
    a: SurvAt, at_risk: int, totals: tuple[int, int], d: Disclosure
) -> tuple[float, str, str]:
    """A column's cumulative events and censorings as shown (rounded by :func:`_protected_at`),
    both withheld ('–') when, read with the number at risk and the group's n (or the number
    at risk at 0), they would solve to a count under the threshold."""
    thr = d.threshold
    r = shown_range(at_risk, thr, rounded=a.time > 0)
    e, c = shown_range(a.events, thr), shown_range(a.censored, thr)
    if d.active and table_pins_a_small_count(totals, r, e, c, thr):
        return a.time, d.show(None), d.show(None)
    return a.time, d.show(a.events), d.show(a.censored)


def _protected_at(at: Sequence[SurvAt], d: Disclosure) -> tuple[SurvAt, ...]:
    """Survival at times as shown: withheld where fewer than the threshold are at risk, and
    numbers at risk after time 0 rounded up to a multiple of 5 (:func:`round_at_risk`), so that
    two of them, or one and the group's n, differ by a range and never give a count.

    The cumulative events and censorings of the KMunicate table are rounded up the same way
    (at every time): two of them, or n minus them (which would give the exact number at risk),
    differ by ranges too."""
    out = []
    for a in at:
        a = replace(a, events=round_at_risk(a.events), censored=round_at_risk(a.censored))
        shown = replace(a, n_risk=round_at_risk(a.n_risk)) if a.time > 0 else a
        if a.n_risk < d.threshold:
            shown = replace(shown, surv=None, lower=None, upper=None)
        out.append(shown)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ShownQuantile(Quantile):
    """A quantile as protected mode shows it.

    ``beyond`` (days): the shown curve ends there (fewer than the threshold at risk after
    it), and the estimate (when ``estimate`` is None) or the upper limit (when ``upper`` is
    None) lies past it: shown as "beyond" that time, never located on the hidden tail.
    """

    beyond: float | None = None


def _month_quantile(q: Quantile, end: float) -> ShownQuantile:
    """Protected mode: whole months, and nothing located past the shown curve's end."""
    if q.estimate is not None and q.estimate > end:
        return ShownQuantile(q.p, None, None, None, beyond=end)
    beyond = end if q.estimate is not None and (q.upper is None or q.upper > end) else None
    if beyond is not None:
        q = replace(q, upper=None)
    return ShownQuantile(
        q.p,
        round_median_months(q.estimate),
        round_median_months(q.lower),
        round_median_months(q.upper),
        beyond=beyond,
    )


SUPPRESSED_MESSAGE = "Not shown: small-cell protection."


def _protect(groups: list[GroupResult], d: Disclosure) -> list[GroupResult]:
    """Protected mode on real data: suppress small groups (primary and complementary), keep
    no curve for them; show the others' exact estimate at whole months, medians to whole
    months, survival at times only where at least the threshold are at risk."""
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
                    message=SUPPRESSED_MESSAGE,
                    display=None,
                )
            )
            continue
        at = _protected_at(g.at, d)
        display = protected_curve(g.km, at, d)
        end = float(display.time[-1]) if display.time.size else 0.0
        out.append(
            replace(
                g,
                quantiles=tuple(_month_quantile(q, end) for q in g.quantiles),
                at=at,
                display=display,
            )
        )
    return out


def _ordered(labels: Iterable[str], spec: SurvivalSpec) -> list[str]:
    """Group labels in the grouping's order (others after, by name)."""
    order = GROUPINGS[spec.by].order if spec.by else ("All",)
    out = sorted(labels, key=lambda g: (order.index(g) if g in order else len(order), str(g)))
    if not spec.include_not_assessed:
        out = [g for g in out if g != NOT_ASSESSED]
    return out


def suppressed_labels(sizes: Mapping[str, int], spec: SurvivalSpec, d: Disclosure) -> list[str]:
    """The groups protected mode hides: the rule of :func:`analyse`, from group sizes."""
    labels = [g for g in _ordered(sizes, spec) if sizes[g] > 0]
    hide = suppressed_cells([sizes[g] for g in labels], d, total_shown=True)
    return [g for g, h in zip(labels, hide, strict=True) if h]


def _left_out_refusal(tallies: dict, d: Disclosure) -> str:
    """The left-out rule (:func:`core.analyses.left_out.left_out_refusal`) on a view's tallies:
    the patients left out (no usable time or origin, the landmark), and the events and
    non-events of those of them whose time and status are known ('' when shown)."""
    return left_out.left_out_refusal(
        d, tallies["n_missing"] + tallies["n_lm"], *left_out_events(tallies)
    )


def _refused(filters: Filters, spec: SurvivalSpec, view) -> SurvivalAnalysis:
    return SurvivalAnalysis(
        spec=spec,
        filters=filters,
        groups=(),
        logrank=None,
        disclosure=view.disclosure,
        refusal=view.refusal,
        notices=view.notices,
    )


def analyse(
    filters: Filters,
    spec: SurvivalSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> SurvivalAnalysis:
    """Full recompute for one view: KM with CI and quantiles per group, log-rank, pairwise.

    Spec -> query -> statistics -> disclosure: the selection is opened for the viewer
    (:func:`core.analyses.view.open_view`); a refused selection gives a result with the
    refusal and no groups. Every statistic is computed on the exact data. In protected mode
    with real data in view, small groups (and a complementary one) are suppressed, the log-rank,
    pairwise tests and RMST differences are over the shown groups only, and each shown group
    carries its display curve (see :func:`protected_curve`).
    """
    view = open_view(filters, mode, path, count=False)
    disclosure = view.disclosure
    filters = view.filters
    if view.refused:
        return _refused(filters, spec, view)
    by_label, tallies = aggregate_counts(filters, spec, path)
    if why := _left_out_refusal(tallies, disclosure):
        return _refused(filters, spec, replace(view, refusal=why))
    groups: list[GroupResult] = []
    times_days = spec.times_days
    tau = spec.rmst_days
    beyond: list[str] = []
    for g in _ordered(by_label, spec):
        counts = by_label[g]
        if counts.n == 0:
            continue
        km = kaplan_meier(counts, conf_type=spec.conf_type)
        qs = tuple(km_quantiles(km))
        at = tuple(survival_at(km, times_days)) if len(times_days) else ()
        rm = None
        msg = "" if counts.n > 1 else "One patient only: the curve is a single step."
        if tau and counts.events > 0:
            if tau > last_followup(counts) and km.surv[-1] > 0:
                beyond.append(str(g))
                msg = _join_note(msg, RMST_BEYOND)
            else:
                rm = rmst(km, tau)
        groups.append(
            GroupResult(
                str(g), counts, km, qs, at, rm, msg, display=exact_curve(km), in_tests=g != MISSING
            )
        )
    fu = _followup(groups, spec, disclosure)
    if disclosure.active:
        groups = _protect(groups, disclosure)
    lr = None
    table = None
    pw: tuple = ()
    rdiff: list = []
    usable = [g for g in groups if g.n > 0 and not g.suppressed and g.in_tests]
    if len(usable) > 1 and sum(g.events for g in usable) > 0:
        table = risk_table([g.counts for g in usable], [g.label for g in usable])
        lr, pairs = logrank_with_pairwise(table.counts, table.labels, table=table)
        pw = tuple(pairs)
        ref = usable[0]
        for other in usable[1:]:
            if ref.rmst is not None and other.rmst is not None:
                rdiff.append((other.label, ref.label, rmst_difference_of(other.rmst, ref.rmst)))
    warnings: list[str] = []
    grouping = GROUPINGS[spec.by] if spec.by else None
    if grouping and grouping.post_baseline and spec.landmark_months is None:
        warnings.append(
            "Grouping by a post-baseline status is immortal-time biased: a patient must survive "
            "to be assessed (or retreated). Turn on the landmark analysis."
        )
    if (
        grouping
        and grouping.post_baseline
        and spec.landmark_months is not None
        and grouping.known_day is None
    ):
        warnings.append(
            f"The day of this status ({grouping.label.lower()}) is not recorded, so the "
            "landmark cannot tell whether it was known by then: the groups may still use "
            "information from after the landmark."
        )
    if spec.origin is not Origin.INDEX and not spec.left_truncation:
        warnings.append(
            "Without delayed entry, patients count as at risk before they were treated, which "
            "they could not have been observed to die in: the curve is biased upward."
        )
    if lr is not None and any(g.suppressed for g in groups):
        warnings.append(
            "Under disclosure control the log-rank and pairwise tests compare the groups shown "
            "only."
        )
    if beyond:
        warnings.append(
            f"RMST to {_horizon_text(spec, None)} is not estimated for "
            + ", ".join(beyond)
            + ": the horizon is past the group's last follow-up, where the curve would be "
            "extrapolated (survRM2 refuses such a horizon). Choose a shorter horizon."
        )
    warnings += _early_risk_warnings(groups, disclosure)
    warnings += _quantile_ci_warnings(groups)
    if spec.by:
        warnings += cohort_warnings(filters, spec, path)
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
        n_assessed_after_landmark=tallies.get("n_late", 0),
        disclosure=disclosure,
        warnings=tuple(warnings),
        notices=view.notices,
        median_followup=fu,
        risk_table=table,
    )


def _followup(groups: Sequence[GroupResult], spec: SurvivalSpec, d: Disclosure) -> Quantile | None:
    """Median follow-up of every analysed patient (all groups pooled) by reverse Kaplan-Meier
    (:func:`core.stats.survival.median_followup`), in the spec's CI type.

    Protected mode with real data: whole months, and nothing located where fewer than the
    threshold remain at risk (shown as beyond the last whole month with enough at risk), as
    the survival medians.
    """
    if not groups:
        return None
    pooled = pooled_counts([g.counts for g in groups])
    if pooled.n == 0:
        return None
    q = median_followup(pooled, conf_type=spec.conf_type)
    if not d.active:
        return q
    curve = protected_curve(kaplan_meier(reverse_counts(pooled), conf_type=spec.conf_type), (), d)
    end = float(curve.time[-1]) if curve.time.size else 0.0
    return _month_quantile(q, end)


def followup_text(analysis: SurvivalAnalysis, unit) -> str:
    """'**Median follow-up** (reverse Kaplan-Meier, ...), months (95% CI): 19.3 (16.8–27.0).'"""
    from core.vocab.methods import TIME_UNIT_DAYS

    fu = analysis.median_followup
    if fu is None or analysis.refused:
        return ""
    text = _quantile_text(fu, TIME_UNIT_DAYS[unit])
    return (
        f"**Median follow-up** (reverse Kaplan-Meier, all patients analysed), {unit.label} "
        f"(95% CI): {text}."
    )


RMST_BEYOND = "No RMST: the horizon is past this group's last follow-up."
"""survRM2 refuses a horizon past a group's largest time; a curve that has reached 0 is known
to the horizon (no extrapolation), so its RMST is given."""

CONVENTIONS_MORE = (
    "Under delayed entry (from a diagnosis origin) the number at risk at time t counts the "
    "patients with entry < t <= exit. R's `summary(fit, times = t)` reports instead the risk "
    "set of the next event time at or after t, which also counts patients entering between t "
    "and that event, so the two can differ there (the survival estimates are the same). "
    "Patients with a missing grouping value are left out of the log-rank and pairwise tests, "
    "RMST differences and hazard ratios (as R drops NA); their curve is shown as "
    f"'{MISSING}'. At a landmark, a post-baseline group is the status known at the landmark. "
    "RMST is not estimated past a group's last follow-up (as survRM2) unless its curve has "
    "reached 0."
)
"""What the Survival page's Conventions add to :data:`core.vocab.methods.CONVENTIONS`."""

SMALL_RISK_SET = 10
"""A group whose risk set at its first event is smaller than this gets a warning: each early
event moves its curve by 1/n at risk or more (10 percentage points and up)."""


def last_followup(counts: SurvivalCounts) -> float:
    """The group's largest observed time (event or censoring), survRM2's bound for tau."""
    out = (counts.n_event + counts.n_censor) > 0
    return float(counts.time[out].max()) if out.any() else 0.0


def _early_risk_warnings(groups: Sequence[GroupResult], d: Disclosure) -> list[str]:
    """Groups with delayed entry whose curve starts on a small risk set.

    From a diagnosis origin nobody is at risk at time 0: the first events fall on the few
    patients already treated, and each moves the curve a lot. The number at risk is given
    exactly only when counts may be shown (else 'fewer than' the threshold, never narrower).
    """
    out = []
    for g in groups:
        if g.km is None or g.suppressed or not (g.counts.n_enter > 0).any():
            continue
        ev = np.flatnonzero(g.km.n_event > 0)
        if ev.size == 0:
            continue
        at_risk = int(g.km.n_risk[ev[0]])
        if at_risk >= SMALL_RISK_SET:
            continue
        if d.active:
            who = f"fewer than {max(SMALL_RISK_SET, d.threshold)} patients are"
            when = "at its first event"
        else:
            who = f"{at_risk} patient{'s are' if at_risk != 1 else ' is'}"
            when = f"at its first event ({g.km.time[ev[0]] / DAYS_PER_MONTH:.1f} months)"
        drop = 100 * (1 - float(g.km.surv[ev[0]]))
        size = f" (the curve drops by {drop:.0f} percentage points)" if not d.active else ""
        out.append(
            f"{g.label}: with delayed entry only {who} at risk {when}, so the early curve "
            f"rests on very few patients{size}; read its first months with caution."
        )
    return out


def _quantile_ci_warnings(groups: Sequence[GroupResult]) -> list[str]:
    """Quantiles whose confidence interval does not contain the estimate, explained."""
    out = []
    names = {0.25: "25th percentile", 0.5: "median", 0.75: "75th percentile"}
    for g in groups:
        for q in g.quantiles:
            if q.estimate is None:
                continue
            if (q.lower is not None and q.lower > q.estimate) or (
                q.upper is not None and q.upper < q.estimate
            ):
                out.append(
                    f"{g.label}: the 95% CI of the {names.get(round(q.p, 2), 'quantile')} does "
                    "not contain its estimate. This is not an error: the estimate is read off "
                    "the curve and the interval off its confidence band (as R's "
                    "quantile.survfit), and where few patients are at risk early (delayed "
                    "entry) the band can cross the quantile level elsewhere than the curve."
                )
    return out


def _shares_by(rows: Sequence[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key, label, n in rows:
        out.setdefault(key, {})
        out[key][label] = out[key].get(label, 0) + n
    return out


def _nested(per_unit: Mapping[str, Mapping[str, int]], share: float = 0.9) -> bool:
    """True when each unit's patients fall (>= ``share``) in one group and the units together
    give at least two groups: then the groups are made of units."""
    dominant = set()
    for counts in per_unit.values():
        total = sum(counts.values())
        if total == 0:
            continue
        top = max(counts, key=lambda k: counts[k])
        if counts[top] < share * total:
            return False
        dominant.add(top)
    return len(dominant) > 1


def cohort_warnings(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> list[str]:
    """Warn when the groups coincide with cohorts or mix provenances.

    Grouping by a field that is (nearly) constant within each cohort compares cohorts, not
    the field (e.g. route across a synthetic IV cohort and a published IA case series); and a
    selection of cohorts of different provenance (synthetic, published cases, imported) mixes
    data made in different ways. No counts are given.
    """
    from core.data.db import list_cohorts
    from core.vocab.methods import Provenance

    # both warnings need two cohorts in view: a single-cohort view (the usual one, and every
    # large one) skips the second GROUP BY over the selected patients on the rerun path
    if len(filters.cohorts or [c.cohort_id for c in list_cohorts(path)]) < 2:
        return []
    grouping = GROUPINGS[spec.by]
    rows = group_cohort_counts(filters, grouping.column, path)
    rows = [
        (c, prov, grouping.labels(_py(_decode_group(spec, g))), int(n)) for c, prov, g, n in rows
    ]
    rows = [r for r in rows if r[2] not in (MISSING, NOT_ASSESSED)]
    cohorts = {c for c, _p, _g, _n in rows}
    provs = sorted({p for _c, p, _g, _n in rows})
    out = []
    if len(cohorts) > 1 and spec.by != "cohort_id":
        per_cohort = _shares_by([(c, g, n) for c, _p, g, n in rows])
        if _nested(per_cohort):
            home: dict[str, list[str]] = {}
            for c, gs in sorted(per_cohort.items()):
                home.setdefault(max(gs, key=lambda k: gs[k]), []).append(c)
            where = "; ".join(f"{g}: {', '.join(cs)}" for g, cs in home.items())
            out.append(
                f"The groups coincide with cohorts ({where}): the comparison is between "
                "cohorts, with their different sources, selection and follow-up, not an effect "
                f"of {grouping.label.lower()}."
            )
    if len(provs) > 1:

        def name(p: str) -> str:
            try:
                return Provenance.parse(p).label.split(":")[0].lower()
            except ValueError:
                return str(p)

        per_prov = _shares_by([(p, g, n) for _c, p, g, n in rows])
        kinds = " and ".join(name(p) for p in provs)
        if _nested(per_prov):
            out.append(
                f"The groups coincide with provenance ({kinds} data): a difference between "
                "them may reflect how the data were made, not the grouping."
            )
        else:
            out.append(
                f"The selection mixes {kinds} cohorts: group differences can reflect how each "
                "cohort's data were made."
            )
    return out


def patient_arrays(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> pd.DataFrame:
    """Patient-level rows (g, t, ev, en) after origin, delayed entry and landmark (exact; for
    computation only, never shown)."""
    return patient_rows(filters, spec, path)[0]


def patient_rows(
    filters: Filters, spec: SurvivalSpec, path: Path | str | None = None
) -> tuple[pd.DataFrame, dict]:
    """:func:`patient_arrays` and the tallies of the patients left out (as :func:`analyse`
    counts them: ``n_missing``, ``n_missing_known``, ``n_missing_ev``, ``n_lm``, ...)."""
    raw = survival_rows(filters, _columns(spec), path, per_patient=True)
    r = _prepare(raw, spec)
    labels = np.array(r.names, dtype=object)[r.labels] if r.labels.size else r.labels
    frame = pd.DataFrame({"g": labels, "t": r.exit, "ev": r.event, "en": r.entry})
    return frame, r.tallies


def left_out_events(tallies: dict) -> tuple[int, int]:
    """(patients with a time and status, their events) among those a view leaves out."""
    return (
        tallies.get("n_missing_known", 0) + tallies["n_lm"],
        tallies.get("n_missing_ev", 0) + tallies["n_lm_ev"],
    )


@dataclass(frozen=True)
class HazardRatios:
    reference: str
    rows: tuple[GroupHR, ...]
    note: str = ""
    disclosure: Disclosure = EXEMPT
    refusal: str = ""


MIN_GROUP_FOR_HR = 5


def few_events(n: int, events: int, d: Disclosure) -> bool:
    """Protected mode: a group whose events or patients without one are 1 .. threshold-1 gets
    no hazard ratio (its HR and CI would bound its events; the Cox page's rule)."""
    return d.hidden(events) or d.hidden(n - events)


def reference_group(analysis: SurvivalAnalysis) -> str | None:
    """The hazard ratios' reference: the first shown group in the tests that can have a hazard
    ratio (events, at least MIN_GROUP_FOR_HR patients, and in protected mode not 1 to 10 events
    or patients without one); else the first shown group; None when no group is shown."""
    shown = [g for g in analysis.groups if not g.suppressed and g.in_tests and g.n > 0]
    for g in shown:
        usable = g.events > 0 and g.n >= MIN_GROUP_FOR_HR
        if usable and not few_events(g.n, g.events, analysis.disclosure):
            return g.label
    return shown[0].label if shown else None


def _join_note(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def hazard_ratios(
    filters: Filters,
    spec: SurvivalSpec,
    reference: str,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> HazardRatios:
    """Cox (Efron) hazard ratio of each group against ``reference``, by the project's Cox
    engine (:func:`core.stats.survival.cox_group_hr_counts`, the Cox page's engine and
    separation rule) on the analysis's own counts per group and day (exits, and delayed
    entries counted apart): no patient-level rows.

    Groups without events (or, exact mode only, with fewer than MIN_GROUP_FOR_HR patients) and
    groups whose estimate runs off to 0 or infinity (separation) have no row and are named in
    ``note``. In protected mode with real data, groups :func:`analyse` suppresses are left out
    of the model and get no row; the note names them without a count.
    """
    view = open_view(filters, mode, path, count=False)
    d = view.disclosure
    if view.refused:
        return HazardRatios(reference, (), "", d, view.refusal)
    by_label, _ = aggregate_counts(view.filters, spec, path)  # the analysis's own counts
    return _hazard_ratios_from(by_label, spec, reference, d)


def hazard_ratios_of(analysis: SurvivalAnalysis, reference: str) -> HazardRatios:
    """:func:`hazard_ratios` from an analysis already made (its groups' exact counts), so the
    page does not aggregate the selection a second time; equal to :func:`hazard_ratios` on the
    same view (tested)."""
    d = analysis.disclosure
    if analysis.refused:
        return HazardRatios(reference, (), "", d, analysis.refusal)
    by_label = {g.label: g.counts for g in analysis.groups}
    return _hazard_ratios_from(by_label, analysis.spec, reference, d, analysis.risk_table)


def _hazard_ratios_from(
    by_label: dict,
    spec: SurvivalSpec,
    reference: str,
    d: Disclosure,
    table: RiskTable | None = None,
) -> HazardRatios:
    """The hazard ratios of :func:`hazard_ratios` from counts per group label (and, when the
    analysis has one, its log-rank table of the same counts: the fit reads it)."""
    by_label = dict(by_label)
    if not spec.include_not_assessed:
        by_label.pop(NOT_ASSESSED, None)
    by_label = {g: by_label[g] for g in sorted(by_label) if by_label[g].n > 0}
    sizes_all = {g: c.n for g, c in by_label.items()}
    # a missing value is in no model (R's coxph drops NA)
    counts = {g: c for g, c in by_label.items() if g != MISSING}
    # the analysis's suppression rule runs over every group it shows, the missing one too
    hidden = suppressed_labels(sizes_all, spec, d) if d.active else []
    hidden = [h for h in hidden if h != MISSING]
    note_hidden = (
        "Not shown under disclosure control (small groups and the groups that protect them): "
        + ", ".join(map(str, hidden))
        + "."
        if hidden
        else ""
    )
    rest = {g: c for g, c in counts.items() if g not in hidden}
    small = [g for g, c in rest.items() if c.n < MIN_GROUP_FOR_HR or c.events == 0]
    # protected: no size bound in the text ("fewer than 5" would narrow a shown "<11")
    why = (
        "too few patients or no events"
        if d.active
        else (f"fewer than {MIN_GROUP_FOR_HR} patients or no events")
    )
    note_small = f"Not estimable ({why}): " + ", ".join(map(str, small)) + "." if small else ""
    # protected: no hazard ratio for a shown group whose events or non-events are 1 .. t-1
    # (the Cox page's rule 8): its HR and CI bound its events; it stays in the model, so the
    # other groups' HRs are the exact ones
    few = [g for g, c in rest.items() if g not in small and few_events(c.n, c.events, d)]
    note_few = (
        f"No hazard ratio under disclosure control (fewer than {d.threshold} events, or "
        "patients without one): " + ", ".join(map(str, few)) + "."
        if few
        else ""
    )
    note = _join_note(note_hidden, note_small, note_few)
    if reference in hidden or reference in small or reference in few:
        return HazardRatios(
            reference, (), _join_note(note, "The reference group is among them."), d
        )
    fitted = {g: c for g, c in rest.items() if g not in small}
    if len(fitted) < 2:
        return HazardRatios(reference, (), note, d)
    try:  # exits and delayed entries per group and day: no patient rows
        fits = cox_group_hr_counts(fitted, reference, table=table)
        rows = [r for r in fits if r.label not in few]
    except ValueError as exc:
        return HazardRatios(reference, (), f"The Cox model could not be fitted: {exc}", d)
    separated = [r.label for r in rows if r.hr is None]
    if separated:
        note = _join_note(
            note,
            "Not estimable (complete separation: the hazard ratio has no finite estimate): "
            + ", ".join(map(str, separated))
            + ".",
        )
    return HazardRatios(reference, tuple(r for r in rows if r.hr is not None), note, d)


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
        beyond=_scaled(getattr(quantile, "beyond", None), scale),
    )


def _horizon_text(spec: SurvivalSpec, unit) -> str:
    """'60 months' (or '365 days' when the horizon was given in days)."""
    from core.vocab.methods import TIME_UNIT_DAYS, TimeUnit

    if spec.rmst_in_days is not None:
        return f"{spec.rmst_in_days:g} days"
    if unit is TimeUnit.DAYS:
        return f"{spec.rmst_days / TIME_UNIT_DAYS[unit]:g} days"
    return f"{spec.rmst_months:g} months"


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
                        f"RMST to {_horizon_text(analysis.spec, unit)}, {unit.label} (95% CI)": (
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
    """Survival (95% CI), number at risk and cumulative events and censorings (KMunicate) at
    the spec's times, one row per group x time."""
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
                    "Events (cumulative)": analysis.cell(a.events),
                    "Censored (cumulative)": analysis.cell(a.censored),
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


def to_json_dict(analysis: SurvivalAnalysis, unit, cohort: str | None) -> dict:
    """The CLI's JSON shape; times in ``unit``; null for what is not reached or not defined.

    Counts are as shown (``"<11"`` / ``"suppressed"`` under protection); ``disclosure`` states
    the mode; a refused selection has ``refusal`` and no groups.
    """
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    tau = analysis.spec.rmst_days
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
                "median_beyond": _scaled(getattr(med, "beyond", None), s) if med else None,
                "rmst": None
                if g.rmst is None
                else {
                    "estimate": g.rmst.estimate / s,
                    "ci": [g.rmst.lower / s, g.rmst.upper / s],
                },
                "in_tests": g.in_tests,
                "note": g.message or None,
                "at": [
                    {
                        "time": a.time / s,
                        "survival": a.surv,
                        "ci": [a.lower, a.upper],
                        "at_risk": analysis.cell(a.n_risk),
                        "events": analysis.cell(a.events),
                        "censored": analysis.cell(a.censored),
                    }
                    for a in g.at
                ],
            }
        )
    lr = analysis.logrank
    return {
        "cohort": cohort,
        "description": analysis.describe(),
        "endpoint": analysis.spec.endpoint.value,
        "origin": analysis.spec.origin.value,
        "time_unit": unit.value,
        "conf_type": analysis.spec.conf_type.value,
        "groups": groups,
        "logrank": None if lr is None else {"chi2": lr.chi2, "df": lr.df, "p": lr.p},
        "rmst_horizon": None if tau is None else tau / s,
        "median_followup": _followup_json(analysis.median_followup, s),
        "notes": exclusion_notes(analysis),
        "warnings": list(analysis.warnings),
        "notices": list(analysis.notices),
        "refusal": analysis.refusal or None,
        "disclosure": analysis.disclosure.json(),
    }


def _followup_json(fu: Quantile | None, scale: float) -> dict | None:
    """``{"value", "ci", "beyond"}`` in the output unit (null when not computed)."""
    if fu is None:
        return None
    return {
        "value": _scaled(fu.estimate, scale),
        "ci": [_scaled(fu.lower, scale), _scaled(fu.upper, scale)],
        "beyond": _scaled(getattr(fu, "beyond", None), scale),
    }


def risk_table_frame(analysis: SurvivalAnalysis, unit) -> pd.DataFrame:
    """The KMunicate table under the chart: at risk, cumulative events and censorings per group
    and chosen time, as shown (protected: '<11' or rounded up to a multiple of 5); no row for
    a suppressed group."""
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    rows = [
        {
            "Group": g.label,
            f"Time, {unit.label}": a.time / s,
            "At risk": analysis.cell(a.n_risk),
            "Events": analysis.cell(a.events),
            "Censored": analysis.cell(a.censored),
        }
        for g in analysis.groups
        if not g.suppressed
        for a in g.at
    ]
    return pd.DataFrame(rows)


def exclusion_notes(analysis: SurvivalAnalysis) -> list[str]:
    """Sentences saying which selected patients are not in the analysis, and why.

    Under protection the counts go through the disclosure: a small count is shown as '<11'
    (never narrowed), the selection's total is left out when it would give a hidden count by
    subtraction, and the landmark's event/censored split is withheld unless both parts (and so
    their total) may be shown.
    """
    d = analysis.disclosure
    if analysis.refused:
        return []
    ep = analysis.spec.endpoint.label.lower()
    lm_on = analysis.spec.landmark_months is not None
    n_miss, lm = analysis.n_missing_time, analysis.n_landmark_excluded
    ev = analysis.n_landmark_excluded_events
    # missing + landmark-excluded + analysed = selected: hide together what a total would give
    hide_miss, hide_lm = (
        suppressed_cells([n_miss, lm], d, total_shown=True) if d.active else (False, False)
    )
    notes = []
    if n_miss:
        if hide_miss:
            who = (
                f"Fewer than {d.threshold} selected patients"
                if d.hidden(n_miss)
                else "Some selected patients (their number is withheld under disclosure control)"
            )
            notes.append(f"{who} have no {ep} data for this origin and are not analysed.")
        elif d.active and hide_lm:
            notes.append(
                f"{d.show(n_miss)} selected patients have no {ep} data for this origin and are "
                "not analysed."
            )
        else:
            notes.append(
                f"{d.show(n_miss)} of {d.show(analysis.n_selected)} selected patients have no "
                f"{ep} data for this origin and are not analysed."
            )
    if lm_on:
        head = f"Landmark at {analysis.spec.landmark_months:g} months: "
        split = suppressed_cells([ev, lm - ev], d, total_shown=True) if d.active else (0, 0)
        if hide_lm:
            notes.append(
                head + f"fewer than {d.threshold} patients excluded (an event or censoring "
                "before the landmark)."
                if d.hidden(lm)
                else head + "some patients excluded (an event or censoring before the "
                "landmark; their number is withheld under disclosure control)."
            )
        elif any(split):
            notes.append(
                head + f"{d.show(lm)} patients excluded (an event or censoring before the "
                "landmark; the split is withheld under disclosure control)."
            )
        else:
            notes.append(
                head + f"{d.show(lm)} patients excluded ({d.show(ev)} with an event, "
                f"{d.show(lm - ev)} censored before the landmark)."
            )
    grouping = GROUPINGS[analysis.spec.by] if analysis.spec.by else None
    if lm_on and grouping and grouping.known_day and analysis.n_assessed_after_landmark:
        # protected: no count (with the not-assessed group's n it would give the never-assessed)
        who = "Patients" if d.active else f"{analysis.n_assessed_after_landmark} patients"
        notes.append(
            f"{who} whose {grouping.label.split(' (')[0].lower()} was assessed after the "
            f"landmark (or on an unrecorded day) are grouped as '{NOT_ASSESSED}': at "
            f"{analysis.spec.landmark_months:g} months their status was not yet known."
        )
    missing = next((g for g in analysis.groups if not g.in_tests), None)
    if missing is not None:
        label = grouping.label.lower() if grouping else "value"
        if missing.suppressed:
            who = (
                f"Patients with no recorded {label} (their number is withheld under disclosure "
                "control)"
            )
        else:
            who = f"{d.show(missing.n)} patients with no recorded {label}"
        notes.append(
            f"{who} are left out of the log-rank, pairwise tests, RMST differences and hazard "
            f"ratios, as R does; their curve is an extra, labelled '{MISSING}'."
        )
    return notes


def max_time(analysis: SurvivalAnalysis) -> float:
    """Largest time in days a chart of the analysis draws (0 when empty)."""
    return max(
        (float(g.display.time[-1]) for g in analysis.groups if g.display and g.display.time.size),
        default=0.0,
    )
