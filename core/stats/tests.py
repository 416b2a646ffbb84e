"""Group comparisons of Table 1: the tests of gtsummary's ``add_p()`` and the standardised mean
differences of ``smd::smd``.

Pure numpy/scipy; nothing here knows about Table 1, pages or disclosure.

Which test (gtsummary 2.x ``add_p.tbl_summary`` defaults, ``assign_tests.R``)
------------------------------------------------------------------------------
* continuous variable, two groups: Wilcoxon rank-sum test, R ``wilcox.test(x ~ g)``
  (:func:`wilcoxon_rank_sum`);
* continuous variable, three or more groups: Kruskal-Wallis rank-sum test, R
  ``kruskal.test(x ~ g)`` (:func:`kruskal_wallis`);
* categorical or yes/no variable: Pearson's chi-squared test without continuity correction, R
  ``chisq.test(m, correct = FALSE)`` (:func:`chi_square`), when every expected count of the
  groups-by-levels table is at least 5; otherwise Fisher's exact test, R ``fisher.test(m)``
  (:func:`core.stats.responses.compare_groups`: exact 2 x 2, Fisher-Freeman-Halton by the
  network algorithm, Monte Carlo past its work budget). :func:`categorical_test` makes the
  choice exactly as gtsummary: expected counts of ``table(by, variable)``, in which a group
  without a known value is a row of zeros (so its expected counts are 0 and Fisher is chosen).

The number of groups that chooses between Wilcoxon and Kruskal-Wallis is the number of groups
compared (as gtsummary counts the levels of ``by``), not the number with a known value.

Standardised mean differences (R ``smd::smd(x, g, na.rm = TRUE)``, package smd 0.6-0.7)
-----------------------------------------------------------------------------------------
``d = sqrt(D' S^+ D)`` with ``D`` the difference of the group means (first group minus second)
and ``S`` the mean of the two groups' covariance matrices, ``S^+`` its Moore-Penrose inverse
(``MASS::ginv``); when ``D`` has length 1 the sign of ``D`` is kept. So:

* numeric and yes/no (logical, coded 1/0): ``(m1 - m2) / sqrt((v1 + v2) / 2)``, signed, with
  ``v`` the variance **with divisor n** (smd's ``n_mean_var``: ``sum((x - mean)^2) / n``, not
  R's ``var()``), i.e. ``p (1 - p)`` for a yes/no variable;
* categorical (a factor of K levels): the multi-level SMD of Yang and Dalton (SAS Global Forum
  2012, paper 335), unsigned: ``D = p1 - p2`` over all K levels, ``S = (V1 + V2) / 2`` with
  ``V = diag(p) - p p'`` (multinomial covariance of the level proportions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import stats

from core.stats.responses import GroupTestMethod, compare_groups
from core.vocab.methods import _Labelled

EXPECTED_MIN = 5.0
"""gtsummary: chi-square when every expected count is at least 5, Fisher otherwise."""

EXACT_WILCOXON_MAX = 50
"""R ``wilcox.test``: the exact distribution when both groups are under 50 and nothing ties."""


class TestMethod(_Labelled):
    """A Table 1 test; the label is what the footnote shows."""

    WILCOXON_EXACT = (
        "wilcoxon-exact",
        "Wilcoxon rank-sum test (exact)",
        "wilcox.test(x ~ g)",
    )
    WILCOXON = (
        "wilcoxon",
        "Wilcoxon rank-sum test (normal approximation, continuity correction)",
        "wilcox.test(x ~ g)",
    )
    KRUSKAL_WALLIS = ("kruskal-wallis", "Kruskal-Wallis rank-sum test", "kruskal.test(x ~ g)")
    CHI_SQUARE = ("chi-square", "Pearson's chi-squared test", "chisq.test(m, correct = FALSE)")
    FISHER = ("fisher", "Fisher's exact test", "fisher.test(m)")
    FISHER_MONTE_CARLO = (
        "fisher-monte-carlo",
        GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO.label,
        GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO.r_equivalent,
    )

    __test__ = False  # not a pytest test class


@dataclass(frozen=True, slots=True)
class GroupComparison:
    """One test's result.

    ``statistic`` is W (Wilcoxon), the Kruskal-Wallis or Pearson chi-squared statistic, or None
    (Fisher); ``df`` is set for the chi-squared statistics; ``p`` is None when R gives no
    p-value (``reason`` says why).
    """

    method: TestMethod | None
    statistic: float | None
    df: int | None
    p: float | None
    reason: str = ""


def _finite(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite numbers (leave missing values out first)")
    return a


# ------------------------------------------------------------------------------ rank tests
def _wilcox_counts(m: int, n: int) -> list[int]:
    """Number of ways to obtain W = 0 .. m n: coefficients of the Gaussian binomial
    ``prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)`` (R's ``cwilcox``), in exact integers."""
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):
        shift = n + i
        for k in range(size - 1, shift - 1, -1):  # multiply by (1 - q^shift)
            poly[k] -= poly[k - shift]
        for k in range(i, size):  # divide by (1 - q^i)
            poly[k] += poly[k - i]
    return poly


