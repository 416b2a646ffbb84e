"""Survival statistics engine: Kaplan-Meier, quantiles, log-rank, RMST, Cox group HRs, landmarks.

Pure NumPy; the group hazard ratios use the project's own Cox engine (:mod:`core.stats.cox`,
the Cox page's). Every statistic reproduces R's ``survival`` package (3.5.3); each docstring
names the R call that gives the same numbers.

Data flow
---------
Patient-level arrays, or a DuckDB ``GROUP BY`` over them, are reduced to one
:class:`SurvivalCounts` per group: the sorted distinct times with the number of events,
censorings and delayed entries at each. Every statistic except the Cox model is computed from
these counts with vectorised NumPy (``cumsum``/``cumprod``/``searchsorted``), so the cost depends
on the number of distinct times, not on the number of patients.

Conventions
-----------
* Times are non-negative numbers in any unit; the engine is scale-free. Kaplan-Meier values,
  log-rank statistics and hazard ratios do not depend on the unit; times, quantiles and RMST
  scale with it (see :func:`to_unit`). R's ``survfit``/``survdiff`` additionally merge times that
  differ by less than ~1.5e-8 relative (``timefix=TRUE``); integer days never trigger that rule.
* Risk set. A subject without delayed entry is at risk at every ``t <= time``. A subject with
  delayed entry ``entry`` is at risk on ``(entry, time]``, exactly like R's counting-process
  ``Surv(entry, time, status)``. Hence the number at risk at ``t`` is
  ``n_start + (entries at times < t) - (exits at times < t)``, where ``n_start`` counts the
  subjects without delayed entry.
* R's ``NA`` is returned as ``nan`` in arrays and as ``None`` in scalar results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc, ndtr, ndtri

from core.stats.cox import (
    aggregate_for_cox,
    fit_cox_aggregated,
    fit_cox_factor,
    fit_cox_factor_table,
)
from core.vocab.methods import ConfType

__all__ = [
    "EmptyGroupError",
    "SurvivalCounts",
    "KMResult",
    "Quantile",
    "SurvAt",
    "LogRankResult",
    "PairwiseLogRank",
    "RMSTResult",
    "RMSTDifference",
    "GroupHR",
    "LandmarkResult",
    "counts_from_arrays",
    "counts_from_frame",
    "kaplan_meier",
    "km_quantiles",
    "survival_at",
    "at_risk_table",
    "logrank_test",
    "pairwise_logrank",
    "logrank_with_pairwise",
    "rmst",
    "rmst_difference",
    "rmst_difference_of",
    "cox_group_hr",
    "landmark",
    "to_unit",
    "P_ADJUST_METHODS",
]

QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))
"""R's ``quantile.survfit`` tolerance, ``sqrt(.Machine$double.eps)``."""

P_ADJUST_METHODS = ("holm", "bonferroni", "none")
"""Multiplicity adjustments accepted by :func:`pairwise_logrank` (R ``p.adjust`` names)."""


class EmptyGroupError(ValueError):
    """A statistic was requested for a group with no patients."""


# ---------------------------------------------------------------------------------------------
# Aggregated representation
# ---------------------------------------------------------------------------------------------


def _frozen(a: Any, dtype: Any) -> np.ndarray:
    out = np.array(a, dtype=dtype, copy=True).reshape(-1)
    out.setflags(write=False)
    return out


