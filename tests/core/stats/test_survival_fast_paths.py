"""Issue 16: the fast paths of the survival engine give bit for bit the reference results.

Each fast path is compared with a reference implementation written the obvious way (the code
it replaced, kept here or in the module), with ``==`` on every number, not a tolerance:

- ``_findq`` on a non-decreasing curve (every survival curve, and usually its CI limits)
  searches the full arrays instead of de-duplicating them (``_findq_monotone``); reference:
  ``_findq_general``, R's ``findq`` step by step;
- ``_pairwise_from`` reuses work arrays and divides without a mask; reference: the masked
  division on fresh arrays;
- ``pooled_counts`` and ``_union_times`` mark whole days in a table; reference: ``np.unique``
  and ``np.add.at``;
- ``rmst_difference_of`` reuses the groups' RMSTs; reference: ``rmst_difference``;
- ``_risk_dead`` and ``pooled_counts`` count whole days in a (group x day) table; reference:
  ``n_risk_before`` / ``searchsorted`` on the merged grid.

Seeded random groups with tied whole-day times, fractional times, delayed entry, a group
with one patient, all-censored groups, groups without events and empty groups.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.stats.survival import (
    QUANTILE_TOL,
    SurvivalCounts,
    _findq,
    _findq_general,
    _findq_monotone,
    _pairwise_from,
    _risk_dead,
    _union_times,
    counts_from_arrays,
    kaplan_meier,
    km_quantiles,
    logrank_with_pairwise,
    pooled_counts,
    rmst,
    rmst_difference,
    rmst_difference_of,
)
from core.vocab.methods import ConfType

PROBS = np.array([0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])


def _group(rng: np.random.Generator, kind: str) -> SurvivalCounts:
    """One group of a given kind (see the module docstring)."""
    if kind == "empty":
        z = np.zeros(0)
        return SurvivalCounts(z, z, z, z)
    if kind == "one":
        return counts_from_arrays([float(rng.integers(1, 50))], [int(rng.integers(0, 2))])
    n = int(rng.integers(2, 60))
    fractional = kind == "fractional"
    t = rng.exponential(12.0, n).round(2) if fractional else rng.integers(0, 40, n).astype(float)
    p_event = {"censored": 0.0, "events": 1.0}.get(kind, float(rng.uniform(0.3, 0.9)))
    ev = (rng.random(n) < p_event).astype(int)
    if kind == "delayed":
        t = t + 1.0
        entry = np.floor(rng.uniform(0.0, 1.0, n) * t)
        entry[rng.random(n) < 0.3] = 0.0
        return counts_from_arrays(t, ev, entry)
    return counts_from_arrays(t, ev)


KINDS = ("ties", "fractional", "delayed", "one", "censored", "events")


def _groups(seed: int, k: int, empty: bool = False) -> list[SurvivalCounts]:
    rng = np.random.default_rng(seed)
    out = [_group(rng, KINDS[int(rng.integers(0, len(KINDS)))]) for _ in range(k)]
    if empty:
        out.insert(int(rng.integers(0, k + 1)), _group(rng, "empty"))
    return out


def _same(a, b) -> bool:
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


# ------------------------------------------------------------------ quantiles


def _curves(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(x, y) pairs as km_quantiles builds them, for every group and conf type."""
    out = []
    for g in _groups(seed, 6):
        if g.n == 0:
            continue
        for ct in ConfType:
            km = kaplan_meier(g, conf_type=ct)
            x = np.concatenate(([0.0], km.time))
            for curve in (km.surv, km.lower, km.upper):
                out.append((x, np.concatenate(([0.0], 1.0 - curve))))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_findq_equals_rs_findq_step_by_step(seed):
    for x, y in _curves(seed):
        # the curve's own levels hit flat segments exactly (the midpoint rule)
        levels = np.unique(y[~np.isnan(y)])[:6]
        probs = np.unique(np.concatenate((PROBS, levels, levels + QUANTILE_TOL / 2)))
        probs = probs[(probs >= 0) & (probs <= 1)]
        assert _same(_findq(x, y, probs, QUANTILE_TOL), _findq_general(x, y, probs, QUANTILE_TOL))


@pytest.mark.parametrize(
    "y",
    [
        [0.0, 0.1, 0.1, 0.5, 0.5, 0.5],  # ends on the median level: the midpoint to the end
        [0.0, np.nan, 0.2, 0.2, 0.5, 0.7],  # NA inside (log-log at S = 1)
        [0.0, 0.25, 0.5, 0.5, np.nan, np.nan],  # NA after the last run: no 'last' rule
        [0.0, 0.25, np.nan, 0.5, 0.5, 0.5],  # the first NA before the last run
        [0.0, 0.5, 0.5, np.nan, 0.5, 0.5],  # NA inside the last run
        [np.nan, np.nan, 0.3, 0.3, 0.75, 0.75],  # leading NA (x[0] answers p = 0)
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # flat at 0: only p = 0
        [0.0, 0.25 - QUANTILE_TOL / 3, 0.25, 0.5 + QUANTILE_TOL / 3, 0.9, 1.0],  # within tol
    ],
)
def test_findq_edge_curves(y):
    y = np.asarray(y)
    x = np.array([0.0, 2.0, 3.0, 5.0, 8.0, 13.0])
    probs = np.array([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 0.9, 1.0])
    finite = ~np.isnan(y)
    yf = y[finite]
    want = _findq_general(x, y, probs, QUANTILE_TOL)
    assert _same(_findq(x, y, probs, QUANTILE_TOL), want)
    if yf.size and yf.max() >= probs.min():
        got = _findq_monotone(x, yf, finite, bool(finite.all()), probs, QUANTILE_TOL)
        assert _same(got, want)


