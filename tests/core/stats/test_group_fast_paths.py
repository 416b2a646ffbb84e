"""Issue 16: the fast paths for a grouping with many levels.

- ``_pairwise_from`` (``pairwise_logrank`` / ``logrank_with_pairwise``) computes every pair
  from one pooled event-time grid, vectorised over pairs and times; it must equal the
  definition, a two-group :func:`logrank_test` on each pair's own data (R ``survdiff`` per
  pair, frozen against R in test_survival.py), to 1e-12 relative.
- ``fit_cox_factor`` and ``fit_cox_aggregated(..., concordance=False)`` with a one-hot design
  fit one categorical factor from the at-risk and event counts per level and event time; they
  must equal the general row-level path (``fit_cox_aggregated`` with the concordance, R
  ``coxph`` in test_cox.py / test_cox_entries.py) to 1e-10 relative: the same sums formed in
  another order.
- ``cox_group_hr_counts(..., table=)`` / ``fit_cox_factor_table`` fit from the log-rank
  test's table of numbers at risk and events: the same sums as ``fit_cox_factor``, so the
  same numbers bit for bit.

Random data (fixed seeds) with tied integer times, delayed entry (per row and counted apart),
empty levels, a level without events, and 2 to 14 groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.stats.cox import (
    CoxModelError,
    cox_zph,
    fit_cox_aggregated,
    fit_cox_factor,
    fit_cox_factor_table,
)
from core.stats.survival import (
    EmptyGroupError,
    SurvivalCounts,
    _p_adjust,
    counts_from_arrays,
    cox_group_hr_counts,
    logrank_test,
    logrank_with_pairwise,
    pairwise_logrank,
    risk_table,
)
from core.vocab.methods import Ties

# ------------------------------------------------------------------ data


def _patients(
    k: int, n: int = 2400, seed: int = 11, delayed: bool = False, quiet: int | None = None
) -> pd.DataFrame:
    """Patients in ``k`` groups with tied integer times; ``quiet``: a group without events."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    g[:k] = np.arange(k)  # every group present
    hazard = 1.0 + 0.15 * g
    ex = np.ceil(rng.exponential(200.0 / hazard)).astype(float)
    en = np.zeros(n)
    if delayed:
        en = np.floor(rng.uniform(0, 120, n))
        en[rng.random(n) < 0.3] = 0.0
        ex = en + ex
        late = np.flatnonzero(en > 0)[:15]  # entering on the day of others' exits
        en[late] = ex[:15]
        ex[late] = en[late] + 3
    ev = (rng.random(n) < 0.75).astype(float)
    if quiet is not None:
        ev[g == quiet] = 0.0
    return pd.DataFrame({"g": g, "t": ex, "ev": ev, "en": en})


def _counts(df: pd.DataFrame, delayed: bool) -> list[SurvivalCounts]:
    return [
        counts_from_arrays(s["t"], s["ev"], s["en"] if delayed else None)
        for _, s in df.groupby("g", sort=True)
    ]


# ------------------------------------------------------------------ pairwise log-rank


def _pairwise_by_definition(groups: list[SurvivalCounts], adjust: str) -> np.ndarray:
    rows = []
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            r = logrank_test([groups[i], groups[j]])
            rows.append((r.chi2, r.p))
    out = np.array(rows)
    return np.column_stack((out, _p_adjust(out[:, 1], adjust)))


@pytest.mark.parametrize("k", [2, 3, 14])
@pytest.mark.parametrize("delayed", [False, True])
@pytest.mark.parametrize("adjust", ["holm", "bonferroni", "none"])
def test_pairwise_equals_a_two_group_test_per_pair(k, delayed, adjust):
    groups = _counts(_patients(k, delayed=delayed), delayed)
    labels = [f"g{i}" for i in range(k)]
    got = pairwise_logrank(groups, labels, adjust)
    assert [(p.a, p.b) for p in got] == [
        (labels[i], labels[j]) for i in range(k) for j in range(i + 1, k)
    ]
    ref = _pairwise_by_definition(groups, adjust)
    np.testing.assert_allclose([(p.chi2, p.p, p.p_adj) for p in got], ref, rtol=1e-12, atol=0)
    assert np.all(ref[:, 0] > 0)  # real tests, not the degenerate 0
    if k > 2:
        overall, pairs = logrank_with_pairwise(groups, labels, adjust)
        assert pairs == got
        assert overall.chi2 == pytest.approx(logrank_test(groups).chi2, rel=1e-12)


