"""Issue 16: the aggregated Cox engine with delayed entries counted apart from the exits
(``fit_cox_aggregated(..., entries=)``): the counting process ``(entry, exit]`` as two
aggregates gives the patient-level fit (``fit_cox(..., entry=)``, itself equal to R's
``coxph(Surv(entry, exit, event) ~ ...)`` in test_cox.py) to rounding, with ties, strata,
entries on the day of other patients' exits, and Efron or Breslow ties. Tolerance 1e-10
relative: the same sums in another order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.stats.cox import CoxModelError, cox_zph, fit_cox, fit_cox_aggregated
from core.vocab.methods import Ties


def _data(n: int = 1500, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    en = rng.integers(0, 150, n).astype(float)
    en[: n // 4] = 0.0  # at risk from the start
    ex = en + rng.integers(1, 300, n)
    en[n // 4 : n // 4 + 20] = ex[:20]  # entering on the day others leave
    ex[n // 4 : n // 4 + 20] = en[n // 4 : n // 4 + 20] + 5
    return pd.DataFrame(
        {
            "a": (g == 1) * 1.0,
            "b": (g == 2) * 1.0,
            "x": rng.integers(0, 2, n) * 1.0,
            "s": rng.integers(0, 2, n),
            "t": ex,
            "ev": (rng.random(n) < 0.7) * 1.0,
            "en": en,
        }
    )


def _split(df: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    agg = df.groupby([*cols, "t"]).agg(d=("ev", "sum"), c=("ev", "size")).reset_index()
    ent = (
        df[df["en"] > 0].groupby([*cols, "en"]).size().rename("c").reset_index()
        .rename(columns={"en": "t"})
    )  # fmt: skip
    return agg, ent


@pytest.mark.parametrize("ties", [Ties.EFRON, Ties.BRESLOW])
@pytest.mark.parametrize("strata", [False, True])
def test_entries_counted_apart_equal_the_patient_level_fit(ties, strata):
    df = _data()
    X = df[["a", "b", "x"]]
    ref = fit_cox(df["t"], df["ev"], X, ties, strata=df["s"] if strata else None, entry=df["en"])
    cols = ["a", "b", "x", "stratum"] if strata else ["a", "b", "x"]
    agg, ent = _split(df.rename(columns={"s": "stratum"}), cols)
    fit = fit_cox_aggregated(agg, ties, entries=ent)
    assert fit.n == ref.n and fit.events == ref.events and fit.converged
    np.testing.assert_allclose(
        [[t.coef, t.se, t.p] for t in fit.terms], [[t.coef, t.se, t.p] for t in ref.terms],
        rtol=1e-10,
    )  # fmt: skip
    np.testing.assert_allclose(fit.loglik, ref.loglik, rtol=1e-12)
    for a, b in ((fit.score_test, ref.score_test), (fit.lr_test, ref.lr_test)):
        assert a.chi2 == pytest.approx(b.chi2, rel=1e-9)


def test_without_entries_the_fit_is_unchanged():
    df = _data()
    df["en"] = 0.0
    agg, ent = _split(df, ["a", "b"])
    assert ent.empty
    plain = fit_cox_aggregated(agg)
    with_none = fit_cox_aggregated(agg, entries=ent)
    np.testing.assert_allclose(plain.coef, with_none.coef, rtol=1e-12)


def test_concordance_and_zph_need_entry_pairs():
    df = _data(300)
    agg, ent = _split(df, ["a", "b"])
    fit = fit_cox_aggregated(agg, entries=ent)
    assert np.isnan(fit.concordance.value)
    with pytest.raises(CoxModelError, match="cox.zph"):
        cox_zph(fit)
    with pytest.raises(CoxModelError, match="columns"):
        fit_cox_aggregated(agg, entries=ent.drop(columns="b"))
    both = agg.assign(entry=0.0)
    with pytest.raises(CoxModelError, match="either per row"):
        fit_cox_aggregated(both, entries=ent)