def wilcoxon_rank_sum(x: Any, y: Any) -> GroupComparison:
    """Two-sided Wilcoxon rank-sum (Mann-Whitney) test, as R ``wilcox.test(x, y)`` (R 4.2-4.5).

    ``W = sum(rank(c(x, y))[seq_along(x)]) - n_x (n_x + 1) / 2`` (mid-ranks for ties). As R's
    default ``exact = NULL``: when both groups hold fewer than 50 values and no value ties, the
    p-value is exact (``pwilcox``: ``2 P(W <= w)``, or ``2 P(W >= w)`` above ``n_x n_y / 2``,
    at most 1). Otherwise the normal approximation with continuity correction and the ties
    correction of the variance: ``z = (W - n_x n_y / 2 - sign(.) / 2) / sigma``, ``sigma^2 =
    n_x n_y / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))``, ``p = 2 min(Phi(z), 1 - Phi(z))``.
    (R 4.6.0 made the default exact, conditional on the ties, for small tied samples; this
    function gives the R 4.2-4.5 answer there.)

    Parameters
    ----------
    x, y : array_like of float
        The two groups' values (missing values already left out).

    Returns
    -------
    GroupComparison
        ``statistic`` is W; ``p`` is None when a group is empty or every value ties (R
        stops with "not enough observations", or gives NaN).
    """
    a, b = _finite(x, "x"), _finite(y, "y")
    nx, ny = a.size, b.size
    if nx == 0 or ny == 0:
        return GroupComparison(None, None, None, None, "a group has no value")
    r = stats.rankdata(np.concatenate([a, b]))
    w = float(r[:nx].sum() - nx * (nx + 1) / 2)
    ties = np.unique(r).size != r.size
    if nx < EXACT_WILCOXON_MAX and ny < EXACT_WILCOXON_MAX and not ties:
        counts = _wilcox_counts(nx, ny)
        q = int(round(w))
        tail = sum(counts[q:]) if w > nx * ny / 2 else sum(counts[: q + 1])
        p = min(2 * float(Fraction(tail, math.comb(nx + ny, nx))), 1.0)
        return GroupComparison(TestMethod.WILCOXON_EXACT, w, None, p)
    n = nx + ny
    _, t = np.unique(r, return_counts=True)
    t = t.astype(float)
    sigma2 = (nx * ny / 12.0) * ((n + 1) - float(np.sum(t**3 - t)) / (n * (n - 1)))
    z = w - nx * ny / 2.0
    if sigma2 <= 0:
        return GroupComparison(TestMethod.WILCOXON, w, None, None, "every value ties")
    z = (z - math.copysign(0.5, z) * (z != 0)) / math.sqrt(sigma2)
    p = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    return GroupComparison(TestMethod.WILCOXON, w, None, float(p))


