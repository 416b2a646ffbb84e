"""Table 1 tests and SMDs (core/stats/tests.py) against R 4.2.2, values frozen.

Data: R's own data sets (``mtcars``, ``ToothGrowth``, ``airquality``, ``warpbreaks``,
``HairEyeColor``) written out below as literals (``deparse``), and two seeded samples in
tests/data/table1_tests_wilcoxon.csv (numpy ``default_rng(20260417)``, normal, rounded to 3
decimals, no ties). Tolerance 1e-9 relative (closed forms and R's own distribution functions;
R prints 17 significant digits). R is not needed to run the tests.

The SMD reference is ``smd::smd(x, g, na.rm = TRUE)$estimate`` (smd 0.7.0). smd is not on
Debian nor reachable here, so its computation was transcribed line for line into base R +
MASS (``n_mean_var``, ``compute_smd_parts``, ``compute_smd``) and run as ``smd_r``::

    smd_r <- function(x, g) {
      keep <- !is.na(x); x <- x[keep]; g <- g[keep]
      if (is.logical(x)) x <- as.numeric(x)
      parts <- lapply(split(x, g), function(v) {
        if (is.factor(v)) { p <- as.vector(prop.table(table(v)))
                            list(mean = p, var = diag(p) - outer(p, p)) }
        else { m <- sum(v) / length(v); list(mean = m, var = sum((v - m)^2) / length(v)) } })
      D <- parts[[1]]$mean - parts[[2]]$mean; S <- (parts[[1]]$var + parts[[2]]$var) / 2
      out <- sqrt(t(D) %*% (MASS::ginv(as.matrix(S)) %*% D))
      if (length(D) == 1) out <- drop(out) * sign(D)
      drop(out) }
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.stats.tests import (
    TestMethod,
    categorical_test,
    chi_square,
    continuous_test,
    expected_counts,
    fisher,
    kruskal_wallis,
    smd_categorical,
    smd_numeric,
    wilcoxon_rank_sum,
)

TOL = 1e-9
DATA = Path(__file__).resolve().parents[2] / "data" / "table1_tests_wilcoxon.csv"

# fmt: off
MPG = [21, 21, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26, 30.4, 15.8, 19.7, 15, 21.4]  # noqa: E501
AM = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]  # noqa: E501
CYL = [6, 6, 4, 6, 8, 6, 8, 4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8, 4, 4, 4, 8, 6, 8, 4]  # noqa: E501
VS = [0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1]  # noqa: E501
GEAR = [4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3, 3, 4, 5, 5, 5, 5, 5, 4]  # noqa: E501
LEN = [4.2, 11.5, 7.3, 5.8, 6.4, 10, 11.2, 11.2, 5.2, 7, 16.5, 16.5, 15.2, 17.3, 22.5, 17.3, 13.6, 14.5, 18.8, 15.5, 23.6, 18.5, 33.9, 25.5, 26.4, 32.5, 26.7, 21.5, 23.3, 29.5,  # VC  # noqa: E501
       15.2, 21.5, 17.6, 9.7, 14.5, 10, 8.2, 9.4, 16.5, 9.7, 19.7, 23.3, 23.6, 26.4, 20, 25.2, 25.8, 21.2, 14.5, 27.3, 25.5, 26.4, 22.4, 24.5, 24.8, 30.9, 26.4, 27.3, 29.4, 23]  # OJ  # noqa: E501
OZONE = [41, 36, 12, 18, None, 28, 23, 19, 8, None, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, None, None, None, 23, 45, 115, 37, None, None, None, None, None, None, 29, None, 71, 39, None, None, 23, None, None, 21, 37, 20, 12, 13, None, None, None, None, None, None, None, None, None, None, 135, 49, 32, None, 64, 40, 77, 97, 97, 85, None, 10, 27, None, 7, 48, 35, 61, 79, 63, 16, None, None, 80, 108, 20, 52, 82, 50, 64, 59, 39, 9, 16, 78, 35, 66, 122, 89, 110, None, None, 44, 28, 65, None, 22, 59, 23, 31, 44, 21, 9, None, 45, 168, 73, None, 76, 118, 84, 85, 96, 78, 73, 91, 47, 32, 20, 23, 21, 24, 44, 21, 28, 9, 13, 46, 18, 13, 24, 16, 13, 23, 36, 7, 14, 30, None, 14, 18, 20]  # noqa: E501
MONTH = [5] * 31 + [6] * 30 + [7] * 31 + [8] * 31 + [9] * 30
BREAKS = [26, 30, 54, 25, 70, 52, 51, 26, 67, 18, 21, 29, 17, 12, 18, 35, 30, 36, 36, 21, 24, 18, 10, 43, 28, 15, 26, 27, 14, 29, 19, 29, 31, 41, 20, 44, 42, 26, 19, 16, 39, 28, 21, 39, 29, 20, 21, 24, 17, 13, 15, 15, 16, 28]  # noqa: E501
TENSION = (["L"] * 9 + ["M"] * 9 + ["H"] * 9) * 2
HAIR_EYE = [[68, 20, 15, 5], [119, 84, 54, 29], [26, 17, 14, 14], [7, 94, 10, 16]]
# fmt: on


def _split(values, groups, order):
    v, g = np.asarray(values, dtype=object), np.asarray(groups, dtype=object)
    out = []
    for level in order:
        x = v[(g == level) & np.array([e is not None for e in v])]
        out.append(x.astype(float))
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(abs(b), 1e-300)


@pytest.fixture(scope="module")
def seeded():
    d = pd.read_csv(DATA)
    return {s: (g[g.group == "x"].value.to_numpy(), g[g.group == "y"].value.to_numpy())
            for s, g in d.groupby("set")}  # fmt: skip


# ------------------------------------------------------------------------------ Wilcoxon
def test_wilcoxon_exact_when_small_and_untied(seeded):
    """``w <- read.csv("tests/data/table1_tests_wilcoxon.csv"); wilcox.test(value ~ group,
    subset(w, set == "small"))``: W = 559, p = 0.6328714527566548, "Wilcoxon rank sum exact
    test" (30 vs 40, no ties)."""
    r = wilcoxon_rank_sum(*seeded["small"])
    assert r.method is TestMethod.WILCOXON_EXACT and r.statistic == 559
    assert _close(r.p, 0.6328714527566548)


