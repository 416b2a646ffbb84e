"""Response rates, their confidence intervals, group comparisons and adverse-event tables.

Everything here is pure Python (numpy, scipy, pandas); nothing imports streamlit.

Conventions
-----------
* Proportions are computed on 0..1 by :func:`binomial_ci`; the dataclasses handed to pages and
  the CLI (:class:`Proportion`) carry percentages 0..100.
* A patient whose response is coded ``NE`` (not evaluable) or is missing (null) is not
  evaluable. The two counts are kept separately (``n_not_evaluable``, ``n_missing``) and are
  reported together as "not evaluable/missing".
* Denominator :attr:`Denominator.EVALUABLE` (default) divides by the evaluable patients of the
  group; :attr:`Denominator.ALL` divides by all treated patients of the group.
* Group comparisons use Fisher's exact test (2 x 2) or the Fisher-Freeman-Halton exact test
  (r x c, network algorithm, :mod:`core.stats.fisher`); when the exact computation would exceed
  its stated work budget, the Fisher-Freeman-Halton p-value is estimated by Monte Carlo from a
  stated number of random tables and seed. The method actually used is always named in the
  result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from core.stats.fisher import (
    EXACT_WORK_LIMIT,
    MONTE_CARLO_SEED,
    MONTE_CARLO_TABLES,
    fisher_freeman_halton,
)
from core.vocab.methods import BinomialCI, Denominator, ResponseDomain, _Labelled

# ---------------------------------------------------------------------------------------------
# Domain table
# ---------------------------------------------------------------------------------------------

NOT_EVALUABLE_CODE = "NE"
"""Code for "not evaluable" in every response domain."""

NOT_EVALUABLE_LABEL = "Not evaluable"
MISSING_LABEL = "Missing"
NOT_EVALUABLE_OR_MISSING_LABEL = "Not evaluable/missing"
OVERALL_LABEL = "All"


@dataclass(frozen=True, slots=True)
class DerivedRate:
    """A rate defined as the union of several response codes (e.g. ORR = CR + PR)."""

    name: str
    label: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """How one response domain is stored and summarised.

    ``codes`` are the evaluable codes in display order; ``NOT_EVALUABLE_CODE`` and nulls are
    the non-evaluable values.
    """

    column: str
    codes: tuple[str, ...]
    code_labels: Mapping[str, str]
    derived: tuple[DerivedRate, ...]

    @property
    def allowed_values(self) -> tuple[str, ...]:
        return (*self.codes, NOT_EVALUABLE_CODE)


RESPONSE_DOMAINS: Mapping[ResponseDomain, DomainSpec] = MappingProxyType(
    {
        ResponseDomain.IMAGING: DomainSpec(
            column="imaging_response",
            codes=("CR", "PR", "SD", "PD"),
            code_labels=MappingProxyType(
                {
                    "CR": "Complete response",
                    "PR": "Partial response",
                    "SD": "Stable disease",
                    "PD": "Progressive disease",
                    NOT_EVALUABLE_CODE: NOT_EVALUABLE_LABEL,
                }
            ),
            derived=(
                DerivedRate("orr", "Objective response rate (CR + PR)", ("CR", "PR")),
                DerivedRate("dcr", "Disease control rate (CR + PR + SD)", ("CR", "PR", "SD")),
            ),
        ),
        ResponseDomain.SYMPTOMATIC: DomainSpec(
            column="symptomatic_response",
            codes=("improved", "stable", "worse"),
            code_labels=MappingProxyType(
                {
                    "improved": "Improved",
                    "stable": "Stable",
                    "worse": "Worse",
                    NOT_EVALUABLE_CODE: NOT_EVALUABLE_LABEL,
                }
            ),
            derived=(DerivedRate("improved", "Symptomatic improvement", ("improved",)),),
        ),
        ResponseDomain.BIOCHEMICAL: DomainSpec(
            column="biochem_response",
            codes=("response", "stable", "progression"),
            code_labels=MappingProxyType(
                {
                    "response": "Response",
                    "stable": "Stable",
                    "progression": "Progression",
                    NOT_EVALUABLE_CODE: NOT_EVALUABLE_LABEL,
                }
            ),
            derived=(
                DerivedRate("response", "Biochemical response", ("response",)),
                DerivedRate(
                    "response_or_stable", "Biochemical response or stable", ("response", "stable")
                ),
            ),
        ),
    }
)
"""Domain -> column, ordered evaluable codes, code labels, derived rates. The single source."""


# ---------------------------------------------------------------------------------------------
# Binomial confidence intervals
# ---------------------------------------------------------------------------------------------


def _check_conf_level(conf_level: float) -> float:
    conf_level = float(conf_level)
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be strictly between 0 and 1, got {conf_level}")
    return conf_level


def _as_counts(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be integer counts, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must be whole numbers")
        arr = arr.astype(np.int64)
    return arr.astype(np.int64)


def binomial_ci_many(
    x: Any,
    n: Any,
    method: BinomialCI | str = BinomialCI.CLOPPER_PEARSON,
    conf_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided confidence intervals for many binomial proportions at once.

    Vectorised form of :func:`binomial_ci`; ``x`` and ``n`` broadcast against each other.

    Parameters
    ----------
    x, n : array_like of int
        Successes and trials, ``0 <= x <= n`` and ``n >= 1``.
    method : BinomialCI
        ``CLOPPER_PEARSON``, ``WILSON`` or ``JEFFREYS`` (see :func:`binomial_ci`).
    conf_level : float
        Confidence level, default 0.95.

    Returns
    -------
    (lower, upper) : tuple of numpy.ndarray
        Limits on the 0..1 scale, shaped like ``broadcast(x, n)``.

    Raises
    ------
    ValueError
        If any ``n`` is 0, any ``x`` is outside ``0..n``, or ``conf_level`` is not in (0, 1).
    """
    method = BinomialCI.parse(method)
    conf_level = _check_conf_level(conf_level)
    xa, na = np.broadcast_arrays(_as_counts(x, "x"), _as_counts(n, "n"))
    if np.any(na == 0):
        raise ValueError(
            "binomial confidence interval needs n >= 1 trials; got n = 0 "
            "(no patients in the denominator)"
        )
    if np.any(na < 0) or np.any(xa < 0) or np.any(xa > na):
        raise ValueError("binomial confidence interval needs 0 <= x <= n")
    alpha = 1.0 - conf_level
    xf = xa.astype(float)
    nf = na.astype(float)
    at_zero = xa == 0
    at_n = xa == na

    if method is BinomialCI.CLOPPER_PEARSON:
        # R binom.test: qbeta(alpha/2, x, n-x+1), qbeta(1-alpha/2, x+1, n-x); 0 / 1 at the edges.
        with np.errstate(invalid="ignore", divide="ignore"):
            lower = stats.beta.ppf(alpha / 2, np.where(at_zero, 1.0, xf), nf - xf + 1)
            upper = stats.beta.ppf(1 - alpha / 2, xf + 1, np.where(at_n, 1.0, nf - xf))
        lower = np.where(at_zero, 0.0, lower)
        upper = np.where(at_n, 1.0, upper)
    elif method is BinomialCI.WILSON:
        # R prop.test(x, n, correct=FALSE)$conf.int, same arithmetic, 0 / 1 at the edges.
        z = stats.norm.ppf((1 + conf_level) / 2)
        p = xf / nf
        z22n = z * z / (2 * nf)
        half = z * np.sqrt(p * (1 - p) / nf + z22n / (2 * nf))
        lower = np.where(at_zero, 0.0, (p + z22n - half) / (1 + 2 * z22n))
        upper = np.where(at_n, 1.0, (p + z22n + half) / (1 + 2 * z22n))
    elif method is BinomialCI.JEFFREYS:
        # Equal-tailed Beta(x+1/2, n-x+1/2) quantiles; Brown, Cai & DasGupta (2001) boundary
        # convention: lower = 0 when x = 0 and upper = 1 when x = n (the other limit unchanged).
        lower = stats.beta.ppf(alpha / 2, xf + 0.5, nf - xf + 0.5)
        upper = stats.beta.ppf(1 - alpha / 2, xf + 0.5, nf - xf + 0.5)
        lower = np.where(at_zero, 0.0, lower)
        upper = np.where(at_n, 1.0, upper)
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unsupported method {method!r}")
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def binomial_ci(
    x: int,
    n: int,
    method: BinomialCI | str = BinomialCI.CLOPPER_PEARSON,
    conf_level: float = 0.95,
) -> tuple[float, float]:
    """Two-sided confidence interval for a binomial proportion ``x / n`` (0..1 scale).

    Methods
    -------
    ``CLOPPER_PEARSON``
        Exact interval from beta quantiles: ``qbeta(a/2, x, n-x+1)``, ``qbeta(1-a/2, x+1, n-x)``
        with lower = 0 at x = 0 and upper = 1 at x = n. R: ``binom.test(x, n)$conf.int``.
    ``WILSON``
        Wilson score interval without continuity correction.
        R: ``prop.test(x, n, correct=FALSE)$conf.int`` (= ``binom::binom.confint(x, n,
        methods="wilson")``); like R, exactly 0 at x = 0 and exactly 1 at x = n.
    ``JEFFREYS``
        Equal-tailed Jeffreys interval ``qbeta(c(a/2, 1-a/2), x+0.5, n-x+0.5)``, with the
        Brown-Cai-DasGupta (2001) boundary convention: lower = 0 when x = 0 and upper = 1 when
        x = n; the opposite limit stays the equal-tailed beta quantile. Equal to
        ``binom::binom.bayes(x, n, type="central")`` except at x = 0 and x = n, where binom
        uses the one-sided quantile ``qbeta(1 - a, ...)`` for the finite limit.

    Parameters
    ----------
    x, n : int
        Successes and trials, ``0 <= x <= n``.
    method : BinomialCI
        Interval method (default Clopper-Pearson).
    conf_level : float
        Confidence level, default 0.95.

    Returns
    -------
    (lower, upper) : tuple of float

    Raises
    ------
    ValueError
        If ``n == 0`` (a proportion of nobody has no interval) or ``x`` is outside ``0..n``.
    """
    lower, upper = binomial_ci_many(np.asarray([x]), np.asarray([n]), method, conf_level)
    return float(lower[0]), float(upper[0])


