"""p value adjustment equals R's p.adjust."""

from __future__ import annotations

import numpy as np
import pytest

from core.stats.multiplicity import p_adjust

P = [0.01, 0.04, 0.03, 0.20, 0.005, np.nan, 0.04, 0.9]

# R 3.5.3:
#   p <- c(0.01, 0.04, 0.03, 0.20, 0.005, NA, 0.04, 0.9)
#   for (m in c("holm", "BH", "bonferroni")) cat(m, sprintf("%.17g", p.adjust(p, m)), "\n")
R = {
    "holm": [0.06, 0.16, 0.15, 0.4, 0.035, np.nan, 0.16, 0.9],
    "BH": [0.035, 0.056, 0.056, 0.23333333333333336, 0.035, np.nan, 0.056, 0.9],
    "bonferroni": [0.07, 0.28, 0.21, 1.0, 0.035, np.nan, 0.28, 1.0],
}


@pytest.mark.parametrize("method", sorted(R))
def test_equals_r_p_adjust(method):
    """Tolerance 1e-12: the same few multiplications as R."""
    np.testing.assert_allclose(p_adjust(P, method), R[method], rtol=1e-12, equal_nan=True)


def test_single_and_empty_and_none():
    assert p_adjust([0.3], "BH").tolist() == [0.3]
    assert p_adjust([], "holm").size == 0
    assert p_adjust([0.2, 0.01], "none").tolist() == [0.2, 0.01]


def test_rejects_unknown_method_and_out_of_range():
    with pytest.raises(ValueError, match="allowed: holm"):
        p_adjust([0.1], "fdr2")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        p_adjust([1.2], "holm")


def test_adjusted_never_below_raw_and_bh_never_above_holm():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, 200) ** 3
    holm, bh = p_adjust(p, "holm"), p_adjust(p, "BH")
    assert (holm >= p - 1e-15).all() and (bh >= p - 1e-15).all()
    assert (bh <= holm + 1e-15).all()
