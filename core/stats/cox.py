"""Multivariable Cox proportional-hazards regression, matching R ``survival`` 3.5.3.

Own implementation of ``coxph`` (Newton-Raphson on the partial likelihood with Efron or
Breslow handling of ties, optional strata and delayed entry), its summary tests and
concordance, the ``cox.zph`` proportional-hazards test, a design-matrix builder with
treatment coding, and an exact *aggregated* fast path for categorical covariates.

Frequency representation
------------------------
Internally every fit works on rows that each stand for ``c`` identical patients (same
covariates, stratum, entry and exit time) of whom ``d`` had the event at the exit time. A
patient-level fit is the special case ``c = 1, d = event``. Every quantity of the partial
likelihood (risk-set sums, Efron's correction for the ``d_k`` tied events at time ``t_k``,
which depends only on the count ``d_k`` and on the sums of ``exp(eta)`` over the tied events)
is a sum over patients, so fitting the aggregate ``(pattern, time, d, c)`` is algebraically
identical to fitting the patients it came from. This is *not* R's ``weights=`` argument
(R's Efron correction with case weights differs); it is frequency expansion.

Conventions that differ from R and are deliberate
-------------------------------------------------
* Term names: ``covariate=level`` for a level of a categorical covariate (R: ``covariatelevel``),
  ``a:b`` for interaction products (as R), ``age (per 10 years)`` for a rescaled continuous
  covariate (R: ``I(age/10)``). :attr:`DesignTerm.r_name` holds the R spelling.
* No ``timefix``: R merges event times that differ by less than ~1.5e-8 relative
  (``aeqSurv``); times here are compared exactly. Integer day times are unaffected.
* Collinear or non-varying design columns raise :class:`CoxModelError` instead of getting an
  ``NA`` coefficient.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from core.vocab.methods import Ties

__all__ = [
    "AGG_COUNT",
    "AGG_ENTRY",
    "AGG_EVENTS",
    "AGG_STRATUM",
    "AGG_TIME",
    "EPS",
    "EPV_THRESHOLD",
    "ITER_MAX",
    "ZPH_TRANSFORMS",
    "Concordance",
    "CoxModelError",
    "CoxResult",
    "CoxTerm",
    "Design",
    "DesignTerm",
    "TestResult",
    "ZphResult",
    "ZphTerm",
    "aggregate_for_cox",
    "build_design",
    "cox_zph",
    "fit_cox",
    "fit_cox_aggregated",
    "fit_cox_factor",
]

ITER_MAX = 20
"""Maximum Newton-Raphson iterations (R ``coxph.control(iter.max = 20)``)."""

EPS = 1e-9
"""Convergence: relative change in log partial likelihood (R ``coxph.control(eps = 1e-9)``)."""

TOLER_INF = math.sqrt(EPS)
"""R ``coxph.control(toler.inf = sqrt(eps))``: threshold of the infinite-coefficient check."""

EPV_THRESHOLD = 10.0
"""Events per estimated parameter below which a warning is returned."""

ZPH_TRANSFORMS = ("km", "rank", "identity", "log")
"""Time transforms of ``cox.zph`` (R ``transform=``). TODO: move to core.vocab.methods as an enum."""

AGG_TIME = "t"
AGG_EVENTS = "d"
AGG_COUNT = "c"
AGG_STRATUM = "stratum"
AGG_ENTRY = "entry"
"""Column names of the aggregated input of :func:`fit_cox_aggregated`."""

_Z975 = float(stats.norm.ppf(0.975))
_DENSE_CELLS = 4_000_000  # largest grid for the dense dominance-count path of the concordance


def _exp(x: float) -> float:
    """exp that returns inf instead of raising OverflowError (diverging coefficients)."""
    return math.exp(x) if x < 709.0 else math.inf


def _linear_predictor(xt: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``beta @ xt`` accumulated column by column, so identical covariate rows get bit-identical
    values (BLAS kernels may round differently by position, which would split ties in x)."""
    lp = np.zeros(xt.shape[1])
    for j in range(xt.shape[0]):
        lp += beta[j] * xt[j]
    return lp


def _norm_sf(z: float) -> float:
    """``scipy.stats.norm.sf(z)`` (the same ``ndtr(-z)``) without the distribution
    machinery's per-call overhead."""
    return float(special.ndtr(-z))


def _chi2_sf(x: float, df: int) -> float:
    """``scipy.stats.chi2.sf(x, df)`` (the same ``chdtrc``, 1 at or below 0, NaN for NaN)
    without the distribution machinery's per-call overhead."""
    if math.isnan(x):
        return math.nan
    return 1.0 if x <= 0 else float(special.chdtrc(df, x))