@dataclass(frozen=True, slots=True)
class Proportion:
    """A count over a denominator with its percentage and confidence interval (0..100).

    ``pct``, ``lower`` and ``upper`` are None when ``denominator`` is 0.
    """

    n: int
    denominator: int
    pct: float | None
    lower: float | None
    upper: float | None
    method: BinomialCI
    conf_level: float = 0.95


def proportion(
    x: int,
    n: int,
    method: BinomialCI | str = BinomialCI.CLOPPER_PEARSON,
    conf_level: float = 0.95,
) -> Proportion:
    """``x`` of ``n`` as a :class:`Proportion` with a ``method`` confidence interval in percent.

    Unlike :func:`binomial_ci`, ``n = 0`` does not raise: the result has ``pct``, ``lower`` and
    ``upper`` set to None (an empty group has no rate). The interval is
    ``100 * binomial_ci(x, n, method, conf_level)``; see that function for the R equivalents.
    """
    method = BinomialCI.parse(method)
    conf_level = _check_conf_level(conf_level)
    x = int(x)
    n = int(n)
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"proportion needs 0 <= x <= n, got x={x}, n={n}")
    if n == 0:
        return Proportion(x, n, None, None, None, method, conf_level)
    lower, upper = binomial_ci(x, n, method, conf_level)
    return Proportion(x, n, 100.0 * x / n, 100.0 * lower, 100.0 * upper, method, conf_level)