def test_wilcoxon_normal_when_a_group_has_50(seeded):
    """``wilcox.test(value ~ group, subset(w, set == "large"))``: W = 1274, p =
    0.62492626597501655, "with continuity correction" (60 vs 45, no ties)."""
    r = wilcoxon_rank_sum(*seeded["large"])
    assert r.method is TestMethod.WILCOXON and r.statistic == 1274
    assert _close(r.p, 0.62492626597501655)


def test_wilcoxon_exact_both_tails_and_the_edge():
    """``wilcox.test(c(1.1,2.2,3.3,4.4), c(2.5,3.6,7.7,8.8,9.9))$p.value`` =
    0.1111111111111111; swapped: W = 17, the same p (upper tail);
    ``wilcox.test(1:49, 50:52 + 0.5)``: W = 0, p = 9.0497737556561084e-05 (exact)."""
    a, b = [1.1, 2.2, 3.3, 4.4], [2.5, 3.6, 7.7, 8.8, 9.9]
    assert _close(wilcoxon_rank_sum(a, b).p, 0.1111111111111111)
    r = wilcoxon_rank_sum(b, a)
    assert r.statistic == 17 and _close(r.p, 0.1111111111111111)
    r = wilcoxon_rank_sum(np.arange(1, 50), np.arange(50, 53) + 0.5)
    assert r.method is TestMethod.WILCOXON_EXACT and r.statistic == 0
    assert _close(r.p, 9.0497737556561084e-05)


def test_wilcoxon_ties_use_the_normal_approximation():
    """``wilcox.test(c(1,2,2,4), c(2,3,7,8,9))$p.value`` = 0.10536405286983042;
    ``wilcox.test(mpg ~ am, mtcars)``: W = 42, p = 0.0018713913331785568;
    ``wilcox.test(len ~ supp, ToothGrowth)`` (OJ first): W = 575.5, p =
    0.064490672133835691."""
    r = wilcoxon_rank_sum([1, 2, 2, 4], [2, 3, 7, 8, 9])
    assert r.method is TestMethod.WILCOXON and _close(r.p, 0.10536405286983042)
    r = wilcoxon_rank_sum(*_split(MPG, AM, (0, 1)))
    assert r.statistic == 42 and _close(r.p, 0.0018713913331785568)
    r = wilcoxon_rank_sum(LEN[30:], LEN[:30])
    assert r.statistic == 575.5 and _close(r.p, 0.064490672133835691)