def _as_counts(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.size and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold whole numbers")
    elif arr.size and arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must be numeric counts, got dtype {arr.dtype}")
    return _frozen(arr, np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class SurvivalCounts:
    """Aggregated survival data of ONE group: the input of every statistic here.

    Attributes
    ----------
    time : float array
        Sorted, distinct, non-negative times (event, censoring or delayed-entry times).
    n_event, n_censor : int arrays
        Events and censorings (exits) at each time.
    n_enter : int array
        Delayed entries at each time: subjects whose risk interval is ``(entry, exit]`` with
        ``entry == time``. Zero everywhere when there is no left truncation. Subjects *without*
        delayed entry are not counted here; they are at risk from the start (including at
        time 0), so ``n_start = n - n_enter.sum()``.
    n_landmark_excluded : int
        Patients dropped by a landmark before aggregation (reported, not used).
    """

    time: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n_enter: np.ndarray
    n_landmark_excluded: int = 0

    def __post_init__(self) -> None:
        time = _frozen(self.time, np.float64)
        d = _as_counts(self.n_event, "n_event")
        c = _as_counts(self.n_censor, "n_censor")
        e = _as_counts(self.n_enter, "n_enter")
        m = time.size
        if not (d.size == c.size == e.size == m):
            raise ValueError("time, n_event, n_censor and n_enter must have the same length")
        if m:
            if not np.all(np.isfinite(time)):
                raise ValueError("times must be finite")
            if time[0] < 0:
                raise ValueError("times must be non-negative")
            if m > 1 and np.any(np.diff(time) <= 0):
                raise ValueError("times must be sorted and distinct")
            if d.min() < 0 or c.min() < 0 or e.min() < 0:
                raise ValueError("counts must be non-negative")
        if int(self.n_landmark_excluded) < 0:
            raise ValueError("n_landmark_excluded must be non-negative")
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "n_event", d)
        object.__setattr__(self, "n_censor", c)
        object.__setattr__(self, "n_enter", e)
        object.__setattr__(self, "n_landmark_excluded", int(self.n_landmark_excluded))
        if m:
            exits = d + c
            if self.n_start < 0:
                raise ValueError("more delayed entries than patients")
            risk = self._risk_at_rows()
            if np.any(risk < exits):
                i = int(np.argmax(risk < exits))
                raise ValueError(
                    f"inconsistent counts at time {time[i]:g}: {int(exits[i])} exits but only "
                    f"{int(risk[i])} at risk (a delayed entry must precede its exit)"
                )

    @property
    def n(self) -> int:
        """Number of patients (each exits exactly once)."""
        return int(self.n_event.sum() + self.n_censor.sum())

    @property
    def events(self) -> int:
        return int(self.n_event.sum())

    @property
    def n_start(self) -> int:
        """Patients at risk from the start (without delayed entry)."""
        return self.n - int(self.n_enter.sum())

    def _risk_at_rows(self) -> np.ndarray:
        exits = self.n_event + self.n_censor
        return self.n_start + (np.cumsum(self.n_enter) - self.n_enter) - (np.cumsum(exits) - exits)

    def n_risk_before(self, t: Any) -> np.ndarray:
        """Number at risk at ``t`` (entered before ``t``, not exited before ``t``), vectorised."""
        t = np.asarray(t, dtype=np.float64)
        if self.time.size == 0:
            return np.zeros(t.shape, dtype=np.int64)
        k = np.searchsorted(self.time, t, side="left")  # number of grid times < t
        net = np.concatenate(([0], np.cumsum(self.n_enter - self.n_event - self.n_censor)))
        return self.n_start + net[k]


def counts_from_arrays(
    time: Any, event: Any, entry: Any = None, *, n_landmark_excluded: int = 0
) -> SurvivalCounts:
    """Aggregate patient-level data of one group into :class:`SurvivalCounts`.

    Parameters
    ----------
    time : array of float
        Exit time (event or censoring), >= 0.
    event : array of bool or 0/1
        1 = event, 0 = censored. Other codes (e.g. R's lung ``status`` 1/2) raise ValueError.
    entry : array of float, optional
        Delayed-entry time; the subject is at risk on ``(entry, time]`` (R's
        ``Surv(entry, time, status)``), so ``entry < time`` is required.
    """
    t = np.asarray(time, dtype=np.float64).reshape(-1)
    ev = _event_array(event, t.size)
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("times must be finite and non-negative")
    if entry is None:
        if t.size == 0:
            z = np.zeros(0)
            return SurvivalCounts(z, z, z, z, n_landmark_excluded)
        ut, inv = np.unique(t, return_inverse=True)
        m = ut.size
        d = np.bincount(inv, weights=ev, minlength=m)
        tot = np.bincount(inv, minlength=m)
        return SurvivalCounts(ut, d, tot - d, np.zeros(m), n_landmark_excluded)
    en = np.asarray(entry, dtype=np.float64).reshape(-1)
    if en.size != t.size:
        raise ValueError("entry must have the same length as time")
    if t.size and (not np.all(np.isfinite(en)) or en.min() < 0):
        raise ValueError("entry times must be finite and non-negative")
    if np.any(en >= t):
        raise ValueError("entry must be strictly before the exit time (R: stop > start)")
    ut, inv = np.unique(np.concatenate((t, en)), return_inverse=True)
    m = ut.size
    n = t.size
    d = np.bincount(inv[:n], weights=ev, minlength=m)
    tot = np.bincount(inv[:n], minlength=m)
    e = np.bincount(inv[n:], minlength=m)
    return SurvivalCounts(ut, d, tot - d, e, n_landmark_excluded)


def counts_from_frame(df: pd.DataFrame, *, n_landmark_excluded: int = 0) -> SurvivalCounts:
    """Build :class:`SurvivalCounts` from an aggregated frame (e.g. a DuckDB ``GROUP BY``).

    Columns: ``t`` distinct time, ``d`` events at t, ``c`` censorings at t, ``e`` delayed
    entries at t (optional; 0 when absent). Patients without delayed entry must NOT be counted
    in ``e`` (they are at risk from the start). Rows need not be sorted; duplicate ``t`` rows are
    summed and all-zero rows dropped.
    """
    missing = {"t", "d", "c"} - set(df.columns)
    if missing:
        raise ValueError(f"aggregated frame lacks columns {sorted(missing)}")
    t = df["t"].to_numpy(dtype=np.float64)
    d = df["d"].to_numpy(dtype=np.float64)
    c = df["c"].to_numpy(dtype=np.float64)
    e = df["e"].to_numpy(dtype=np.float64) if "e" in df.columns else np.zeros(t.size)
    for name, a in (("t", t), ("d", d), ("c", c), ("e", e)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"column {name} has missing or infinite values")
    if t.size and (np.any(np.diff(t) <= 0)):
        ut, inv = np.unique(t, return_inverse=True)
        m = ut.size
        t = ut
        d = np.bincount(inv, weights=d, minlength=m)
        c = np.bincount(inv, weights=c, minlength=m)
        e = np.bincount(inv, weights=e, minlength=m)
    keep = (d + c + e) > 0
    if not keep.all():
        t, d, c, e = t[keep], d[keep], c[keep], e[keep]
    return SurvivalCounts(t, d, c, e, n_landmark_excluded)


def _event_array(event: Any, n: int) -> np.ndarray:
    ev = np.asarray(event).reshape(-1)
    if ev.size != n:
        raise ValueError("event must have the same length as time")
    if ev.dtype == bool:
        return ev.astype(np.float64)
    evf = ev.astype(np.float64)
    if ev.size and not np.all((evf == 0) | (evf == 1)):
        raise ValueError("event must be 0/1 or boolean (R's lung status 1/2: pass status == 2)")
    return evf


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class KMResult:
    """Kaplan-Meier curve of one group, one row per distinct exit time (events or censorings).

    ``std_err`` is Greenwood's standard error of the cumulative hazard, ``sqrt(sum d/(n(n-d)))``,
    as R's ``fit$std.err`` (multiply by ``surv`` for the survival scale, as ``summary`` prints).
    ``lower``/``upper`` are ``nan`` where R gives ``NA``. ``counts`` keeps the aggregated input
    (needed for numbers at risk between rows under delayed entry).
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    events: int
    conf_type: ConfType
    conf_level: float
    counts: SurvivalCounts = field(repr=False)


def _z(conf_level: float) -> float:
    if not 0.0 < conf_level < 1.0:
        raise ValueError("conf_level must be strictly between 0 and 1")
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def _confint(surv: np.ndarray, se: np.ndarray, conf_type: ConfType, z: float):
    """R 3.5.3 ``survfit_confint(p, se, logse=TRUE, conf.type, conf.int)`` with NA -> nan."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type is ConfType.PLAIN:
            se2 = se * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type is ConfType.LOG:
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * se
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        if conf_type is ConfType.LOG_LOG:
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se / np.log(xx)
            ll = np.log(-np.log(xx))
            return np.exp(-np.exp(ll - se2)), np.exp(-np.exp(ll + se2))
    raise ValueError(f"unsupported conf_type {conf_type!r}")  # pragma: no cover


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def kaplan_meier(
    counts: SurvivalCounts,
    conf_type: ConfType | str = ConfType.LOG_LOG,
    conf_level: float = 0.95,
) -> KMResult:
    """Kaplan-Meier product-limit estimate with Greenwood variance and pointwise CI.

    Method: ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``; Greenwood
    ``std_err(t) = sqrt(sum_{t_i <= t} d_i / (n_i (n_i - d_i)))`` (standard error of the
    cumulative hazard, infinite once ``n_i == d_i``); CI per ``conf_type`` at ``conf_level``.

    R equivalent: ``survfit(Surv(time, status) ~ 1, conf.type=..., conf.int=...)``
    (``Surv(entry, time, status)`` under delayed entry); rows as with ``censor=TRUE``.

    Limits, as R: ``plain`` is truncated to [0, 1] and is ``nan`` where S = 0 (0 * Inf);
    ``log`` is ``nan`` where S = 0 and its upper limit is capped at 1; ``log-log`` is ``nan``
    where S = 0 or S = 1 (e.g. censor-only rows before the first event).

    Raises
    ------
    EmptyGroupError
        If the group has no patients.
    """
    conf_type = ConfType.parse(conf_type)
    z = _z(conf_level)
    if counts.n == 0:
        raise EmptyGroupError("Kaplan-Meier of an empty group")
    exits = counts.n_event + counts.n_censor
    rows = exits > 0
    risk = counts._risk_at_rows()[rows]
    d = counts.n_event[rows]
    c = counts.n_censor[rows]
    nr = risk.astype(np.float64)
    df = d.astype(np.float64)
    surv = np.cumprod(1.0 - df / nr)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, df / (nr * (nr - df)), 0.0)
    std_err = np.sqrt(np.cumsum(term))
    lower, upper = _confint(surv, std_err, conf_type, z)
    return KMResult(
        time=_ro(counts.time[rows].copy()),
        n_risk=_ro(risk),
        n_event=_ro(d.copy()),
        n_censor=_ro(c.copy()),
        surv=_ro(surv),
        std_err=_ro(std_err),
        lower=_ro(lower),
        upper=_ro(upper),
        n=counts.n,
        events=counts.events,
        conf_type=conf_type,
        conf_level=float(conf_level),
        counts=counts,
    )