# ---------------------------------------------------------------------------------------------
# Group comparison: Fisher / Fisher-Freeman-Halton (exact or Monte Carlo)
# ---------------------------------------------------------------------------------------------


class GroupTestMethod(_Labelled):
    """Test comparing the distribution of response categories across groups.

    The label is what footnotes and paragraphs show, so the Monte Carlo label states its
    number of tables and seed (those of :func:`compare_groups`, which always uses them).
    """

    FISHER_2X2 = ("fisher-2x2", "Fisher's exact test", "fisher.test(m)$p.value")
    FISHER_FREEMAN_HALTON = (
        "fisher-freeman-halton",
        "Fisher-Freeman-Halton exact test",
        "fisher.test(m)$p.value",
    )
    FISHER_FREEMAN_HALTON_MONTE_CARLO = (
        "fisher-freeman-halton-monte-carlo",
        f"Monte Carlo Fisher-Freeman-Halton test ({MONTE_CARLO_TABLES:,} random tables, "
        f"seed {MONTE_CARLO_SEED})",
        f"fisher.test(m, simulate.p.value=TRUE, B={MONTE_CARLO_TABLES})$p.value",
    )
    CHI_SQUARE = (
        "chi-square",
        "Pearson's chi-square test (exact test too large)",
        "chisq.test(m, correct=FALSE)$p.value",
    )
    """No longer produced by :func:`compare_groups` (replaced by the Monte Carlo test); kept
    so that code naming it keeps working until it is removed there."""