def test_wilcoxon_without_a_p_value():
    assert wilcoxon_rank_sum([], [1.0, 2.0]).p is None
    assert wilcoxon_rank_sum([3.0] * 60, [3.0] * 5).p is None
    with pytest.raises(ValueError, match="finite"):
        wilcoxon_rank_sum([1.0, float("nan")], [2.0])


# ------------------------------------------------------------------------------ Kruskal-Wallis
def test_kruskal_wallis_against_r():
    """``kruskal.test(Ozone ~ Month, airquality)``: 29.266576306116939, df 4, p =
    6.9007141185467839e-06; ``kruskal.test(breaks ~ tension, warpbreaks)``: 10.8092652706172,
    df 2, p = 0.0044957056613804548; ``kruskal.test(list(c(1,2,3), c(2,4,5), c(7,8,1.5)))``:
    2.1736694677871178, p = 0.33728239441845748."""
    r = kruskal_wallis(_split(OZONE, MONTH, (5, 6, 7, 8, 9)))
    assert r.df == 4 and _close(r.statistic, 29.266576306116939)
    assert _close(r.p, 6.9007141185467839e-06)
    r = kruskal_wallis(_split(BREAKS, TENSION, ("L", "M", "H")))
    assert r.df == 2 and _close(r.statistic, 10.8092652706172)
    assert _close(r.p, 0.0044957056613804548)
    r = kruskal_wallis([[1, 2, 3], [2, 4, 5], [7, 8, 1.5]])
    assert _close(r.statistic, 2.1736694677871178) and _close(r.p, 0.33728239441845748)


def test_continuous_test_chooses_by_the_number_of_groups():
    two = continuous_test(_split(MPG, AM, (0, 1)))
    assert two.method is TestMethod.WILCOXON
    three = continuous_test(_split(BREAKS, TENSION, ("L", "M", "H")))
    assert three.method is TestMethod.KRUSKAL_WALLIS
    # gtsummary counts the groups compared: three groups, one without values, is still
    # Kruskal-Wallis (on the two with values), not Wilcoxon
    g = _split(MPG, AM, (0, 1))
    r = continuous_test([g[0], g[1], np.array([])])
    assert r.method is TestMethod.KRUSKAL_WALLIS and r.df == 1
    assert continuous_test([g[0]]).p is None


# ------------------------------------------------------------------------------ tables
def test_chi_square_against_r():
    """``chisq.test(apply(HairEyeColor, c(1, 2), sum), correct = FALSE)``: 138.28984162600827,
    df 9, p = 2.325286787098808e-25; ``chisq.test(matrix(c(10, 30, 20, 25), 2), correct =
    FALSE)``: 3.5058922558922552, p = 0.061150897576067662 (no Yates correction);
    ``chisq.test(table(mtcars$am, mtcars$cyl), correct = FALSE)``: 8.7407329512592664, p =
    0.01264660504610729."""
    r = chi_square(HAIR_EYE)
    assert r.df == 9 and _close(r.statistic, 138.28984162600827)
    assert _close(r.p, 2.325286787098808e-25)
    r = chi_square([[10, 20], [30, 25]])
    assert _close(r.statistic, 3.5058922558922552) and _close(r.p, 0.061150897576067662)
    r = chi_square([[3, 4, 12], [8, 3, 2]])
    assert _close(r.statistic, 8.7407329512592664) and _close(r.p, 0.01264660504610729)