def test_pairwise_with_a_group_without_events_and_one_entering_after_all_events():
    df = _patients(5, quiet=2)
    groups = _counts(df, False)
    # a group at risk only after every other exit, with no events: E = 0 in each of its pairs
    last = max(float(g.time.max()) for g in groups)
    late = counts_from_arrays([last + 5, last + 9], [0, 0], [last + 1, last + 2])
    groups.append(late)
    ref = _pairwise_by_definition(groups, "holm")
    got = pairwise_logrank(groups, [str(i) for i in range(len(groups))])
    np.testing.assert_allclose([(p.chi2, p.p, p.p_adj) for p in got], ref, rtol=1e-12, atol=0)
    with_late = [p for p in got if p.b == "5"]
    assert [(p.chi2, p.p) for p in with_late] == [(0.0, 1.0)] * 5
    no_events = [p for p in got if "2" in (p.a, p.b) and p.b != "5"]
    assert all(p.chi2 > 0 for p in no_events)  # O = 0 but E > 0: a real test


def test_pairwise_refuses_an_empty_group():
    groups = _counts(_patients(3), False)
    z = np.zeros(0)
    with pytest.raises(EmptyGroupError):
        pairwise_logrank([*groups, SurvivalCounts(z, z, z, z)], ["a", "b", "c", "d"])


# ------------------------------------------------------------------ Cox, one factor


def _onehot(code: np.ndarray, p: int) -> pd.DataFrame:
    return pd.DataFrame({f"L{j}": (code == j).astype(float) for j in range(1, p + 1)})


