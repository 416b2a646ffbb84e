"""Issue 16: the one-factor Cox path's per-step work (``fit_cox_factor``, the grouped Survival
page's hazard ratios) against the straightforward forms it replaced.

- ``_event_times`` (whole-number times marked in a table) must give the distinct event times
  and ``np.searchsorted(..., "right")`` counts exactly; ``_factor_risk``'s counts per level and
  event time must equal the sort-and-search construction exactly (they are whole numbers).
- ``_efron_sums_bulk`` (one Horner pass of adaptive degree over every event time) must equal
  ``_efron_sums`` (power series of degree 20 / term by term per time, itself checked against
  compensated direct sums in test_cox.py) to 1e-13 relative.
- The derivatives and the whole fit must equal the reference path (each event time's Efron
  sums by ``_efron_sums``, counts by sort and search: the implementation before this change)
  to 1e-12 (derivatives) and 1e-10 (fit; the tolerance of test_group_fast_paths.py).
- ``_power_sums`` of small d and the p-value helpers must equal their former forms exactly.

Random data (fixed seeds) with heavy ties (a few distinct days, hundreds of events each), many
patients at risk (ratios A0/S0 far below 0.01) and few (ratios above 0.1), an empty level, a
level without events, delayed entries (whole and fractional days) and non-whole times.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import core.stats.cox as cox
from core.stats.cox import fit_cox_factor
from core.vocab.methods import Ties

# ------------------------------------------------------------------ references


def _ref_counts(code, t, d, c, p, entries=None):
    """The counts of ``_factor_risk`` as built before: sort, search, reversed cumsum."""
    G = p + 1
    ev_time = np.unique(t[d > 0])
    K = ev_time.size
    net = np.bincount(code * (K + 1) + np.searchsorted(ev_time, t, "right"), c, G * (K + 1))
    if entries is not None:
        e_code, e_time, e_c = entries
        idx = e_code * (K + 1) + np.searchsorted(ev_time, e_time, "right")
        net -= np.bincount(idx, e_c, G * (K + 1))
    net = net.reshape(G, K + 1)
    risk = np.cumsum(net[:, ::-1], axis=1)[:, ::-1][:, 1:]
    ev = d > 0
    k_ev = np.searchsorted(ev_time, t[ev], "left")
    dead = np.bincount(code[ev] * K + k_ev, d[ev], G * K).reshape(G, K)
    return ev_time, risk, dead


def _ref_derivatives(rs, beta):
    """Loglik, score and information of a one-factor fit with each time's Efron sums by
    ``_efron_sums`` on the per-time power sums (the form before the bulk pass)."""
    b = np.concatenate(([0.0], beta))
    shift = float(np.max(b))
    w = np.exp(b - shift)
    wl = w[1:, None]
    S0, A0 = w @ rs.risk, w @ rs.dead
    S1, A1 = rs.risk[1:] * wl, rs.dead[1:] * wl
    dk = rs.dk
    psum = cox._power_sums(np.round(dk).astype(np.int64))
    a0, a1, b0, b1, b2, lg = cox._efron_sums(S0, A0, dk, psum)
    mean_sum = S1 * a0 - A1 * a1
    loglik = float(rs.d_level @ b) - (float(lg.sum()) + shift * float(dk.sum()))
    expected = mean_sum.sum(axis=1)
    info = np.diag(expected) - (S1 * b0) @ S1.T
    cross = (S1 * b1) @ A1.T
    info += cross + cross.T
    info -= (A1 * b2) @ A1.T
    return loglik, rs.d_level[1:] - expected, (info + info.T) / 2


def _old_power_sums_small(dval: int) -> np.ndarray:
    powers = np.arange(cox._SERIES_M + 3)
    u = np.arange(dval) / dval
    return (u[:, None] ** powers[None, :]).sum(axis=0)


# ------------------------------------------------------------------ data


def _rows(seed, *, n=60_000, k=8, days=40, empty=None, quiet=None, frac=False, delayed=False):
    """Aggregated exit rows (code, t, d, c) of ``n`` patients in ``k`` levels on ``days``
    distinct days (heavy ties) with a long thin tail (few at risk), plus entries."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    g[:k] = np.arange(k)
    if empty is not None:
        g[g == empty] = 0
    t = rng.integers(1, days + 1, n).astype(float)
    tail = rng.random(n) < 0.002  # a few late exits: small risk sets, A0/S0 > 0.1
    t[tail] = days + rng.integers(1, 60, tail.sum())
    if frac:
        t = t + rng.choice([0.0, 0.25, 0.5], n)
    ev = (rng.random(n) < 0.3 + 0.04 * g).astype(float)
    if quiet is not None:
        ev[g == quiet] = 0.0
    key = np.unique(np.column_stack([g, t]), axis=0, return_inverse=True)[1].ravel()
    code = np.bincount(key, g, key.max() + 1).astype(np.int64)
    cnt = np.bincount(key)
    code = code // np.maximum(cnt, 1)
    tt = np.bincount(key, t) / cnt
    dd = np.bincount(key, ev)
    entries = None
    if delayed:
        late = rng.random(n) < 0.25
        en = np.floor(rng.uniform(0, days / 2, n)) + (rng.random(n) < 0.3) * 0.5
        en = np.minimum(en, t - 0.5)
        late &= en > 0
        e_key = np.unique(np.column_stack([g[late], en[late]]), axis=0, return_inverse=True)[1]
        e_key = e_key.ravel()
        e_cnt = np.bincount(e_key)
        entries = (
            (np.bincount(e_key, g[late]) // e_cnt).astype(np.int64),
            np.bincount(e_key, en[late]) / e_cnt,
            e_cnt.astype(float),
        )
    return code, tt, dd, cnt.astype(float), entries


CASES = {
    "heavy ties": {},
    "empty level": {"empty": 3},
    "level without events": {"quiet": 5},
    "fractional times": {"frac": True},
    "delayed entry": {"delayed": True},
    "few patients": {"n": 400, "days": 15},
    "many days": {"n": 30_000, "days": 3000},
}


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize(
    "te",
    [
        np.array([3.0, 1, 1, 7, 3, 0, 12]),
        np.array([2.5, 1, 1, 7.25]),  # not whole: sorted and searched
        np.array([5e9, 1, 2]),  # too sparse for a table
        np.array([0.0]),
        np.array([], dtype=float),
    ],
)
def test_event_times_equal_sort_and_search(te):
    ev_time, n_upto = cox._event_times(te)
    np.testing.assert_array_equal(ev_time, np.unique(te))
    x = np.array([-3.0, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 6.99, 7, 7.25, 11, 12, 12.5, 99, 5e9, 6e9])
    np.testing.assert_array_equal(n_upto(x), np.searchsorted(np.unique(te), x, "right"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_factor_counts_equal_sort_and_search(case):
    code, t, d, c, entries = _rows(7, **CASES[case])
    p = int(code.max())
    rs = cox._factor_risk(code, t, d, c, p, None, entries)
    ev_time, risk, dead = _ref_counts(code, t, d, c, p, entries)
    assert rs.dk.size == ev_time.size
    np.testing.assert_array_equal(rs.risk, risk)
    np.testing.assert_array_equal(rs.dead, dead)
    np.testing.assert_array_equal(cox._power_sum_table(np.unique(rs.dk.astype(int)))[rs.d_row],
                                  cox._power_sums(rs.dk.astype(np.int64)))  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_bulk_efron_sums_equal_the_per_time_sums(seed):
    rng = np.random.default_rng(seed)
    K = 3000
    dk = np.where(rng.random(K) < 0.3, 1, rng.integers(1, 900, K)).astype(float)
    dk[:4] = [64, 65, 1000, 20000]
    # ratios spanning the Horner pass, the degree-20 series and the term-by-term sums,
    # including the boundaries 0.01 and 0.1
    r = 10.0 ** rng.uniform(-8, 0, K)
    r[4:10] = [0.01, np.nextafter(0.01, 1), 0.1, np.nextafter(0.1, 1), 1.0, 1e-12]
    S0 = 10.0 ** rng.uniform(0, 6, K)
    A0 = r * S0
    uniq, row = np.unique(dk.astype(np.int64), return_inverse=True)
    ptab = cox._power_sum_table(uniq)
    got = cox._efron_sums_bulk(S0, A0, dk, ptab, row)
    want = cox._efron_sums(S0, A0, dk, ptab[row])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=0)
    # only the low-ratio part: one Horner pass, no per-time fallback
    low = r <= 0.01
    got = cox._efron_sums_bulk(S0[low], A0[low], dk[low], ptab, row[low])
    want = cox._efron_sums(S0[low], A0[low], dk[low], ptab[row[low]])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=0)


def test_series_degree_bounds_the_tail():
    for r in (0.0, 1e-9, 1e-6, 1e-4, 1e-3, 0.005, 0.01):
        deg = cox._series_degree(r)
        assert (deg + 2) * r ** (deg + 1) / (1 - r) ** 2 <= cox._TAIL_REL
        assert deg == 0 or (deg + 1) * r**deg / (1 - r) ** 2 > cox._TAIL_REL  # lowest such
    assert cox._series_degree(0.1) <= cox._SERIES_M


@pytest.mark.parametrize("case", sorted(CASES))
def test_factor_derivatives_equal_the_reference(case):
    code, t, d, c, entries = _rows(11, **CASES[case])
    p = int(code.max())
    rs = cox._factor_risk(code, t, d, c, p, None, entries)
    rng = np.random.default_rng(3)
    for beta in (np.zeros(p), rng.normal(0, 0.5, p), rng.normal(0, 3, p)):
        der = rs.derivatives(beta, Ties.EFRON)
        ll, score, info = _ref_derivatives(rs, beta)
        assert der.loglik == pytest.approx(ll, rel=1e-12)
        scale = np.maximum(rs.d_level[1:], 1.0)  # the score is a difference of such sums
        np.testing.assert_allclose(der.scores[0] / scale, score / scale, rtol=0, atol=1e-12)
        np.testing.assert_allclose(der.infos[0], info, rtol=0, atol=1e-12 * np.abs(info).max())


def _reference_fit(monkeypatch, *args, **kwargs):
    """``fit_cox_factor`` with each event time's Efron sums by ``_efron_sums`` (the form
    before the bulk pass)."""
    with monkeypatch.context() as mp:
        mp.setattr(
            cox,
            "_efron_sums_bulk",
            lambda S0, A0, dk, ptab, row, _pk=None: cox._efron_sums(S0, A0, dk, ptab[row]),
        )
        return fit_cox_factor(*args, **kwargs)


@pytest.mark.parametrize("case", sorted(set(CASES) - {"empty level"}))
def test_fit_equals_the_reference_fit(case, monkeypatch):
    code, t, d, c, entries = _rows(23, **CASES[case])
    names = [f"L{j}" for j in range(1, int(code.max()) + 1)]
    fast = fit_cox_factor(code, t, d, c, names, entries=entries)
    ref = _reference_fit(monkeypatch, code, t, d, c, names, entries=entries)
    assert fast.iterations == ref.iterations and fast.converged == ref.converged
    assert fast.warnings == ref.warnings
    finite = [j for j, term in enumerate(ref.terms) if abs(term.coef) < 5]
    assert finite
    for j in finite:
        a, b = fast.terms[j], ref.terms[j]
        np.testing.assert_allclose([a.coef, a.se, a.p], [b.coef, b.se, b.p], rtol=1e-10)
    for got, want in ((fast.lr_test, ref.lr_test), (fast.score_test, ref.score_test)):
        assert got.chi2 == pytest.approx(want.chi2, rel=1e-10)
        assert got.p == pytest.approx(want.p, rel=1e-9)
    np.testing.assert_allclose(fast.loglik, ref.loglik, rtol=1e-12)


def test_an_empty_level_is_still_refused():
    code, t, d, c, _ = _rows(5, empty=3)  # level 3 of 8 has no rows
    assert not np.any(code == 3)
    names = [f"L{j}" for j in range(1, int(code.max()) + 1)]
    with pytest.raises(cox.CoxModelError, match="'L3'"):
        fit_cox_factor(code, t, d, c, names)


@pytest.mark.parametrize("dval", list(range(0, cox._DIRECT_D + 1)))
def test_small_power_sums_are_the_direct_sums(dval):
    want = _old_power_sums_small(dval) if dval else np.zeros(cox._SERIES_M + 3)
    np.testing.assert_array_equal(cox._power_sums(np.array([dval, 70, dval]))[0], want)


def test_p_value_helpers_equal_scipy_stats():
    for z in (0.0, 1e-3, 0.5, 1.959964, 5.0, 8.3, 38.0, 40.0, math.inf):
        assert cox._norm_sf(z) == float(stats.norm.sf(z))
    assert math.isnan(cox._norm_sf(math.nan))
    for x in (-1.0, -0.0, 0.0, 1e-12, 0.3, 3.84, 50.0, 700.0, 1e5, math.inf):
        for df in (1, 2, 13, 40):
            assert cox._chi2_sf(x, df) == float(stats.chi2.sf(x, df))
    assert math.isnan(cox._chi2_sf(math.nan, 3))
