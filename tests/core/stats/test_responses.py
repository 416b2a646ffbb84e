"""Tests for core.stats.responses: binomial CIs, group tests, response and adverse-event tables.

Reference numbers are frozen from R 4.2.2 (base R only); each test's docstring gives the R call.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.stats.responses import (
    NOT_EVALUABLE_CODE,
    OVERALL_LABEL,
    RESPONSE_DOMAINS,
    GroupTestMethod,
    adverse_event_table,
    binomial_ci,
    binomial_ci_many,
    compare_groups,
    proportion,
    response_table,
    to_json_dict,
)
from core.vocab.methods import BinomialCI, Denominator, ResponseDomain

CP = BinomialCI.CLOPPER_PEARSON
WILSON = BinomialCI.WILSON
JEFFREYS = BinomialCI.JEFFREYS

# ---------------------------------------------------------------------------------------------
# Binomial confidence intervals
# ---------------------------------------------------------------------------------------------

# (x, n, conf, (CP lower, upper), (Wilson lower, upper), (Jeffreys lower, upper)), from
#   binom.test(x, n, conf.level=conf)$conf.int
#   prop.test(x, n, correct=FALSE, conf.level=conf)$conf.int
#   j <- qbeta(c((1-conf)/2, (1+conf)/2), x+.5, n-x+.5); if (x == 0) j[1] <- 0; if (x == n) j[2] <- 1
# printed with sprintf("%.17g", ...). The Jeffreys edge values (0 at x = 0, 1 at x = n) are the
# Brown-Cai-DasGupta convention, substituted for qbeta's value as in the line above.
CI_TABLE = [
    (0, 1, 0.95, (0, 0.97499999999999998), (0, 0.79345068562276255), (0, 0.85325368369042476)),
    (1, 1, 0.95, (0.025000000000000022, 1), (0.2065493143772375, 1), (0.14674631630957513, 1)),
    (0, 10, 0.95, (0, 0.30849710781876083), (0, 0.27753279986288915), (0, 0.21719626750921051)),
    (10, 10, 0.95, (0.69150289218123917, 1), (0.72246720013711085, 1), (0.78280373249078938, 1)),
    (
        1,
        10,
        0.95,
        (0.0025285785444617865, 0.44501611702819543),
        (0.017876213095072892, 0.40415002679523837),
        (0.011011673763161145, 0.38131477106661638),
    ),
    (
        5,
        10,
        0.95,
        (0.18708602844739858, 0.81291397155260148),
        (0.23659309051256402, 0.76340690948743595),
        (0.22352867025270523, 0.77647132974729471),
    ),
    (
        1,
        2,
        0.95,
        (0.012579117093425058, 0.98742088290657493),
        (0.094531205734230739, 0.90546879426576921),
        (0.060830275920097363, 0.93916972407990262),
    ),
    (
        25,
        125,
        0.95,
        (0.13380921465387588, 0.28092159309524145),
        (0.13929930824520928, 0.2785899279797866),
        (0.1371988372001898, 0.27650408266427495),
    ),
    (
        112,
        158,
        0.95,
        (0.63138835227630974, 0.77831466879443378),
        (0.63373821321030432, 0.77406829373129538),
        (0.63471662610775992, 0.77543257822212908),
    ),
    (
        21,
        62,
        0.95,
        (0.22333042128568509, 0.47006876216580751),
        (0.23341701875208912, 0.46282300450641811),
        (0.23035411289977248, 0.46173274473675319),
    ),
    (
        3,
        125,
        0.95,
        (0.0049769897490534436, 0.068536316110670015),
        (0.008195256526549597, 0.068188998283777183),
        (0.0068047446710370538, 0.062654694177016856),
    ),
    (
        22,
        125,
        0.95,
        (0.113709035494215, 0.25425157980486646),
        (0.11919766518324576, 0.25212270993974978),
        (0.11702937564656149, 0.24976620026866803),
    ),
    (
        75,
        125,
        0.95,
        (0.5085924317857623, 0.68655583040996482),
        (0.51237459453706258, 0.68166232672127214),
        (0.51263835956321457, 0.68279042447540284),
    ),
    (
        100,
        125,
        0.95,
        (0.71907840690475855, 0.86619078534612415),
        (0.72141007202021346, 0.8607006917547908),
        (0.72349591733572505, 0.86280116279981023),
    ),
    (0, 211, 0.95, (0, 0.017330902875054677), (0, 0.017880435376768648), (0, 0.011820416040860926)),
    (211, 211, 0.95, (0.98266909712494532, 1), (0.98211956462323124, 1), (0.98817958395913907, 1)),
    (
        86,
        211,
        0.95,
        (0.34063242884842471, 0.47716826415542846),
        (0.34350774388445893, 0.47496304748849832),
        (0.34290963703120536, 0.47477222103063865),
    ),
    (
        1,
        1000,
        0.95,
        (2.5317487491294069e-05, 0.005558924279826627),
        (0.00017654637062607817, 0.0056425585979579338),
        (0.00010791880468097954, 0.0046644588087913713),
    ),
    (
        21,
        62,
        0.90,
        (0.23943136139430751, 0.44999518904470892),
        (0.24844331511984807, 0.44246415690859153),
        (0.24665251306402905, 0.44166278496220912),
    ),
    (0, 10, 0.90, (0, 0.2588655508930523), (0, 0.21294197008340682), (0, 0.17077310824484782)),
    (7, 7, 0.90, (0.65183634486883912, 1), (0.72123730454745816, 1), (0.76753521838714434, 1)),
]

CI_CASES = [
    pytest.param(x, n, conf, method, ref, id=f"{method.value}-{x}/{n}-{conf}")
    for x, n, conf, cp, wilson, jeffreys in CI_TABLE
    for method, ref in ((CP, cp), (WILSON, wilson), (JEFFREYS, jeffreys))
]


@pytest.mark.parametrize(("x", "n", "conf", "method", "ref"), CI_CASES)
def test_binomial_ci_matches_r(x, n, conf, method, ref):
    """Each method against R, absolute tolerance 1e-10 on the 0..1 scale.

    R (x, n, conf from the table):
        binom.test(x, n, conf.level=conf)$conf.int                  # clopper-pearson
        prop.test(x, n, correct=FALSE, conf.level=conf)$conf.int    # wilson
        j <- qbeta(c((1-conf)/2, (1+conf)/2), x+.5, n-x+.5)
        if (x == 0) j[1] <- 0; if (x == n) j[2] <- 1; j             # jeffreys
    """
    lower, upper = binomial_ci(x, n, method, conf_level=conf)
    assert lower == pytest.approx(ref[0], abs=1e-10)
    assert upper == pytest.approx(ref[1], abs=1e-10)


@pytest.mark.parametrize("method", list(BinomialCI))
def test_binomial_ci_many_equals_scalar(method):
    """The vectorised form returns the scalar results element by element (exact equality)."""
    rows = [(x, n) for x, n, conf, *_ in CI_TABLE if conf == 0.95]
    xs = np.array([x for x, _ in rows])
    ns = np.array([n for _, n in rows])
    lower, upper = binomial_ci_many(xs, ns, method)
    for i, (x, n) in enumerate(rows):
        assert (lower[i], upper[i]) == binomial_ci(x, n, method)


@pytest.mark.parametrize("method", list(BinomialCI))
def test_binomial_ci_edges_are_exact_zero_and_one(method):
    """x = 0 gives a lower limit of exactly 0 and x = n an upper limit of exactly 1."""
    assert binomial_ci(0, 17, method)[0] == 0.0
    assert binomial_ci(17, 17, method)[1] == 1.0
    assert binomial_ci(0, 17, method)[1] > 0.0
    assert binomial_ci(17, 17, method)[0] < 1.0


@pytest.mark.parametrize("method", list(BinomialCI))
def test_binomial_ci_n_zero_raises(method):
    with pytest.raises(ValueError, match="n = 0"):
        binomial_ci(0, 0, method)
    with pytest.raises(ValueError, match="n = 0"):
        binomial_ci_many([1, 0], [3, 0], method)


@pytest.mark.parametrize(
    ("x", "n", "conf"),
    [(4, 3, 0.95), (-1, 3, 0.95), (1, 3, 1.0), (1, 3, 0.0), (1.5, 3, 0.95)],
)
def test_binomial_ci_rejects_bad_input(x, n, conf):
    with pytest.raises(ValueError):
        binomial_ci(x, n, CP, conf_level=conf)


def test_binomial_ci_accepts_method_codes():
    """A method code parses to the enum member and gives the same interval."""
    assert binomial_ci(21, 62, WILSON.value) == binomial_ci(21, 62, WILSON)
    with pytest.raises(ValueError, match="allowed"):
        binomial_ci(21, 62, "exact")


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=400),
    frac=st.floats(min_value=0, max_value=1),
    method=st.sampled_from(list(BinomialCI)),
)
def test_binomial_ci_brackets_estimate(n, frac, method):
    """0 <= lower <= x/n <= upper <= 1 for every method."""
    x = round(frac * n)
    lower, upper = binomial_ci(x, n, method)
    assert 0.0 <= lower <= x / n <= upper <= 1.0


def test_proportion_in_percent():
    """25 of 125: 20 % with 100 * binom.test(25, 125)$conf.int, tolerance 1e-8 (percent)."""
    p = proportion(25, 125)
    assert (p.n, p.denominator, p.method) == (25, 125, CP)
    assert p.pct == pytest.approx(20.0, abs=1e-12)
    assert p.lower == pytest.approx(13.380921465387588, abs=1e-8)
    assert p.upper == pytest.approx(28.092159309524145, abs=1e-8)


def test_proportion_zero_denominator_has_no_rate():
    p = proportion(0, 0, JEFFREYS)
    assert (p.n, p.denominator, p.pct, p.lower, p.upper) == (0, 0, None, None, None)
    assert p.method is JEFFREYS
    with pytest.raises(ValueError):
        proportion(3, 2)


# ---------------------------------------------------------------------------------------------
# Group comparison
# ---------------------------------------------------------------------------------------------

# name -> (rows of the table, R fisher.test(m, workspace=2e7)$p.value printed with %.17g)
FISHER_TABLES = {
    "2x2_tie": ([[3, 1], [1, 3]], 0.48571428571428582),
    "2x2_a": ([[10, 3], [2, 15]], 0.00053672411914343734),
    "2x2_b": ([[1, 11], [9, 3]], 0.0027594561852200862),
    "2x2_zero_cells": ([[0, 5], [5, 0]], 0.0079365079365079395),
    "2x2_big": ([[25, 100], [40, 71]], 0.008341369997432976),
    "2x2_orr": ([[25, 100], [21, 41]], 0.047437066434558556),
    "2x4_seed": ([[3, 22, 75, 25], [1, 10, 30, 20]], 0.2809943176657636),
    "2x4_small": ([[2, 7, 3, 1], [5, 1, 6, 9]], 0.0068022375736402716),
    "2x3_symmetric": ([[2, 1, 0], [0, 1, 2]], 0.59999999999999964),
    "3x2": ([[5, 1], [2, 4], [1, 6]], 0.061721044693180488),
    "3x3_a": ([[3, 1, 0], [2, 4, 1], [0, 2, 5]], 0.035503031826561213),
    "3x3_b": ([[10, 12, 8], [7, 15, 9], [4, 6, 13]], 0.16519531259189249),
    "3x4_flat": ([[1, 2, 3, 4], [4, 3, 2, 1], [2, 2, 2, 2]], 0.77195893501959245),
    "3x4_236": ([[3, 22, 75, 25], [1, 10, 30, 20], [2, 8, 25, 15]], 0.49669555209312444),
    "4x4_120": (
        [[1, 8, 15, 6], [2, 6, 12, 10], [0, 5, 14, 11], [1, 9, 10, 10]],
        0.7180037739837295,
    ),
    "4x5_80": (
        [[2, 5, 8, 3, 2], [3, 4, 6, 5, 2], [1, 6, 7, 4, 2], [4, 3, 5, 6, 2]],
        0.96529808035982645,
    ),
}


@pytest.mark.parametrize(("rows", "p_r"), FISHER_TABLES.values(), ids=FISHER_TABLES.keys())
def test_fisher_matches_r(rows, p_r):
    """Fisher (2 x 2) and Fisher-Freeman-Halton (r x c) p-values, relative tolerance 1e-9.

    R: m <- rbind(<rows>); fisher.test(m, workspace=2e7)$p.value
    e.g. fisher.test(rbind(c(3,22,75,25), c(1,10,30,20)))$p.value
    """
    m = np.array(rows)
    result = compare_groups(m)
    expected = (
        GroupTestMethod.FISHER_2X2 if m.shape == (2, 2) else GroupTestMethod.FISHER_FREEMAN_HALTON
    )
    assert result.method is expected
    assert result.p == pytest.approx(p_r, rel=1e-9, abs=0)
    assert result.statistic is None and result.df is None


def test_fisher_is_invariant_to_transposition_and_order():
    """Transposing the table or permuting rows and columns leaves the p-value unchanged."""
    m = np.array(FISHER_TABLES["3x4_flat"][0])
    p = compare_groups(m).p
    assert compare_groups(m.T).p == pytest.approx(p, abs=1e-12)
    assert compare_groups(m[[2, 0, 1]][:, [3, 1, 0, 2]]).p == pytest.approx(p, abs=1e-12)


def test_zero_margins_are_dropped():
    """A zero column is dropped; the 2 x 3 table becomes a 2 x 2 Fisher test.

    R: fisher.test(rbind(c(3,2), c(1,4)))$p.value  # 0.52380952380952417, tolerance 1e-9
    (R's fisher.test(rbind(c(3,0,2), c(1,0,4)))$p.value gives the same, 0.52380952380952206.)
    """
    result = compare_groups([[3, 0, 2], [1, 0, 4], [0, 0, 0]])
    assert result.method is GroupTestMethod.FISHER_2X2
    assert result.p == pytest.approx(0.52380952380952417, abs=1e-9)


@pytest.mark.parametrize(
    ("rows", "method"),
    [
        ([[3, 0], [5, 0]], GroupTestMethod.FISHER_2X2),
        ([[0, 0, 0], [1, 2, 3]], GroupTestMethod.FISHER_FREEMAN_HALTON),
        ([[0, 4, 0], [0, 2, 0], [0, 7, 0]], GroupTestMethod.FISHER_FREEMAN_HALTON),
    ],
)
def test_single_possible_table_has_p_one(rows, method):
    """With one non-empty row or column only one table has the margins: exact p = 1."""
    result = compare_groups(rows)
    assert result.method is method
    assert result.p == 1.0


@pytest.mark.parametrize(
    "bad", [[[0, 0], [0, 0]], [[1, -1], [2, 3]], [1, 2, 3], [[1.5, 2], [3, 4]]]
)
def test_compare_groups_rejects_bad_tables(bad):
    with pytest.raises(ValueError):
        compare_groups(bad)


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
    [0, 0, 0, 0],
    [0, 1, 0, 0],
    [1, 12, 28, 10],
]
"""Imaging response (CR, PR, SD, PD) by primary site in pgep-mibg-211, as the Response page
builds it (14 sites, one with no evaluable patient): the 13 x 4 table of issue 19."""


def test_larger_tables_get_the_exact_test_not_chi_square():
    """Issue 19 item 3: the 13 x 4 table got chi-square p 0.0227; R's exact p is 0.1065.

    R: m <- rbind(c(1,2,22,7), c(0,0,1,3), c(0,2,8,3), c(0,0,5,0), c(0,2,2,0), c(0,1,2,0),
         c(0,1,1,0), c(0,1,3,0), c(0,0,3,0), c(1,0,0,1), c(0,0,0,1), c(0,0,0,0), c(0,1,0,0),
         c(1,12,28,10))
       sprintf("%.17g", fisher.test(m, workspace=2e7)$p.value)  # 0.10646180281197562
    (workspace=2e8 gives 0.10646180281595581: R's own result moves by 4e-11 relative.)
    Tolerance: relative 1e-9.
    """
    result = compare_groups(IMAGING_BY_SITE)
    assert result.method is GroupTestMethod.FISHER_FREEMAN_HALTON
    assert result.p == pytest.approx(0.10646180281197562, rel=1e-9, abs=0)
    assert result.statistic is None and result.df is None
    assert result.n_tables is None and result.seed is None


# name -> (rows, R's exact p (None when R needs minutes), R's Monte Carlo p)
MONTE_CARLO_TABLES = {
    # R's exact p took 222 s (fisher.test(m, workspace=2e8)); the budget here is far smaller
    "4x4_211": (
        [[3, 22, 30, 5], [1, 10, 30, 20], [2, 8, 25, 15], [0, 5, 20, 15]],
        0.002866177552743428,
        0.0032099679003209968,
    ),
    # FEXACT needs more than any workspace allows in reasonable time
    "6x5_796": (
        [
            [20, 25, 30, 15, 10],
            [22, 18, 35, 12, 13],
            [15, 30, 25, 20, 10],
            [25, 20, 20, 18, 17],
            [18, 22, 28, 22, 10],
            [10, 15, 40, 25, 10],
        ],
        None,
        0.040089599104008958,
    ),
}


@pytest.mark.parametrize(
    ("rows", "p_exact", "p_r_mc"), MONTE_CARLO_TABLES.values(), ids=MONTE_CARLO_TABLES.keys()
)
def test_fallback_is_a_named_monte_carlo_p(rows, p_exact, p_r_mc):
    """Beyond the work budget: Monte Carlo Fisher-Freeman-Halton, 10^5 tables, fixed seed.

    R: fisher.test(m, workspace=2e8)$p.value  # exact, 4x4_211: 0.002866177552743428 (222 s)
       set.seed(1); fisher.test(m, simulate.p.value=TRUE, B=1e5)$p.value  # R's Monte Carlo
    The p-value is (1 + k) / (B + 1) for a whole k; it is within 4 binomial standard errors of
    the exact p-value where R gives one, and within 4 standard errors of the difference of R's
    Monte Carlo p-value (R's random tables differ); the same table gives the same p-value twice
    (fixed seed).
    """
    result = compare_groups(rows)
    assert result.method is GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO
    assert (result.n_tables, result.seed) == (100_000, 20_261_206)
    k = result.p * (result.n_tables + 1) - 1
    assert k == pytest.approx(round(k), abs=1e-6) and 0 <= round(k) <= result.n_tables
    for ref, sources in ((p_exact, 1), (p_r_mc, 2)):
        if ref is not None:
            se = math.sqrt(sources * ref * (1 - ref) / result.n_tables)
            assert abs(result.p - ref) <= 4 * se
    assert compare_groups(rows) == result


def test_monte_carlo_label_names_tables_and_seed():
    """The footnote name says Monte Carlo, the number of tables and the seed."""
    label = GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO.label
    assert label == "Monte Carlo Fisher-Freeman-Halton test (100,000 random tables, seed 20261206)"
    assert "simulate.p.value=TRUE, B=100000" in (
        GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO.r_equivalent
    )


def test_fallback_rule_is_monotone_in_the_budget():
    """Shrinking the budget switches the exact test to Monte Carlo, never back.

    R: fisher.test(rbind(c(10,12,8), c(7,15,9), c(4,6,13)))$p.value  # 0.16519531259189249
    (relative 1e-9 whenever the exact test runs; Monte Carlo within 4 standard errors).
    """
    m = FISHER_TABLES["3x3_b"][0]
    exact = GroupTestMethod.FISHER_FREEMAN_HALTON
    methods = []
    for budget in (10, 10**2, 10**3, 10**4, 10**5, 10**6, 10**7):
        result = compare_groups(m, max_work=budget)
        methods.append(result.method)
        if result.method is exact:
            assert result.p == pytest.approx(0.16519531259189249, rel=1e-9, abs=0)
        else:
            assert abs(result.p - 0.16519531259189249) <= 4 * math.sqrt(0.165 * 0.835 / 1e5)
    assert methods[0] is GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO
    assert methods[-1] is exact
    first_exact = methods.index(exact)
    assert all(m is exact for m in methods[first_exact:])


def test_group_test_method_codes_are_the_cli_contract():
    """The codes and labels the CLI and the pages show."""
    assert GroupTestMethod.codes() == [
        "fisher-2x2",
        "fisher-freeman-halton",
        "fisher-freeman-halton-monte-carlo",
        "chi-square",
    ]
    assert GroupTestMethod.FISHER_FREEMAN_HALTON.label == "Fisher-Freeman-Halton exact test"


def _brute_force_fisher_p(m: np.ndarray) -> float:
    """Sum of the probabilities of all tables with m's margins that are <= P(m).

    Plain enumeration of every table; "<=" has R FEXACT's slack of 3.45254e-7 on the log scale.
    """
    rows = m.sum(axis=1)
    cols = m.sum(axis=0)
    n = int(m.sum())
    lf = [math.lgamma(i + 1) for i in range(n + 1)]
    const = sum(lf[v] for v in rows) + sum(lf[v] for v in cols) - lf[n]

    def log_p(t):
        return const - sum(lf[v] for v in t)

    def tables(row_left, col_idx):
        if col_idx == len(cols) - 1:
            yield [tuple(row_left)]
            return
        for first in itertools.product(*(range(r + 1) for r in row_left)):
            if sum(first) == cols[col_idx]:
                rest = [r - f for r, f in zip(row_left, first, strict=True)]
                for tail in tables(rest, col_idx + 1):
                    yield [first, *tail]

    obs = log_p(m.ravel().tolist())
    total = 0.0
    for columns in tables(list(rows), 0):
        cells = [v for col in columns for v in col]
        lp = log_p(cells)
        if lp <= obs + 3.45254e-7:
            total += math.exp(lp)
    return min(1.0, total)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.integers(min_value=2, max_value=3).flatmap(
        lambda r: st.integers(min_value=2, max_value=4).flatmap(
            lambda c: st.lists(
                st.lists(st.integers(0, 4), min_size=c, max_size=c), min_size=r, max_size=r
            )
        )
    )
)
def test_fisher_matches_brute_force_enumeration(rows):
    """Small random tables: the network algorithm equals plain enumeration (abs 1e-12)."""
    m = np.array(rows)
    m = m[m.sum(axis=1) > 0][:, m.sum(axis=0) > 0]
    if min(m.shape) < 2:
        return
    result = compare_groups(m)
    assert result.method in (GroupTestMethod.FISHER_2X2, GroupTestMethod.FISHER_FREEMAN_HALTON)
    assert result.p == pytest.approx(_brute_force_fisher_p(m), abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Response tables
# ---------------------------------------------------------------------------------------------


def test_domain_table_covers_every_domain():
    assert set(RESPONSE_DOMAINS) == set(ResponseDomain)
    imaging = RESPONSE_DOMAINS[ResponseDomain.IMAGING]
    assert imaging.column == "imaging_response"
    assert imaging.codes == ("CR", "PR", "SD", "PD")
    assert {d.name: d.members for d in imaging.derived} == {
        "orr": ("CR", "PR"),
        "dcr": ("CR", "PR", "SD"),
    }
    assert RESPONSE_DOMAINS[ResponseDomain.SYMPTOMATIC].column == "symptomatic_response"
    assert RESPONSE_DOMAINS[ResponseDomain.BIOCHEMICAL].column == "biochem_response"
    for spec in RESPONSE_DOMAINS.values():
        assert NOT_EVALUABLE_CODE not in spec.codes
        assert set(spec.code_labels) == {*spec.codes, NOT_EVALUABLE_CODE}
        for d in spec.derived:
            assert set(d.members) <= set(spec.codes)


def _frame(column: str, counts: dict, seed: int) -> pd.DataFrame:
    """Patients with the given code counts (None = missing), shuffled with a fixed seed."""
    values: list = []
    for code, k in counts.items():
        values += [code] * k
    return _shuffle(pd.DataFrame({column: pd.Series(values, dtype=object)}), seed)


SEED_IMAGING = {"CR": 3, "PR": 22, "SD": 75, "PD": 25, "NE": 80, None: 6}


def test_seed_imaging_table_evaluable_denominator():
    """Seed paper: CR 3, PR 22, SD 75, PD 25 of 125 evaluable; 86 of 211 NE or missing.

    Percentages 2.4/17.6/60/20 (rounded 2/18/60/20); ORR 25/125, DCR 100/125. CIs are
    100 * binom.test(x, 125)$conf.int for x in 3, 22, 75, 25 (ORR), 100 (DCR) and
    100 * binom.test(86, 211)$conf.int; tolerance 1e-8 in percent.
    """
    table = response_table(_frame("imaging_response", SEED_IMAGING, seed=1), "imaging")
    assert table.test is None and table.by is None
    (g,) = table.groups
    assert g is table.overall and g.label == OVERALL_LABEL
    assert (g.n, g.n_evaluable, g.n_not_evaluable, g.n_missing) == (211, 125, 80, 6)
    assert g.n_not_evaluable_or_missing == 86
    assert list(g.categories) == ["CR", "PR", "SD", "PD"]
    assert [g.categories[c].n for c in g.categories] == [3, 22, 75, 25]
    assert all(p.denominator == 125 for p in g.categories.values())
    pcts = [g.categories[c].pct for c in g.categories]
    assert pcts == pytest.approx([2.4, 17.6, 60.0, 20.0], abs=1e-12)
    assert [round(p) for p in pcts] == [2, 18, 60, 20]
    ref = {
        "CR": (0.49769897490534436, 6.8536316110670015),
        "PR": (11.3709035494215, 25.425157980486646),
        "SD": (50.85924317857623, 68.655583040996482),
        "PD": (13.380921465387588, 28.092159309524145),
    }
    for code, (lo, hi) in ref.items():
        assert g.categories[code].lower == pytest.approx(lo, abs=1e-8)
        assert g.categories[code].upper == pytest.approx(hi, abs=1e-8)
    orr, dcr = g.derived["orr"], g.derived["dcr"]
    assert (orr.n, orr.denominator, dcr.n, dcr.denominator) == (25, 125, 100, 125)
    assert (orr.pct, dcr.pct) == pytest.approx((20.0, 80.0), abs=1e-12)
    assert (orr.lower, orr.upper) == pytest.approx(
        (13.380921465387588, 28.092159309524145), abs=1e-8
    )
    assert (dcr.lower, dcr.upper) == pytest.approx(
        (71.907840690475855, 86.619078534612415), abs=1e-8
    )
    ne = g.not_evaluable_or_missing
    assert (ne.n, ne.denominator) == (86, 211)
    assert (ne.lower, ne.upper) == pytest.approx((34.063242884842471, 47.716826415542846), abs=1e-8)


def test_seed_imaging_table_all_treated_denominator():
    """Denominator all treated: 125 -> 211.

    R: 100 * binom.test(x, 211)$conf.int for x = 3, 22, 75, 25 (PD and ORR), 100 (DCR);
    tolerance 1e-8 in percent.
    """
    table = response_table(
        _frame("imaging_response", SEED_IMAGING, seed=2), ResponseDomain.IMAGING, Denominator.ALL
    )
    g = table.overall
    assert table.denominator is Denominator.ALL
    assert g.n_evaluable == 125
    assert all(p.denominator == 211 for p in [*g.categories.values(), *g.derived.values()])
    ref = {
        "CR": (3, 0.29417479954069285, 4.0986569736325529),
        "PR": (22, 6.6504977032309703, 15.359772676772299),
        "SD": (75, 29.094301409743911, 42.408329915145415),
        "PD": (25, 7.8162829358572633, 16.992071444782031),
    }
    for code, (x, lo, hi) in ref.items():
        p = g.categories[code]
        assert p.pct == pytest.approx(100 * x / 211, abs=1e-12)
        assert (p.lower, p.upper) == pytest.approx((lo, hi), abs=1e-8)
    orr, dcr = g.derived["orr"], g.derived["dcr"]
    assert (orr.lower, orr.upper) == pytest.approx(
        (7.8162829358572633, 16.992071444782031), abs=1e-8
    )
    assert (dcr.lower, dcr.upper) == pytest.approx(
        (40.497905168060355, 54.363089152981203), abs=1e-8
    )


def test_ci_method_reaches_every_rate():
    """Wilson: ORR 25/125 and DCR 100/125 as 100 * prop.test(x, 125, correct=FALSE)$conf.int.

    Tolerance 1e-8 in percent.
    """
    table = response_table(_frame("imaging_response", SEED_IMAGING, seed=3), "imaging", ci="wilson")
    orr, dcr = table.overall.derived["orr"], table.overall.derived["dcr"]
    assert table.ci_method is WILSON and orr.method is WILSON
    assert (orr.lower, orr.upper) == pytest.approx(
        (13.929930824520928, 27.85899279797866), abs=1e-8
    )
    assert (dcr.lower, dcr.upper) == pytest.approx(
        (72.141007202021346, 86.07006917547908), abs=1e-8
    )


def _grouped_frame() -> pd.DataFrame:
    """Group A: CR 2, PR 15, SD 40, PD 10, NE 40; B: CR 1, PR 7, SD 35, PD 15, NE 40, 6
    missing; C: 5 NE; plus 4 patients with a missing group (SD 2, NE 2)."""
    parts = [
        ("A", {"CR": 2, "PR": 15, "SD": 40, "PD": 10, "NE": 40}),
        ("B", {"CR": 1, "PR": 7, "SD": 35, "PD": 15, "NE": 40, None: 6}),
        ("C", {"NE": 5}),
        (None, {"SD": 2, "NE": 2}),
    ]
    values: list = []
    groups: list = []
    for label, counts in parts:
        for code, k in counts.items():
            values += [code] * k
            groups += [label] * k
    return _shuffle(pd.DataFrame({"imaging_response": values, "arm": groups}), seed=4)


def _shuffle(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


def test_grouped_table_and_test():
    """Groups A, B (evaluable) and C (all NE); the test compares A and B only.

    R: fisher.test(rbind(c(2,15,40,10), c(1,7,35,15)))$p.value  # 0.26479489910599202, abs 1e-9
       100 * binom.test(x, 67)$conf.int for x = 2, 15, 40, 10, 17 (ORR A), 57 (DCR A); abs 1e-8
    """
    table = response_table(_grouped_frame(), ResponseDomain.IMAGING, by="arm")
    assert [g.label for g in table.groups] == ["A", "B", "C"]
    a, b, c = table.groups
    assert (a.n, a.n_evaluable, a.n_not_evaluable, a.n_missing) == (107, 67, 40, 0)
    assert (b.n, b.n_evaluable, b.n_not_evaluable, b.n_missing) == (104, 58, 40, 6)
    assert (c.n, c.n_evaluable) == (5, 0)
    assert all(p.pct is None and p.lower is None for p in c.categories.values())
    assert c.derived["orr"].pct is None
    assert table.n_by_missing == 4
    assert table.overall.n == 107 + 104 + 5 + 4
    assert table.overall.n_evaluable == 67 + 58 + 2
    assert table.test is not None
    assert table.test.method is GroupTestMethod.FISHER_FREEMAN_HALTON
    assert table.test.p == pytest.approx(0.26479489910599202, abs=1e-9)
    ref_a = {
        "CR": (0.3635730726904398, 10.370750764755465),
        "PR": (13.105934585359075, 34.223284654433384),
        "SD": (47.004134578802886, 71.512610437581847),
        "PD": (7.3964684842450959, 25.740245260777805),
    }
    for code, (lo, hi) in ref_a.items():
        assert (a.categories[code].lower, a.categories[code].upper) == pytest.approx(
            (lo, hi), abs=1e-8
        )
    assert (a.derived["orr"].lower, a.derived["orr"].upper) == pytest.approx(
        (15.528488716525965, 37.487266761642857), abs=1e-8
    )
    assert (a.derived["dcr"].lower, a.derived["dcr"].upper) == pytest.approx(
        (74.259754739222195, 92.6035315157549), abs=1e-8
    )


def test_categorical_group_order_is_kept():
    df = _grouped_frame().dropna(subset=["arm"])
    df["arm"] = pd.Categorical(df["arm"], categories=["C", "B", "Z", "A"])
    table = response_table(df, "imaging", by="arm")
    assert [g.label for g in table.groups] == ["C", "B", "A"]  # unobserved Z left out


@pytest.mark.parametrize(
    "counts_by_group",
    [
        {"A": {"CR": 1, "SD": 4}},  # one group
        {"A": {"CR": 1, "SD": 4}, "B": {"NE": 3, None: 2}},  # only one group evaluable
    ],
)
def test_no_test_without_two_evaluable_groups(counts_by_group):
    values: list = []
    arms: list = []
    for arm, counts in counts_by_group.items():
        for code, k in counts.items():
            values += [code] * k
            arms += [arm] * k
    df = pd.DataFrame({"imaging_response": values, "arm": arms})
    table = response_table(df, "imaging", by="arm")
    assert table.test is None
    assert to_json_dict(table)["test"] is None


def test_empty_selection():
    """No patients: zero counts, rates and CIs None, no test; the JSON carries nulls."""
    df = pd.DataFrame({"imaging_response": pd.Series([], dtype=object), "arm": []})
    table = response_table(df, "imaging")
    g = table.overall
    assert (g.n, g.n_evaluable, g.n_not_evaluable, g.n_missing) == (0, 0, 0, 0)
    assert all(p.n == 0 and p.pct is None and p.upper is None for p in g.categories.values())
    assert g.derived["orr"].pct is None
    out = to_json_dict(table)
    assert out["groups"][0]["categories"]["CR"] == {"n": 0, "pct": None, "ci": [None, None]}
    assert out["groups"][0]["orr"] == {"n": 0, "pct": None, "ci": [None, None]}
    grouped = response_table(df, "imaging", by="arm")
    assert grouped.groups == () and grouped.test is None and grouped.overall.n == 0


def test_all_not_evaluable_gives_none_rates_even_with_denominator_all():
    """With denominator all the rates exist (0 of n); with evaluable they are None."""
    df = pd.DataFrame({"imaging_response": ["NE", None, "NE"]})
    evaluable = response_table(df, "imaging").overall
    assert evaluable.categories["CR"].pct is None
    every = response_table(df, "imaging", denominator="all").overall
    assert every.categories["CR"].pct == 0.0 and every.categories["CR"].denominator == 3


@pytest.mark.parametrize("bad", ["cr", "ORR", "progressive"])
def test_unknown_codes_are_rejected(bad):
    df = pd.DataFrame({"imaging_response": ["CR", bad, "NE"]})
    with pytest.raises(ValueError, match="allowed: CR, PR, SD, PD, NE"):
        response_table(df, "imaging")


def test_missing_columns_are_reported():
    with pytest.raises(ValueError, match="imaging_response"):
        response_table(pd.DataFrame({"x": [1]}), "imaging")
    with pytest.raises(ValueError, match="arm"):
        response_table(pd.DataFrame({"imaging_response": ["CR"]}), "imaging", by="arm")


def test_symptomatic_and_biochemical_domains():
    """Derived rates per domain; in the JSON orr/dcr are null outside imaging."""
    sym = _frame("symptomatic_response", {"improved": 21, "stable": 30, "worse": 11, "NE": 5}, 5)
    table = response_table(sym, ResponseDomain.SYMPTOMATIC)
    g = table.overall
    assert list(g.categories) == ["improved", "stable", "worse"]
    assert list(g.derived) == ["improved"]
    assert (g.derived["improved"].n, g.derived["improved"].denominator) == (21, 62)
    out = to_json_dict(table)
    assert out["groups"][0]["orr"] is None and out["groups"][0]["dcr"] is None

    bio = _frame("biochem_response", {"response": 4, "stable": 9, "progression": 7, None: 3}, 6)
    g = response_table(bio, "biochemical").overall
    assert list(g.derived) == ["response", "response_or_stable"]
    assert (g.derived["response"].n, g.derived["response_or_stable"].n) == (4, 13)
    assert g.derived["response_or_stable"].denominator == 20
    assert (g.n_not_evaluable, g.n_missing) == (0, 3)


def test_json_shape():
    """Exactly the CLI's keys; percentages 0..100; codes from the enums."""
    table = response_table(_grouped_frame(), "imaging", by="arm")
    out = to_json_dict(table)
    assert set(out) == {"domain", "ci_method", "groups", "test"}
    assert out["domain"] == ResponseDomain.IMAGING.value
    assert out["ci_method"] == CP.value
    assert out["test"] == {
        "method": GroupTestMethod.FISHER_FREEMAN_HALTON.value,
        "p": pytest.approx(0.26479489910599202, abs=1e-9),
    }
    a = out["groups"][0]
    assert set(a) == {"label", "n", "n_evaluable", "categories", "orr", "dcr"}
    assert (a["label"], a["n"], a["n_evaluable"]) == ("A", 107, 67)
    assert list(a["categories"]) == ["CR", "PR", "SD", "PD"]
    assert set(a["categories"]["SD"]) == {"n", "pct", "ci"}
    assert a["categories"]["SD"]["n"] == 40
    assert a["categories"]["SD"]["pct"] == pytest.approx(100 * 40 / 67, abs=1e-12)
    assert a["orr"]["n"] == 17 and a["dcr"]["n"] == 57
    assert a["orr"]["ci"] == pytest.approx([15.528488716525965, 37.487266761642857], abs=1e-8)
    assert [g["label"] for g in out["groups"]] == ["A", "B", "C"]


# ---------------------------------------------------------------------------------------------
# Adverse events
# ---------------------------------------------------------------------------------------------


def _ae_frame() -> pd.DataFrame:
    """Events of 9 patients among 20 treated.

    Nausea: p1 grade 1 and 2, p2 1, p3 1 and 3, p4 1 -> 4 patients (6 events), 1 (p3, worst
    grade 3) at grade >= 3.
    Fatigue: p2 1, p7 2, p8 1, p9 1 -> 4 patients, none at grade >= 3.
    Thrombocytopenia: p1 3 and 4, p5 2, p6 4 -> 3 patients, 2 at grade >= 3.
    Leukopenia: p3 2 twice -> 1 patient.
    """
    rows = [
        (1, "Nausea", 1),
        (1, "Nausea", 2),
        (2, "Nausea", 1),
        (3, "Nausea", 3),
        (3, "Nausea", 1),
        (4, "Nausea", 1),
        (2, "Fatigue", 1),
        (7, "Fatigue", 2),
        (8, "Fatigue", 1),
        (9, "Fatigue", 1),
        (1, "Thrombocytopenia", 3),
        (1, "Thrombocytopenia", 4),
        (5, "Thrombocytopenia", 2),
        (6, "Thrombocytopenia", 4),
        (3, "Leukopenia", 2),
        (3, "Leukopenia", 2),
    ]
    df = pd.DataFrame(rows, columns=["patient_id", "term", "ctcae_grade"])
    return _shuffle(df, seed=7)


def test_adverse_events_count_patients_once_at_worst_grade():
    """Patients (not events) per term, worst grade, denominator 20 treated.

    R: 100 * binom.test(x, 20)$conf.int for x = 0..4; tolerance 1e-8 in percent.
    """
    ci_20 = {
        0: (0.0, 16.843347098308536),
        1: (0.12650894979498051, 24.873276277202772),
        2: (1.2348527170294814, 31.698271401908229),
        3: (3.2070937185463728, 37.892682654531396),
        4: (5.7333997050032788, 43.66140029966683),
    }
    rows = adverse_event_table(_ae_frame(), n_patients=20)
    got = [(r.term, r.any_grade.n, r.grade3plus.n) for r in rows]
    assert got == [
        ("Nausea", 4, 1),
        ("Fatigue", 4, 0),
        ("Thrombocytopenia", 3, 2),
        ("Leukopenia", 1, 0),
    ]
    for r in rows:
        for p in (r.any_grade, r.grade3plus):
            assert p.denominator == 20
            assert p.pct == pytest.approx(100 * p.n / 20, abs=1e-12)
            assert (p.lower, p.upper) == pytest.approx(ci_20[p.n], abs=1e-8)


def test_adverse_events_edge_cases():
    empty = pd.DataFrame(columns=["patient_id", "term", "ctcae_grade"])
    assert adverse_event_table(empty, n_patients=0) == []
    assert adverse_event_table(empty, n_patients=12) == []
    with pytest.raises(ValueError, match="n_patients"):
        adverse_event_table(_ae_frame(), n_patients=8)  # 9 patients have events
    for bad_grade in (0, 6, 2.5, None):
        bad = pd.DataFrame({"patient_id": [1], "term": ["Nausea"], "ctcae_grade": [bad_grade]})
        with pytest.raises(ValueError, match="1..5"):
            adverse_event_table(bad, n_patients=5)
    with pytest.raises(ValueError, match="ctcae_grade"):
        adverse_event_table(pd.DataFrame({"patient_id": [1], "term": ["x"]}), n_patients=5)