@dataclass(frozen=True, slots=True)
class GroupTest:
    """Result of :func:`compare_groups`. ``statistic`` and ``df`` are None for these tests;
    ``n_tables`` and ``seed`` are set for the Monte Carlo p-value only."""

    method: GroupTestMethod
    statistic: float | None
    df: int | None
    p: float
    n_tables: int | None = None
    seed: int | None = None


_FISHER_2X2_REL_TOL = 1 + 1e-7
"""R fisher.test (2 x 2): tables with probability <= observed * (1 + 1e-7) count."""


def _drop_empty_margins(table: np.ndarray) -> np.ndarray:
    return table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]


def _as_table(table: Any) -> np.ndarray:
    t = np.asarray(table)
    if t.ndim != 2:
        raise ValueError(f"contingency table must be 2-D, got shape {t.shape}")
    t = _as_counts(t, "table")
    if np.any(t < 0):
        raise ValueError("contingency table entries must be non-negative")
    return t


def _fisher_2x2_p(t: np.ndarray) -> float:
    """Two-sided Fisher p for a 2 x 2 table, as R fisher.test (hypergeometric on cell [1,1])."""
    a = int(t[0, 0])
    m = int(t[0].sum())  # first row total
    k = int(t[:, 0].sum())  # first column total
    total = int(t.sum())
    lo = max(0, k - (total - m))
    hi = min(k, m)
    support = np.arange(lo, hi + 1)
    logd = stats.hypergeom.logpmf(support, total, m, k)
    d = np.exp(logd - logd.max())
    d /= d.sum()
    observed = d[a - lo]
    return float(min(1.0, d[d <= observed * _FISHER_2X2_REL_TOL].sum()))


def compare_groups(table: Any, max_work: int = EXACT_WORK_LIMIT) -> GroupTest:
    """Test whether the column distribution differs between the rows of a contingency table.

    Rows and columns whose total is zero are dropped first. Then:

    * 2 x 2: Fisher's exact test, two-sided, as R ``fisher.test(m)$p.value``: the sum of the
      hypergeometric probabilities that are <= the observed one times ``1 + 1e-7``.
    * larger tables: the Fisher-Freeman-Halton exact test, as R ``fisher.test(m)$p.value``
      (FEXACT: tables with ``-sum log n_ij! <=`` the observed value ``+ 3.45254e-7``), by
      the network algorithm of :func:`core.stats.fisher.fisher_exact_p`.
    * Fallback rule: the exact computation counts its work (arcs of the network and partial
      tables extended, see :mod:`core.stats.fisher`) and stops as soon as the count would
      exceed ``max_work`` (default :data:`core.stats.fisher.EXACT_WORK_LIMIT`, 2 x 10^7: about
      1-2 s at most). The p-value is then the Monte Carlo Fisher-Freeman-Halton p-value from
      :data:`~core.stats.fisher.MONTE_CARLO_TABLES` (10^5) random tables with seed
      :data:`~core.stats.fisher.MONTE_CARLO_SEED`, ``(1 + #{tables at most as probable}) /
      (B + 1)`` as R ``fisher.test(m, simulate.p.value=TRUE, B=1e5)`` (method
      ``FISHER_FREEMAN_HALTON_MONTE_CARLO``, whose label names B and the seed). The count
      depends only on the table, never on timing, so a table always gets the same test. For
      scale: the 13 x 4 imaging-response-by-site table of 125 patients, 3 x 3 with 200, 5 x 4
      with 110, 4 x 5 with 90 and 2 x 5 with 600 patients are exact (each in about a second
      or less); 4 x 4 with 211 and 6 x 5 with 796 patients fall back to Monte Carlo.

    If fewer than two non-empty rows or columns remain, only one table has these margins and
    the exact p-value is 1 (R's fisher.test refuses such tables); the method is then Fisher's
    exact test (2 x 2 input) or Fisher-Freeman-Halton.

    Parameters
    ----------
    table : 2-D array_like of int
        Counts, groups in rows and categories in columns.
    max_work : int
        Work budget of the exact r x c computation (see the fallback rule).

    Returns
    -------
    GroupTest

    Raises
    ------
    ValueError
        If the table is not 2-D, has negative or non-integer entries, or sums to 0.
    """
    t = _as_table(table)
    if t.sum() == 0:
        raise ValueError("cannot compare groups: the contingency table is empty (all zero)")
    original_2x2 = t.shape == (2, 2)
    t = _drop_empty_margins(t)
    if min(t.shape) < 2:
        method = (
            GroupTestMethod.FISHER_2X2 if original_2x2 else GroupTestMethod.FISHER_FREEMAN_HALTON
        )
        return GroupTest(method, None, None, 1.0)
    if t.shape == (2, 2):
        return GroupTest(GroupTestMethod.FISHER_2X2, None, None, _fisher_2x2_p(t))
    result = fisher_freeman_halton(t, max_work, MONTE_CARLO_TABLES, MONTE_CARLO_SEED)
    if result.exact:
        return GroupTest(GroupTestMethod.FISHER_FREEMAN_HALTON, None, None, result.p)
    return GroupTest(
        GroupTestMethod.FISHER_FREEMAN_HALTON_MONTE_CARLO,
        None,
        None,
        result.p,
        result.n_tables,
        result.seed,
    )