def _aggregates(df: pd.DataFrame, p: int, entry: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(exits per level and time[, entry]) and, for entry == "apart", entries per level."""
    keys = ["g", "en", "t"] if entry == "row" else ["g", "t"]
    agg = df.groupby(keys).agg(d=("ev", "sum"), c=("ev", "size")).reset_index()
    out = pd.concat([_onehot(agg["g"].to_numpy(), p), agg[["t", "d", "c"]]], axis=1)
    if entry == "row":
        out["entry"] = agg["en"]
    ents = None
    if entry == "apart":
        e = df[df["en"] > 0].groupby(["g", "en"]).size().rename("c").reset_index()
        ents = pd.concat([_onehot(e["g"].to_numpy(), p), e[["en", "c"]]], axis=1)
        ents = ents.rename(columns={"en": "t"})
    return out, ents


def _same_fit(fast, ref, rtol: float = 1e-10) -> None:
    assert fast.n == ref.n and fast.events == ref.events
    assert fast.converged == ref.converged and fast.iterations == ref.iterations
    assert fast.warnings == ref.warnings
    assert [t.term for t in fast.terms] == [t.term for t in ref.terms]
    assert [(t.n_level, t.events_level) for t in fast.terms] == [
        (t.n_level, t.events_level) for t in ref.terms
    ]
    np.testing.assert_allclose(
        [[t.coef, t.se, t.z, t.p] for t in fast.terms],
        [[t.coef, t.se, t.z, t.p] for t in ref.terms],
        rtol=rtol,
    )
    np.testing.assert_allclose(fast.loglik, ref.loglik, rtol=rtol)
    for a, b in ((fast.lr_test, ref.lr_test), (fast.score_test, ref.score_test)):
        np.testing.assert_allclose([a.chi2, a.p], [b.chi2, b.p], rtol=1e-8)
    np.testing.assert_allclose(fast.wald_test.chi2, ref.wald_test.chi2, rtol=rtol)
    np.testing.assert_allclose(fast.vcov, ref.vcov, rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("k", [2, 3, 14])
@pytest.mark.parametrize("entry", ["none", "row", "apart"])
@pytest.mark.parametrize("ties", [Ties.EFRON, Ties.BRESLOW])
def test_one_factor_fast_path_equals_the_general_path(k, entry, ties):
    df = _patients(k, delayed=entry != "none", seed=20 + k)
    agg, ents = _aggregates(df, k - 1, entry)
    ref = fit_cox_aggregated(agg, ties, entries=ents)  # row-level risk sets (concordance)
    fast = fit_cox_aggregated(agg, ties, entries=ents, concordance=False)
    assert ref._risk.__class__.__name__ == "_ZphData"
    assert fast._risk.__class__.__name__ == "_LazyZph"  # the fast path was taken
    _same_fit(fast, ref)
    assert np.isnan(fast.concordance.value)
    assert max(abs(t.coef) for t in ref.terms) > 0.05  # a real effect to estimate


@pytest.mark.parametrize("delayed", [False, True])
def test_fit_cox_factor_equals_the_general_path(delayed):
    df = _patients(6, delayed=delayed, seed=5)
    agg, ents = _aggregates(df, 5, "apart" if delayed else "none")
    ref = fit_cox_aggregated(agg, entries=ents)
    g = df.groupby(["g", "t"]).agg(d=("ev", "sum"), c=("ev", "size")).reset_index()
    entries = None
    if delayed:
        e = df[df["en"] > 0].groupby(["g", "en"]).size().reset_index()
        entries = (e["g"].to_numpy(), e["en"].to_numpy(), e[0].to_numpy())
    names = [f"L{j}" for j in range(1, 6)]
    fast = fit_cox_factor(g["g"].to_numpy(), g["t"], g["d"], g["c"], names, entries=entries)
    _same_fit(fast, ref)


def test_a_level_without_events_gets_the_same_separation_warning():
    df = _patients(4, seed=3, quiet=2)
    agg, _ = _aggregates(df, 3, "none")
    ref = fit_cox_aggregated(agg)
    fast = fit_cox_aggregated(agg, concordance=False)
    assert any("'L2' may be infinite" in w for w in fast.warnings)
    assert fast.warnings == ref.warnings and fast.iterations == ref.iterations
    # the diverging coefficient stops where the likelihood stops changing: same place, but
    # its standard error is huge and ill-conditioned, so compare the finite ones tightly
    keep = [0, 2]
    np.testing.assert_allclose(
        [[fast.terms[j].coef, fast.terms[j].se] for j in keep],
        [[ref.terms[j].coef, ref.terms[j].se] for j in keep],
        rtol=1e-8,
    )
    assert fast.terms[1].coef == pytest.approx(ref.terms[1].coef, rel=1e-6)
    assert fast.terms[1].coef < -5


def test_an_empty_level_is_refused_like_the_general_path():
    df = _patients(4, seed=8)
    df = df[df["g"] != 2]  # level 2 has no patients: its column is all 0
    agg, _ = _aggregates(df, 3, "none")
    with pytest.raises(CoxModelError) as ref:
        fit_cox_aggregated(agg)
    with pytest.raises(CoxModelError) as fast:
        fit_cox_aggregated(agg, concordance=False)
    assert str(fast.value) == str(ref.value)
    assert "'L2'" in str(fast.value)


def test_no_reference_rows_falls_back_to_the_general_path():
    df = _patients(3, seed=9)
    df = df[df["g"] != 0]  # every row has one indicator set: collinear with the intercept
    agg, _ = _aggregates(df, 2, "none")
    with pytest.raises(CoxModelError, match="collinear|linear combination"):
        fit_cox_aggregated(agg, concordance=False)
    with pytest.raises(CoxModelError, match="reference level"):
        code = df["g"].to_numpy() * 0 + 1
        fit_cox_factor(code, df["t"], df["ev"], np.ones(len(df)), ["a", "b"])


def test_cox_zph_on_a_fast_fit_equals_the_general_fit():
    df = _patients(4, seed=12)
    agg, _ = _aggregates(df, 3, "none")
    ref = cox_zph(fit_cox_aggregated(agg))
    fast = cox_zph(fit_cox_aggregated(agg, concordance=False))
    np.testing.assert_allclose(
        [(z.chi2, z.p) for z in fast.terms], [(z.chi2, z.p) for z in ref.terms], rtol=1e-8
    )
    assert fast.global_test.chi2 == pytest.approx(ref.global_test.chi2, rel=1e-8)


def test_mixed_or_non_binary_designs_take_the_general_path():
    df = _patients(3, seed=13)
    agg, _ = _aggregates(df, 2, "none")
    agg["z"] = np.arange(len(agg)) % 3  # a numeric covariate: not one factor
    fit = fit_cox_aggregated(agg, concordance=False)
    assert fit._risk.__class__.__name__ == "_ZphData"


@pytest.mark.parametrize("bad", ["code", "counts", "entries"])
def test_fit_cox_factor_rejects_bad_input(bad):
    code, t, d, c = np.array([0, 1, 1]), np.array([1.0, 2, 3]), np.ones(3), np.ones(3)
    entries = None
    if bad == "code":
        code = np.array([0, 1, 3])
    elif bad == "counts":
        d = np.array([1.0, 2.0, 1.0])
    else:
        entries = (np.array([1]), np.array([0.5]), np.array([-1.0]))
    with pytest.raises(CoxModelError):
        fit_cox_factor(code, t, d, c, ["a"], entries=entries)


@pytest.mark.parametrize("delayed", [False, True])
def test_group_hrs_from_counts_equal_the_general_path(delayed):
    df = _patients(14, n=4000, delayed=delayed, seed=31, quiet=5)
    counts = dict(zip([f"s{i:02d}" for i in range(14)], _counts(df, delayed), strict=True))
    z = np.zeros(0)
    counts["s99"] = SurvivalCounts(z, z, z, z)  # an empty group: no row in the model
    hrs = cox_group_hr_counts(counts, "s00")
    estimable = [i for i in range(1, 14) if i != 5]
    sub = df[df["g"].isin([0, *estimable])].copy()
    sub["g"] = sub["g"].map({g: j for j, g in enumerate([0, *estimable])})
    agg, ents = _aggregates(sub, len(estimable), "apart" if delayed else "none")
    ref = fit_cox_aggregated(agg, entries=ents)
    by_label = {h.label: h for h in hrs}
    assert by_label["s05"].hr is None and by_label["s99"].hr is None
    got = [by_label[f"s{i:02d}"] for i in estimable]
    np.testing.assert_allclose(
        [(h.hr, h.p) for h in got], [(t.hr, t.p) for t in ref.terms], rtol=1e-10
    )


@pytest.mark.parametrize("delayed", [False, True])
@pytest.mark.parametrize("k", [2, 4, 14])
def test_group_hrs_from_the_logrank_table_equal_the_counted_fit_bit_for_bit(k, delayed):
    """The hazard ratios read from the log-rank table (the Survival page) are the ones fitted
    from the exits and entries: ``==`` on every number. With a group without events and an
    empty group, which the fit leaves out (the table has a row for the first)."""
    df = _patients(k, n=3000, delayed=delayed, seed=40 + k, quiet=1 if k > 2 else None)
    labels = [f"s{i:02d}" for i in range(k)]
    counts = dict(zip(labels, _counts(df, delayed), strict=True))
    table = risk_table(list(counts.values()), list(counts))
    z = np.zeros(0)
    counts["s99"] = SurvivalCounts(z, z, z, z)
    for ref in (labels[0], labels[-1]):
        if counts[ref].events == 0:
            continue
        assert cox_group_hr_counts(counts, ref, table=table) == cox_group_hr_counts(counts, ref)


def test_a_table_of_other_counts_is_not_read():
    """A table made of other counts (equal values, other objects) is ignored: the fit counts
    the patients at risk itself, so a stale table can never give another view's numbers."""
    df = _patients(3, n=900, seed=5)
    counts = dict(zip(["a", "b", "c"], _counts(df, False), strict=True))
    other = dict(zip(["a", "b", "c"], _counts(df.iloc[::2], False), strict=True))
    stale = risk_table(list(other.values()), list(other))
    assert cox_group_hr_counts(other, "a") != cox_group_hr_counts(counts, "a")
    assert cox_group_hr_counts(counts, "a", table=stale) == cox_group_hr_counts(counts, "a")


def test_fit_cox_factor_table_equals_fit_cox_factor():
    df = _patients(4, n=2000, seed=8, delayed=True)
    groups = _counts(df, True)
    table = risk_table(groups, ["a", "b", "c", "d"])
    names = ["b", "c", "d"]
    got = fit_cox_factor_table(table.risk, table.dead, [g.n for g in groups], names, counting=True)
    code, t, d, c, entries = _factor_rows(groups)
    want = fit_cox_factor(code, t, d, c, names, entries=entries)
    assert [(x.coef, x.se, x.p) for x in got.terms] == [(x.coef, x.se, x.p) for x in want.terms]
    assert got.loglik == want.loglik and got.iterations == want.iterations
    with pytest.raises(CoxModelError, match="times"):
        cox_zph(got)


def _factor_rows(groups: list[SurvivalCounts]) -> tuple:
    """Exit rows and entry rows of the groups (code = position), as fit_cox_factor takes."""
    ex = [(g.n_event + g.n_censor) > 0 for g in groups]
    en = [g.n_enter > 0 for g in groups]
    code = np.concatenate([np.full(int(m.sum()), j) for j, m in enumerate(ex)])
    t = np.concatenate([g.time[m] for g, m in zip(groups, ex, strict=True)])
    d = np.concatenate([g.n_event[m] for g, m in zip(groups, ex, strict=True)])
    c = np.concatenate([(g.n_event + g.n_censor)[m] for g, m in zip(groups, ex, strict=True)])
    e_code = np.concatenate([np.full(int(m.sum()), j) for j, m in enumerate(en)])
    e_t = np.concatenate([g.time[m] for g, m in zip(groups, en, strict=True)])
    e_c = np.concatenate([g.n_enter[m] for g, m in zip(groups, en, strict=True)])
    return code, t, d, c, (e_code, e_t, e_c)


@pytest.mark.parametrize(
    "risk, dead, n_level, match",
    [
        ([[3, 2], [2, 1]], [[1, 3], [0, 1]], [3, 2], "0 <= dead <= risk"),
        ([[3, 2], [2, 1]], [[1, 0.5], [0, 1]], [3, 2], "whole numbers"),
        ([[3, 2]], [[1, 0]], [3], "rows"),
        ([[0, 0], [2, 1]], [[0, 0], [1, 1]], [0, 2], "reference level"),
    ],
)
def test_fit_cox_factor_table_rejects_bad_tables(risk, dead, n_level, match):
    with pytest.raises(CoxModelError, match=match):
        fit_cox_factor_table(risk, dead, n_level, ["b"])
