"""The arm comparison from the view's aggregated counts (core/analyses/arms.py) equals the
per-patient computation it replaced.

:func:`reference_two_samples` is the former ``two_samples`` verbatim (kept here as the
reference): one row per patient, ``counts_from_arrays`` for the view (every entry counted,
0 included, when any is after 0) and ``cox_group_hr`` on :func:`combined_rows`. The new path
takes the counts the survival analysis makes (exits per time, entries after 0 only) in months
and fits the hazard ratio with ``cox_group_hr_counts``.

Tolerances: the Kaplan-Meier estimates (times, numbers at risk, events, censorings, survival,
Greenwood SE, limits) are bit-identical (the same integer risk sets and the same float
operations); the log-rank test, the hazard ratio (estimate, CI, p), the RMST difference and
the survival differences are equal to a relative 1e-10 (a different but exact Cox fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.analyses.arms import (
    ARM,
    TwoSamples,
    combined_rows,
    compare_arm,
    survival_differences,
    two_samples,
    view_counts_months,
)
from core.analyses.comparison import TTE_ENDPOINTS, cohort_origin
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, _counts_by_label, patient_arrays
from core.analyses.survival import analyse as survival_analyse
from core.data import queries
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.literature.arms import ReconstructedArm, shipped_arms
from core.literature.registry import TimeOrigin
from core.stats.survival import (
    counts_from_arrays,
    cox_group_hr,
    kaplan_meier,
    logrank_test,
    rmst_difference,
)
from core.vocab.methods import DAYS_PER_MONTH, Origin

REL = 1e-10
TIMES = (3.0, 6.0, 12.0, 24.0, 36.0)
HORIZON = 24.0
LANDMARK_DAYS = 3 * DAYS_PER_MONTH  # 91.3125: not a whole day (the sorted aggregation)


def reference_two_samples(
    view_months: np.ndarray,
    view_event: np.ndarray,
    arm: ReconstructedArm,
    horizon: float | None,
    times: Sequence[float],
    view_entry: np.ndarray | None = None,
) -> TwoSamples:
    """The former per-patient ``two_samples`` (the reference)."""
    cv = counts_from_arrays(view_months, view_event, view_entry)
    ca = counts_from_arrays(arm.time, arm.event)
    km_v, km_a = kaplan_meier(cv), kaplan_meier(ca)
    lr = logrank_test([cv, ca])
    rows = combined_rows(view_months, view_event, arm)
    entry = None
    if view_entry is not None:
        entry = np.concatenate((view_entry, np.zeros(arm.n)))
    try:
        hr = cox_group_hr(rows["time"], rows["status"], rows["g"], ARM, entry=entry)[0]
    except ValueError:
        hr = None
    rm = None
    if horizon is not None and horizon > 0:
        rm = rmst_difference(km_v, km_a, float(horizon))
    diffs = tuple(survival_differences(km_v, km_a, times))
    return TwoSamples(km_v, km_a, lr, hr, rm, diffs)


def _reference_from_days(t_days, ev, en_days, arm, horizon=HORIZON, times=TIMES) -> TwoSamples:
    """As ``compare_arm`` called the reference: months, entries only when any is after 0."""
    months = np.asarray(t_days, float) / DAYS_PER_MONTH
    en = np.asarray(en_days, float) / DAYS_PER_MONTH
    return reference_two_samples(
        months, np.asarray(ev, int), arm, horizon, times, en if (en > 0).any() else None
    )


def _analysis_counts(t_days, ev, en_days):
    """The view's counts in days as the survival analysis aggregates them (its own function:
    exits per time, entries after 0 per time)."""
    t = np.asarray(t_days, float)
    labels = np.zeros(t.size, dtype=np.int64)
    out = _counts_by_label(
        labels, t, np.asarray(ev, np.int64), np.asarray(en_days, float),
        np.ones(t.size, np.int64), ("All",),
    )  # fmt: skip
    return out["All"]


def _same_km(a, b) -> None:
    for name in ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"):
        x, y = getattr(a, name), getattr(b, name)
        assert np.array_equal(x, y, equal_nan=True), name  # bit-identical
    assert (a.n, a.events) == (b.n, b.events)


def _close(x, y) -> None:
    if x is None or y is None:
        assert x is None and y is None
    else:
        assert x == pytest.approx(y, rel=REL, abs=0)


def assert_equivalent(new: TwoSamples, ref: TwoSamples) -> None:
    _same_km(new.km_view, ref.km_view)
    _same_km(new.km_arm, ref.km_arm)
    a, b = new.logrank, ref.logrank
    assert a.df == b.df
    _close(a.chi2, b.chi2)
    _close(a.p, b.p)
    assert np.array_equal(a.observed, b.observed)
    assert a.expected == pytest.approx(b.expected, rel=REL, abs=0)
    assert (new.hr is None) == (ref.hr is None)
    if new.hr is not None:
        assert new.hr.label == ref.hr.label
        for f in ("hr", "lower", "upper", "p"):
            _close(getattr(new.hr, f), getattr(ref.hr, f))
    assert (new.rmst is None) == (ref.rmst is None)
    if new.rmst is not None:
        for f in ("tau", "estimate", "se", "lower", "upper", "p"):
            _close(getattr(new.rmst, f), getattr(ref.rmst, f))
    assert len(new.differences) == len(ref.differences)
    for x, y in zip(new.differences, ref.differences, strict=True):
        assert x.time == y.time and x.withheld == y.withheld
        for f in ("view", "arm", "difference", "lower", "upper", "p"):
            _close(getattr(x, f), getattr(y, f))


def _os_arm() -> ReconstructedArm:
    return next(a for a in shipped_arms() if a.id == "radiant4-everolimus-os")


# --------------------------------------------------------------------------------------------
# Seeded data: ties (whole days), delayed entry (some at 0, some later), landmarks
# --------------------------------------------------------------------------------------------


def _seeded(seed: int, kind: str):
    """(exit days, events, entry days) of a view in the analysis's time scale."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 600))
    days = rng.integers(0 if kind == "index" else 1, 1500, n).astype(float)  # many ties
    days[rng.random(n) < 0.05] = 30.0  # a heavy tie
    ev = (rng.random(n) < rng.uniform(0.2, 0.9)).astype(int)
    if kind == "index":
        return days, ev, np.zeros(n)
    if kind == "index-landmark":
        keep = days > LANDMARK_DAYS
        return days[keep] - LANDMARK_DAYS, ev[keep], np.zeros(int(keep.sum()))
    # diagnosis clock: exit = offset + days, entry = offset (0 for some patients)
    off = rng.integers(0, 900, n).astype(float)
    off[rng.random(n) < 0.3] = 0.0
    if kind == "diagnosis":
        return off + days, ev, off
    keep = days > LANDMARK_DAYS  # diagnosis + landmark: entry off + L
    return (off + days)[keep], ev[keep], (off + LANDMARK_DAYS)[keep]


