"""Tests for core.stats.fisher: exact Fisher-Freeman-Halton p-values (network algorithm) and the
Monte Carlo p-value.

Reference numbers are frozen from R 4.2.2 (base R only); the R call is given with each table.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.stats.fisher import (
    EXACT_WORK_LIMIT,
    MONTE_CARLO_SEED,
    MONTE_CARLO_TABLES,
    FisherResult,
    fisher_exact_p,
    fisher_freeman_halton,
    monte_carlo_p,
)

IMAGING_BY_SITE = [
    [1, 2, 22, 7],
    [0, 0, 1, 3],
    [0, 2, 8, 3],
    [0, 0, 5, 0],
    [0, 2, 2, 0],
    [0, 1, 2, 0],
    [0, 1, 1, 0],
    [0, 1, 3, 0],
    [0, 0, 3, 0],
    [1, 0, 0, 1],
    [0, 0, 0, 1],
    [0, 1, 0, 0],
    [1, 12, 28, 10],
]
"""The 13 x 4 table of issue 19 (imaging response CR/PR/SD/PD by primary site)."""

# name -> (table, R p-value printed with sprintf("%.17g", ...)). The R call is
#   m <- rbind(<rows>); fisher.test(m, workspace=2e8)$p.value
# except where a comment gives another call.
R_EXACT = {
    # fisher.test(m, workspace=2e7)$p.value; with workspace=2e8 R gives 0.10646180281595581
    "13x4_imaging_by_site": (IMAGING_BY_SITE, 0.10646180281197562),
    # the same with the empty site (Ovary) as a row of zeros, workspace=2e7
    "14x4_with_zero_row": (
        [*IMAGING_BY_SITE[:11], [0, 0, 0, 0], *IMAGING_BY_SITE[11:]],
        0.10646180281197562,
    ),
    "2x3": ([[12, 5, 3], [4, 9, 11]], 0.010040359293105663),
    "2x4_204": ([[20, 35, 41, 12], [31, 22, 18, 25]], 0.00038070157407234836),
    "2x6": ([[3, 7, 2, 9, 4, 1], [6, 2, 8, 1, 5, 7]], 0.0019989055981256549),
    "2x5_600": ([[60, 70, 55, 48, 67], [65, 58, 62, 50, 65]], 0.77202059395930933),
    "2x3_tied_rows": ([[5, 5, 5], [5, 5, 5]], 1.0),
    "3x3_200": ([[25, 30, 15], [20, 18, 27], [12, 22, 31]], 0.0088420070292677434),
    "3x3_flat": ([[4, 4, 4], [4, 4, 4], [4, 4, 4]], 1.0),
    "3x3_strong": ([[20, 1, 0], [1, 20, 1], [0, 1, 20]], 8.3356951543738605e-23),
    "4x4_zero_row_and_col": (
        [[3, 0, 2, 1], [0, 0, 0, 0], [1, 0, 4, 2], [2, 0, 1, 5]],
        0.26882142052420316,
    ),
    # m <- cbind(c(3,1,0,2), c(0,0,0,0), c(2,4,1,1), c(1,2,5,0)); fisher.test(m)$p.value
    "4x4_zero_col": (
        [[3, 0, 2, 1], [1, 0, 4, 2], [0, 0, 1, 5], [2, 0, 1, 0]],
        0.085933924098854017,
    ),
    "5x4_110": (
        [[2, 9, 20, 6], [0, 4, 11, 9], [1, 6, 8, 3], [3, 2, 5, 7], [0, 3, 9, 2]],
        0.21029994931894908,
    ),
}


@pytest.mark.parametrize(("rows", "p_r"), R_EXACT.values(), ids=R_EXACT.keys())
def test_exact_p_matches_r(rows, p_r):
    """Exact Fisher-Freeman-Halton p-values equal R's fisher.test, relative tolerance 1e-9.

    R: m <- rbind(<rows>); sprintf("%.17g", fisher.test(m, workspace=2e8)$p.value)
    e.g. fisher.test(rbind(c(12,5,3), c(4,9,11)), workspace=2e8)$p.value  # 0.010040359293105663
    (other calls are given next to their table).
    """
    p = fisher_exact_p(rows)
    assert p is not None
    assert p == pytest.approx(p_r, rel=1e-9, abs=0)
    assert fisher_freeman_halton(rows) == FisherResult(p, True)


def test_issue_table_is_well_inside_the_budget():
    """The 13 x 4 table of the issue needs under half of the default work budget."""
    assert fisher_exact_p(IMAGING_BY_SITE, max_work=EXACT_WORK_LIMIT // 2) is not None


def test_invariant_to_transposition_and_order():
    m = np.array(R_EXACT["5x4_110"][0])
    p = fisher_exact_p(m)
    assert fisher_exact_p(m.T) == pytest.approx(p, rel=1e-12)
    assert fisher_exact_p(m[[4, 2, 0, 3, 1]][:, [2, 0, 3, 1]]) == pytest.approx(p, rel=1e-12)


@pytest.mark.parametrize(
    "rows", [[[0, 0, 0], [1, 2, 3]], [[0, 4, 0], [0, 2, 0], [0, 7, 0]], [[5]], [[1, 2, 3]]]
)
def test_one_possible_table_has_p_one(rows):
    """With one non-empty row or column only one table has the margins (R refuses these)."""
    assert fisher_exact_p(rows) == 1.0
    assert monte_carlo_p(rows, n_tables=10) == 1.0


@pytest.mark.parametrize(
    "bad", [[[0, 0], [0, 0]], [[1, -1], [2, 3]], [1, 2, 3], [[1.5, 2], [3, 4]], [[True, False]]]
)
def test_bad_tables_are_rejected(bad):
    with pytest.raises(ValueError):
        fisher_exact_p(bad)
    with pytest.raises(ValueError):
        monte_carlo_p(bad)


def _brute_force_p(m: np.ndarray) -> float:
    """Plain enumeration of every table with m's margins; FEXACT's log tolerance 3.45254e-7."""
    rows = m.sum(axis=1)
    cols = m.sum(axis=0)
    n = int(m.sum())
    lf = [math.lgamma(i + 1) for i in range(n + 1)]
    const = sum(lf[v] for v in rows) + sum(lf[v] for v in cols) - lf[n]

    def tables(left, j):
        if j == len(cols) - 1:
            yield [tuple(left)]
            return
        for first in itertools.product(*(range(v + 1) for v in left)):
            if sum(first) == cols[j]:
                rest = [a - b for a, b in zip(left, first, strict=True)]
                for tail in tables(rest, j + 1):
                    yield [first, *tail]

    obs = -sum(lf[v] for v in m.ravel().tolist())
    total = 0.0
    for columns in tables(list(rows), 0):
        w = -sum(lf[v] for col in columns for v in col)
        if w <= obs + 3.45254e-7:
            total += math.exp(const + w)
    return min(1.0, total)


@settings(max_examples=80, derandomize=True, deadline=None)
@given(
    st.integers(min_value=2, max_value=4).flatmap(
        lambda r: st.integers(min_value=2, max_value=5).flatmap(
            lambda c: st.lists(
                st.lists(st.integers(0, 4), min_size=c, max_size=c), min_size=r, max_size=r
            )
        )
    )
)
def test_exact_p_equals_plain_enumeration(rows):
    """Random small tables (up to 4 x 5): the network algorithm equals enumeration (1e-12)."""
    m = np.array(rows)
    m = m[m.sum(axis=1) > 0][:, m.sum(axis=0) > 0]
    if min(m.shape) < 2 or m.sum() > 24:
        return
    assert fisher_exact_p(m) == pytest.approx(_brute_force_p(m), abs=1e-12)


@pytest.mark.parametrize(
    "rows",
    [
        [[3, 3, 3], [3, 3, 3], [3, 3, 3]],  # every row and column tied
        [[2, 0, 2, 0], [0, 2, 0, 2], [2, 0, 2, 0], [0, 2, 0, 2]],
        [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]],
        [[4, 0], [0, 4], [2, 2], [1, 3]],
    ],
)
def test_tied_margins_equal_plain_enumeration(rows):
    """Tables whose rows or columns tie (where sorting merges nodes) equal enumeration."""
    m = np.array(rows)
    assert fisher_exact_p(m) == pytest.approx(_brute_force_p(m), abs=1e-12)


def test_budget_is_a_deterministic_count():
    """Over the budget the exact p is None (never a timing); enough budget gives the p."""
    m = R_EXACT["3x3_200"][0]
    assert fisher_exact_p(m, max_work=1_000) is None
    assert fisher_exact_p(m, max_work=1_000) is None
    assert fisher_exact_p(m, max_work=10**7) == pytest.approx(0.0088420070292677434, rel=1e-9)


def test_fallback_names_the_monte_carlo_p():
    """When the exact computation is over budget the result is Monte Carlo, with B and seed."""
    m = R_EXACT["3x3_200"][0]
    result = fisher_freeman_halton(m, max_work=1_000)
    assert result.exact is False
    assert (result.n_tables, result.seed) == (MONTE_CARLO_TABLES, MONTE_CARLO_SEED)
    assert result.p == monte_carlo_p(m)


@pytest.mark.parametrize(
    ("rows", "p_exact"),
    [
        (R_EXACT["3x3_200"][0], R_EXACT["3x3_200"][1]),
        (R_EXACT["2x6"][0], R_EXACT["2x6"][1]),
        (IMAGING_BY_SITE, 0.10646180281197562),
        ([[3, 1], [1, 3]], 0.48571428571428582),  # ties: [[1,3],[3,1]] is as probable
    ],
)
def test_monte_carlo_p_is_close_to_the_exact_p(rows, p_exact):
    """Monte Carlo p within 4 binomial standard errors of R's exact p (values as above;
    R: fisher.test(rbind(c(3,1), c(1,3)))$p.value  # 0.48571428571428582)."""
    p = monte_carlo_p(rows)
    se = math.sqrt(p_exact * (1 - p_exact) / MONTE_CARLO_TABLES)
    assert abs(p - p_exact) <= 4 * se


