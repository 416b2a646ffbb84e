"""Issue 16: the Cox page's Newton steps summed by covariate pattern (``_PatternRisk``).

A model whose terms are all categorical has a few distinct covariate rows (patterns); every
risk-set sum of the partial likelihood is then a sum over patterns, so
``fit_cox_aggregated`` takes its Newton steps from (pattern x event time) tables. The fit must
equal the row-level path (every Newton step summed over the rows, the path before this change
and the one frozen against R in test_cox.py / test_cox_entries.py) to 1e-10 relative: the same
sums in another order. Reference: the same call with the pattern path switched off.

Random data (fixed seeds): three categorical terms (2, 4 and 2 levels: up to 16 patterns) with
tied whole-day times, Efron and Breslow ties, delayed entry per row and counted apart, and a
level without events (a diverging coefficient, flagged the same way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import core.stats.cox as cox
from core.stats.cox import cox_zph, fit_cox_aggregated
from core.vocab.methods import Ties


def _data(seed: int, n: int = 3000, delayed: bool = False, quiet: bool = False):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 4, n)
    s = rng.integers(0, 2, n)
    hazard = np.exp(0.3 * a - 0.2 * b + 0.5 * s)
    t = np.ceil(rng.exponential(300.0 / hazard))
    ev = (rng.random(n) < 0.8).astype(int)
    if quiet:
        ev[b == 3] = 0  # level b3 has no events
    en = np.zeros(n)
    if delayed:
        en = np.floor(rng.uniform(0, 60, n))
        en[rng.random(n) < 0.4] = 0.0
        t = en + t
    frame = pd.DataFrame({"a": a, "b": b, "s": s, "en": en, "t": t, "ev": ev})
    return frame


def _design(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a1": (df["a"] == 1).astype(float),
            "b1": (df["b"] == 1).astype(float),
            "b2": (df["b"] == 2).astype(float),
            "b3": (df["b"] == 3).astype(float),
            "s1": (df["s"] == 1).astype(float),
        }
    )


def _aggregate(df: pd.DataFrame, entry: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    keys = ["a", "b", "s", "en", "t"] if entry == "row" else ["a", "b", "s", "t"]
    g = df.groupby(keys).agg(d=("ev", "sum"), c_=("ev", "size")).reset_index()
    out = pd.concat([_design(g), g[["t", "d"]], g["c_"].rename("c")], axis=1)
    if entry == "row":
        out["entry"] = g["en"]
    ents = None
    if entry == "apart":
        e = df[df["en"] > 0].groupby(["a", "b", "s", "en"]).size().rename("c").reset_index()
        ents = pd.concat([_design(e), e["en"].rename("t"), e["c"]], axis=1)
    return out, ents


def _fit(agg, ents, ties, monkeypatch, patterns: bool):
    with monkeypatch.context() as m:
        if not patterns:
            m.setattr(cox, "_pattern_risk", lambda *a, **k: None)
        else:  # the pattern path must be taken
            real = cox._pattern_risk

            def must(*a, **k):
                out = real(*a, **k)
                assert out is not None
                return out

            m.setattr(cox, "_pattern_risk", must)
        return fit_cox_aggregated(agg, ties=ties, entries=ents, concordance=ents is None)


@pytest.mark.parametrize("ties", [Ties.EFRON, Ties.BRESLOW])
@pytest.mark.parametrize("entry", ["none", "row", "apart"])
@pytest.mark.parametrize("quiet", [False, True])
def test_pattern_steps_equal_the_row_steps(ties, entry, quiet, monkeypatch):
    df = _data(7, delayed=entry != "none", quiet=quiet)
    agg, ents = _aggregate(df, entry)
    fast = _fit(agg, ents, ties, monkeypatch, patterns=True)
    ref = _fit(agg, ents, ties, monkeypatch, patterns=False)
    assert fast.converged == ref.converged and fast.iterations == ref.iterations
    assert fast.warnings == ref.warnings
    if quiet:
        assert any("'b3' may be infinite" in w for w in fast.warnings)
    finite = [j for j, t in enumerate(ref.terms) if not (quiet and t.term == "b3")]
    np.testing.assert_allclose(
        [[fast.terms[j].coef, fast.terms[j].se, fast.terms[j].p] for j in finite],
        [[ref.terms[j].coef, ref.terms[j].se, ref.terms[j].p] for j in finite],
        rtol=1e-10,
    )
    np.testing.assert_allclose(fast.loglik, ref.loglik, rtol=1e-12)
    np.testing.assert_allclose(fast.score_test.chi2, ref.score_test.chi2, rtol=1e-10)
    if ents is None:  # the concordance and cox.zph read the rows, as before
        assert fast.concordance == ref.concordance
        zf, zr = cox_zph(fast), cox_zph(ref)
        np.testing.assert_allclose(zf.global_test.chi2, zr.global_test.chi2, rtol=1e-8)


def test_patterns_are_not_used_where_they_do_not_pay():
    """A continuous column, more than _PATTERNS_MAX patterns, or tables larger than the rows:
    None (the row-level path)."""
    rng = np.random.default_rng(1)
    t = np.ceil(rng.exponential(100.0, 400))
    d = np.ones(400)
    c = np.ones(400)
    cont = rng.normal(size=(400, 1))
    assert cox._pattern_risk(cont, t, d, c, None, None) is None
    many = ((np.arange(400)[:, None] >> np.arange(7)) & 1).astype(float)  # 128 patterns
    assert cox._pattern_risk(many, t, d, c, None, None) is None
    few = many[:, :2]
    assert cox._pattern_risk(few, t, d, c, None, None) is not None
    # 32 patterns x 40 event times = 1,280 cells > 8 per row for 40 rows
    spread = ((np.arange(40)[:, None] >> np.arange(5)) & 1).astype(float)
    times = np.arange(1.0, 41.0)
    assert cox._pattern_risk(spread, times, d[:40], c[:40], None, None) is None