KINDS = ("index", "index-landmark", "diagnosis", "diagnosis-landmark")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(12))
def test_counts_path_equals_the_per_patient_path_on_seeded_data(seed, kind):
    t, ev, en = _seeded(seed, kind)
    arm = _os_arm()
    counts = view_counts_months(_analysis_counts(t, ev, en))
    new = two_samples(counts, arm, HORIZON, TIMES)
    ref = _reference_from_days(t, ev, en, arm)
    assert_equivalent(new, ref)
    # the delayed-entry flag and the events by each time (the protected-mode rule) as before
    months, en_m = t / DAYS_PER_MONTH, en / DAYS_PER_MONTH
    assert bool((counts.n_enter > 0).any()) == bool((en_m > 0).any())
    for x in (0.0, *TIMES, 1e9):
        assert int(counts.n_event[counts.time <= x].sum()) == int(ev[months <= x].sum())


def test_seeded_data_cover_the_cases():
    """The seeded views hold what the comparison is about: ties, entries at 0 and after 0,
    exits at 0 (index clock), non-whole times (landmark)."""
    t, ev, en = _seeded(0, "diagnosis")
    assert (en == 0).any() and (en > 0).any() and np.unique(t).size < t.size
    t, _, _ = _seeded(1, "index-landmark")
    assert not np.all(t == np.floor(t))
    assert any((_seeded(s, "index")[0] == 0).any() for s in range(12))