# ---------------------------------------------------------------------------------------------
# Quantiles
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quantile:
    """Survival-time quantile: the time by which a fraction ``p`` has had the event.

    ``p = 0.5`` is the median (S = 0.5), ``p = 0.25`` the first quartile (S = 0.75). ``None``
    means "not reached".
    """

    p: float
    estimate: float | None
    lower: float | None
    upper: float | None


def _findq(x: np.ndarray, y: np.ndarray, probs: np.ndarray, tol: float) -> np.ndarray:
    """R 3.5.3 ``survival:::findq`` (x = c(0, time), y = c(0, 1 - curve)); NA -> nan."""
    out = np.full(probs.size, np.nan)
    finite = ~np.isnan(y)
    all_finite = bool(finite.all())
    yf = y if all_finite else y[finite]
    if yf.size == 0 or yf.max() < probs.min():
        return out
    if yf.size < 2 or bool(np.all(yf[1:] >= yf[:-1])):
        return _findq_monotone(x, yf, finite, all_finite, probs, tol)
    return _findq_general(x, y, probs, tol)


def _findq_general(x: np.ndarray, y: np.ndarray, probs: np.ndarray, tol: float) -> np.ndarray:
    """:func:`_findq` for any ``y``: R's steps one by one (``duplicated``, ``approx``); the
    reference of :func:`_findq_monotone`."""
    out = np.full(probs.size, np.nan)
    finite = ~np.isnan(y)
    if not finite.any() or y[finite].max() < probs.min():
        return out
    xmax = x[-1]
    fidx = np.flatnonzero(finite)
    yf = y[fidx]
    keep = np.zeros(y.size, dtype=bool)
    monotone = bool(np.all(yf[1:] >= yf[:-1]))
    if monotone:  # the usual case: duplicates are runs, keep the first of each run
        first = np.ones(yf.size, dtype=bool)
        first[1:] = yf[1:] != yf[:-1]
        keep[fidx[first]] = True
    else:  # duplicated(y): first occurrence of each value
        _, first_idx = np.unique(yf, return_index=True)
        keep[fidx[first_idx]] = True
    if fidx.size < y.size:  # duplicated() keeps the first NA
        keep[np.flatnonzero(~finite)[0]] = True
    x, y = x[keep], y[keep]
    ylast = y[-1]
    fin = ~np.isnan(y)
    ys, xs = y[fin], x[fin]
    if not monotone:  # approx() sorts its abscissa (NA pairs dropped)
        order = np.argsort(ys, kind="stable")
        ys, xs = ys[order], xs[order]
    hi, lo = ys + tol, ys - tol
    # approx(hi, idx, p, "constant", f=1): value at the smallest abscissa >= p; NA outside range
    i1 = np.searchsorted(hi, probs, side="left")
    i2 = np.searchsorted(lo, probs, side="left")
    ok1 = (probs >= hi[0]) & (i1 < ys.size)
    ok2 = (probs >= lo[0]) & (i2 < ys.size)
    q1 = np.where(ok1, xs[np.minimum(i1, ys.size - 1)], np.nan)
    q2 = np.where(ok2, xs[np.minimum(i2, ys.size - 1)], np.nan)
    out = (q1 + q2) / 2.0
    out[probs == 0] = x[0]
    if not np.isnan(ylast):
        last = np.abs(probs - ylast) < tol
        out[last] = (q1[last] + xmax) / 2.0
    return out


def _findq_monotone(
    x: np.ndarray,
    yf: np.ndarray,
    finite: np.ndarray,
    all_finite: bool,
    probs: np.ndarray,
    tol: float,
) -> np.ndarray:
    """:func:`_findq` when the finite ``y`` never decrease (a survival curve, and usually its
    CI limits): the same numbers without building the de-duplicated arrays. ``yf`` holds the
    finite ``y``, ``finite`` marks them (``all_finite``: every one is).

    ``findq`` keeps the first point of each run of equal values; on a non-decreasing ``y`` the
    first point whose value (plus or minus ``tol``) reaches ``p`` is the first of its run, so
    searching the full arrays finds the same points. R's ``ylast`` is the last kept value:
    NA when the first NA comes after the start of the last run of finite values.
    """
    xf = x if all_finite else x[finite]
    n = yf.size
    hi = yf + tol
    lo = yf - tol
    i1 = np.searchsorted(hi, probs, side="left")
    i2 = np.searchsorted(lo, probs, side="left")
    ok1 = (probs >= hi[0]) & (i1 < n)
    ok2 = (probs >= lo[0]) & (i2 < n)
    q1 = np.where(ok1, xf[np.minimum(i1, n - 1)], np.nan)
    q2 = np.where(ok2, xf[np.minimum(i2, n - 1)], np.nan)
    out = (q1 + q2) / 2.0
    out[probs == 0] = x[0]
    ylast = float(yf[-1])
    if not all_finite:
        last_run = int(np.searchsorted(yf, yf[-1], side="left"))  # first point of the last run
        first_nan = int(np.argmin(finite))
        if first_nan > int(np.flatnonzero(finite)[last_run]):
            ylast = float("nan")
    if not np.isnan(ylast):
        last = np.abs(probs - ylast) < tol
        out[last] = (q1[last] + x[-1]) / 2.0
    return out


