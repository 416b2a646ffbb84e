"""Newcombe's hybrid score interval for a difference of proportions (core.stats.newcombe).

Reference values frozen from R 4.x (base R; DescTools is not installed here, so the Wilson
intervals come from ``prop.test`` and are combined by Newcombe's formula, which is what
``DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score")`` computes)::

    nc <- function(x1, n1, x2, n2) {
      w1 <- prop.test(x1, n1, correct = FALSE)$conf.int
      w2 <- prop.test(x2, n2, correct = FALSE)$conf.int
      p1 <- x1 / n1; p2 <- x2 / n2; d <- p1 - p2
      c(d, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2),
           d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
    }
    sprintf("%.17g", nc(56, 70, 48, 80))   # etc. for each case below

The first case is Newcombe (1998), Stat Med 17:873, Table II example (a): 0.0524 to 0.3339.
Tolerance 1e-9 (closed form; only the normal quantile differs in the last bits).
"""

from __future__ import annotations

import pytest

from core.stats.newcombe import newcombe_difference

R = [
    (56, 70, 48, 80, 0.20000000000000007, 0.052431472402364926, 0.33387265403690586),
    (9, 10, 3, 10, 0.60000000000000009, 0.17052272393450307, 0.80901797353548799),
    (0, 15, 5, 20, -0.25, -0.46870087761874396, -0.0037265950630085698),
    (20, 20, 0, 25, 1, 0.79095098118442064, 1),
    (23, 57, 11, 23, -0.074752097635392867, -0.29986119285406276, 0.15180875771927602),
    (1, 30, 1, 12, -0.049999999999999996, -0.32193301985869799, 0.099918679421353712),
]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "d", "lo", "hi"), R)
def test_equals_r(x1, n1, x2, n2, d, lo, hi):
    r = newcombe_difference(x1, n1, x2, n2)
    assert r.estimate == pytest.approx(d, abs=1e-9)
    assert r.lower == pytest.approx(lo, abs=1e-9)
    assert r.upper == pytest.approx(hi, abs=1e-9)
    assert r.n == (n1, n2) and r.x == (x1, x2)


def test_newcombe_published_example():
    r = newcombe_difference(56, 70, 48, 80)
    assert (round(r.lower, 4), round(r.upper, 4)) == (0.0524, 0.3339)


def test_swapping_arms_mirrors_the_interval():
    a, b = newcombe_difference(23, 57, 11, 23), newcombe_difference(11, 23, 23, 57)
    assert a.lower == pytest.approx(-b.upper, abs=1e-12)
    assert a.upper == pytest.approx(-b.lower, abs=1e-12)


def test_empty_arm_has_no_difference_and_bad_counts_raise():
    r = newcombe_difference(0, 0, 3, 10)
    assert r.estimate is None and r.lower is None and r.upper is None
    with pytest.raises(ValueError, match="0 <= x <= n"):
        newcombe_difference(5, 4, 1, 2)