def test_no_hazard_ratio_where_the_view_has_no_event_in_both_paths():
    t = np.arange(1.0, 60.0)
    ev = np.zeros(t.size, int)
    counts = view_counts_months(_analysis_counts(t, ev, np.zeros(t.size)))
    new = two_samples(counts, _os_arm(), HORIZON, TIMES)
    ref = _reference_from_days(t, ev, np.zeros(t.size), _os_arm())
    assert ref.hr is not None and ref.hr.hr is None  # separation: reported without values
    assert_equivalent(new, ref)


def test_view_counts_in_months_are_the_patients_months():
    t, ev, en = _seeded(3, "diagnosis")
    counts = view_counts_months(_analysis_counts(t, ev, en))
    assert np.array_equal(counts.time, np.unique(np.r_[t, en[en > 0]] / DAYS_PER_MONTH))
    assert counts.n == t.size and counts.events == ev.sum()


# --------------------------------------------------------------------------------------------
# End to end on the database: compare_arm against the reference on the patient rows
# --------------------------------------------------------------------------------------------

PGEP = Filters(cohorts=("pgep-mibg-211",))


def _on_clock(arm: ReconstructedArm, origin: TimeOrigin) -> ReconstructedArm:
    return replace(arm, profile=replace(arm.profile, time_origin=origin))


ARMS = {
    "os-index": lambda: _os_arm(),
    "pfs-index": lambda: next(a for a in shipped_arms() if a.id == "radiant4-everolimus-pfs"),
    "os-diagnosis": lambda: _on_clock(_os_arm(), TimeOrigin.DIAGNOSIS),
    "os-metastatic": lambda: _on_clock(_os_arm(), TimeOrigin.METASTATIC_DIAGNOSIS),
}


@pytest.mark.parametrize("which", sorted(ARMS))
@pytest.mark.parametrize("filters", [PGEP, Filters()], ids=["pgep", "all"])
def test_compare_arm_equals_the_per_patient_reference(default_db, which, filters):
    arm = ARMS[which]()
    endpoint, origin = TTE_ENDPOINTS[arm.endpoint], cohort_origin(arm.profile.time_origin)
    spec = SurvivalSpec(endpoint=endpoint, origin=origin, times_months=TIMES, rmst_months=HORIZON)
    rows = patient_arrays(filters, spec, default_db)
    ref = _reference_from_days(rows["t"], rows["ev"], rows["en"], arm)
    r = compare_arm(filters, arm, horizon=HORIZON, times=TIMES, path=default_db, mode=Mode.EXACT)
    assert r.delayed_entry == bool((rows["en"] > 0).any())
    # a diagnosis clock: delayed entry (entries at 0 are in the seeded cases above; the seed
    # cohorts have none)
    assert r.delayed_entry == (origin is not Origin.INDEX)
    group = survival_analyse(filters, spec, default_db, mode=Mode.EXACT).groups[0]
    assert_equivalent(two_samples(view_counts_months(group.counts), arm, HORIZON, TIMES), ref)
    assert r.logrank.chi2 == pytest.approx(ref.logrank.chi2, rel=REL, abs=0)
    assert np.array_equal(r.logrank.observed, ref.logrank.observed)
    for f in ("hr", "lower", "upper", "p"):
        _close(getattr(r.hr, f), getattr(ref.hr, f))
    for f in ("estimate", "lower", "upper", "p"):
        _close(getattr(r.rmst, f), getattr(ref.rmst, f))
    for x, y in zip(r.differences, ref.differences, strict=True):
        for f in ("view", "arm", "difference", "lower", "upper", "p"):
            _close(getattr(x, f), getattr(y, f))


# --------------------------------------------------------------------------------------------
# The comparability profile of the selection without patient rows
# --------------------------------------------------------------------------------------------

SELECTIONS = [
    Filters(),
    PGEP,
    Filters(cohorts=("nguyen-2004",)),
    Filters(cohorts=("pgep-mibg-211", "nguyen-2004")),
    Filters(cohorts=("no-such-cohort",)),
]


@pytest.mark.parametrize("filters", SELECTIONS)
def test_first_values_in_first_patient_order(default_db, filters):
    cols = ("primary_site", "grade", "agent", "route", "sex")
    df = patients_frame(filters, list(cols), default_db)
    got = queries.first_values(filters, cols, default_db)
    for c in cols:
        want = tuple(str(v) for v in pd.unique(df[c].dropna().astype(object)))
        assert got[c] == want, c
    assert len(got["primary_site"]) > 1 or filters == SELECTIONS[-1]