# ---------------------------------------------------------------------------------------------
# Response tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupResponse:
    """Response summary of one group of patients.

    ``n`` counts all patients of the group; ``n_evaluable + n_not_evaluable + n_missing == n``
    where ``n_not_evaluable`` counts the ``NE`` code and ``n_missing`` counts nulls.
    ``categories`` (evaluable codes only, in domain order) and ``derived`` use the table's
    denominator; ``not_evaluable_or_missing`` is always out of ``n``.
    """

    label: str
    n: int
    n_evaluable: int
    n_not_evaluable: int
    n_missing: int
    categories: Mapping[str, Proportion]
    derived: Mapping[str, Proportion]
    not_evaluable_or_missing: Proportion

    @property
    def n_not_evaluable_or_missing(self) -> int:
        return self.n_not_evaluable + self.n_missing


@dataclass(frozen=True, slots=True)
class ResponseTable:
    """Result of :func:`response_table`.

    ``groups`` holds one row per level of ``by`` (or a single "All" row when ``by`` is None);
    ``overall`` always covers every patient of the frame, including patients whose ``by``
    value is missing (``n_by_missing`` of them), who are in no group.
    """

    domain: ResponseDomain
    denominator: Denominator
    ci_method: BinomialCI
    conf_level: float
    by: str | None
    groups: tuple[GroupResponse, ...]
    overall: GroupResponse
    test: GroupTest | None
    n_by_missing: int = 0


def _summarise_group(
    label: str,
    values: pd.Series,
    spec: DomainSpec,
    denominator: Denominator,
    ci: BinomialCI,
    conf_level: float,
) -> tuple[GroupResponse, list[int]]:
    missing = values.isna()
    present = values[~missing]
    counts = {code: int((present == code).sum()) for code in spec.allowed_values}
    n = int(len(values))
    n_missing = int(missing.sum())
    n_ne = counts[NOT_EVALUABLE_CODE]
    n_eval = n - n_missing - n_ne
    denom = n_eval if denominator is Denominator.EVALUABLE else n
    categories = {code: proportion(counts[code], denom, ci, conf_level) for code in spec.codes}
    derived = {
        d.name: proportion(sum(counts[c] for c in d.members), denom, ci, conf_level)
        for d in spec.derived
    }
    group = GroupResponse(
        label=label,
        n=n,
        n_evaluable=n_eval,
        n_not_evaluable=n_ne,
        n_missing=n_missing,
        categories=MappingProxyType(categories),
        derived=MappingProxyType(derived),
        not_evaluable_or_missing=proportion(n_ne + n_missing, n, ci, conf_level),
    )
    return group, [counts[code] for code in spec.codes]