def test_categorical_test_chooses_like_gtsummary():
    """``table(mtcars$am, mtcars$cyl)`` has expected counts down to 2.84375
    (``chisq.test(m)$expected``), so gtsummary uses ``fisher.test(m)``: p =
    0.0091047016814173754; expected counts of exactly 5 keep the chi-square
    (``chisq.test(matrix(5, 2, 2), correct = FALSE)``: 0, p = 1); ``fisher.test(matrix(c(3, 5,
    2, 9), 2))$p.value`` = 0.60268317853457187."""
    m = [[3, 4, 12], [8, 3, 2]]
    assert _close(float(expected_counts(m).min()), 2.84375)
    r = categorical_test(m)
    assert r.method is TestMethod.FISHER and _close(r.p, 0.0091047016814173754)
    r = categorical_test([[5, 5], [5, 5]])
    assert r.method is TestMethod.CHI_SQUARE and r.statistic == 0 and r.p == 1.0
    assert categorical_test(HAIR_EYE).method is TestMethod.CHI_SQUARE
    assert _close(fisher([[3, 2], [5, 9]]).p, 0.60268317853457187)
    # a compared group without a known value is a row of zeros: expected 0, so Fisher
    r = categorical_test([[10, 20], [30, 25], [0, 0]])
    assert r.method is TestMethod.FISHER
    assert categorical_test([[10, 0], [30, 0]]).p is None  # one level: R stops


# ------------------------------------------------------------------------------ SMD
def test_smd_numeric_against_smd_package():
    """``smd_r(mtcars$mpg, mtcars$am)`` = -1.46330520632452 (am 0 minus am 1, divisor n);
    ``smd_r(airquality$Ozone, airquality$Month == 5)`` = 0.84351052385036651 (NA left out);
    ``smd_r(c(1,2,3,4,2,3,5,9,1), rep(1:2, c(4,5)))`` = -0.69748583246291573."""
    mpg0, mpg1 = _split(MPG, AM, (0, 1))
    assert _close(smd_numeric(mpg0, mpg1), -1.46330520632452)
    other, may = _split(OZONE, [m == 5 for m in MONTH], (False, True))
    assert _close(smd_numeric(other, may), 0.84351052385036651)
    assert _close(smd_numeric([1, 2, 3, 4], [2, 3, 5, 9, 1]), -0.69748583246291573)
    # R's var() (divisor n - 1) would give another value: the divisor is n
    s = np.sqrt((np.var(mpg0, ddof=1) + np.var(mpg1, ddof=1)) / 2)
    assert not _close(smd_numeric(mpg0, mpg1), (mpg0.mean() - mpg1.mean()) / s)
    assert smd_numeric([], [1.0]) is None and smd_numeric([2.0, 2.0], [2.0]) is None


def test_smd_yes_no_is_signed():
    """``smd_r(mtcars$vs == 1, mtcars$am)`` = -0.34665786276924765 (a logical is numeric 1/0:
    signed, variance p (1 - p))."""
    vs0, vs1 = _split(VS, AM, (0, 1))
    assert _close(smd_numeric(vs0, vs1), -0.34665786276924765)


def test_smd_categorical_against_smd_package():
    """``smd_r(factor(mtcars$cyl), mtcars$am)`` = 1.2505757011463356 (Yang & Dalton; the
    reduced K - 1 form with ``solve`` gives 1.2505757011463352);
    ``smd_r(factor(mtcars$gear), mtcars$vs)`` = 1.5500523312512082."""
    cyl = np.array([[np.sum((np.array(CYL) == c) & (np.array(AM) == a)) for c in (4, 6, 8)]
                    for a in (0, 1)])  # fmt: skip
    assert cyl.tolist() == [[3, 4, 12], [8, 3, 2]]
    assert _close(smd_categorical(cyl), 1.2505757011463356)
    assert _close(smd_categorical([[12, 2, 4], [3, 10, 1]]), 1.5500523312512082)
    # unsigned: the groups swapped give the same value
    assert _close(smd_categorical(cyl[::-1]), 1.2505757011463356)
    # a level absent from both groups changes nothing (its row of S is zero: ginv)
    padded = np.c_[cyl, [0, 0]]
    assert _close(smd_categorical(padded), 1.2505757011463356)
    assert smd_categorical([[0, 0], [3, 4]]) is None
    with pytest.raises(ValueError, match="two groups"):
        smd_categorical([[1, 2], [3, 4], [5, 6]])