def kruskal_wallis(groups: Sequence[Any]) -> GroupComparison:
    """Kruskal-Wallis rank-sum test, as R ``kruskal.test(x ~ g)``.

    ``H = (12 / (n (n + 1)) sum R_j^2 / n_j - 3 (n + 1)) / (1 - sum(t^3 - t) / (n^3 - n))``
    over the groups with at least one value (R's ``factor(g)`` drops empty ones), ``df = k -
    1``, ``p = pchisq(H, df, lower.tail = FALSE)``.

    Parameters
    ----------
    groups : sequence of array_like of float
        Each group's values (missing values already left out).

    Returns
    -------
    GroupComparison
        ``p`` is None when fewer than two groups have a value or every value ties.
    """
    arrays = [_finite(g, "group") for g in groups]
    arrays = [g for g in arrays if g.size]
    if len(arrays) < 2:
        return GroupComparison(None, None, None, None, "fewer than two groups have a value")
    x = np.concatenate(arrays)
    n = x.size
    r = stats.rankdata(x)
    bounds = np.cumsum([0, *(g.size for g in arrays)])
    h = sum(r[bounds[i] : bounds[i + 1]].sum() ** 2 / g.size for i, g in enumerate(arrays))
    _, t = np.unique(x, return_counts=True)
    t = t.astype(float)
    denom = 1.0 - float(np.sum(t**3 - t)) / (n**3 - n)
    df = len(arrays) - 1
    if denom <= 0:
        return GroupComparison(TestMethod.KRUSKAL_WALLIS, None, df, None, "every value ties")
    h = (12.0 * h / (n * (n + 1)) - 3.0 * (n + 1)) / denom
    return GroupComparison(TestMethod.KRUSKAL_WALLIS, float(h), df, float(stats.chi2.sf(h, df)))


def continuous_test(groups: Sequence[Any]) -> GroupComparison:
    """gtsummary's default for a continuous variable: :func:`wilcoxon_rank_sum` for two groups,
    :func:`kruskal_wallis` for three or more (counted among the groups compared)."""
    if len(groups) < 2:
        return GroupComparison(None, None, None, None, "fewer than two groups")
    if len(groups) == 2:
        return wilcoxon_rank_sum(groups[0], groups[1])
    return kruskal_wallis(groups)


# ------------------------------------------------------------------------------ tables
def _counts(table: Any) -> np.ndarray:
    t = np.asarray(table)
    if t.ndim != 2:
        raise ValueError(f"contingency table must be 2-D, got shape {t.shape}")
    if t.dtype.kind not in "iuf" or (t.dtype.kind == "f" and np.any(t != np.round(t))):
        raise ValueError("contingency table entries must be whole numbers")
    t = t.astype(np.int64)
    if np.any(t < 0):
        raise ValueError("contingency table entries must be non-negative")
    return t


def expected_counts(table: Any) -> np.ndarray:
    """Expected counts under independence, ``outer(rowSums, colSums) / n`` (R
    ``chisq.test(m)$expected``); zeros for an empty table."""
    t = _counts(table).astype(float)
    n = t.sum()
    if n == 0:
        return np.zeros_like(t)
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / n


def chi_square(table: Any) -> GroupComparison:
    """Pearson's chi-squared test of independence without continuity correction, as R
    ``chisq.test(m, correct = FALSE)``: ``X^2 = sum (O - E)^2 / E``, ``df = (r - 1)(c - 1)``.

    Parameters
    ----------
    table : 2-D array_like of int
        Groups in rows, levels in columns.

    Returns
    -------
    GroupComparison
        ``p`` is None when an expected count is 0 (R gives NaN) or the table has fewer than
        two rows or columns.
    """
    t = _counts(table)
    if min(t.shape) < 2:
        return GroupComparison(None, None, None, None, "fewer than two groups or levels")
    e = expected_counts(t)
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    if np.any(e == 0):
        return GroupComparison(TestMethod.CHI_SQUARE, None, df, None, "an expected count is 0")
    x2 = float(np.sum((t - e) ** 2 / e))
    return GroupComparison(TestMethod.CHI_SQUARE, x2, df, float(stats.chi2.sf(x2, df)))