def test_findq_falls_back_on_a_non_monotone_limit():
    x = np.arange(6.0)
    y = np.array([0.0, 0.3, 0.2, 0.5, 0.4, 0.8])  # a CI limit that goes back
    probs = np.array([0.25, 0.5, 0.75])
    assert _same(_findq(x, y, probs, QUANTILE_TOL), _findq_general(x, y, probs, QUANTILE_TOL))


@pytest.mark.parametrize("seed", range(10))
def test_km_quantiles_equal_the_step_by_step_rule(seed):
    for g in _groups(seed, 5):
        if g.n == 0:
            continue
        km = kaplan_meier(g)
        x = np.concatenate(([0.0], km.time))
        got = km_quantiles(km, PROBS)
        for curve, field in ((km.surv, "estimate"), (km.lower, "lower"), (km.upper, "upper")):
            ref = _findq_general(x, np.concatenate(([0.0], 1.0 - curve)), PROBS, QUANTILE_TOL)
            shown = [np.nan if getattr(q, field) is None else getattr(q, field) for q in got]
            assert _same(shown, ref)


# ------------------------------------------------------------------ pairwise log-rank


def _pairwise_reference(risk: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Chi-square of every pair: the masked division on fresh arrays (the code replaced)."""
    k = risk.shape[0]
    chi = []
    for i in range(k - 1):
        ri, rj = risk[i], risk[i + 1 :]
        n_t = rj + ri
        d_t = dead[i + 1 :] + dead[i]
        at = n_t > 0
        q = np.divide(d_t, n_t, out=np.zeros_like(n_t), where=at)
        e_j = np.einsum("jt,jt->j", rj, q)
        e_i = q @ ri
        u = np.divide(q * (n_t - d_t), n_t * np.maximum(n_t - 1.0, 1.0), out=q, where=at)
        var = (rj * u) @ ri
        diff = dead[i + 1 :].sum(axis=1) - e_j
        good = (e_i > 0) & (e_j > 0) & (var != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            chi.extend(np.where(good, diff * (diff / var), 0.0))
    return np.array(chi)


@pytest.mark.parametrize("seed", range(30))
def test_pairwise_equals_the_masked_reference_bit_for_bit(seed):
    rng = np.random.default_rng(1000 + seed)
    groups = [g for g in _groups(seed, int(rng.integers(3, 15))) if g.n > 0]
    if len(groups) < 3:
        return
    labels = [f"g{i}" for i in range(len(groups))]
    risk, dead = _risk_dead(groups)
    got = _pairwise_from((risk, dead), labels, "holm")
    want = _pairwise_reference(risk, dead)
    assert _same([p.chi2 for p in got], want)
    _, pairs = logrank_with_pairwise(groups, labels)
    assert _same([p.chi2 for p in pairs], want)


def test_pairwise_where_a_pair_has_nobody_at_risk():
    """Two groups that never overlap in time: n_t = 0 on part of the grid (no 0/0)."""
    early = counts_from_arrays([1.0, 2.0, 3.0], [1, 1, 0])
    late = counts_from_arrays([20.0, 21.0], [1, 1], [10.0, 10.0])
    other = counts_from_arrays([1.0, 5.0, 22.0, 30.0], [1, 0, 1, 1])
    risk, dead = _risk_dead([early, late, other])
    got = _pairwise_from((risk, dead), ["a", "b", "c"], "none")
    assert _same([p.chi2 for p in got], _pairwise_reference(risk, dead))
    assert np.all(np.isfinite([p.chi2 for p in got]))


def _risk_dead_reference(groups: list[SurvivalCounts]) -> tuple[np.ndarray, np.ndarray]:
    """The searched grid (the code the day table replaced)."""
    has = [g.n_event > 0 for g in groups]
    ev_times = [g.time[h] for g, h in zip(groups, has, strict=True)]
    grid = np.unique(np.concatenate(ev_times))
    risk = np.empty((len(groups), grid.size))
    dead = np.zeros((len(groups), grid.size))
    for j, g in enumerate(groups):
        risk[j] = g.n_risk_before(grid)
        dead[j, np.searchsorted(grid, ev_times[j])] = g.n_event[has[j]]
    return risk, dead


WHOLE_DAY_KINDS = ("ties", "delayed", "one", "censored", "events")


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("whole_days", [True, False])
def test_risk_dead_equals_the_searched_grid_bit_for_bit(seed, whole_days):
    rng = np.random.default_rng(2000 + seed)
    kinds = WHOLE_DAY_KINDS if whole_days else KINDS
    groups = [_group(rng, kinds[int(rng.integers(0, len(kinds)))]) for _ in range(6)]
    groups = [g for g in groups if g.n > 0]
    if sum(g.events for g in groups) == 0:
        return
    risk, dead = _risk_dead(groups)
    want_risk, want_dead = _risk_dead_reference(groups)
    assert risk.flags.c_contiguous and dead.flags.c_contiguous
    assert _same(risk, want_risk) and _same(dead, want_dead)
    # the sums over the grid (log-rank, pairwise) see the same layout: the same bits
    labels = [f"g{i}" for i in range(len(groups))]
    if len(groups) > 2:
        got = _pairwise_from((risk, dead), labels, "none")
        assert _same([p.chi2 for p in got], _pairwise_reference(want_risk, want_dead))


def test_risk_dead_counts_delayed_entries_on_whole_days():
    """Entries on day 5 are at risk from day 6 on (entry < t), exits on day t at risk on t."""
    a = counts_from_arrays([6.0, 8.0, 10.0, 3.0], [1, 1, 0, 1], [5.0, 5.0, 0.0, 0.0])
    b = counts_from_arrays([2.0, 6.0, 9.0], [1, 0, 1])
    risk, dead = _risk_dead([a, b])
    # grid of event days: 2, 3, 6, 8, 9
    assert risk.tolist() == [[2, 2, 3, 2, 1], [3, 2, 2, 1, 1]]
    assert dead.tolist() == [[0, 1, 1, 1, 0], [1, 0, 0, 0, 1]]


# ------------------------------------------------------------------ pooled counts


def _pooled_reference(groups: list[SurvivalCounts]) -> SurvivalCounts:
    groups = [g for g in groups if g.time.size]
    if not groups:
        z = np.zeros(0)
        return SurvivalCounts(z, z, z, z)
    t = np.unique(np.concatenate([g.time for g in groups]))
    out = [np.zeros(t.size, dtype=np.int64) for _ in range(3)]
    for g in groups:
        i = np.searchsorted(t, g.time)
        for acc, col in zip(out, (g.n_event, g.n_censor, g.n_enter), strict=True):
            np.add.at(acc, i, col)
    return SurvivalCounts(t, *out)


@pytest.mark.parametrize("seed", range(30))
def test_pooled_counts_equal_the_sorted_reference(seed):
    rng = np.random.default_rng(seed)
    groups = _groups(seed, int(rng.integers(1, 8)), empty=bool(seed % 2))
    got, want = pooled_counts(groups), _pooled_reference(groups)
    for field in ("time", "n_event", "n_censor", "n_enter"):
        assert _same(getattr(got, field), getattr(want, field)), field
    assert got.n_landmark_excluded == 0


def test_pooled_counts_of_one_group_is_that_group_without_the_landmark_tally():
    g = counts_from_arrays([3.0, 5.0, 5.0], [1, 0, 1], n_landmark_excluded=4)
    pooled = pooled_counts([g, SurvivalCounts(*(np.zeros(0),) * 4)])
    assert _same(pooled.time, g.time) and _same(pooled.n_event, g.n_event)
    assert _same(pooled.n_censor, g.n_censor) and pooled.n_landmark_excluded == 0


@pytest.mark.parametrize(
    "arrays",
    [
        [np.array([3.0, 1.0, 7.0]), np.array([1.0, 9.0]), np.zeros(0)],
        [np.array([0.5, 2.0]), np.array([2.0, 0.25])],  # fractional: sorted
        [np.array([1e9, 2.0])],  # a range far larger than the data: sorted
        [np.zeros(0)],
        [],
    ],
)
def test_union_times_equals_unique(arrays):
    want = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0)
    got = _union_times(arrays)
    assert got.dtype == np.float64 and _same(got, want)


# ------------------------------------------------------------------ RMST differences


@pytest.mark.parametrize("seed", range(10))
def test_rmst_difference_of_equals_rmst_difference(seed):
    groups = [g for g in _groups(seed, 4) if g.n > 0 and g.events > 0]
    for tau in (10.0, 25.0):
        for a in groups:
            for b in groups:
                ka, kb = kaplan_meier(a), kaplan_meier(b)
                want = rmst_difference(ka, kb, tau, 0.9)
                got = rmst_difference_of(rmst(ka, tau, 0.9), rmst(kb, tau, 0.9), 0.9)
                assert _same(_fields(got), _fields(want))


def _fields(r) -> list[float]:
    return [r.tau, r.estimate, r.se, r.lower, r.upper, r.z, r.p]


def test_rmst_difference_of_refuses_two_horizons():
    km = kaplan_meier(counts_from_arrays([2.0, 4.0, 9.0], [1, 1, 0]))
    with pytest.raises(ValueError, match="horizon"):
        rmst_difference_of(rmst(km, 5.0), rmst(km, 6.0))