def km_quantiles(km: KMResult, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> list[Quantile]:
    """Quantiles of the survival time with CI, by R's ``quantile.survfit`` rule.

    Method: the estimate for probability ``p`` is the smallest time with ``S(t) <= 1 - p``; when
    S equals ``1 - p`` (within ``sqrt(.Machine$double.eps)``) on a flat segment, the midpoint of
    that segment (if the curve ends on that level: midpoint to the last observed time). The CI
    limits apply the same rule to the lower and upper pointwise CI curves (Brookmeyer-Crowley
    style inversion). A quantile the curve (or CI curve) never reaches is ``None``.

    R equivalent: ``quantile(fit, probs=c(.25,.5,.75))``. The median equals R's
    ``print(fit)`` median except in one edge case: when the curve *ends* exactly at 0.5,
    ``print.survfit`` reports the first time S = 0.5 while ``quantile`` (and this function)
    reports the midpoint to the last observed time.
    """
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if p.size == 0:
        return []
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    x = np.concatenate(([0.0], km.time))
    est = _findq(x, np.concatenate(([0.0], 1.0 - km.surv)), p, QUANTILE_TOL)
    lo = _findq(x, np.concatenate(([0.0], 1.0 - km.lower)), p, QUANTILE_TOL)
    hi = _findq(x, np.concatenate(([0.0], 1.0 - km.upper)), p, QUANTILE_TOL)
    return [Quantile(float(p[i]), _none(est[i]), _none(lo[i]), _none(hi[i])) for i in range(p.size)]


def _none(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


def reverse_counts(counts: SurvivalCounts) -> SurvivalCounts:
    """The same patients with events and censorings swapped (the reverse Kaplan-Meier input)."""
    return SurvivalCounts(
        counts.time, counts.n_censor, counts.n_event, counts.n_enter, counts.n_landmark_excluded
    )


def median_followup(
    counts: SurvivalCounts, conf_type: ConfType | str = ConfType.LOG_LOG
) -> Quantile:
    """Median follow-up by the reverse Kaplan-Meier method, with its CI.

    Method: censoring is the "event" and an event censors follow-up (Schemper and Smith
    1996); the median and its CI are those of that curve by :func:`km_quantiles` (R's
    ``quantile.survfit`` rule). ``None`` where the reverse curve (or its CI curve) does not
    reach 0.5.

    R equivalent: ``quantile(survfit(Surv(time, 1 - status) ~ 1, conf.type = ...), 0.5)``
    (with delayed entry ``Surv(entry, time, 1 - status)``).
    """
    km = kaplan_meier(reverse_counts(counts), conf_type=conf_type)
    return km_quantiles(km, (0.5,))[0]


def pooled_counts(groups: Sequence[SurvivalCounts]) -> SurvivalCounts:
    """All groups' patients as one group (counts add at shared times)."""
    groups = [g for g in groups if g.time.size]
    if not groups:
        return SurvivalCounts(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    if len(groups) == 1:  # the ungrouped view: already pooled
        g = groups[0]
        return g if g.n_landmark_excluded == 0 else replace(g, n_landmark_excluded=0)
    times = [g.time for g in groups]
    span = _day_span(times, max(t.size for t in times))
    if span is not None:  # whole days: counts added per day (bins), the days used kept
        day = np.concatenate(times).astype(np.intp)
        used = np.bincount(day, minlength=span) > 0
        days = np.flatnonzero(used)
        cols = [
            np.bincount(day, np.concatenate(col), span)[days].astype(np.int64)
            for col in zip(*((g.n_event, g.n_censor, g.n_enter) for g in groups), strict=True)
        ]
        return SurvivalCounts(days.astype(np.float64), *cols)
    t = _union_times(times)
    out = [np.zeros(t.size, dtype=np.int64) for _ in range(3)]
    for g in groups:
        i = np.searchsorted(t, g.time)  # distinct within a group: no repeated index
        for acc, col in zip(out, (g.n_event, g.n_censor, g.n_enter), strict=True):
            acc[i] += col
    return SurvivalCounts(t, *out)


def _union_times(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted distinct values of all the arrays, as ``np.unique(np.concatenate(arrays))``.

    Whole, non-negative times in a range not much larger than their number (days, the usual
    case) are marked in a table instead of sorted.
    """
    allt = np.concatenate(arrays) if len(arrays) else np.zeros(0)
    if allt.size == 0:
        return allt.astype(np.float64)
    lo, hi = float(allt.min()), float(allt.max())
    if lo >= 0 and hi <= 4 * allt.size + 4096 and bool(np.all(allt == np.floor(allt))):
        mark = np.zeros(int(hi) + 1, dtype=bool)
        mark[allt.astype(np.int64)] = True
        return np.flatnonzero(mark).astype(np.float64)
    return np.unique(allt)


# ---------------------------------------------------------------------------------------------
# Survival at fixed times, numbers at risk
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurvAt:
    """Survival at a fixed time ``time`` (R ``summary(fit, times=)``)."""

    time: float
    surv: float | None
    lower: float | None
    upper: float | None
    n_risk: int
    events: int = 0
    """Events at or before ``time``, cumulative (KMunicate; R: ``cumsum`` of ``n.event`` of
    ``summary(fit, times=)``)."""
    censored: int = 0
    """Censorings at or before ``time``, cumulative (R: ``cumsum`` of ``n.censor``)."""


def survival_at(km: KMResult, times: Any) -> list[SurvAt]:
    """Survival probability, CI and number at risk at given times.

    Method (R's ``summary(fit, times=t)``, survival 3.5.3): ``surv``/``lower``/``upper`` are the
    step function's values at ``t`` (row with the largest time ``<= t``; 1, 1, 1 before the first
    row, as R's ``survfit0`` start row). ``n_risk`` counts patients at risk just before ``t``
    (entered before ``t``, not exited before ``t``).

    Times after the last observed time: R (``extend=FALSE``) drops them; here they are returned
    with ``surv``/``lower``/``upper`` = ``None`` and ``n_risk = 0``. CI limits that R gives as
    ``NA`` (e.g. log-log where S = 1) are ``None``.

    Delayed entry: R's ``summary`` takes n.risk from the next output row, which also counts
    patients entering between ``t`` and that row; this function counts only those entered
    before ``t`` (identical without delayed entry).

    ``events`` and ``censored`` (the KMunicate risk table) are cumulative: all events and
    censorings at times ``<= t`` (R: ``cumsum(s$n.event)``, ``cumsum(s$n.censor)`` of
    ``s <- summary(fit, times = t)`` over increasing times starting from the first; after the
    last observed time, the group's totals).
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(t)):
        raise ValueError("times must be finite")
    idx = np.searchsorted(km.time, t, side="right") - 1
    before = idx < 0
    after = t > km.time[-1]
    j = np.maximum(idx, 0)
    surv = np.where(before, 1.0, km.surv[j])
    lower = np.where(before, 1.0, km.lower[j])
    upper = np.where(before, 1.0, km.upper[j])
    n_risk = km.counts.n_risk_before(t)
    upto = np.searchsorted(km.counts.time, t, side="right")  # observed times <= t
    cum_d = np.concatenate(([0], np.cumsum(km.counts.n_event)))[upto]
    cum_c = np.concatenate(([0], np.cumsum(km.counts.n_censor)))[upto]
    out = []
    for i in range(t.size):
        if after[i]:
            out.append(SurvAt(float(t[i]), None, None, None, 0, int(cum_d[i]), int(cum_c[i])))
        else:
            out.append(
                SurvAt(
                    float(t[i]),
                    float(surv[i]),
                    _none(lower[i]),
                    _none(upper[i]),
                    int(n_risk[i]),
                    int(cum_d[i]),
                    int(cum_c[i]),
                )
            )
    return out


def at_risk_table(counts: SurvivalCounts, ticks: Any) -> np.ndarray:
    """Numbers at risk just before each tick (int array), for a risk table under a KM plot.

    Same convention as :func:`survival_at`; 0 after the last observed time (R's
    ``summary(fit, times=ticks, extend=TRUE)$n.risk``). An empty group gives zeros.
    """
    t = np.asarray(ticks, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(t)):
        raise ValueError("ticks must be finite")
    return counts.n_risk_before(t).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Log-rank
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class LogRankResult:
    """k-sample log-rank test: chi-square statistic, degrees of freedom, p, O and E per group."""

    chi2: float
    df: int
    p: float
    observed: np.ndarray
    expected: np.ndarray


def _risk_dead(groups: Sequence[SurvivalCounts]) -> tuple[np.ndarray, np.ndarray]:
    """Number at risk and events of every group (rows) on the merged event-time grid (columns:
    every time with an event in any group)."""
    k = len(groups)
    has = [g.n_event > 0 for g in groups]
    ev_times = [g.time[h] for g, h in zip(groups, has, strict=True)]
    grid = _union_times(ev_times)
    m = grid.size
    span = _day_span([g.time for g in groups], m)
    if span is not None:  # whole days: one table of net changes per group, no searches
        return _risk_dead_days(groups, has, grid, span)
    risk = np.empty((k, m))
    dead = np.zeros((k, m))
    for j, g in enumerate(groups):  # loop over groups only
        risk[j] = g.n_risk_before(grid)
        dead[j, np.searchsorted(grid, ev_times[j])] = g.n_event[has[j]]
    return risk, dead


_DAY_TABLE_CELLS = 8
"""Whole-day times are counted in a (group x day) table when it has at most this many cells
per grid column and group row (else by searching the grid, as for fractional times)."""


def _day_span(times: Sequence[np.ndarray], m: int) -> int | None:
    """Last whole time + 1 when every time is a whole number >= 0 and a table up to it is
    small against the grid of ``m`` columns, else None."""
    tops = [float(t[-1]) for t in times if t.size]
    if not tops:
        return None
    top = max(tops)
    if top + 1 > _DAY_TABLE_CELLS * max(m, 1) + 4096:
        return None
    if not all(bool(np.all(t == np.floor(t))) for t in times if t.size):
        return None
    return int(top) + 1


def _risk_dead_days(
    groups: Sequence[SurvivalCounts], has: Sequence[np.ndarray], grid: np.ndarray, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_risk_dead` for whole-day times: the net change in the number at risk on each day
    (entries - exits) in a (group x day) table, summed along the days; at risk at a grid day
    = patients from the start + the changes on the days before it (whole numbers: exact)."""
    k, m = len(groups), grid.size
    pos = np.zeros(span, dtype=np.intp)  # grid column of each event day
    pos[grid.astype(np.intp)] = np.arange(m)
    # one bin per (group, day): the change after the day's exits and entries (column day + 1)
    # and the patients at risk from the start (column 0); events per (group, grid column)
    day = [g.time.astype(np.intp) for g in groups]
    slot = np.concatenate([j * (span + 1) + d + 1 for j, d in enumerate(day)])
    change = np.concatenate([g.n_enter - g.n_event - g.n_censor for g in groups])
    starts = np.array([g.n_start for g in groups], dtype=np.int64)
    net = np.bincount(slot, change, k * (span + 1)).reshape(k, span + 1)  # whole numbers
    net[:, 0] += starts
    cell = np.concatenate(
        [j * m + pos[d[h]] for j, (d, h) in enumerate(zip(day, has, strict=True))]
    )
    ev = np.concatenate([g.n_event[h] for g, h in zip(groups, has, strict=True)])
    dead = np.bincount(cell, ev, k * m).reshape(k, m)
    np.cumsum(net, axis=1, out=net)  # whole numbers below 2^53: exact in floating point
    # C order, as the searched rows (sums over the grid then add in the same order)
    risk = np.ascontiguousarray(net[:, grid.astype(np.intp)])
    return risk, dead


def _logrank_oev(risk: np.ndarray, dead: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected and hypergeometric covariance from :func:`_risk_dead` matrices.

    Every column must hold at least one event (the grid of these groups' event times)."""
    n_t = risk.sum(axis=0)  # >= d_t >= 1 on this grid
    d_t = dead.sum(axis=0)
    frac = risk / n_t
    observed = dead.sum(axis=1)
    expected = frac @ d_t
    w = d_t * (n_t - d_t) / np.maximum(n_t - 1.0, 1.0)  # 0 when n_t == 1
    fw = frac * w
    var = np.diag(fw.sum(axis=1)) - fw @ frac.T
    return observed, expected, var


def _check_adjust(adjust: str) -> None:
    if adjust not in P_ADJUST_METHODS:
        raise ValueError(f"unknown adjust {adjust!r}; allowed: {', '.join(P_ADJUST_METHODS)}")


def _check_groups(groups: Sequence[SurvivalCounts]) -> None:
    if len(groups) < 2:
        raise ValueError("the log-rank test needs at least two groups")
    for i, g in enumerate(groups):
        if g.n == 0:
            raise EmptyGroupError(f"group {i} has no patients")


def _logrank_from(risk: np.ndarray, dead: np.ndarray) -> LogRankResult:
    observed, expected, var = _logrank_oev(risk, dead)
    keep = expected > 0
    chi = 0.0
    df = 0
    if keep.sum() >= 2:
        diff = (observed - expected)[keep][1:]
        vv = var[np.ix_(keep, keep)][1:, 1:]
        rank = int(np.linalg.matrix_rank(vv))
        if rank == vv.shape[0]:
            chi = float(diff @ np.linalg.solve(vv, diff))
            df = rank
        elif rank > 0:
            chi = float(diff @ np.linalg.pinv(vv) @ diff)
            df = rank
    p = float(chdtrc(df, chi)) if df > 0 else 1.0
    return LogRankResult(chi, df, p, _ro(observed), _ro(expected))


def logrank_test(groups: Sequence[SurvivalCounts]) -> LogRankResult:
    """k-sample log-rank test (Mantel-Haenszel, rho = 0) from aggregated counts.

    Method: over the merged grid of event times, ``O_j - E_j`` with
    ``E_j = sum n_jt d_t / n_t`` and hypergeometric covariance
    ``V_jl = sum d_t (n_t - d_t)/(n_t - 1) * n_jt/n_t * (1[j=l] - n_lt/n_t)``. As R, groups with
    ``E = 0`` are dropped, the first remaining group is omitted and
    ``chi2 = (O-E)' V^{-1} (O-E)`` with ``df = #(E>0) - 1``.

    R equivalent: ``survdiff(Surv(time, status) ~ group)``. Under delayed entry (which
    ``survdiff`` refuses) the same formula with counting-process risk sets equals the score
    test of ``coxph(Surv(entry, time, status) ~ factor(group), ties="exact")``; Efron/Breslow
    score tests differ slightly when event times are tied.

    Where R fails or is undefined, this returns: no events at all -> ``chi2=0, df=0, p=1``
    (R: df = -1, p = NaN); fewer than two groups with ``E > 0`` -> ``chi2=0, df=0, p=1`` (as
    R); singular V (R: error) -> Moore-Penrose inverse and ``df = rank(V)``.

    Raises
    ------
    EmptyGroupError
        If any group has no patients. ValueError if fewer than two groups.
    """
    _check_groups(groups)
    return _logrank_from(*_risk_dead(groups))


@dataclass(frozen=True, slots=True)
class PairwiseLogRank:
    """One pairwise log-rank comparison; unpacks as ``(a, b, chi2, p, p_adj)``."""

    a: str
    b: str
    chi2: float
    p: float
    p_adj: float

    def __iter__(self) -> Iterator[Any]:
        return iter((self.a, self.b, self.chi2, self.p, self.p_adj))


def _p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """R ``p.adjust`` for holm / bonferroni / none (NaN excluded from n, as R)."""
    out = np.full(p.size, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    n = q.size
    if method == "none":
        out[ok] = q
    elif method == "bonferroni":
        out[ok] = np.minimum(1.0, n * q)
    elif method == "holm":
        o = np.argsort(q, kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate((n - np.arange(n)) * q[o]))
        res = np.empty(n)
        res[o] = adj
        out[ok] = res
    else:
        raise ValueError(f"unknown adjust {method!r}; allowed: {', '.join(P_ADJUST_METHODS)}")
    return out


def pairwise_logrank(
    groups: Sequence[SurvivalCounts], labels: Sequence[str], adjust: str = "holm"
) -> list[PairwiseLogRank]:
    """Log-rank test for every pair of groups with multiplicity-adjusted p values.

    Method: two-group :func:`logrank_test` for each pair ``(i, j)``, ``i < j`` in the given
    order; ``p_adj`` is R's ``p.adjust(p, method=adjust)`` over all pairs.

    R equivalent: ``survminer::pairwise_survdiff(Surv(time, status) ~ group, data,
    p.adjust.method="holm")``, i.e. ``survdiff`` on each pair's subset followed by
    ``p.adjust(p, "holm")``.
    """
    _check_adjust(adjust)
    if len(groups) != len(labels):
        raise ValueError("groups and labels must have the same length")
    if len(groups) < 2:
        raise ValueError("pairwise comparisons need at least two groups")
    _check_groups(groups)
    return _pairwise_from(_risk_dead(groups), labels, adjust)


@dataclass(frozen=True, slots=True, eq=False)
class RiskTable:
    """Numbers at risk (just before) and events of some groups at every time with an event in
    any of them: the table of the log-rank test, which also determines a one-factor Cox fit
    (:func:`cox_group_hr_counts` with ``table=``). ``counts`` are the groups it was made of."""

    labels: tuple[str, ...]
    counts: tuple[SurvivalCounts, ...]
    risk: np.ndarray  # (groups, times)
    dead: np.ndarray  # (groups, times)


def risk_table(groups: Sequence[SurvivalCounts], labels: Sequence[str]) -> RiskTable:
    """The :class:`RiskTable` of ``groups`` (merged grid of their event times)."""
    if len(groups) != len(labels):
        raise ValueError("groups and labels must have the same length")
    _check_groups(groups)
    risk, dead = _risk_dead(groups)
    return RiskTable(tuple(map(str, labels)), tuple(groups), _ro(risk), _ro(dead))


def logrank_with_pairwise(
    groups: Sequence[SurvivalCounts],
    labels: Sequence[str],
    adjust: str = "holm",
    *,
    table: RiskTable | None = None,
) -> tuple[LogRankResult, list[PairwiseLogRank]]:
    """:func:`logrank_test` of all groups and, with three or more, :func:`pairwise_logrank`,
    from one merged grid (the same sums, one pass over the groups' counts). ``table``: the
    groups' :func:`risk_table`, made already."""
    _check_adjust(adjust)
    _check_groups(groups)
    if table is not None and table.counts == tuple(groups):
        matrices = (table.risk, table.dead)
    else:
        matrices = _risk_dead(groups)
    overall = _logrank_from(*matrices)
    pairs = _pairwise_from(matrices, labels, adjust) if len(groups) > 2 else []
    return overall, pairs


def _pairwise_from(
    matrices: tuple[np.ndarray, np.ndarray], labels: Sequence[str], adjust: str
) -> list[PairwiseLogRank]:
    """Every pairwise two-group log-rank test from the all-groups matrices of :func:`_risk_dead`.

    One pass over the pooled event-time grid per first group ``i``, vectorised over the
    second groups ``j > i`` and the grid: ``n_t = n_it + n_jt``, ``d_t = d_it + d_jt``,
    ``E_j = sum n_jt d_t / n_t`` and ``V_jj = sum n_it n_jt d_t (n_t - d_t) / (n_t^2 (n_t - 1))``.
    Grid columns where neither group has an event add exact zeros, so each pair equals the
    two-group :func:`logrank_test` on its own grid (to rounding); as there, a pair where either
    group has ``E = 0`` or ``V = 0`` gets ``chi2 = 0, p = 1``.
    """
    risk, dead = matrices
    k, m = risk.shape
    ii, jj = np.triu_indices(k, 1)  # (0,1), (0,2), ..., (1,2), ...: the order of the pairs
    chi = np.zeros(ii.size)
    ok = np.zeros(ii.size, dtype=bool)
    # work arrays reused for every first group (no temporaries of pairs x times per step);
    # where nobody of the pair is at risk d_t = 0, and n_t is taken as 1 so that the terms
    # are exact zeros without a masked division
    buf = np.empty((5, max(k - 1, 1), m))
    b0 = 0
    for i in range(k - 1):
        h = k - i - 1
        ri, rj = risk[i], risk[i + 1 :]  # (m,), (h, m): views, no copies
        n_t, d_t, nn, q, w = (b[:h] for b in buf)
        np.add(rj, ri, out=n_t)
        np.add(dead[i + 1 :], dead[i], out=d_t)
        np.maximum(n_t, 1.0, out=nn)
        np.divide(d_t, nn, out=q)  # d_t / n_t
        e_j = np.einsum("jt,jt->j", rj, q)
        e_i = q @ ri
        np.subtract(n_t, d_t, out=w)
        np.multiply(q, w, out=w)  # d_t (n_t - d_t) / n_t
        np.subtract(nn, 1.0, out=d_t)
        np.maximum(d_t, 1.0, out=d_t)
        np.multiply(nn, d_t, out=d_t)  # n_t max(n_t - 1, 1)
        np.divide(w, d_t, out=w)
        np.multiply(rj, w, out=w)
        var = w @ ri
        diff = dead[i + 1 :].sum(axis=1) - e_j
        good = (e_i > 0) & (e_j > 0) & (var != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            chi[b0 : b0 + good.size] = np.where(good, diff * (diff / var), 0.0)
        ok[b0 : b0 + good.size] = good
        b0 += good.size
    p = np.where(ok, chdtrc(1, chi), 1.0)
    padj = _p_adjust(p, adjust)
    return [
        PairwiseLogRank(str(labels[a]), str(labels[b]), float(c), float(pv), float(pa))
        for a, b, c, pv, pa in zip(ii, jj, chi, p, padj, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Restricted mean survival time
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RMSTResult:
    """Restricted mean survival time up to ``tau`` with standard error and Wald CI."""

    tau: float
    estimate: float
    se: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class RMSTDifference:
    """Difference in RMST (a - b) with SE, Wald CI and two-sided z-test p value."""

    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    z: float
    p: float


def rmst(km: KMResult, tau: float, conf_level: float = 0.95) -> RMSTResult:
    """Restricted mean survival time: area under the KM curve on ``[0, tau]``.

    Method (R 3.5.3 ``survival:::survmean``): ``estimate = integral_0^tau S(t) dt``; variance
    ``sum_{t_i <= tau} d_i/(n_i (n_i - d_i)) * A_i^2`` with ``A_i`` the area under the curve
    from ``t_i`` to ``tau`` (terms with ``n_i = d_i`` are 0, as R). If ``tau`` is beyond the last
    time, the last value of the curve is carried forward. CI: ``estimate +/- z * se``.

    R equivalent: ``print(fit, rmean=tau)`` / ``summary(fit, rmean=tau)$table[, c("rmean",
    "se(rmean)")]``.
    """
    z = _z(conf_level)
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError("tau must be a positive finite time")
    t, s = km.time, km.surv
    nr = km.n_risk.astype(np.float64)
    d = km.n_event.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(nr - d == 0, 0.0, d / (nr * (nr - d)))
    k = int(np.searchsorted(t, tau, side="right"))  # rows with time <= tau
    if k == 0:
        tt = np.array([tau])
        ss = np.array([1.0])
        hh = np.array([0.0])
    else:
        tt = np.append(t[:k], tau)
        ss = np.append(s[:k], s[k - 1])
        hh = np.append(hh[:k], 0.0)
    delta = np.diff(np.concatenate(([0.0], tt)))
    rect = delta * np.concatenate(([1.0], ss[:-1]))
    tail = np.cumsum(rect[1:][::-1])
    var = float(np.sum(tail**2 * hh[::-1][1:]))
    est = float(rect.sum())
    se = float(np.sqrt(var))
    return RMSTResult(tau, est, se, est - z * se, est + z * se)


def rmst_difference(
    km_a: KMResult, km_b: KMResult, tau: float, conf_level: float = 0.95
) -> RMSTDifference:
    """Difference of restricted means, ``RMST_a - RMST_b``, for independent groups.

    Method: ``se = sqrt(se_a^2 + se_b^2)`` (each from :func:`rmst`), Wald CI and two-sided
    z test. R equivalent: ``summary(fit, rmean=tau)$table`` for each stratum, then
    ``2 * pnorm(-abs(diff / se))``.
    """
    return rmst_difference_of(rmst(km_a, tau, conf_level), rmst(km_b, tau, conf_level), conf_level)


def rmst_difference_of(a: RMSTResult, b: RMSTResult, conf_level: float = 0.95) -> RMSTDifference:
    """:func:`rmst_difference` from the two groups' :func:`rmst` results (same horizon and
    confidence level), without computing them again."""
    z = _z(conf_level)
    if a.tau != b.tau:
        raise ValueError("the two RMSTs must have the same horizon")
    est = a.estimate - b.estimate
    se = float(np.hypot(a.se, b.se))
    if se > 0:
        zz = est / se
        p = float(2.0 * ndtr(-abs(zz)))
    else:
        zz = float("nan")
        p = float("nan")
    return RMSTDifference(a.tau, est, se, est - z * se, est + z * se, zz, p)


# ---------------------------------------------------------------------------------------------
# Cox hazard ratios by group
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupHR:
    """Hazard ratio of one group versus the reference (``None`` where not estimable)."""

    label: str
    hr: float | None
    lower: float | None
    upper: float | None
    p: float | None


def _levels(group: np.ndarray, reference: Any) -> list[Any]:
    uniq = list(pd.unique(group))
    with contextlib.suppress(TypeError):  # mixed types: keep order of appearance
        uniq = sorted(uniq)
    if reference not in uniq:
        raise ValueError(f"reference level {reference!r} not present; levels: {uniq}")
    return [reference] + [u for u in uniq if u != reference]


def cox_group_hr(
    time: Any,
    event: Any,
    group: Any,
    reference: Any,
    entry: Any = None,
    conf_level: float = 0.95,
) -> list[GroupHR]:
    """Hazard ratio of each group versus ``reference`` from a Cox model with Efron ties.

    Method: Cox proportional hazards with one indicator per non-reference level, Efron
    approximation for tied event times, Wald CI ``exp(coef +/- z se)`` and Wald p value;
    fitted with the project's own engine (:func:`core.stats.cox.fit_cox_aggregated`, exact on
    counts per level and time, the engine of the Cox page). Levels are returned in sorted order
    (reference excluded). With ``entry``, subjects are at risk on ``(entry, time]``.

    R equivalent: ``coxph(Surv(time, status) ~ relevel(factor(g), ref), ties="efron")``
    (``Surv(entry, time, status)`` with delayed entry); ``summary(fit)$conf.int``.

    Degenerate data, with the Cox page's separation rule: a non-reference level with no events
    has no finite HR (R: coefficient diverges with a warning); it is reported with ``None``
    values and its patients are left out of the fit (the limit of the likelihood as its
    coefficient goes to -inf). A level whose coefficient the engine flags as possibly infinite
    (R's ``coxph`` check: monotone likelihood) is reported with ``None`` values too. A reference
    level without events, no events at all, or a fit that does not converge raise ValueError.
    """
    z = _z(conf_level)
    t = np.asarray(time, dtype=np.float64).reshape(-1)
    ev = _event_array(event, t.size)
    g = np.asarray(group, dtype=object).reshape(-1)
    if g.size != t.size:
        raise ValueError("group must have the same length as time")
    if t.size == 0:
        raise EmptyGroupError("Cox model on no patients")
    if not np.all(np.isfinite(t)) or t.min() < 0:
        raise ValueError("times must be finite and non-negative")
    en = None
    if entry is not None:
        en = np.asarray(entry, dtype=np.float64).reshape(-1)
        if en.size != t.size:
            raise ValueError("entry must have the same length as time")
        if np.any(~(en < t)):
            raise ValueError("entry must be strictly before the exit time")
    levels = _levels(g, reference)
    events_by = {lv: float(ev[g == lv].sum()) for lv in levels}
    if events_by[reference] == 0:
        raise ValueError(f"reference level {reference!r} has no events; HRs are not estimable")
    estimable = [lv for lv in levels[1:] if events_by[lv] > 0]
    results: dict[Any, GroupHR] = {}
    if estimable:
        rows = np.isin(g, [reference, *estimable])
        names = [f"_g{i}" for i in range(len(estimable))]
        X = pd.DataFrame(
            {
                nm: (g[rows] == lv).astype(np.float64)
                for nm, lv in zip(names, estimable, strict=True)
            }
        )
        agg = aggregate_for_cox(t[rows], ev[rows], X, entry=None if en is None else en[rows])
        fit = fit_cox_aggregated(agg, concordance=False)  # one factor: the fast path
        if not fit.converged:
            raise ValueError("Cox model did not converge")
        for nm, lv in zip(names, estimable, strict=True):
            term = fit.term(nm)
            if any(f"{nm!r} may be infinite" in w for w in fit.warnings):
                continue  # separation: no finite estimate (the Cox page's rule)
            lo, hi = term.coef - z * term.se, term.coef + z * term.se
            results[lv] = GroupHR(
                str(lv), float(np.exp(term.coef)), float(np.exp(lo)), float(np.exp(hi)), term.p
            )
    return [results.get(lv, GroupHR(str(lv), None, None, None, None)) for lv in levels[1:]]


def cox_group_hr_counts(
    counts: Any, reference: Any, conf_level: float = 0.95, *, table: RiskTable | None = None
) -> list[GroupHR]:
    """:func:`cox_group_hr` from the counts per group, without patient rows.

    Method as :func:`cox_group_hr` (Efron ties, Wald CI and p value, the same separation
    rule), fitted by :func:`core.stats.cox.fit_cox_factor` (the one-factor path of
    :func:`core.stats.cox.fit_cox_aggregated`: risk sets per group, O(event times x groups)
    per Newton step) on the exits (events and censorings per group and time) with the delayed
    entries per group and time counted apart: the partial likelihood depends on the data only
    through these counts, so the estimates equal the patient-level fit's.

    R equivalent: ``coxph(Surv(time, status) ~ relevel(factor(g), ref), ties="efron")``
    (``Surv(entry, time, status)`` with delayed entry); ``summary(fit)$conf.int``.

    Parameters
    ----------
    counts
        Mapping of group label -> :class:`SurvivalCounts`.
    reference
        The reference label.
    conf_level
        Confidence level of the intervals.
    table
        A :func:`risk_table` made of (at least) the fitted groups' counts, e.g. by the
        log-rank test: the fit then reads its rows instead of counting the patients at risk
        again (:func:`core.stats.cox.fit_cox_factor_table`; the same sums, the same result).

    Returns
    -------
    list of GroupHR
        One per non-reference level in sorted order (``None`` values where not estimable).
    """
    z = _z(conf_level)
    if sum(c.n for c in counts.values()) == 0:
        raise EmptyGroupError("Cox model on no patients")
    levels = _levels(np.array(list(counts), dtype=object), reference)
    if counts[reference].events == 0:
        raise ValueError(f"reference level {reference!r} has no events; HRs are not estimable")
    estimable = [lv for lv in levels[1:] if counts[lv].events > 0]
    results: dict[Any, GroupHR] = {}
    if estimable:
        names = [f"_g{i}" for i in range(len(estimable))]
        fitted = [reference, *estimable]
        fit = _fit_groups([counts[lv] for lv in fitted], fitted, names, table)
        if not fit.converged:
            raise ValueError("Cox model did not converge")
        for nm, lv in zip(names, estimable, strict=True):
            term = fit.term(nm)
            if any(f"{nm!r} may be infinite" in w for w in fit.warnings):
                continue  # separation: no finite estimate (the Cox page's rule)
            lo, hi = term.coef - z * term.se, term.coef + z * term.se
            results[lv] = GroupHR(
                str(lv), float(np.exp(term.coef)), float(np.exp(lo)), float(np.exp(hi)), term.p
            )
    return [results.get(lv, GroupHR(str(lv), None, None, None, None)) for lv in levels[1:]]


def _fit_groups(
    fitted: Sequence[SurvivalCounts],
    labels: Sequence[Any],
    names: Sequence[str],
    table: RiskTable | None,
):
    """One-factor Cox fit of the groups (the first is the reference): from the rows of
    ``table`` when it holds these counts, else from their exits and delayed entries."""
    delayed = any(int(c.n_enter.sum()) > 0 for c in fitted)
    rows_of = _table_rows(table, labels, fitted)
    if rows_of is not None:
        n_level = [c.n for c in fitted]
        return fit_cox_factor_table(
            table.risk[rows_of], table.dead[rows_of], n_level, names, counting=delayed
        )

    def rows(pick) -> tuple[np.ndarray, ...]:
        sel = [pick(c) for c in fitted]
        code = np.repeat(np.arange(len(fitted)), [int(s.sum()) for s in sel])
        return code, *(np.concatenate(a) for a in zip(*[
            (c.time[s], c.n_event[s], c.n_event[s] + c.n_censor[s], c.n_enter[s])
            for c, s in zip(fitted, sel, strict=True)
        ], strict=True))  # fmt: skip

    code, t, d, c, _ = rows(lambda c: (c.n_event + c.n_censor) > 0)
    entries = None
    if delayed:
        code_e, te, _, _, ce = rows(lambda c: c.n_enter > 0)
        entries = (code_e, te, ce)
    # one factor: risk sets per level (the same fit as fit_cox_aggregated's general path)
    return fit_cox_factor(code, t, d, c, names, entries=entries)


def _table_rows(
    table: RiskTable | None, labels: Sequence[Any], fitted: Sequence[SurvivalCounts]
) -> np.ndarray | None:
    """Rows of ``table`` holding exactly the ``fitted`` counts (same objects), else None."""
    if table is None:
        return None
    idx = []
    for lv, c in zip(labels, fitted, strict=True):
        j = table.labels.index(str(lv)) if str(lv) in table.labels else -1
        if j < 0 or table.counts[j] is not c:
            return None
        idx.append(j)
    return np.asarray(idx)


# ---------------------------------------------------------------------------------------------
# Landmark
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class LandmarkResult:
    """Landmark selection; unpacks as ``(mask_kept, time, n_excluded_event, n_excluded_censored)``.

    ``time`` (and ``entry``, if given) are for the kept patients only, in input order, measured
    from the landmark.
    """

    mask_kept: np.ndarray
    time: np.ndarray
    n_excluded_event: int
    n_excluded_censored: int
    entry: np.ndarray | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.mask_kept, self.time, self.n_excluded_event, self.n_excluded_censored))


def landmark(time: Any, event: Any, landmark_time: float, entry: Any = None) -> LandmarkResult:
    """Landmark analysis selection at time ``L``.

    Convention (as ``subset = time > L`` in R): patients whose event or censoring is at or
    before ``L`` (``time <= L``) are excluded and counted by outcome; the rest are kept with
    time ``time - L``. With delayed entry, the new entry is ``max(entry - L, 0)`` (patients
    entering after ``L`` stay left-truncated).

    R equivalent: ``survfit(Surv(time - L, status) ~ 1, data=d, subset=time > L)``.
    """
    t = np.asarray(time, dtype=np.float64).reshape(-1)
    ev = _event_array(event, t.size)
    L = float(landmark_time)
    if not np.isfinite(L) or L < 0:
        raise ValueError("landmark_time must be finite and non-negative")
    kept = t > L
    n_ev = int(ev[~kept].sum())
    n_cens = int((~kept).sum()) - n_ev
    new_entry = None
    if entry is not None:
        en = np.asarray(entry, dtype=np.float64).reshape(-1)
        if en.size != t.size:
            raise ValueError("entry must have the same length as time")
        new_entry = _ro(np.maximum(en[kept] - L, 0.0))
    return LandmarkResult(_ro(kept), _ro(t[kept] - L), n_ev, n_cens, new_entry)


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------


def to_unit(result: Any, days_per_unit: float) -> Any:
    """Express a result computed in days in another unit (divide every time by ``days_per_unit``).

    Handles :class:`SurvivalCounts`, :class:`KMResult`, :class:`Quantile`, :class:`SurvAt`,
    :class:`RMSTResult`, :class:`RMSTDifference`, :class:`LandmarkResult` and lists of them.
    Survival probabilities, standard errors of S, hazard ratios and p values are unit-free.
    Use ``core.vocab.methods.TIME_UNIT_DAYS[unit]`` (e.g. ``DAYS_PER_MONTH``) for the factor.
    """
    f = float(days_per_unit)
    if not np.isfinite(f) or f <= 0:
        raise ValueError("days_per_unit must be positive")

    def s(v: float | None) -> float | None:
        return None if v is None else v / f

    if isinstance(result, list | tuple):
        return type(result)(to_unit(r, f) for r in result)
    if isinstance(result, SurvivalCounts):
        return replace(result, time=result.time / f)
    if isinstance(result, KMResult):
        return replace(result, time=_ro(result.time / f), counts=to_unit(result.counts, f))
    if isinstance(result, Quantile):
        return replace(
            result, estimate=s(result.estimate), lower=s(result.lower), upper=s(result.upper)
        )
    if isinstance(result, SurvAt):
        return replace(result, time=result.time / f)
    if isinstance(result, RMSTResult):
        return RMSTResult(
            *(v / f for v in (result.tau, result.estimate, result.se, result.lower, result.upper))
        )
    if isinstance(result, RMSTDifference):
        return replace(
            result,
            tau=result.tau / f,
            estimate=result.estimate / f,
            se=result.se / f,
            lower=result.lower / f,
            upper=result.upper / f,
        )
    if isinstance(result, LandmarkResult):
        return replace(
            result,
            time=_ro(result.time / f),
            entry=None if result.entry is None else _ro(result.entry / f),
        )
    raise TypeError(f"to_unit does not know {type(result).__name__}")