def _group_levels(col: pd.Series) -> list[Any]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        observed = set(col.dropna().unique())
        return [c for c in col.cat.categories if c in observed]
    levels = list(col.dropna().unique())
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)


def response_table(
    df: pd.DataFrame,
    domain: ResponseDomain | str,
    denominator: Denominator | str = Denominator.EVALUABLE,
    ci: BinomialCI | str = BinomialCI.CLOPPER_PEARSON,
    by: str | None = None,
    conf_level: float = 0.95,
) -> ResponseTable:
    """Response categories and derived rates of one domain, overall or by group.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient, holding the domain's column (``RESPONSE_DOMAINS[domain].column``)
        and the ``by`` column when given. Allowed values are the domain's codes, ``"NE"`` and
        null; anything else raises ValueError.
    domain : ResponseDomain
    denominator : Denominator
        ``EVALUABLE`` (default): rates over evaluable patients; ``ALL``: over all patients.
    ci : BinomialCI
        Confidence interval method for every rate (see :func:`binomial_ci`).
    by : str, optional
        Column to group by. Groups follow the category order of a categorical column and
        sorted order otherwise; patients with a missing ``by`` value are counted only in
        ``overall`` (and in ``n_by_missing``).
    conf_level : float
        Confidence level, default 0.95.

    Returns
    -------
    ResponseTable
        ``test`` compares the counts of the evaluable codes across the groups that have
        evaluable patients (:func:`compare_groups`); it is None without ``by``, or when fewer
        than two groups have evaluable patients. A group with no evaluable patients has
        proportions with ``pct``/``lower``/``upper`` None.
    """
    domain = ResponseDomain.parse(domain)
    denominator = Denominator.parse(denominator)
    ci = BinomialCI.parse(ci)
    conf_level = _check_conf_level(conf_level)
    spec = RESPONSE_DOMAINS[domain]
    if spec.column not in df.columns:
        raise ValueError(f"column {spec.column!r} for {domain.value} responses is not in the data")
    if by is not None and by not in df.columns:
        raise ValueError(f"grouping column {by!r} is not in the data")
    values = df[spec.column]
    present = values[values.notna()]
    unexpected = sorted({str(v) for v in present.unique()} - set(spec.allowed_values))
    if unexpected:
        allowed = ", ".join(spec.allowed_values)
        raise ValueError(
            f"unexpected {domain.value} response value(s) {', '.join(map(repr, unexpected))} "
            f"in column {spec.column!r}; allowed: {allowed} or missing"
        )
    # plain objects, so that categorical and string-dtype columns compare like str codes
    values = values.astype(object)

    overall, _ = _summarise_group(OVERALL_LABEL, values, spec, denominator, ci, conf_level)
    if by is None:
        return ResponseTable(domain, denominator, ci, conf_level, None, (overall,), overall, None)

    groups: list[GroupResponse] = []
    rows: list[list[int]] = []
    by_col = df[by]
    for level in _group_levels(by_col):
        mask = (by_col == level).to_numpy(dtype=bool)
        group, counts = _summarise_group(
            str(level), values[mask], spec, denominator, ci, conf_level
        )
        groups.append(group)
        if group.n_evaluable > 0:
            rows.append(counts)
    test = compare_groups(np.array(rows)) if len(rows) >= 2 else None
    return ResponseTable(
        domain,
        denominator,
        ci,
        conf_level,
        by,
        tuple(groups),
        overall,
        test,
        int(by_col.isna().sum()),
    )


def _proportion_json(p: Proportion | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"n": p.n, "pct": p.pct, "ci": [p.lower, p.upper]}