def _vdot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product of two vectors without BLAS (threaded ddot is slow on busy machines)."""
    return float(np.einsum("i,i->", a, b))


class CoxModelError(ValueError):
    """The model cannot be fitted as specified; the message says why in plain words."""


# ---------------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TestResult:
    """A chi-square test: statistic, degrees of freedom, upper-tail p-value."""

    chi2: float
    df: int
    p: float

    __test__ = False  # not a pytest class


@dataclass(frozen=True, slots=True)
class CoxTerm:
    """One model coefficient.

    ``n_level`` / ``events_level`` are given for 0/1 indicator columns (a factor level or a
    product of levels): the number of patients with the indicator equal to 1 and their events.
    They are ``None`` for continuous terms.
    """

    term: str
    coef: float
    se: float
    hr: float
    hr_lower: float
    hr_upper: float
    z: float
    p: float
    n_level: int | None = None
    events_level: int | None = None


@dataclass(frozen=True, slots=True)
class Concordance:
    """Harrell's C as R's ``summary(coxph)`` reports it, with the pair counts behind it.

    ``value`` = (concordant + tied_x / 2) / (concordant + discordant + tied_x); pairs tied on
    time (``tied_y``) or on both (``tied_xy``) are not comparable. ``se`` is R's
    infinitesimal-jackknife standard error (``sqrt(concordancefit(...)$var)``).
    """

    value: float
    se: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float


@dataclass(frozen=True, slots=True)
class CoxResult:
    """A fitted Cox model (R ``summary(coxph(...))``).

    ``loglik`` is (null, final) log partial likelihood. ``groups`` maps each model term
    (covariate or interaction) to its columns, used by :func:`cox_zph` for per-term tests.
    """

    n: int
    events: int
    terms: tuple[CoxTerm, ...]
    loglik: tuple[float, float]
    lr_test: TestResult
    score_test: TestResult
    wald_test: TestResult
    concordance: Concordance
    ties: Ties
    warnings: tuple[str, ...]
    converged: bool
    iterations: int
    n_strata: int
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    vcov: np.ndarray = field(repr=False, compare=False)
    _risk: Any = field(default=None, repr=False, compare=False)

    def term(self, name: str) -> CoxTerm:
        """Return the term called ``name``; KeyError lists the available names."""
        for t in self.terms:
            if t.term == name:
                return t
        raise KeyError(f"no term {name!r}; terms are {[t.term for t in self.terms]}")

    @property
    def coef(self) -> np.ndarray:
        return np.array([t.coef for t in self.terms])


@dataclass(frozen=True, slots=True)
class ZphTerm:
    term: str
    chi2: float
    df: int
    p: float


@dataclass(frozen=True, slots=True)
class ZphResult:
    """Test of proportional hazards (R ``cox.zph(fit, transform=...)``, survival >= 3.0).

    ``residuals`` has one row per event row of the fit, sorted by stratum and time, with
    columns ``time``, ``transformed_time``, ``n_events`` (events the row stands for; 1 for
    patient-level fits) and one column of scaled Schoenfeld residuals per term (R's
    ``zph$y``; ``NaN`` where a term does not vary within the row's stratum).
    ``flag`` is a plain-language warning when any p < 0.05, else ``None``.
    """

    terms: tuple[ZphTerm, ...]
    global_test: TestResult
    transform: str
    residuals: pd.DataFrame = field(repr=False, compare=False)
    flag: str | None = None


# ---------------------------------------------------------------------------------------------
# Design matrix
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DesignTerm:
    """One design column: its name here, its R name, and what it encodes.

    ``kind`` is ``"continuous"``, ``"level"`` (indicator of one level against ``reference``)
    or ``"interaction"`` (product of two columns).
    """

    name: str
    r_name: str
    covariate: str
    kind: str
    level: str | None = None
    reference: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Design:
    """Output of :func:`build_design`.

    ``X`` holds the complete-case rows (index of the input kept); ``keep`` is the boolean mask
    of those rows over the input frame, so ``time[design.keep]`` aligns with ``X``.
    ``n_dropped`` counts patients dropped for a missing value (R's ``na.omit``); ``dropped_by``
    counts, per column, the patients missing that column (a patient can miss several).
    """

    X: pd.DataFrame
    keep: np.ndarray
    n_used: int
    n_dropped: int
    dropped_by: Mapping[str, int]
    terms: tuple[DesignTerm, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def r_names(self) -> dict[str, str]:
        """Mapping term name -> the coefficient name R's ``coxph`` would print."""
        return {t.name: t.r_name for t in self.terms}


def _fmt_level(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _fmt_number(x: float) -> str:
    return f"{x:g}"


def build_design(
    df: pd.DataFrame,
    covariates: Sequence[str],
    reference_levels: Mapping[str, Any] | None = None,
    interaction: tuple[str, str] | None = None,
    continuous: set[str] | frozenset[str] = frozenset(),
    units: Mapping[str, str] | None = None,
    scale: Mapping[str, float] | None = None,
    required: Sequence[str] = (),
    count: str | None = None,
) -> Design:
    """Build a Cox design matrix with treatment (dummy) coding.

    Categorical covariates (all not in ``continuous``) get one 0/1 column per non-reference
    level, named ``covariate=level`` (R ``model.matrix`` with ``contr.treatment`` names it
    ``covariatelevel``). Levels are the sorted observed values (pandas categoricals keep their
    category order); the reference is ``reference_levels[cov]`` or else the first level (R's
    default for a factor of sorted values). Continuous covariates enter as they are, or divided
    by ``scale[cov]`` (named ``"age (per 10 years)"``, R ``I(age/10)``); ``units[cov]`` names
    the unit. ``interaction=(a, b)`` adds the products of the columns of ``a`` and ``b`` (R
    ``a*b``; both main effects are included, added at the end of ``covariates`` if missing).

    Rows with a missing value in any covariate or in ``required`` (time, event, strata
    columns...) are dropped and counted (R ``na.action = na.omit``). ``count`` names a column
    of patient counts per row, for aggregated input; counts then are in patients.

    Raises
    ------
    CoxModelError
        a column is absent, a categorical covariate has one level, a continuous one is
        constant or non-numeric, a reference level is not observed, or an interaction
        combination has no patients.
    """
    reference_levels = dict(reference_levels or {})
    units = dict(units or {})
    scale = dict(scale or {})
    covs = list(dict.fromkeys(covariates))
    if interaction is not None:
        if len(interaction) != 2 or interaction[0] == interaction[1]:
            raise CoxModelError("interaction must name two different covariates")
        for cv in interaction:
            if cv not in covs:
                covs.append(cv)
    if not covs:
        raise CoxModelError("no covariates given")
    used_cols = list(dict.fromkeys([*covs, *required] + ([count] if count else [])))
    missing_cols = [cv for cv in used_cols if cv not in df.columns]
    if missing_cols:
        raise CoxModelError(f"column(s) not in the data: {', '.join(missing_cols)}")

    weight = (
        np.ones(len(df)) if count is None else pd.to_numeric(df[count]).fillna(0).to_numpy(float)
    )
    na = df[used_cols].isna()
    keep = ~na.any(axis=1).to_numpy()
    dropped_by = {cv: int(round(weight[na[cv].to_numpy()].sum())) for cv in used_cols}
    n_dropped = int(round(weight[~keep].sum()))
    sub = df.loc[keep]
    wsub = weight[keep]
    n_used = int(round(wsub.sum()))
    if len(sub) == 0:
        raise CoxModelError("no patients left after dropping rows with missing values")

    columns: dict[str, np.ndarray] = {}
    terms: list[DesignTerm] = []
    groups: list[tuple[str, tuple[str, ...]]] = []
    # per covariate: list of (name, r_name, values) of its columns
    parts: dict[str, list[tuple[str, str, np.ndarray]]] = {}

    for cv in covs:
        col = sub[cv]
        if cv in continuous:
            try:
                vals = pd.to_numeric(col, errors="raise").to_numpy(float)
            except (ValueError, TypeError) as exc:
                raise CoxModelError(f"continuous covariate {cv!r} is not numeric") from exc
            if np.unique(vals).size < 2:
                raise CoxModelError(
                    f"covariate {cv!r} is constant ({_fmt_number(vals[0])}) in the {n_used} "
                    "patients used, so its effect cannot be estimated; remove it from the model"
                )
            unit = units.get(cv)
            sc = scale.get(cv)
            if sc is not None and sc != 1:
                if not (np.isfinite(sc) and sc > 0):
                    raise CoxModelError(f"scale for {cv!r} must be a positive number")
                vals = vals / sc
                name = f"{cv} (per {_fmt_number(sc)}{' ' + unit if unit else ''})"
                r_name = f"I({cv}/{_fmt_number(sc)})"
            else:
                name, r_name = cv, cv
            parts[cv] = [(name, r_name, vals)]
            terms.append(DesignTerm(name, r_name, cv, "continuous", unit=unit))
        else:
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = col.cat.codes.to_numpy()
                level_codes = np.unique(codes)  # category order, observed levels only
                raw_levels = [col.cat.categories[i] for i in level_codes]
            else:
                try:
                    codes, uniques = pd.factorize(col, sort=True)
                except TypeError as exc:
                    raise CoxModelError(f"covariate {cv!r} mixes incomparable values") from exc
                level_codes = np.arange(len(uniques))
                raw_levels = list(uniques)
            labels = [_fmt_level(lv) for lv in raw_levels]
            if len(set(labels)) != len(labels):
                raise CoxModelError(f"covariate {cv!r} has levels that print identically")
            if len(labels) < 2:
                raise CoxModelError(
                    f"covariate {cv!r} has only one level ({labels[0]}) among the {n_used} "
                    "patients used, so its effect cannot be estimated; remove it from the model"
                )
            ref = reference_levels.get(cv)
            if ref is None:
                ref_label = labels[0]
            else:
                ref_label = _fmt_level(ref)
                if ref_label not in labels:
                    raise CoxModelError(
                        f"reference level {ref_label!r} of {cv!r} is not among the observed "
                        f"levels {labels}"
                    )
            cv_parts = []
            for label, code in zip(labels, level_codes, strict=True):
                if label == ref_label:
                    continue
                name = f"{cv}={label}"
                r_name = f"{cv}{label}"
                cv_parts.append((name, r_name, (codes == code).astype(float)))
                terms.append(DesignTerm(name, r_name, cv, "level", label, ref_label))
            parts[cv] = cv_parts
        groups.append((cv, tuple(p[0] for p in parts[cv])))
        for name, _, vals in parts[cv]:
            columns[name] = vals

    if interaction is not None:
        a, b = interaction
        inter_names = []
        for bn, br, bv in parts[b]:
            for an, ar, av in parts[a]:
                prod = av * bv
                name, r_name = f"{an}:{bn}", f"{ar}:{br}"
                if not np.any(prod != 0):
                    raise CoxModelError(
                        f"no patients have both {an} and {bn}, so the interaction term "
                        f"{name!r} cannot be estimated; drop the interaction or merge levels"
                    )
                columns[name] = prod
                inter_names.append(name)
                terms.append(DesignTerm(name, r_name, f"{a}:{b}", "interaction"))
        groups.append((f"{a}:{b}", tuple(inter_names)))

    X = pd.DataFrame(columns, index=sub.index)
    return Design(
        X=X,
        keep=keep,
        n_used=n_used,
        n_dropped=n_dropped,
        dropped_by=dropped_by,
        terms=tuple(terms),
        groups=tuple(groups),
    )


# ---------------------------------------------------------------------------------------------
# Risk-set structure (built once per fit) and derivatives of the partial likelihood
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RiskSet:
    """Rows sorted by (stratum, stop) plus index arrays for vectorised risk-set sums."""

    x: np.ndarray  # (m, p) covariates centred by their patient mean
    xt: np.ndarray  # (p, m) the same, transposed and contiguous
    stop: np.ndarray  # (m,)
    entry: np.ndarray | None  # (m,) or None
    d: np.ndarray  # (m,) events at stop (float, integer valued)
    c: np.ndarray  # (m,) patients the row stands for
    stratum: np.ndarray  # (m,) int codes 0..S-1
    n_strata: int
    strata_rows: np.ndarray  # (S+1,) row boundaries of strata
    strata_grps: np.ndarray  # (S+1,) group boundaries of strata
    grp_start: np.ndarray  # (G,) first row of each (stratum, stop) group
    ev_group: np.ndarray  # (K,) group index of event groups
    ev_time: np.ndarray  # (K,)
    ev_stratum: np.ndarray  # (K,)
    ev_d: np.ndarray  # (K,) events at each event time (float)
    ev_row_start: np.ndarray  # (K,) first row of the event group
    ev_dx: np.ndarray  # (K, p) sum of d * x over the event group
    row_hi1: np.ndarray  # (m,) 1 + last event group (global index) with t_k <= stop_i, stratum
    row_lo1: np.ndarray  # (m,) 1 + last event group with t_k <= entry_i (or before stratum)
    row_own: np.ndarray  # (m,) event-group index of the row's own group, or -1
    ev_psum: np.ndarray  # (K, M+3) power sums P_m(d_k) for Efron's series
    entry_order: np.ndarray | None  # rows sorted by (stratum, entry)
    entry_cut: np.ndarray | None  # (K,) first entry-sorted row with entry >= t_k in stratum
    counting: bool  # delayed entry present (R agfit4 convergence rule)
    level_n: tuple[int | None, ...]  # patients with indicator == 1 (None: not a 0/1 column)
    level_events: tuple[int | None, ...]
    # delayed entries counted apart from the exits (fit_cox_aggregated(entries=...)): entry
    # rows sorted by (stratum, entry time); entry_cut then indexes these rows
    ent_xt: np.ndarray | None = None  # (p, me) centred covariates of the entry rows
    ent_c: np.ndarray | None = None  # (me,) patients entering
    ent_strata_rows: np.ndarray | None = None  # (S+1,) entry-row boundaries of strata
    ent_lo1: np.ndarray | None = None  # (me,) 1 + last event group with t_k <= entry
    ent_lo0: np.ndarray | None = None  # (me,) first event group of the row's stratum


def _as_float(name: str, values: Any, m: int) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise CoxModelError(f"{name} must be numeric") from exc
    if arr.size != m:
        raise CoxModelError(f"{name} has {arr.size} values but the design has {m} rows")
    if not np.all(np.isfinite(arr)):
        raise CoxModelError(
            f"{name} has missing or infinite values; drop those rows first (build_design "
            "with required=[...] does this and counts them)"
        )
    return arr


def _build_riskset(
    x: np.ndarray,
    stop: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    strata: Any,
    entry: np.ndarray | None,
    entries: tuple[np.ndarray, np.ndarray, np.ndarray, Any] | None = None,
) -> tuple[_RiskSet, np.ndarray]:
    """Sort and index the rows; return the risk set and the sort order applied.

    ``entries`` = ``(x, time, c, strata)`` of delayed entries counted apart from the exit
    rows (which are then at risk from the start of their stratum): ``c`` patients with
    covariates ``x`` enter the risk set at ``time``, i.e. are at risk at t when t > time.
    """
    m = stop.size
    me = 0 if entries is None else entries[1].size
    if strata is None:
        scode = np.zeros(m, dtype=np.int64)
        n_strata = 1
        e_scode = np.zeros(me, dtype=np.int64)
    else:
        s_arr = pd.Series(np.asarray(strata).reshape(-1))
        if s_arr.size != m:
            raise CoxModelError(f"strata has {s_arr.size} values but the design has {m} rows")
        if entries is not None:
            s_arr = pd.concat([s_arr, pd.Series(np.asarray(entries[3]).reshape(-1))])
        if s_arr.isna().any():
            raise CoxModelError("strata has missing values; drop those rows first")
        codes, uniq = pd.factorize(s_arr, sort=True)
        scode, e_scode = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
        n_strata = len(uniq)
    order = np.lexsort((stop, scode))
    x, stop, d, c, scode = x[order], stop[order], d[order], c[order], scode[order]
    if entry is not None:
        entry = entry[order]
    level_n: list[int | None] = []
    level_events: list[int | None] = []
    for j in range(x.shape[1]):
        one = x[:, j] == 1
        if np.all(one | (x[:, j] == 0)):
            level_n.append(int(round(c[one].sum())))
            level_events.append(int(round(d[one].sum())))
        else:
            level_n.append(None)
            level_events.append(None)
    # centre by the patient mean (numerical stability only; results are invariant)
    centre = np.einsum("i,ij->j", c, x) / c.sum()
    x = x - centre

    strata_rows = np.searchsorted(scode, np.arange(n_strata + 1), side="left")
    new_grp = np.ones(m, dtype=bool)
    new_grp[1:] = (stop[1:] != stop[:-1]) | (scode[1:] != scode[:-1])
    grp_start = np.flatnonzero(new_grp)
    row_group = np.cumsum(new_grp) - 1
    grp_d = np.add.reduceat(d, grp_start)
    is_ev = grp_d > 0
    ev_group = np.flatnonzero(is_ev)
    ev_row_start = grp_start[ev_group]
    ev_time = stop[ev_row_start]
    ev_stratum = scode[ev_row_start]
    ev_d = grp_d[ev_group]
    ev_dx = np.add.reduceat(d[:, None] * x, grp_start, axis=0)[ev_group]

    ev_count_upto = np.cumsum(is_ev)  # number of event groups among groups 0..g
    row_hi1 = ev_count_upto[row_group]
    ev_strata_start = np.searchsorted(ev_stratum, np.arange(n_strata + 1), side="left")
    row_lo1 = ev_strata_start[scode].copy()
    own_idx = np.full(len(grp_start), -1, dtype=np.int64)
    own_idx[ev_group] = np.arange(ev_group.size)
    row_own = own_idx[row_group]

    ev_psum = _power_sums(ev_d.astype(np.int64))

    entry_order = entry_cut = None
    if entry is not None:
        entry_order = np.lexsort((entry, scode))
        e_sorted = entry[entry_order]
        for s in range(n_strata):
            r0, r1 = strata_rows[s], strata_rows[s + 1]
            k0, k1 = ev_strata_start[s], ev_strata_start[s + 1]
            row_lo1[r0:r1] = k0 + np.searchsorted(ev_time[k0:k1], entry[r0:r1], side="right")
        entry_cut = np.empty(ev_group.size, dtype=np.int64)
        for s in range(n_strata):
            r0, r1 = strata_rows[s], strata_rows[s + 1]
            k0, k1 = ev_strata_start[s], ev_strata_start[s + 1]
            entry_cut[k0:k1] = r0 + np.searchsorted(e_sorted[r0:r1], ev_time[k0:k1], "left")
    split: dict[str, np.ndarray] = {}
    if entries is not None:
        e_order = np.lexsort((entries[1], e_scode))
        e_time, e_scode = entries[1][e_order], e_scode[e_order]
        e_rows = np.searchsorted(e_scode, np.arange(n_strata + 1), side="left")
        e_lo0 = ev_strata_start[e_scode]
        e_lo1 = e_lo0.copy()
        entry_cut = np.empty(ev_group.size, dtype=np.int64)
        for s in range(n_strata):
            r0, r1 = e_rows[s], e_rows[s + 1]
            k0, k1 = ev_strata_start[s], ev_strata_start[s + 1]
            e_lo1[r0:r1] = k0 + np.searchsorted(ev_time[k0:k1], e_time[r0:r1], side="right")
            entry_cut[k0:k1] = r0 + np.searchsorted(e_time[r0:r1], ev_time[k0:k1], "left")
        split = {
            "ent_xt": np.ascontiguousarray((entries[0][e_order] - centre).T),
            "ent_c": entries[2][e_order],
            "ent_strata_rows": e_rows,
            "ent_lo1": e_lo1,
            "ent_lo0": e_lo0,
        }

    rs = _RiskSet(
        x=x,
        xt=np.ascontiguousarray(x.T),
        stop=stop,
        entry=entry,
        d=d,
        c=c,
        stratum=scode,
        n_strata=n_strata,
        strata_rows=strata_rows,
        strata_grps=np.searchsorted(scode[grp_start], np.arange(n_strata + 1), side="left"),
        grp_start=grp_start,
        ev_group=ev_group,
        ev_time=ev_time,
        ev_stratum=ev_stratum,
        ev_d=ev_d,
        ev_row_start=ev_row_start,
        ev_dx=ev_dx,
        row_hi1=row_hi1,
        row_lo1=row_lo1,
        row_own=row_own,
        ev_psum=ev_psum,
        entry_order=entry_order,
        entry_cut=entry_cut,
        counting=entry is not None or entries is not None,
        level_n=tuple(level_n),
        level_events=tuple(level_events),
        **split,
    )
    return rs, order


_SERIES_R = 0.1  # Efron sums by power series where A0/S0 <= this, else term by term
_SERIES_M = 20  # highest power of A0/S0 kept: (M+1) * 0.1**M / 0.9 < 1e-18 relative
_DIRECT_D = 64  # power sums by direct summation up to this many tied events


@functools.cache
def _small_power_sums() -> np.ndarray:
    """``P[d, m]`` of :func:`_power_sums` for d = 0.._DIRECT_D by direct summation, computed
    once (read-only)."""
    powers = np.arange(_SERIES_M + 3)
    tab = np.zeros((_DIRECT_D + 1, powers.size))
    for dval in range(1, _DIRECT_D + 1):
        u = np.arange(dval) / dval
        tab[dval] = (u[:, None] ** powers[None, :]).sum(axis=0)
    tab.flags.writeable = False
    return tab


def _power_sums(dk: np.ndarray) -> np.ndarray:
    """``P[k, m] = sum_{l=0}^{d_k-1} (l/d_k)^m`` for m = 0..M+2.

    Direct summation for d <= 64; above, the Euler-Maclaurin (Faulhaber) formula, which is
    exact for polynomials: ``P_m = d/(m+1) - 1/2 + sum_{2k-1<m} B_2k/(2k)! m!/(m-2k+1)! d^(1-2k)``
    (terms shrink like (m / 2 pi d)^(2k-1), so it is also well conditioned there).
    """
    uniq, inv = np.unique(dk, return_inverse=True)
    return _power_sum_table(uniq)[inv]


def _power_sum_table(uniq: np.ndarray) -> np.ndarray:
    """:func:`_power_sums` of each of the distinct event counts ``uniq`` (int, >= 0)."""
    nm = _SERIES_M + 3
    tab = np.empty((uniq.size, nm))
    powers = np.arange(nm)
    big = uniq > _DIRECT_D
    tab[~big] = _small_power_sums()[uniq[~big]]
    if big.any():
        dd = uniq[big].astype(float)[:, None]
        m = powers[None, :].astype(float)
        val = dd / (m + 1) - 0.5
        for j, coef in _faulhaber_coefs():
            val = val + coef * dd ** (-j)
        val[:, 0] = dd[:, 0]
        tab[big] = val
    return tab


@functools.cache
def _faulhaber_coefs() -> tuple[tuple[int, np.ndarray], ...]:
    """``(j, B_2k/(2k)! m!/(m-j)!)`` (0 where m <= j), j = 2k-1, of :func:`_power_sum_table`'s
    Euler-Maclaurin terms, computed once."""
    nm = _SERIES_M + 3
    m = np.arange(nm)[None, :].astype(float)
    bern = special.bernoulli(nm)
    out = []
    for k in range(1, nm // 2 + 1):
        j = 2 * k - 1
        coef = bern[2 * k] / math.factorial(2 * k)
        falling = special.poch(m - j + 1, j)  # m! / (m-j)!
        scaled = np.where(m > j, coef * falling, 0.0)
        scaled.flags.writeable = False
        out.append((j, scaled))
    return tuple(out)


def _efron_sums(
    S0: np.ndarray, A0: np.ndarray, dk: np.ndarray, psum: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Efron sums over l = 0..d-1 with f = l/d and den = S0 - f A0 = S0 (1 - r f), r = A0/S0.

    Returns a0 = sum 1/den, a1 = sum f/den, b0 = sum 1/den^2, b1 = sum f/den^2,
    b2 = sum f^2/den^2 and L = sum log(den), per event time. Where r <= 0.1 the sums are
    power series in r with the exact power sums ``P_m(d)`` (cost independent of d); else
    they are summed term by term.
    """
    K = S0.size
    r = A0 / S0
    a0, a1, b0, b1, b2, lg = (np.empty(K) for _ in range(6))
    ser = r <= _SERIES_R
    if ser.any():
        M = _SERIES_M
        s0, rr, P = S0[ser], r[ser], psum[ser]
        R = np.empty((rr.size, M + 1))
        R[:, 0] = 1.0
        np.cumprod(np.broadcast_to(rr[:, None], (rr.size, M)), axis=1, out=R[:, 1:])
        Rq = R * np.arange(1, M + 2)
        inv_s0 = 1.0 / s0
        inv_s02 = inv_s0 * inv_s0
        a0[ser] = np.einsum("km,km->k", R, P[:, : M + 1]) * inv_s0
        a1[ser] = np.einsum("km,km->k", R, P[:, 1 : M + 2]) * inv_s0
        b0[ser] = np.einsum("km,km->k", Rq, P[:, : M + 1]) * inv_s02
        b1[ser] = np.einsum("km,km->k", Rq, P[:, 1 : M + 2]) * inv_s02
        b2[ser] = np.einsum("km,km->k", Rq, P[:, 2 : M + 3]) * inv_s02
        log1m = np.einsum("km,km->k", R[:, 1:], P[:, 1 : M + 1] / np.arange(1, M + 1))
        lg[ser] = dk[ser] * np.log(s0) - log1m
    exp_ = ~ser
    if exp_.any():
        idx = np.flatnonzero(exp_)
        dd = dk[idx].astype(np.int64)
        g = np.repeat(np.arange(idx.size), dd)
        starts = np.cumsum(dd) - dd
        f = (np.arange(g.size) - starts[g]) / dd[g]
        den = S0[idx][g] - f * A0[idx][g]
        inv = 1.0 / den
        fi = f * inv
        n = idx.size
        a0[idx] = np.bincount(g, inv, n)
        a1[idx] = np.bincount(g, fi, n)
        b0[idx] = np.bincount(g, inv * inv, n)
        b1[idx] = np.bincount(g, fi * inv, n)
        b2[idx] = np.bincount(g, fi * fi, n)
        lg[idx] = np.bincount(g, np.log(den), n)
    return a0, a1, b0, b1, b2, lg


_BULK_R = 0.01  # one-factor path: Efron sums of the times with A0/S0 <= this by one Horner pass
_TAIL_REL = 1e-19  # series terms left out by that pass: below this, relative (~1e-3 ulp)


def _series_degree(r_max: float) -> int:
    """Lowest degree M of the Efron series whose tail is below ``_TAIL_REL`` (relative) for
    every ratio ``0 <= r <= r_max <= _SERIES_R``: ``(M + 2) r^(M+1) / (1 - r)^2`` bounds
    the left-out terms of every sum (``P_m(d)`` decreases in m), at most ``_SERIES_M``."""
    for deg in range(_SERIES_M):
        if (deg + 2) * r_max ** (deg + 1) <= _TAIL_REL * (1.0 - r_max) ** 2:
            return deg
    return _SERIES_M


_BULK_DEG = _series_degree(_BULK_R)  # the highest degree the bulk pass uses


def _efron_sums_bulk(
    S0: np.ndarray,
    A0: np.ndarray,
    dk: np.ndarray,
    ptab: np.ndarray,
    d_row: np.ndarray,
    pk: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """:func:`_efron_sums` for many event times at once (the one-factor path).

    ``ptab`` holds :func:`_power_sums` per distinct event count (rows), ``d_row`` the row of
    each time. The times with ``r = A0/S0 <= _BULK_R`` (nearly all with many patients at
    risk) are summed by one Horner pass over every time, of the lowest degree that leaves out
    less than ``_TAIL_REL`` (relative) of each series at the largest such r (``pk``: the
    coefficients gathered per time, ``ptab[d_row].T``, made once per fit): with
    ``p_j(r) = sum_m P_(m+j) r^m``, a0 = p_0/S0, a1 = p_1/S0, b_j = (p_j + r p_j')/S0^2
    (= sum (m+1) P_(m+j) r^m / S0^2) and L = d log S0 - sum_(m>=1) P_m r^m / m. The other
    times are summed by :func:`_efron_sums` itself.
    """
    r = A0 / S0
    bulk = r <= _BULK_R
    if not bulk.any():
        return _efron_sums(S0, A0, dk, ptab[d_row])
    deg = _series_degree(float(r[bulk].max()))
    if pk is None:
        pk = np.ascontiguousarray(ptab[d_row, : _BULK_DEG + 3].T)  # coefficient rows per time
    acc = pk[deg : deg + 3].copy()  # p_0, p_1, p_2
    dacc = np.zeros_like(acc)  # their derivatives
    lacc = pk[deg] / deg if deg else np.zeros_like(r)
    for m in range(deg - 1, -1, -1):
        dacc *= r
        dacc += acc
        acc *= r
        acc += pk[m : m + 3]
        if m:
            lacc *= r
            lacc += pk[m] / m
    lacc *= r
    inv_s0 = 1.0 / S0
    inv_s02 = inv_s0 * inv_s0
    dacc *= r
    dacc += acc
    a0, a1 = acc[0] * inv_s0, acc[1] * inv_s0
    b0, b1, b2 = dacc[0] * inv_s02, dacc[1] * inv_s02, dacc[2] * inv_s02
    lg = dk * np.log(S0) - lacc
    rest = np.flatnonzero(~bulk)
    if rest.size:
        sums = _efron_sums(S0[rest], A0[rest], dk[rest], ptab[d_row[rest]])
        for out, part in zip((a0, a1, b0, b1, b2, lg), sums, strict=True):
            out[rest] = part
    return a0, a1, b0, b1, b2, lg


def _suffix_last(v: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Suffix sums of ``v`` along its last axis within each stratum, zero slot after each.

    Column ``j`` of stratum ``s`` is at position ``j + s``; position ``end_s + s`` holds 0.
    """
    n_strata = bounds.size - 1
    out = np.zeros(v.shape[:-1] + (v.shape[-1] + n_strata,))
    for s in range(n_strata):
        r0, r1 = bounds[s], bounds[s + 1]
        if r1 > r0:
            out[..., r0 + s : r1 + s] = np.cumsum(v[..., r0:r1][..., ::-1], axis=-1)[..., ::-1]
    return out


@dataclass(frozen=True, slots=True)
class _Derivs:
    loglik: float
    scores: tuple[np.ndarray, ...]  # one score vector per time weight
    infos: tuple[np.ndarray, ...]  # one information matrix per time weight
    score_k: np.ndarray  # (K, p) score contribution of each event time
    xbar: np.ndarray  # (K, p) Efron/Breslow mean of x at each event time (Schoenfeld)


def _derivatives(
    rs: _RiskSet | _FactorRisk,
    beta: np.ndarray,
    ties: Ties,
    time_weights: Sequence[np.ndarray | None] = (None,),
) -> _Derivs:
    """Log partial likelihood, score and information at ``beta``.

    With time weights ``h_k`` (one per event time) returns ``sum_k h_k U_k`` and
    ``sum_k h_k I_k`` as well (used by ``cox.zph``). Each event time contributes, for
    ``l = 0..d_k-1`` and ``f = l/d_k`` (Efron; ``f = 0`` for Breslow),
    ``-log(S0 - f A0)``, ``-(S1 - f A1)/(S0 - f A0)`` and
    ``(S2 - f A2)/(S0 - f A0) - (S1 - f A1)(S1 - f A1)'/(S0 - f A0)^2`` where S are risk-set
    sums and A sums over the tied events. The S2/A2 parts are accumulated per row.
    """
    if isinstance(rs, _FactorRisk | _PatternRisk):
        return rs.derivatives(beta, ties)
    xt = rs.xt
    p = xt.shape[0]
    eta = _linear_predictor(xt, beta)
    w = np.exp(eta)
    cw = rs.c * w
    dw = rs.d * w
    # rows 0: weights, 1..p: weighted covariates; first the patients at risk, then the events
    v = np.empty((2 * (p + 1), xt.shape[1]))
    v[0] = cw
    np.multiply(xt, cw, out=v[1 : p + 1])
    v[p + 1] = dw
    np.multiply(xt, dw, out=v[p + 2 :])
    gsum = np.add.reduceat(v, rs.grp_start, axis=1)
    ss = _suffix_last(gsum[: p + 1], rs.strata_grps)
    S = ss[:, rs.ev_group + rs.ev_stratum]
    if rs.entry_order is not None:
        se = _suffix_last(v[: p + 1, rs.entry_order], rs.strata_rows)
        S = S - se[:, rs.entry_cut + rs.ev_stratum]
    ecw = None
    if rs.ent_xt is not None:  # entries counted apart: those entering at or after t_k
        ecw = rs.ent_c * np.exp(_linear_predictor(rs.ent_xt, beta))
        ve = np.empty((p + 1, ecw.size))
        ve[0] = ecw
        np.multiply(rs.ent_xt, ecw, out=ve[1:])
        se = _suffix_last(ve, rs.ent_strata_rows)
        S = S - se[:, rs.entry_cut + rs.ev_stratum]
    A = gsum[p + 1 :, rs.ev_group]
    S0, S1 = S[0], S[1:].T
    A0, A1 = A[0], A[1:].T
    dk = rs.ev_d
    K = dk.size
    efron = ties is Ties.EFRON
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if efron:
            a0, a1, b0, b1, b2, lg = _efron_sums(S0, A0, dk, rs.ev_psum)
            logden = lg.sum()
            mean_sum = S1 * a0[:, None] - A1 * a1[:, None]
        else:
            a0 = dk / S0
            b0 = a0 / S0
            a1 = b1 = b2 = None
            logden = _vdot(dk, np.log(S0))
            mean_sum = S1 * a0[:, None]
        loglik = _vdot(rs.d, eta) - float(logden)
        score_k = rs.ev_dx - mean_sum
        xbar = mean_sum / dk[:, None]

        scores, infos = [], []
        for h in time_weights:
            hh = np.ones(K) if h is None else h
            scores.append(np.einsum("k,kj->j", hh, score_k))
            cz = np.concatenate(([0.0], np.cumsum(hh * a0)))
            alpha = cz[rs.row_hi1] - cz[rs.row_lo1]
            rw = cw * alpha
            if efron:
                own = rs.row_own
                ha1 = np.where(own >= 0, (hh * a1)[own], 0.0)
                rw = rw - dw * ha1
            info = (xt * rw) @ xt.T
            if ecw is not None:  # minus the entry rows over the event times before entry
                ew = ecw * (cz[rs.ent_lo1] - cz[rs.ent_lo0])
                info -= (rs.ent_xt * ew) @ rs.ent_xt.T
            info -= (S1 * (hh * b0)[:, None]).T @ S1
            if efron:
                cross = (S1 * (hh * b1)[:, None]).T @ A1
                info += cross + cross.T
                info -= (A1 * (hh * b2)[:, None]).T @ A1
            infos.append((info + info.T) / 2)
    return _Derivs(loglik, tuple(scores), tuple(infos), score_k, xbar)


# ---------------------------------------------------------------------------------------------
# One categorical factor: risk sets per level (no per-row work in the Newton steps)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FactorRisk:
    """Counts per (level, event time) of a model whose only covariate is one factor.

    Level 0 is the reference (all indicators 0), level ``j`` has indicator ``j`` = 1. With
    one-hot rows ``x_i x_i'`` is ``diag(x_i)``, so every risk-set sum of the partial likelihood
    is a sum over levels of (patients at risk or with the event) x ``exp(beta_level)``.
    """

    x: np.ndarray  # (L, p) centred one-hot rows of the levels present (for _check_columns)
    c: np.ndarray  # (L,) patients per present level
    d: np.ndarray  # (L,) events per present level
    risk: np.ndarray  # (G, K) patients at risk per level at each event time
    dead: np.ndarray  # (G, K) events per level at each event time
    dk: np.ndarray  # (K,) events at each event time
    ptab: np.ndarray  # (U, M+3) Efron power sums of each distinct event count
    d_row: np.ndarray  # (K,) row of ptab of each event time
    d_level: np.ndarray  # (G,) events per level
    counting: bool
    level_n: tuple[int | None, ...]
    level_events: tuple[int | None, ...]
    rows: tuple[Any, ...] | None  # the input, for cox_zph (see _LazyZph); None: not kept
    n_strata: int = 1
    pk: np.ndarray | None = None  # ptab[d_row, :_BULK_DEG + 3].T: the bulk series per time

    def derivatives(self, beta: np.ndarray, ties: Ties) -> _Derivs:
        """:func:`_derivatives` in O(event times x levels): the same sums, grouped by level.

        The per-time ``score_k`` and ``xbar`` are left empty (``(0, p)``): only the row-level
        risk set of :func:`cox_zph` uses them, which a one-factor fit rebuilds (_LazyZph).
        """
        b = np.concatenate(([0.0], beta))
        shift = float(np.max(b)) if np.all(np.isfinite(b)) else 0.0
        w = np.exp(b - shift)  # the scale cancels in every ratio; log terms add it back
        wl = w[1:, None]
        S0 = w @ self.risk
        S1 = self.risk[1:] * wl  # (p, K): level j's row is S1_j and the diagonal of S2
        A0 = w @ self.dead
        A1 = self.dead[1:] * wl
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a0, a1, b0, b1, b2, logden = _grouped_tie_sums(self, S0, A0, ties)
            mean_sum = S1 * a0 if a1 is None else S1 * a0 - A1 * a1
            loglik = _vdot(self.d_level, b) - (logden + shift * float(self.dk.sum()))
            expected = mean_sum.sum(axis=1)
            score = self.d_level[1:] - expected
            info = _minus_outer(np.diag(expected), S1, A1, b0, b1, b2)
        empty = np.empty((0, beta.size))
        return _Derivs(loglik, (score,), ((info + info.T) / 2,), empty, empty)


@dataclass(frozen=True, slots=True)
class _PatternRisk:
    """Counts per covariate pattern and event time of a model whose covariates take few
    distinct values (categorical terms only): the Newton steps' sums, grouped by pattern.

    With rows of pattern ``q`` having ``x = X_q``, every risk-set sum at an event time is a
    sum over patterns: ``S0 = sum_q R_q w_q``, ``S1 = sum_q R_q w_q X_q``,
    ``S2 = sum_q R_q w_q X_q X_q'`` (``w_q = exp(X_q beta)``, ``R`` the patients at risk; the
    tied events' ``A`` with the events ``D``), so the information's ``sum_k a_k S2_k`` is
    ``X' diag(w * (R a)) X``: O(event times x patterns) per step, whatever the number of rows.
    """

    xpat: np.ndarray  # (P, p) the distinct covariate rows
    risk: np.ndarray  # (P, K) patients at risk per pattern at each event time
    dead: np.ndarray  # (P, K) events per pattern at each event time
    dk: np.ndarray  # (K,) events at each event time
    ptab: np.ndarray
    d_row: np.ndarray
    pk: np.ndarray
    d_level: np.ndarray  # (P,) events per pattern

    def derivatives(self, beta: np.ndarray, ties: Ties) -> _Derivs:
        """:func:`_derivatives` from the pattern counts (``score_k``/``xbar`` left empty)."""
        X = self.xpat
        eta = X @ beta
        shift = float(np.max(eta)) if np.all(np.isfinite(eta)) else 0.0
        w = np.exp(eta - shift)  # the scale cancels in every ratio; log terms add it back
        Xw = X * w[:, None]
        S0 = w @ self.risk
        A0 = w @ self.dead
        S1 = Xw.T @ self.risk  # (p, K)
        A1 = Xw.T @ self.dead
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a0, a1, b0, b1, b2, logden = _grouped_tie_sums(self, S0, A0, ties)
            if a1 is None:
                mean_sum, s2w = S1 * a0, w * (self.risk @ a0)
            else:
                mean_sum = S1 * a0 - A1 * a1
                s2w = w * (self.risk @ a0 - self.dead @ a1)
            loglik = _vdot(self.d_level, eta) - (logden + shift * float(self.dk.sum()))
            score = X.T @ self.d_level - mean_sum.sum(axis=1)
            info = _minus_outer((X * s2w[:, None]).T @ X, S1, A1, b0, b1, b2)
        empty = np.empty((0, beta.size))
        return _Derivs(loglik, (score,), ((info + info.T) / 2,), empty, empty)


def _grouped_tie_sums(
    g: _FactorRisk | _PatternRisk, S0: np.ndarray, A0: np.ndarray, ties: Ties
) -> tuple[Any, ...]:
    """Per event time ``a0, a1, b0, b1, b2`` and the summed log denominators of the grouped
    derivatives: Efron's sums over the tied events (:func:`_efron_sums_bulk`), or Breslow's
    ``a0 = d / S0``, ``b0 = a0 / S0`` (``a1``, ``b1``, ``b2`` None)."""
    if ties is Ties.EFRON:
        a0, a1, b0, b1, b2, lg = _efron_sums_bulk(S0, A0, g.dk, g.ptab, g.d_row, g.pk)
        return a0, a1, b0, b1, b2, float(lg.sum())
    a0 = g.dk / S0
    return a0, None, a0 / S0, None, None, _vdot(g.dk, np.log(S0))


def _minus_outer(
    info: np.ndarray,
    S1: np.ndarray,
    A1: np.ndarray,
    b0: np.ndarray,
    b1: np.ndarray | None,
    b2: np.ndarray | None,
) -> np.ndarray:
    """``info`` minus the information's outer-product part over the event times, in place:
    ``sum_k [S1 S1' b0 - (S1 A1' + A1 S1') b1 + A1 A1' b2]`` (Breslow: the first term only)."""
    info -= (S1 * b0) @ S1.T
    if b1 is not None:
        cross = (S1 * b1) @ A1.T
        info += cross + cross.T
        info -= (A1 * b2) @ A1.T
    return info


_PATTERNS_MAX = 64  # covariate patterns up to this many are fitted by pattern (_PatternRisk)
_PATTERN_CELLS_PER_ROW = 8.0  # ... when their (pattern x event time) tables are this small
# (per row: the pattern sums are a few matrix products, the row sums ~10 passes over rows)


def _pattern_risk(
    x: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    entry: np.ndarray | None,
    split: tuple | None,
) -> _PatternRisk | None:
    """:class:`_PatternRisk` of an unstratified model whose design has 0/1 columns only (up
    to 16) and at most ``_PATTERNS_MAX`` distinct rows, when its tables are smaller than the
    rows; else None (the row-level path)."""
    p = x.shape[1]
    if p == 0 or p > 16 or not np.all((x == 0) | (x == 1)):
        return None
    x_e = None if split is None else split[0]
    if x_e is not None and not np.all((x_e == 0) | (x_e == 1)):
        return None
    bits = 2.0 ** np.arange(p)
    key = (x @ bits).astype(np.intp)
    pats = np.flatnonzero(np.bincount(key, minlength=1 << p))
    if pats.size > _PATTERNS_MAX:
        return None
    lookup = np.full(1 << p, -1, dtype=np.intp)
    lookup[pats] = np.arange(pats.size)
    entries = None
    if x_e is not None:
        code_e = lookup[(x_e @ bits).astype(np.intp)]
        if np.any(code_e < 0):
            return None
        entries = (code_e, split[1], split[2])
    times = _event_times(t[d > 0])
    if pats.size * times[0].size > _PATTERN_CELLS_PER_ROW * t.size:  # the row sums are cheaper
        return None
    risk, dead, _ = _level_tables(lookup[key], t, d, c, pats.size, entry, entries, times)
    dk = dead.sum(axis=0)
    d_uniq, d_row = np.unique(np.round(dk).astype(np.int64), return_inverse=True)
    ptab = _power_sum_table(d_uniq)
    return _PatternRisk(
        xpat=((pats[:, None] >> np.arange(p)) & 1).astype(np.float64),
        risk=risk,
        dead=dead,
        dk=dk,
        ptab=ptab,
        d_row=d_row,
        pk=np.ascontiguousarray(ptab[d_row, : _BULK_DEG + 3].T),
        d_level=dead.sum(axis=1),
    )


def _one_hot(code: np.ndarray, p: int) -> np.ndarray:
    return (code[:, None] == np.arange(1, p + 1)[None, :]).astype(np.float64)


def _one_hot_codes(x: np.ndarray) -> np.ndarray | None:
    """Level codes (0 = all indicators 0, j = indicator j) of one-hot rows, else None."""
    p = x.shape[1]
    if p == 0 or not np.all((x == 0) | (x == 1)) or np.any(x.sum(axis=1) > 1):
        return None
    return (x @ np.arange(1.0, p + 1)).astype(np.int64)


_DENSE_TIMES = 1 << 17  # whole-number event times up to this (or 8 per event) by a table


def _event_times(te: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Distinct event times (sorted) of the event rows' times ``te`` (>= 0), and a function
    giving for each of some times x the number of event times <= x (``np.searchsorted(ev_time,
    x, "right")``). Whole-number times (days), the usual case, are marked in a table indexed
    by ``floor(x)`` instead of sorted and searched: the same counts in O(rows + last time)."""
    top = int(te.max()) if te.size else -1
    dense = 0 <= top <= max(_DENSE_TIMES, 8 * te.size) and bool(np.all(te == np.floor(te)))
    if not dense:
        ev_time = np.unique(te)
        return ev_time, lambda x: np.searchsorted(ev_time, x, "right")
    mark = np.zeros(top + 1, dtype=bool)
    mark[te.astype(np.int64)] = True
    upto = np.zeros(top + 2, dtype=np.int64)
    np.cumsum(mark, out=upto[1:])  # upto[i + 1]: event times <= i

    def n_upto(x: np.ndarray) -> np.ndarray:
        return upto[np.clip(np.floor(x), -1, top).astype(np.int64) + 1]

    return np.flatnonzero(mark).astype(float), n_upto


def _factor_risk(
    code: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    p: int,
    entry: np.ndarray | None = None,
    entries: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> _FactorRisk:
    """Counts per level and event time from exit rows ``(code, t, d, c)`` (``c > 0``).

    A row's patients are at risk at the event times ``t_k <= t`` after their entry: ``entry``
    per row, or ``entries = (code, time, c)`` counted apart (at risk when ``time < t_k``).
    """
    risk, dead, n_g = _level_tables(code, t, d, c, p + 1, entry, entries)
    counting = entry is not None or entries is not None
    rows = (code, t, d, c, p, entry, entries)
    return _factor_risk_of(risk, dead, n_g, counting, rows)


def _level_tables(
    code: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    G: int,
    entry: np.ndarray | None = None,
    entries: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    times: tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patients at risk and events per level (``G`` rows) at each event time (columns), and
    the patients per level, from exit rows and entries as :func:`_factor_risk` takes them
    (``times``: :func:`_event_times` of the event rows, when the caller has it already)."""
    ev_time, n_upto = times if times is not None else _event_times(t[d > 0])
    K = ev_time.size
    # net patients per level whose last (for exits) / first-excluded (for entries) event-time
    # index is h; at risk at t_k = sum over h > k
    h_exit = n_upto(t)
    net = np.bincount(code * (K + 1) + h_exit, c, G * (K + 1))
    starts = []
    if entry is not None:
        starts.append((code, entry, c))
    if entries is not None:
        starts.append(entries)
    for e_code, e_time, e_c in starts:
        idx = e_code * (K + 1) + n_upto(e_time)
        net -= np.bincount(idx, e_c, G * (K + 1))
    # whole numbers of patients: every partial sum is exact, so total - prefix = suffix sum
    upto = np.cumsum(net.reshape(G, K + 1), axis=1)
    risk = upto[:, -1:] - upto[:, :K]
    # an event row's time is an event time, index h - 1; rows without events add 0
    dead = np.bincount(code * K + np.maximum(h_exit - 1, 0), d, G * K).reshape(G, K)
    return risk, dead, np.bincount(code, c, G)


def _factor_risk_of(
    risk: np.ndarray, dead: np.ndarray, n_g: np.ndarray, counting: bool, rows: tuple | None
) -> _FactorRisk:
    """:class:`_FactorRisk` from the patients at risk and events per level (rows) at each
    event time (columns), and the patients per level."""
    p = risk.shape[0] - 1
    dk = dead.sum(axis=0)
    d_uniq, d_row = np.unique(np.round(dk).astype(np.int64), return_inverse=True)
    ptab = _power_sum_table(d_uniq)
    e_g = dead.sum(axis=1)
    present = n_g > 0
    pattern = np.vstack((np.zeros((1, p)), np.eye(p)))[present]
    centre = n_g[present] @ pattern / n_g.sum()
    return _FactorRisk(
        x=pattern - centre,
        c=n_g[present],
        d=e_g[present],
        risk=risk,
        dead=dead,
        dk=dk,
        ptab=ptab,
        d_row=d_row,
        d_level=e_g,
        counting=counting,
        level_n=tuple(int(round(v)) for v in n_g[1:]),
        level_events=tuple(int(round(v)) for v in e_g[1:]),
        rows=rows,
        pk=np.ascontiguousarray(ptab[d_row, : _BULK_DEG + 3].T),
    )


@dataclass(frozen=True, slots=True)
class _LazyZph:
    """What :func:`cox_zph` needs from a one-factor fit: the row-level risk set, built on
    demand from the fit's input."""

    rows: tuple[Any, ...] | None
    beta: np.ndarray
    names: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    ties: Ties

    def data(self) -> _ZphData:
        if self.rows is None:
            raise CoxModelError(
                "cox.zph needs the patients' times, which a fit from the numbers at risk "
                "does not keep; fit with fit_cox_factor instead"
            )
        code, t, d, c, p, entry, entries = self.rows
        split = None
        if entries is not None:
            split = (_one_hot(entries[0], p), entries[1], entries[2], None)
        rs, _ = _build_riskset(_one_hot(code, p), t, d, c, None, entry, split)
        return _ZphData(rs, self.beta, self.names, self.groups, self.ties)


# ---------------------------------------------------------------------------------------------
# Concordance
# ---------------------------------------------------------------------------------------------


def _dominance_sums(
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    na: int,
    nb: int,
    queries: Sequence[tuple[np.ndarray, np.ndarray]],
) -> list[np.ndarray]:
    """For each query (qa, qb) return ``sum_j w_j [a_j < qa] [b_j < qb]`` elementwise.

    ``a`` in [0, na), ``b`` in [0, nb) are integer ranks; ``qa`` in [0, na], ``qb`` in
    [0, nb]. Exact for integer weights. Dense 2-D cumulative table when small, otherwise a
    vectorised merge-sort tree (O(n log^2 n)).
    """
    if (na + 1) * (nb + 1) <= _DENSE_CELLS:
        grid = np.bincount((a + 1) * (nb + 1) + (b + 1), w, (na + 1) * (nb + 1))
        grid = grid.reshape(na + 1, nb + 1).cumsum(0).cumsum(1)
        return [grid[qa, qb] for qa, qb in queries]
    n = a.size
    order = np.argsort(a, kind="stable")
    a_s, b_s, w_s = a[order], b[order], w[order]
    pos = [np.searchsorted(a_s, qa, side="left") for qa, _ in queries]
    out = [np.zeros(len(qa)) for qa, _ in queries]
    idx = np.arange(n, dtype=np.int64)
    for level in range(max(1, n.bit_length())):
        key = (idx >> level) * (nb + 1) + b_s
        o = np.argsort(key, kind="stable")
        keys = key[o]
        cum = np.concatenate(([0.0], np.cumsum(w_s[o])))
        for (_, qb), p_, res in zip(queries, pos, out, strict=True):
            sel = ((p_ >> level) & 1).astype(bool)
            if not sel.any():
                continue
            blk = (p_[sel] >> level) - 1
            q = blk * (nb + 1) + np.broadcast_to(qb, p_.shape)[sel]
            res[sel] += cum[np.searchsorted(keys, q, side="left")] - cum[blk << level]
    return out


def _concordance(rs: _RiskSet, lp: np.ndarray) -> Concordance:
    """Harrell's C with R's pair conventions (``concordancefit(..., reverse=TRUE)``).

    A pair (i, j) is comparable when i has an event at t_i and j is still in the risk set of
    i's stratum after t_i: exit time > t_i, or = t_i and censored, and (delayed entry)
    entry_j < t_i. Concordant: lp_i > lp_j. Events at the same time are tied on y.
    Variance: R's infinitesimal jackknife, ``sum(dfbeta^2) / 4`` over patients.
    """
    totals = np.zeros(5)  # concordant, discordant, tied.x, tied.y(incl. xy), tied.xy
    infl: list[np.ndarray] = []  # per unit: conc, disc, tie
    wts: list[np.ndarray] = []
    for s in range(rs.n_strata):
        r0, r1 = rs.strata_rows[s], rs.strata_rows[s + 1]
        d, c = rs.d[r0:r1], rs.c[r0:r1]
        if d.sum() == 0:
            continue
        stop, lps = rs.stop[r0:r1], lp[r0:r1]
        ev, ce = d > 0, (c - d) > 0
        ne = int(ev.sum())
        u_stop = np.concatenate((stop[ev], stop[ce]))
        u_w = np.concatenate((d[ev], (c - d)[ce]))
        u_cens = np.concatenate((np.zeros(ne, np.int64), np.ones(int(ce.sum()), np.int64)))
        u_lp = np.concatenate((lps[ev], lps[ce]))
        if rs.entry is not None:
            ent = rs.entry[r0:r1]
            u_entry = np.concatenate((ent[ev], ent[ce]))
            times = np.unique(np.concatenate((stop, ent)))
        else:
            u_entry = None
            times = np.unique(stop)
        nt = times.size
        tk = np.searchsorted(times, u_stop)
        _, r = np.unique(u_lp, return_inverse=True)
        r = r.astype(np.int64)
        nb = int(r.max()) + 1
        key = 2 * tk + u_cens
        nk = 2 * nt
        e = slice(0, ne)
        re, we, ke = r[:ne], u_w[:ne], key[:ne]
        nb_full = np.full(ne, nb)
        # event side: comparators j with key_j > key_i, by lp below / tied / above
        f_lo, f_le, f_all = _dominance_sums(
            (nk - 1) - key, r, u_w, nk, nb,
            [((nk - 1) - ke, re), ((nk - 1) - ke, re + 1), ((nk - 1) - ke, nb_full)],
        )  # fmt: skip
        if u_entry is not None:
            tke = np.searchsorted(times, u_entry)
            qa = nt - tk[e]
            g_lo, g_le, g_all = _dominance_sums(
                (nt - 1) - tke, r, u_w, nt, nb, [(qa, re), (qa, re + 1), (qa, nb_full)]
            )
            f_lo, f_le, f_all = f_lo - g_lo, f_le - g_le, f_all - g_all
        # comparator side: events i with key_i < key_m
        nb_u = np.full(key.size, nb)
        h_lo, h_le, h_all = _dominance_sums(
            ke, re, we, nk, nb, [(key, r), (key, r + 1), (key, nb_u)]
        )
        if u_entry is not None:
            qa = tke + 1
            g_lo, g_le, g_all = _dominance_sums(
                tk[e], re, we, nt, nb, [(qa, r), (qa, r + 1), (qa, nb_u)]
            )
            h_lo, h_le, h_all = h_lo - g_lo, h_le - g_le, h_all - g_all
        i_conc = h_all - h_le
        i_disc = h_lo.copy()
        i_tie = h_le - h_lo
        ev_conc, ev_tie, ev_disc = f_lo, f_le - f_lo, f_all - f_le
        i_conc[e] += ev_conc
        i_disc[e] += ev_disc
        i_tie[e] += ev_tie
        totals[0] += _vdot(we, ev_conc)
        totals[1] += _vdot(we, ev_disc)
        totals[2] += _vdot(we, ev_tie)
        # tied on y: pairs of events at the same time; tied.xy: same time and same lp
        dt = np.bincount(tk[e], we)
        totals[3] += (dt * (dt - 1) / 2).sum()
        dxy = np.bincount(tk[e] * nb + re, we)
        totals[4] += (dxy * (dxy - 1) / 2).sum()
        infl.append(np.column_stack((i_conc, i_disc, i_tie)))
        wts.append(u_w)
    conc, disc, tie_x, tie_y, tie_xy = totals
    npair = conc + disc + tie_x
    if npair == 0:
        return Concordance(math.nan, math.nan, conc, disc, tie_x, tie_y - tie_xy, tie_xy)
    somers = (conc - disc) / npair
    im = np.concatenate(infl)
    ww = np.concatenate(wts)
    dfbeta = (im[:, 0] - im[:, 1]) / npair - (somers / npair) * im.sum(axis=1)
    var = _vdot(ww, dfbeta**2) / 4.0
    return Concordance(
        value=float((somers + 1) / 2),
        se=math.sqrt(var),
        concordant=float(conc),
        discordant=float(disc),
        tied_x=float(tie_x),
        tied_y=float(tie_y - tie_xy),
        tied_xy=float(tie_xy),
    )


# ---------------------------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------------------------


def _check_columns(rs: _RiskSet | _FactorRisk, names: Sequence[str], info0: np.ndarray) -> None:
    """Raise CoxModelError for constant, non-varying-within-strata or collinear columns."""
    x = rs.x
    for j, name in enumerate(names):
        if np.ptp(x[:, j]) == 0:
            raise CoxModelError(
                f"term {name!r} has the same value for every patient, so its effect cannot "
                "be estimated; remove it from the model"
            )
    diag = np.diag(info0)
    scale_ = np.sqrt(np.maximum(diag, 0))
    # information per event vs variance per patient: ~1 normally, ~1e-16 for a column that is
    # constant within every risk set (e.g. within every stratum)
    per_event = diag / rs.d.sum()
    per_patient = np.einsum("i,ij->j", rs.c, x * x) / rs.c.sum()
    kept: list[int] = []
    for j, name in enumerate(names):
        if not per_event[j] > 1e-9 * per_patient[j]:
            raise CoxModelError(
                f"term {name!r} does not vary within the risk sets of the model (for example "
                "it is constant within every stratum), so its effect cannot be estimated"
            )
        if kept:
            sub = info0[np.ix_(kept, kept)]
            rhs = info0[kept, j]
            coefs = np.linalg.lstsq(sub, rhs, rcond=None)[0]
            resid = diag[j] - rhs @ coefs
            if resid <= 1e-9 * diag[j]:
                rel = np.abs(coefs) * scale_[kept] / scale_[j]
                others = [names[kept[i]] for i in np.flatnonzero(rel > 1e-6)]
                raise CoxModelError(
                    f"term {name!r} is a linear combination of {', '.join(map(repr, others))} "
                    "(collinear), so the terms cannot be estimated separately; remove one"
                )
        kept.append(j)


_EXTRA_STEPS = 3  # Newton steps past convergence that tell a finite from an infinite estimate


def _settles(
    rs: _RiskSet | _FactorRisk,
    steps: _RiskSet | _FactorRisk | _PatternRisk,
    beta: np.ndarray,
    step: np.ndarray,
    ties: Ties,
    eps: float,
) -> np.ndarray:
    """Which coefficients R's infinite-coefficient check flagged only because of scale.

    R's check (``coxph.fit``/``agreg.fit``) looks at the next Newton step ``I^-1 U`` at the
    converged estimate and flags a coefficient whose step is above ``toler.inf`` times its
    size. Convergence is judged on the log-likelihood's *relative* change (``eps``), so with
    ~10^6 patients (log-likelihood ~10^7) a finite estimate can stop while its next step is
    still ~10^-3 and be flagged (R warns and prints it; the pages would hide it). A finite
    maximum is approached quadratically: a few more steps bring the step below the same
    bound. A diverging coefficient (monotone likelihood: score and information both decay
    like ``exp(-beta)``) keeps taking steps of about 1. So this takes up to
    ``_EXTRA_STEPS`` more steps from ``beta`` and returns the coefficients whose step fell
    below the bound; the reported estimate stays R's (``beta``). ``steps``: where the
    derivatives are summed (``rs`` or its pattern sums).
    """
    b = beta.copy()
    settled = np.zeros(b.size, dtype=bool)
    for _ in range(_EXTRA_STEPS):
        b = b + step
        der = _derivatives(steps, b, ties)
        u, info = der.scores[0], der.infos[0]
        if not (np.isfinite(der.loglik) and np.all(np.isfinite(u)) and np.all(np.isfinite(info))):
            return np.zeros(b.size, dtype=bool)
        try:
            step = np.linalg.solve(info, u)
        except np.linalg.LinAlgError:
            return np.zeros(b.size, dtype=bool)
        size = np.abs(step)
        if rs.counting:
            settled = size <= TOLER_INF * (1 + np.abs(b))
        else:
            settled = (size <= eps) | (size <= TOLER_INF * np.abs(b))
        if settled.all():
            break
    return settled


def _fit(
    rs: _RiskSet | _FactorRisk,
    names: tuple[str, ...],
    ties: Ties,
    groups: tuple[tuple[str, tuple[str, ...]], ...],
    iter_max: int,
    eps: float,
    concordance: bool = True,
    fast: _PatternRisk | None = None,
) -> CoxResult:
    """Newton-Raphson as R's ``coxfit6``/``agfit4`` on ``rs``; ``fast``: the same model's
    sums by covariate pattern, used for every Newton step (``rs`` for the rest)."""
    ties = Ties.parse(ties)
    steps = rs if fast is None else fast
    p = len(names)
    n = int(round(rs.c.sum()))
    events = int(round(rs.d.sum()))
    if events == 0:
        raise CoxModelError(
            f"no events among the {n} patients, so a Cox model cannot be fitted; widen the "
            "cohort or choose another endpoint"
        )
    warns: list[str] = []
    epv = events / p
    if epv < EPV_THRESHOLD:
        warns.append(
            f"{events} events for {p} parameters (EPV = {epv:.1f} < {EPV_THRESHOLD:g}): "
            "estimates may be unstable and biased; consider fewer covariates"
        )

    beta = np.zeros(p)
    der0 = _derivatives(steps, beta, ties)
    u0, i0 = der0.scores[0], der0.infos[0]
    _check_columns(rs, names, i0)
    try:
        step = np.linalg.solve(i0, u0)
    except np.linalg.LinAlgError as exc:
        raise CoxModelError("the information matrix is singular at the start") from exc
    score_chi2 = float(u0 @ step)
    ll0 = der0.loglik

    best_ll = ll0
    newbeta = beta + step
    halving = 0
    converged = False
    der = der0
    iterations = 0
    for it in range(1, iter_max + 1):
        iterations = it
        cand = _derivatives(steps, newbeta, ties)
        u, info = cand.scores[0], cand.infos[0]
        finite = bool(np.isfinite(cand.loglik) and np.all(np.isfinite(u)))
        finite = finite and bool(np.all(np.isfinite(info)))
        if (
            finite
            and abs(1 - best_ll / cand.loglik) <= eps
            and not (rs.counting and halving)  # agfit4 also requires no halving in progress
        ):
            beta, der, converged = newbeta, cand, True
            break
        if not finite or cand.loglik < best_ll:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best_ll = cand.loglik
            try:
                step = np.linalg.solve(info, u)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(info, u, rcond=None)[0]
            beta = newbeta
            newbeta = newbeta + step
    if not converged:
        der = _derivatives(steps, beta, ties)
        warns.append(
            f"the fit did not converge in {iter_max} iterations; estimates are unreliable "
            "(a coefficient may be infinite)"
        )
    info = der.infos[0]
    try:
        vcov = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise CoxModelError("the information matrix is singular at the estimate") from exc
    vcov = (vcov + vcov.T) / 2
    vcov.flags.writeable = False
    ll1 = der.loglik
    u = der.scores[0]

    n_level, ev_level = rs.level_n, rs.level_events

    # infinite-coefficient check as in R coxph.fit / agreg.fit
    se = np.sqrt(np.diag(vcov))
    infs = np.abs(vcov @ u)
    if rs.counting:
        flagged = ~np.isfinite(u) | (infs > TOLER_INF * (1 + np.abs(beta)))
    else:
        flagged = ~np.isfinite(u) | ((infs > eps) & (infs > TOLER_INF * np.abs(beta)))
    if converged and flagged.any() and np.all(np.isfinite(u)):
        flagged &= ~_settles(rs, steps, beta, vcov @ u, ties, eps)
    for j in range(p):
        zero_ev = ev_level[j] == 0
        if converged and not (flagged[j] or zero_ev):
            continue
        if not converged and not zero_ev:
            continue
        detail = (
            f": none of the {n_level[j]} patients with this level had an event" if zero_ev else ""
        )
        advice = (
            "merge or drop that level"
            if n_level[j] is not None
            else "the covariate may order the event times perfectly"
        )
        warns.append(
            f"coefficient of {names[j]!r} may be infinite (monotone likelihood / "
            f"separation){detail}; its hazard ratio and confidence interval are not "
            f"meaningful - {advice}"
        )

    terms = []
    for j, name in enumerate(names):
        b, s = float(beta[j]), float(se[j])
        z = b / s
        terms.append(
            CoxTerm(
                term=name,
                coef=b,
                se=s,
                hr=_exp(b),
                hr_lower=_exp(b - _Z975 * s),
                hr_upper=_exp(b + _Z975 * s),
                z=z,
                p=2.0 * _norm_sf(abs(z)),
                n_level=n_level[j],
                events_level=ev_level[j],
            )
        )
    lr = 2 * (ll1 - ll0)
    wald = float(beta @ info @ beta)
    if concordance and isinstance(rs, _RiskSet) and rs.ent_xt is None:
        conc = _concordance(rs, _linear_predictor(rs.xt, beta))
    else:  # needs each patient's (entry, exit) pair, which separate entry counts do not keep
        conc = Concordance(*(math.nan,) * 7)
    return CoxResult(
        n=n,
        events=events,
        terms=tuple(terms),
        loglik=(float(ll0), float(ll1)),
        lr_test=TestResult(lr, p, _chi2_sf(lr, p)),
        score_test=TestResult(score_chi2, p, _chi2_sf(score_chi2, p)),
        wald_test=TestResult(wald, p, _chi2_sf(wald, p)),
        concordance=conc,
        ties=ties,
        warnings=tuple(warns),
        converged=converged,
        iterations=iterations,
        n_strata=rs.n_strata,
        groups=groups,
        vcov=vcov,
        _risk=(
            _ZphData(rs, beta.copy(), names, groups, ties)
            if isinstance(rs, _RiskSet)
            else _LazyZph(rs.rows, beta.copy(), names, groups, ties)
        ),
    )


@dataclass(frozen=True, slots=True)
class _ZphData:
    rs: _RiskSet
    beta: np.ndarray
    names: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    ties: Ties


def _resolve_groups(
    names: tuple[str, ...], groups: Sequence[tuple[str, Sequence[str]]] | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if groups is None:
        return tuple((nm, (nm,)) for nm in names)
    out = tuple((str(g), tuple(cols)) for g, cols in groups)
    listed = [col for _, cols in out for col in cols]
    if sorted(listed) != sorted(names):
        raise CoxModelError("groups must list every design column exactly once")
    return out


def _design_array(X: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    if not isinstance(X, pd.DataFrame):
        raise CoxModelError("X must be a pandas DataFrame of numeric design columns")
    if X.shape[1] == 0:
        raise CoxModelError("the model has no covariates")
    names = tuple(str(cname) for cname in X.columns)
    if len(set(names)) != len(names):
        raise CoxModelError("design column names must be unique")
    try:
        x = X.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise CoxModelError(
            "X must be numeric; build it with build_design (dummy coding of categories)"
        ) from exc
    if not np.all(np.isfinite(x)):
        bad = [names[j] for j in np.flatnonzero(~np.isfinite(x).all(axis=0))]
        raise CoxModelError(
            f"design column(s) {bad} have missing values; build_design drops such rows"
        )
    return x, names


def fit_cox(
    time: Any,
    event: Any,
    X: pd.DataFrame,
    ties: Ties = Ties.EFRON,
    strata: Any = None,
    entry: Any = None,
    *,
    groups: Sequence[tuple[str, Sequence[str]]] | None = None,
    iter_max: int = ITER_MAX,
    eps: float = EPS,
) -> CoxResult:
    """Fit a Cox proportional-hazards model on patient-level data.

    Method: maximum partial likelihood by Newton-Raphson from beta = 0 with step halving,
    stopping when the relative change in log-likelihood is <= ``eps`` (at most ``iter_max``
    iterations); Efron (default) or Breslow handling of tied event times; separate baseline
    hazard per stratum; counting-process risk sets ``(entry, time]`` with delayed entry.
    Standard errors from the inverse information; HR 95% CI ``exp(coef +/- 1.96 se)``; Wald z;
    likelihood-ratio, score (log-rank) and Wald tests; Harrell's concordance.

    R equivalent: ``summary(coxph(Surv(time, event) ~ X + strata(s), ties = "efron"))``, or
    ``Surv(entry, time, event)`` with delayed entry (survival 3.5.3).

    Parameters
    ----------
    time, event
        Exit time (> entry) and event indicator (0/1), aligned with the rows of ``X``.
    X
        Numeric design matrix (see :func:`build_design`); column names become term names.
    ties
        ``Ties.EFRON`` or ``Ties.BRESLOW``.
    strata
        Optional stratum label per row.
    entry
        Optional delayed-entry time per row (left truncation); must be < ``time``.
    groups
        Columns of each model term (``Design.groups``), for per-term :func:`cox_zph` tests;
        default one term per column.

    Returns
    -------
    CoxResult

    Raises
    ------
    CoxModelError
        no events, a non-varying or collinear term, invalid input.
    """
    x, names = _design_array(X)
    m = x.shape[0]
    t = _as_float("time", time, m)
    ev = _as_float("event", event, m)
    if not np.all((ev == 0) | (ev == 1)):
        raise CoxModelError("event must be 0 (censored) or 1 (event)")
    ent = None
    if entry is not None:
        ent = _as_float("entry", entry, m)
        if np.any(ent >= t):
            k = int(np.sum(ent >= t))
            raise CoxModelError(f"{k} row(s) have entry time >= exit time")
    elif np.any(t < 0):
        raise CoxModelError("time has negative values")
    rs, _ = _build_riskset(x, t, ev, np.ones(m), strata, ent)
    return _fit(rs, names, ties, _resolve_groups(names, groups), iter_max, eps)


def aggregate_for_cox(
    time: Any, event: Any, X: pd.DataFrame, strata: Any = None, entry: Any = None
) -> pd.DataFrame:
    """Collapse patient rows to counts per (covariate pattern, [stratum, entry,] time).

    Returns the columns of ``X`` plus ``t`` (time), ``d`` (events at t) and ``c`` (patients
    leaving the risk set at t: events + censorings), and ``stratum`` / ``entry`` when given.
    This is what a ``GROUP BY pattern, time`` SQL query produces for :func:`fit_cox_aggregated`.
    """
    x, names = _design_array(X)
    reserved = {AGG_TIME, AGG_EVENTS, AGG_COUNT, AGG_STRATUM, AGG_ENTRY}
    clash = reserved.intersection(names)
    if clash:
        raise CoxModelError(f"design columns may not be named {sorted(clash)}")
    m = x.shape[0]
    frame = pd.DataFrame(x, columns=list(names))
    keys = list(names)
    if strata is not None:
        frame[AGG_STRATUM] = np.asarray(strata).reshape(-1)
        keys.append(AGG_STRATUM)
    if entry is not None:
        frame[AGG_ENTRY] = _as_float("entry", entry, m)
        keys.append(AGG_ENTRY)
    frame[AGG_TIME] = _as_float("time", time, m)
    frame["_event"] = _as_float("event", event, m)
    keys.append(AGG_TIME)
    out = (
        frame.groupby(keys, sort=True, dropna=False)["_event"]
        .agg(["sum", "size"])
        .rename(columns={"sum": AGG_EVENTS, "size": AGG_COUNT})
        .reset_index()
    )
    out[AGG_COUNT] = out[AGG_COUNT].astype(np.int64)
    return out


def fit_cox_aggregated(
    agg: pd.DataFrame,
    ties: Ties = Ties.EFRON,
    *,
    X: pd.DataFrame | None = None,
    groups: Sequence[tuple[str, Sequence[str]]] | None = None,
    iter_max: int = ITER_MAX,
    eps: float = EPS,
    entries: pd.DataFrame | None = None,
    concordance: bool = True,
) -> CoxResult:
    """Fit a Cox model exactly from counts per (covariate pattern, time).

    Method and output as :func:`fit_cox` (R ``coxph`` on the expanded patient data): each row
    of ``agg`` stands for ``c`` patients with the same covariates leaving the risk set at
    ``t``, ``d`` of them by an event. The partial likelihood, its derivatives, Efron's
    correction (which needs only the number of tied events and the sum of ``exp(eta)`` over
    them), the concordance and ``cox.zph`` depend on the data only through these counts, so
    the fit equals the patient-level fit up to rounding.

    Parameters
    ----------
    agg
        Columns ``t``, ``d``, ``c`` (optionally ``stratum`` and ``entry``, the delayed-entry
        time shared by the row's patients), plus the design columns, unless ``X`` is given.
    X
        Design matrix aligned with ``agg`` by index (e.g. ``build_design(agg, ...,
        count="c").X``; rows of ``agg`` not in ``X.index`` are ignored).
    entries
        Delayed entries counted apart from the exits (the counting process ``(entry, exit]``
        as two aggregates, R ``Surv(entry, exit, event)``): columns ``t`` (entry time), ``c``
        (patients entering then), the design columns of ``X`` (or of ``agg``) and
        ``stratum`` when ``agg`` has one. The rows of ``agg`` then carry no ``entry``: a
        patient is at risk at t when entry < t <= exit, where a patient without a row here
        enters at the start. Coefficients, standard errors and tests are those of the
        patient-level fit; the concordance needs each patient's (entry, exit) pair and is NaN,
        and :func:`cox_zph` refuses such a fit.
    concordance
        False: skip Harrell's C (NaN), for callers that show only the coefficients. A model
        whose only covariate is one categorical factor (one-hot columns, rows with all 0
        present, no strata) is then fitted from the patients at risk and events per level and
        event time (:func:`fit_cox_factor`): O(event times x levels) per Newton step, equal
        to the row-level path to rounding; :func:`cox_zph` rebuilds the row-level risk set.

    Without strata, a design of 0/1 columns with few distinct rows (categorical terms only) takes
    its Newton steps from the patients at risk and events per covariate pattern and event time
    (:class:`_PatternRisk`), equal to the row-level sums to rounding; the concordance and
    :func:`cox_zph` use the rows as before.
    """
    if X is None:
        reserved = {AGG_TIME, AGG_EVENTS, AGG_COUNT, AGG_STRATUM, AGG_ENTRY}
        X = agg[[col for col in agg.columns if col not in reserved]]
    else:
        agg = agg.loc[X.index]
    for col in (AGG_TIME, AGG_EVENTS, AGG_COUNT):
        if col not in agg.columns:
            raise CoxModelError(f"aggregated data needs a column {col!r}")
    x, names = _design_array(X)
    m = x.shape[0]
    t = _as_float("t", agg[AGG_TIME], m)
    d = _as_float("d", agg[AGG_EVENTS], m)
    c = _as_float("c", agg[AGG_COUNT], m)
    if np.any(d != np.round(d)) or np.any(c != np.round(c)):
        raise CoxModelError("d and c must be whole numbers of patients")
    if np.any(d < 0) or np.any(d > c):
        raise CoxModelError("need 0 <= d <= c in every row")
    pos = c > 0
    strata = agg[AGG_STRATUM].to_numpy()[pos] if AGG_STRATUM in agg.columns else None
    ent = _as_float("entry", agg[AGG_ENTRY], m)[pos] if AGG_ENTRY in agg.columns else None
    x, t, d, c = x[pos], t[pos], d[pos], c[pos]
    if ent is not None and np.any(ent >= t):
        raise CoxModelError("entry time must be < t in every row")
    if ent is None and np.any(t < 0):
        raise CoxModelError("t has negative values")
    split = None
    if entries is not None:
        if ent is not None:
            raise CoxModelError("give delayed entries either per row or as entries, not both")
        split = _entry_rows(entries, names, strata is not None)
    groups_ = _resolve_groups(names, groups)
    if not concordance and strata is None:  # one categorical factor: risk sets per level
        code = _one_hot_codes(x)
        code_e = None if split is None or code is None else _one_hot_codes(split[0])
        if code is not None and (split is None or code_e is not None) and np.any(code == 0):
            e_f = None if split is None else (code_e, split[1], split[2])
            rs_f = _factor_risk(code, t, d, c, len(names), ent, e_f)
            return _fit(rs_f, names, ties, groups_, iter_max, eps, concordance=False)
    rs, _ = _build_riskset(x, t, d, c, strata, ent, split)
    fast = _pattern_risk(x, t, d, c, ent, split) if strata is None else None
    return _fit(rs, names, ties, groups_, iter_max, eps, concordance, fast)


def fit_cox_factor(
    code: Any,
    t: Any,
    d: Any,
    c: Any,
    names: Sequence[str],
    ties: Ties = Ties.EFRON,
    *,
    entries: tuple[Any, Any, Any] | None = None,
    iter_max: int = ITER_MAX,
    eps: float = EPS,
) -> CoxResult:
    """Fit a Cox model whose only covariate is one categorical factor, from counts per level.

    Method as :func:`fit_cox_aggregated` with a one-hot (treatment-coded) design, i.e. the
    same Newton-Raphson, tests, warnings and separation check; only the risk-set sums are
    formed differently: with one-hot rows, ``S0``, ``S1`` and ``S2 = diag(S1)`` at each event
    time are the patients at risk per level times ``exp(beta_level)``, so each Newton step
    costs O(event times x levels) whatever the number of rows (Efron's sums over the tied
    events of all times in one Horner pass, :func:`_efron_sums_bulk`; whole-day times counted
    with a table instead of a sort). Concordance is NaN (as with
    ``concordance=False``); :func:`cox_zph` builds the row-level risk set on demand.

    R equivalent: ``coxph(Surv(t, status) ~ factor(level), ties="efron")`` on the expanded
    patients (``Surv(entry, t, status)`` with ``entries``), reference level first.

    Parameters
    ----------
    code
        Level of each row: 0 = reference, ``j`` = the level of ``names[j - 1]``.
    t, d, c
        Exit time, events at ``t`` and patients leaving at ``t`` (events + censorings).
    names
        Term name of each non-reference level.
    entries
        Delayed entries counted apart, ``(code, time, c)``: ``c`` patients of the level enter
        at ``time`` (at risk at t when time < t <= their exit); patients without an entry
        row are at risk from the start.

    Raises
    ------
    CoxModelError
        Bad counts, no patients at the reference level, no events, or a non-estimable level
        (as :func:`fit_cox_aggregated`).
    """
    names = tuple(names)
    p = len(names)
    code_a = np.asarray(code).reshape(-1)
    m = code_a.size
    t_a, d_a, c_a = (_as_float(nm, v, m) for nm, v in (("t", t), ("d", d), ("c", c)))
    if p == 0 or np.any(code_a != np.round(code_a)) or np.any((code_a < 0) | (code_a > p)):
        raise CoxModelError(f"code must hold level numbers 0..{p}, one per name plus 0")
    if np.any(d_a != np.round(d_a)) or np.any(c_a != np.round(c_a)):
        raise CoxModelError("d and c must be whole numbers of patients")
    if np.any(d_a < 0) or np.any(d_a > c_a) or np.any(t_a < 0):
        raise CoxModelError("need 0 <= d <= c and t >= 0 in every row")
    pos = c_a > 0
    if pos.all():  # own copies (the fit keeps them for cox_zph), without a boolean gather
        code_a, t_a, d_a, c_a = code_a.astype(np.int64), t_a.copy(), d_a.copy(), c_a.copy()
    else:
        code_a, t_a, d_a, c_a = code_a[pos].astype(np.int64), t_a[pos], d_a[pos], c_a[pos]
    if not np.any(code_a == 0):
        raise CoxModelError("the reference level (code 0) has no patients")
    e_f = None
    if entries is not None:
        e_code = np.asarray(entries[0]).reshape(-1)
        me = e_code.size
        e_t, e_c = _as_float("entry t", entries[1], me), _as_float("entry c", entries[2], me)
        bad = np.any(e_code != np.round(e_code)) or np.any((e_code < 0) | (e_code > p))
        if bad or np.any(e_c != np.round(e_c)) or np.any(e_c < 0) or np.any(e_t < 0):
            raise CoxModelError("entries need level numbers and whole, non-negative counts")
        keep = e_c > 0
        if keep.any():
            e_f = (e_code[keep].astype(np.int64), e_t[keep], e_c[keep])
    rs = _factor_risk(code_a, t_a, d_a, c_a, p, None, e_f)
    return _fit(rs, names, ties, _resolve_groups(names, None), iter_max, eps, concordance=False)


def fit_cox_factor_table(
    risk: Any,
    dead: Any,
    n_level: Any,
    names: Sequence[str],
    ties: Ties = Ties.EFRON,
    *,
    counting: bool = False,
    iter_max: int = ITER_MAX,
    eps: float = EPS,
) -> CoxResult:
    """:func:`fit_cox_factor` from the numbers at risk and events per level at each time.

    The one-factor partial likelihood depends on the data only through, at each event time,
    the patients at risk and the events of every level (the log-rank test's table), so a
    caller that has that table (the Survival page's log-rank) fits without its rows: the same
    Newton-Raphson, tests, warnings and separation check as :func:`fit_cox_factor`, on the
    same sums (equal to it bit for bit, tested). Columns without an event are left out.
    :func:`cox_zph` is not available on the result (the rows are not kept).

    R equivalent: ``coxph(Surv(t, status) ~ factor(level), ties="efron")`` on the expanded
    patients (``Surv(entry, t, status)`` with delayed entry), reference level first.

    Parameters
    ----------
    risk, dead
        ``(levels, times)``: patients at risk just before each time (entered before it, not
        yet exited) and events at it; row 0 is the reference level, row ``j`` the level of
        ``names[j - 1]``. Whole numbers.
    n_level
        Patients of each level.
    counting
        Whether any patient entered late (R fits with ``agreg.fit``: its convergence rule and
        infinite-coefficient check).

    Raises
    ------
    CoxModelError
        Bad counts, no patients at the reference level, no events, or a non-estimable level.
    """
    names = tuple(names)
    p = len(names)
    r = np.asarray(risk, dtype=np.float64)
    dd = np.asarray(dead, dtype=np.float64)
    n_g = np.asarray(n_level, dtype=np.float64).reshape(-1)
    if p == 0 or r.ndim != 2 or r.shape != dd.shape or r.shape[0] != p + 1 or n_g.size != p + 1:
        raise CoxModelError(f"risk and dead must have {p + 1} rows (one per level) and agree")
    whole = np.all(r == np.round(r)) and np.all(dd == np.round(dd))
    if not whole or np.any(dd < 0) or np.any(dd > r) or np.any(n_g < 0):
        raise CoxModelError("need whole numbers with 0 <= dead <= risk")
    if not n_g[0] > 0:
        raise CoxModelError("the reference level (row 0) has no patients")
    cols = dd.sum(axis=0) > 0
    if not cols.all():
        r, dd = np.ascontiguousarray(r[:, cols]), np.ascontiguousarray(dd[:, cols])
    rs = _factor_risk_of(r, dd, n_g, bool(counting), None)
    return _fit(rs, names, ties, _resolve_groups(names, None), iter_max, eps, concordance=False)


def _entry_rows(
    entries: pd.DataFrame, names: tuple[str, ...], stratified: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any] | None:
    """(x, time, c, strata) of the entry aggregate of :func:`fit_cox_aggregated` (None: no
    entries)."""
    missing = [col for col in (*names, AGG_TIME, AGG_COUNT) if col not in entries.columns]
    if stratified and AGG_STRATUM not in entries.columns:
        missing.append(AGG_STRATUM)
    if missing:
        raise CoxModelError(f"entries need the columns {missing}")
    me = len(entries)
    x_e = np.column_stack([_as_float(nm, entries[nm], me) for nm in names]).reshape(me, len(names))
    t_e = _as_float("entry t", entries[AGG_TIME], me)
    c_e = _as_float("entry c", entries[AGG_COUNT], me)
    if np.any(c_e != np.round(c_e)) or np.any(c_e < 0) or np.any(t_e < 0):
        raise CoxModelError("entries need whole, non-negative counts at non-negative times")
    pos = c_e > 0
    if not pos.any():
        return None  # nobody enters late: the plain fit
    s_e = entries[AGG_STRATUM].to_numpy()[pos] if stratified else None
    return x_e[pos], t_e[pos], c_e[pos], s_e


# ---------------------------------------------------------------------------------------------
# Proportional-hazards test
# ---------------------------------------------------------------------------------------------


def _transform_times(rs: _RiskSet, transform: str) -> np.ndarray:
    """Transformed exit time per row, as R ``cox.zph`` computes ``ttimes``."""
    t = rs.stop
    if transform == "identity":
        return t.copy()
    if transform == "log":
        return np.log(t)
    if transform == "rank":
        # average rank among all patients (R rank(times), ties averaged)
        uniq, inv = np.unique(t, return_inverse=True)
        cnt = np.bincount(inv, rs.c)
        below = np.concatenate(([0.0], np.cumsum(cnt)))[:-1]
        return (below + (cnt + 1) / 2)[inv]
    # km: 1 - S(t-) from the Kaplan-Meier of all rows, ignoring strata
    uniq, inv = np.unique(t, return_inverse=True)
    d_t = np.bincount(inv, rs.d)
    out_t = np.bincount(inv, rs.c)
    at_risk = np.cumsum(out_t[::-1])[::-1]
    if rs.entry is not None:
        # subtract those who enter at or after t
        e_sorted = np.sort(rs.entry)
        ce = rs.c[np.argsort(rs.entry, kind="stable")]
        suffix = np.concatenate((np.cumsum(ce[::-1])[::-1], [0.0]))
        at_risk = at_risk - suffix[np.searchsorted(e_sorted, uniq, side="left")]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d_t > 0, 1 - d_t / at_risk, 1.0)
    surv = np.cumprod(factor)
    s_before = np.concatenate(([1.0], surv[:-1]))
    return 1 - s_before[inv]


def cox_zph(fit: CoxResult, transform: str = "km") -> ZphResult:
    """Test proportional hazards with the score test of ``cox.zph``.

    Method (Grambsch-Therneau, score-test form of survival >= 3.0): adds ``g(t) * x`` terms
    (``g`` = transformed time centred on its mean over events) and computes the score test
    for them at the fitted coefficients, one test per model term (all its columns jointly,
    df = number of columns) and a global test. Scaled Schoenfeld residuals are returned for
    plotting. R equivalent: ``cox.zph(fit, transform = "km")`` (default ``terms = TRUE``).

    Parameters
    ----------
    fit
        Result of :func:`fit_cox` or :func:`fit_cox_aggregated`.
    transform
        One of :data:`ZPH_TRANSFORMS`: ``"km"`` (1 - left-continuous Kaplan-Meier),
        ``"rank"``, ``"identity"``, ``"log"``.
    """
    if transform not in ZPH_TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}; allowed: {', '.join(ZPH_TRANSFORMS)}")
    data: _ZphData = fit._risk.data() if isinstance(fit._risk, _LazyZph) else fit._risk
    rs, beta, names, groups = data.rs, data.beta, data.names, data.groups
    if rs.ent_xt is not None:
        raise CoxModelError("cox.zph needs delayed entries per row, not counted apart")
    p = len(names)
    ttimes = _transform_times(rs, transform)
    gtime = ttimes - _vdot(rs.d, ttimes) / rs.d.sum()
    g = gtime[rs.ev_row_start]
    der = _derivatives(rs, beta, data.ties, (None, g, g * g))
    u2 = der.scores[1]
    i11, i12, i22 = der.infos
    imat = np.block([[i11, i12], [i12.T, i22]])
    col = {nm: j for j, nm in enumerate(names)}

    try:
        zterms = []
        for gname, cols in groups:
            jj = [col[cname] for cname in cols]
            kk = list(range(p)) + [p + j for j in jj]
            uu = np.concatenate((np.zeros(p), u2[jj]))
            chi = float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu))
            zterms.append(ZphTerm(gname, chi, len(jj), float(stats.chi2.sf(chi, len(jj)))))
        uu = np.concatenate((np.zeros(p), u2))
        chi = float(uu @ np.linalg.solve(imat, uu))
        global_test = TestResult(chi, p, float(stats.chi2.sf(chi, p)))

        residuals = _scaled_schoenfeld(rs, der, beta, names, groups, ttimes, i11)
    except np.linalg.LinAlgError as exc:
        raise CoxModelError(
            "the proportional-hazards test cannot be computed for this fit (its information "
            "matrix is singular, e.g. too few events or a diverging coefficient)"
        ) from exc
    bad = [z for z in zterms if z.p < 0.05]
    flag = None
    if bad or global_test.p < 0.05:
        listed = ", ".join(f"{z.term} (p = {z.p:.3g})" for z in bad)
        flag = (
            "The proportional-hazards assumption looks doubtful"
            + (f" for {listed}" if listed else f" overall (global p = {global_test.p:.3g})")
            + ": the hazard ratio may change over follow-up, so a single HR can mislead. "
            "Look at the residual plot; consider stratifying on the term or splitting time."
        )
    return ZphResult(tuple(zterms), global_test, transform, residuals, flag)


def _scaled_schoenfeld(
    rs: _RiskSet,
    der: _Derivs,
    beta: np.ndarray,
    names: tuple[str, ...],
    groups: tuple[tuple[str, tuple[str, ...]], ...],
    ttimes: np.ndarray,
    i11: np.ndarray,
) -> pd.DataFrame:
    """Scaled Schoenfeld residuals per term, as ``cox.zph(fit)$y``."""
    p = len(names)
    col = {nm: j for j, nm in enumerate(names)}
    ev_rows = np.flatnonzero(rs.d > 0)
    own = rs.row_own[ev_rows]
    sres = rs.x[ev_rows] - der.xbar[own]
    strat = rs.stratum[ev_rows]
    # used[s, j]: events in stratum s if column j varies in s, else 0
    used = np.zeros((rs.n_strata, p))
    for s in range(rs.n_strata):
        r0, r1 = rs.strata_rows[s], rs.strata_rows[s + 1]
        if r1 <= r0:
            continue
        varies = np.ptp(rs.x[r0:r1], axis=0) > 0
        used[s] = np.where(varies, rs.d[r0:r1].sum(), 0.0)
    for _, cols in groups:
        jj = [col[c] for c in cols]
        if len(jj) > 1 and np.any(used[:, jj] == 0):
            used[:, jj] = used[:, jj].max(axis=1, keepdims=True)
    wtmat = np.zeros((p, p))
    for s in range(rs.n_strata):
        wtmat += np.minimum.outer(used[s], used[s])
    vmean = i11 / np.where(wtmat == 0, 1, wtmat)
    nterm = len(groups)
    temp = np.zeros((p, nterm))
    for i, (_, cols) in enumerate(groups):
        jj = [col[c] for c in cols]
        temp[jj, i] = 1.0 if len(jj) == 1 else beta[jj]
    sres = sres @ temp
    vmean = temp.T @ vmean @ temp
    used_t = used[:, [col[cols[0]] for _, cols in groups]]
    out = np.full_like(sres, np.nan)
    for s in range(rs.n_strata):
        rows = strat == s
        k = np.flatnonzero(used_t[s] > 0)
        if k.size and rows.any():
            out[np.ix_(rows, k)] = np.linalg.solve(vmean[np.ix_(k, k)], sres[np.ix_(rows, k)].T).T
    for i, (_, cols) in enumerate(groups):
        out[:, i] += beta[col[cols[0]]] if len(cols) == 1 else 1.0
    frame = pd.DataFrame(out, columns=[gname for gname, _ in groups])
    frame.insert(0, "n_events", rs.d[ev_rows].astype(np.int64))
    frame.insert(0, "transformed_time", ttimes[ev_rows])
    frame.insert(0, "time", rs.stop[ev_rows])
    if rs.n_strata > 1:
        frame.insert(1, "stratum", strat)
    return frame