def fisher(table: Any) -> GroupComparison:
    """Fisher's exact test, as R ``fisher.test(m)$p.value``, by
    :func:`core.stats.responses.compare_groups` (empty rows and columns dropped; 2 x 2 by the
    hypergeometric law, r x c by the network algorithm, Monte Carlo past its work budget, then
    the method says so)."""
    t = _counts(table)
    if int((t.sum(axis=1) > 0).sum()) < 2 or int((t.sum(axis=0) > 0).sum()) < 2:
        return GroupComparison(None, None, None, None, "fewer than two groups or levels")
    g = compare_groups(t)
    mc = g.method is GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO
    return GroupComparison(
        TestMethod.FISHER_MONTE_CARLO if mc else TestMethod.FISHER, None, None, g.p
    )


def categorical_test(table: Any) -> GroupComparison:
    """gtsummary's default for a categorical or yes/no variable: :func:`chi_square` when every
    expected count of ``table`` (groups in rows, levels in columns, a group without a known
    value a row of zeros) is at least 5, else :func:`fisher`.

    Parameters
    ----------
    table : 2-D array_like of int
        Counts of the compared groups (rows) by the levels present (columns).

    Returns
    -------
    GroupComparison
        ``p`` is None when fewer than two groups have a known value or fewer than two levels
        occur (R stops: "'x' and 'y' must have at least 2 levels").
    """
    t = _counts(table)
    live = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(live.shape, default=0) < 2:
        return GroupComparison(None, None, None, None, "fewer than two groups or levels")
    if float(expected_counts(t).min()) >= EXPECTED_MIN:
        return chi_square(t)
    return fisher(t)


# ------------------------------------------------------------------------------ SMD
def _ginv(s: np.ndarray) -> np.ndarray:
    """Moore-Penrose inverse with R ``MASS::ginv``'s tolerance (singular values above
    ``sqrt(.Machine$double.eps)`` times the largest)."""
    u, d, vt = np.linalg.svd(s)
    if d.size == 0 or d[0] <= 0:
        return np.zeros_like(s.T)
    keep = d > math.sqrt(np.finfo(float).eps) * d[0]
    return (vt[keep].T / d[keep]) @ u[:, keep].T


def smd_numeric(x: Any, y: Any) -> float | None:
    """SMD of a numeric or yes/no (1/0) variable, as R ``smd::smd(v, g, na.rm = TRUE)$estimate``:
    ``(mean(x) - mean(y)) / sqrt((v_x + v_y) / 2)``, signed, variances with divisor n.

    Parameters
    ----------
    x, y : array_like of float
        The first and second group's values (missing values already left out).

    Returns
    -------
    float or None
        None when a group is empty or both variances are 0 (R gives NaN or an infinity).
    """
    a, b = _finite(x, "x"), _finite(y, "y")
    if a.size == 0 or b.size == 0:
        return None
    va = float(np.mean((a - a.mean()) ** 2))
    vb = float(np.mean((b - b.mean()) ** 2))
    s = (va + vb) / 2.0
    if s <= 0:
        return None
    return float((a.mean() - b.mean()) / math.sqrt(s))


def smd_categorical(table: Any) -> float | None:
    """Multi-level SMD of Yang and Dalton, as R ``smd::smd(factor(v), g, na.rm = TRUE)``.

    ``sqrt(D' S^+ D)`` with ``D = p1 - p2`` the difference of the level proportions of the two
    groups and ``S = (V1 + V2) / 2``, ``V = diag(p) - p p'``, ``S^+`` as ``MASS::ginv``.
    Unsigned (smd keeps the sign only when D has length 1).

    Parameters
    ----------
    table : 2-D array_like of int, shape (2, K)
        Counts of the first and second group by level.

    Returns
    -------
    float or None
        None when a group has no known value.
    """
    t = _counts(table)
    if t.shape[0] != 2:
        raise ValueError(f"an SMD compares two groups, got {t.shape[0]}")
    totals = t.sum(axis=1)
    if np.any(totals == 0):
        return None
    p = t / totals[:, None]
    d = p[0] - p[1]
    s = sum(np.diag(q) - np.outer(q, q) for q in p) / 2.0
    return float(math.sqrt(max(float(d @ _ginv(s) @ d), 0.0)))