def to_json_dict(table: ResponseTable) -> dict[str, Any]:
    """The CLI's JSON shape of a :class:`ResponseTable` (percentages 0..100).

    ``{"domain", "ci_method", "groups": [{"label", "n", "n_evaluable", "categories":
    {CODE: {"n", "pct", "ci": [lo, hi]}}, "orr", "dcr"}], "test": {"method", "p"}}``;
    ``orr``/``dcr`` are null outside the imaging domain, ``test`` is null without a test, and
    ``pct``/``ci`` are null for a zero denominator. Codes are the enum values.
    """
    groups = []
    for g in table.groups:
        groups.append(
            {
                "label": g.label,
                "n": g.n,
                "n_evaluable": g.n_evaluable,
                "categories": {code: _proportion_json(p) for code, p in g.categories.items()},
                "orr": _proportion_json(g.derived.get("orr"))
                if table.domain is ResponseDomain.IMAGING
                else None,
                "dcr": _proportion_json(g.derived.get("dcr"))
                if table.domain is ResponseDomain.IMAGING
                else None,
            }
        )
    test = None if table.test is None else {"method": table.test.method.value, "p": table.test.p}
    return {
        "domain": table.domain.value,
        "ci_method": table.ci_method.value,
        "groups": groups,
        "test": test,
    }


# ---------------------------------------------------------------------------------------------
# Adverse events
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AERow:
    """Patients with an adverse-event term, at any grade and at CTCAE grade 3 or worse."""

    term: str
    any_grade: Proportion
    grade3plus: Proportion


def adverse_event_table(
    ae_df: pd.DataFrame,
    n_patients: int,
    ci: BinomialCI | str = BinomialCI.CLOPPER_PEARSON,
    conf_level: float = 0.95,
) -> list[AERow]:
    """Per-term patient counts of adverse events, any grade and grade >= 3.

    Each patient counts once per term, at their worst (highest) grade for that term. The
    denominator is ``n_patients`` (all treated patients in the current view), so patients
    without events count in the denominator. Rows are sorted by any-grade count (descending),
    then grade >= 3 count (descending), then term.

    Parameters
    ----------
    ae_df : pandas.DataFrame
        Columns ``patient_id``, ``term``, ``ctcae_grade`` (whole numbers 1..5), one row per
        event.
    n_patients : int
        Number of treated patients; at least the number of distinct patients in ``ae_df``.
    ci : BinomialCI
        Interval method (see :func:`binomial_ci`).

    Raises
    ------
    ValueError
        On missing columns, missing terms or grades, grades outside 1..5, or more distinct
        patients with events than ``n_patients``.
    """
    ci = BinomialCI.parse(ci)
    required = ["patient_id", "term", "ctcae_grade"]
    missing_cols = [c for c in required if c not in ae_df.columns]
    if missing_cols:
        raise ValueError(f"adverse-event data lacks column(s): {', '.join(missing_cols)}")
    n_patients = int(n_patients)
    if n_patients < 0:
        raise ValueError("n_patients must be >= 0")
    if ae_df.empty:
        return []
    ae = ae_df[required]
    if ae["patient_id"].isna().any() or ae["term"].isna().any():
        raise ValueError("adverse-event rows need a patient_id and a term")
    grade = pd.to_numeric(ae["ctcae_grade"], errors="coerce")
    bad = grade.isna() | (grade != grade.round()) | (grade < 1) | (grade > 5)
    if bad.any():
        examples = ", ".join(map(repr, ae.loc[bad, "ctcae_grade"].head(5).tolist()))
        raise ValueError(f"CTCAE grades must be whole numbers 1..5; got {examples}")
    n_with_events = ae["patient_id"].nunique()
    if n_with_events > n_patients:
        raise ValueError(
            f"{n_with_events} patients have adverse events but n_patients is {n_patients}"
        )
    worst = (
        pd.DataFrame({"patient_id": ae["patient_id"], "term": ae["term"], "grade": grade})
        .groupby(["term", "patient_id"], sort=False)["grade"]
        .max()
        .reset_index()
    )
    per_term = worst.groupby("term", sort=False)["grade"].agg(
        any_grade="size", grade3plus=lambda g: int((g >= 3).sum())
    )
    order: Sequence[tuple[str, int, int]] = sorted(
        ((str(t), int(r.any_grade), int(r.grade3plus)) for t, r in per_term.iterrows()),
        key=lambda row: (-row[1], -row[2], row[0]),
    )
    return [
        AERow(
            term,
            proportion(any_n, n_patients, ci, conf_level),
            proportion(g3_n, n_patients, ci, conf_level),
        )
        for term, any_n, g3_n in order
    ]