def test_monte_carlo_p_follows_rs_formula_and_seed():
    """(1 + k) / (B + 1) with a whole k; the same seed gives the same p, another seed another."""
    m = R_EXACT["3x3_200"][0]
    p = monte_carlo_p(m, n_tables=999, seed=7)
    k = p * 1000 - 1
    assert k == pytest.approx(round(k), abs=1e-9)
    assert monte_carlo_p(m, n_tables=999, seed=7) == p
    assert monte_carlo_p(m, n_tables=999, seed=8) != p
    # the observed table is the most probable: every random table is at most as probable
    assert monte_carlo_p([[4, 4, 4], [4, 4, 4], [4, 4, 4]], n_tables=500) == 1.0
    with pytest.raises(ValueError):
        monte_carlo_p(m, n_tables=0)


def test_monte_carlo_tables_have_the_margins_and_hypergeometric_cells():
    """The sampler draws from the multiple hypergeometric law: for a 2 x 2 table the share of
    random tables at least as extreme as the observed one is the exact one-cell tail."""
    # [[0, 6], [6, 0]]: only the observed table and its mirror are this improbable
    p = monte_carlo_p([[0, 6], [6, 0]], n_tables=200_000, seed=3)
    exact = 2 / math.comb(12, 6)
    assert abs(p - exact) <= 4 * math.sqrt(exact / 200_000) + 1 / 200_001
