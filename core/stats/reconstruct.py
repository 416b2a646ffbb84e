"""Patient-level data reconstructed from a published Kaplan-Meier figure (Guyot et al. 2012).

Pure NumPy. Input: points read off a Kaplan-Meier curve (digitised, e.g. with WebPlotDigitizer)
and the numbers at risk printed under the figure, optionally the total number of events.
Output: one row per patient, ``(time, event)``, whose Kaplan-Meier curve follows the points and
whose numbers at risk follow the table, plus figures of how well it does.

R equivalent: the algorithm of Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary
analysis of survival data: reconstructing the data from published Kaplan-Meier survival curves.
BMC Med Res Methodol 2012;12:9 (doi:10.1186/1471-2288-12-9), whose R code is in the paper's
supplement; ``IPDfromKM::getIPD(prep, armID, tot.events)`` implements the same algorithm. This
module is an independent implementation of the published algorithm, with safeguards where the
published code loops for ever or stops:

* the number censored in an interval is searched within ``0 .. n_i - n_{i+1}`` and the search
  stops when it revisits a value (the published ``while`` loop can cycle for ever), keeping the
  value whose number at risk is closest to the table;
* events at a point are kept within ``[0, at risk]`` (rounding can make the published formula
  negative when the curve is read slightly above the reconstructed one), and there are none once
  nobody is at risk or the curve is at 0 (the published code divides 0 by 0 there and stops with
  ``missing value where TRUE/FALSE needed``);
* censorings in a bin are capped at the patients left in it (the published code does this in
  the last interval only);
* points at the same time (the two ends of a vertical drop) are allowed (R's ``hist`` refuses
  breaks that do not increase).

Where the published code runs to the end, the rows are the same: see the comparison recorded in
``tests/core/stats/test_reconstruct.py``.

The input is cleaned first (see :func:`clean_curve` and :func:`clean_at_risk`); what cannot be
cleaned raises :class:`DigitisedInputError` naming the table, the row and the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "PERCENT_THRESHOLD",
    "DigitisedInputError",
    "CleanCurve",
    "CleanAtRisk",
    "Accuracy",
    "Reconstruction",
    "clean_curve",
    "clean_at_risk",
    "reconstruct",
]

PERCENT_THRESHOLD = 1.5
"""Survival values whose maximum exceeds this are read as percent and divided by 100."""

MAX_RISE = 0.1
"""Largest rise of survival between consecutive points (by time) treated as click noise."""

SURVIVAL_SLACK = 0.05
"""Survival read up to this far above 1 or below 0 (click noise) is clipped to [0, 1]."""

NEGATIVE_TIME_SLACK = 0.01
"""Times below 0 by at most this fraction of the largest time (click noise) are set to 0."""

TIME_TOL = 0.005
"""Points closer in time than this fraction of the largest time may be in swapped order."""

_MEDIAN_TOL = float(np.sqrt(np.finfo(float).eps))  # R's quantile.survfit tolerance


class DigitisedInputError(ValueError):
    """Digitised input that cannot be cleaned.

    Attributes
    ----------
    table : str
        ``"curve"`` (the digitised points), ``"at-risk"`` (the table) or ``"total events"``.
    row : int or None
        1-based position of the offending data row in the input as given (before sorting);
        ``None`` when the problem is not one row.
    rule : str
        What is wrong, in words.
    """

    def __init__(self, table: str, row: int | None, rule: str) -> None:
        self.table = table
        self.row = row
        self.rule = rule
        where = f"{table} row {row}" if row is not None else table
        super().__init__(f"{where}: {rule}")


def _ro(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _as_float(values: Any, table: str, column: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DigitisedInputError(table, None, f"{column} is not numeric ({exc})") from None
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.argmax(bad))
        raise DigitisedInputError(table, i + 1, f"{column} is missing or not a finite number")
    return a


# ---------------------------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class CleanCurve:
    """Digitised points after cleaning: sorted by time, survival a non-increasing fraction.

    Attributes
    ----------
    time, survival : float arrays
        The points; the first is ``(0, 1)``. Two points may share a time (the two ends of a
        vertical drop), the higher one first.
    percent : bool
        Whether the input was read as percent (and divided by 100).
    notes : tuple of str
        One sentence per cleaning step that changed something.
    """

    time: np.ndarray
    survival: np.ndarray
    percent: bool
    notes: tuple[str, ...]


def clean_curve(
    time: Sequence[float] | np.ndarray,
    survival: Sequence[float] | np.ndarray,
    *,
    max_rise: float = MAX_RISE,
) -> CleanCurve:
    """Clean digitised Kaplan-Meier points.

    Steps, in order: reject missing or non-finite values; read survival as percent when its
    maximum exceeds :data:`PERCENT_THRESHOLD`; clip survival within :data:`SURVIVAL_SLACK` of
    [0, 1] to [0, 1]; set times within :data:`NEGATIVE_TIME_SLACK` (of the largest time) below
    0 to 0; sort by time (higher survival first at equal times); drop exact duplicates;
    enforce a non-increasing curve (each point takes the lowest survival read at or before its
    time) when the rises are click noise (at most ``max_rise``); put ``(0, 1)`` first.

    R equivalent: the points Guyot's R code reads from ``KMdatafile`` (and
    ``IPDfromKM::preprocess``), which expects this cleaning done by hand.

    Parameters
    ----------
    time, survival : array-like of float
        The digitised points in any order; survival as fraction (0-1) or percent (0-100).
    max_rise : float
        Largest rise (fraction) between consecutive points still treated as click noise.

    Returns
    -------
    CleanCurve

    Raises
    ------
    DigitisedInputError
        Fewer than two points; missing values; a survival value outside [0, 1] (or [0, 100])
        beyond click noise; a negative time beyond click noise; a rise larger than
        ``max_rise`` (a second curve or a mis-click). ``row`` is the 1-based input row.
    """
    t = _as_float(time, "curve", "time")
    s = _as_float(survival, "curve", "survival")
    if t.size != s.size:
        raise DigitisedInputError("curve", None, "time and survival have different lengths")
    if t.size < 2:
        raise DigitisedInputError("curve", None, "needs at least two points")
    notes: list[str] = []
    percent = bool(s.max() > PERCENT_THRESHOLD)
    if percent:
        s = s / 100.0
        notes.append("survival read as percent (largest value above 1.5) and divided by 100")
    scale = "%" if percent else ""
    factor = 100.0 if percent else 1.0
    hi = s > 1.0 + SURVIVAL_SLACK
    lo = s < -SURVIVAL_SLACK
    if hi.any() or lo.any():
        i = int(np.argmax(hi | lo))
        raise DigitisedInputError(
            "curve",
            i + 1,
            f"survival {s[i] * factor:g}{scale} is outside 0-{'100%' if percent else '1'} "
            "(more than click noise)",
        )
    clipped = int(np.sum((s > 1.0) | (s < 0.0)))
    if clipped:
        s = np.clip(s, 0.0, 1.0)
        notes.append(f"{clipped} survival value(s) just outside 0-1 clipped to 0-1")
    tmax = float(t.max())
    slack = NEGATIVE_TIME_SLACK * tmax if tmax > 0 else 0.0
    neg = t < -slack
    if neg.any():
        i = int(np.argmax(neg))
        raise DigitisedInputError("curve", i + 1, f"time {t[i]:g} is negative")
    if tmax <= 0:
        raise DigitisedInputError("curve", None, "every time is 0: no curve to reconstruct")
    small = int(np.sum(t < 0))
    if small:
        t = np.maximum(t, 0.0)
        notes.append(f"{small} time(s) just below 0 set to 0")
    rows = np.arange(1, t.size + 1)
    order = np.lexsort((-s, t))
    if np.any(order != np.arange(t.size)):
        notes.append("points sorted by time")
    t, s, rows = t[order], s[order], rows[order]
    dup = np.zeros(t.size, dtype=bool)
    dup[1:] = (t[1:] == t[:-1]) & (s[1:] == s[:-1])
    if dup.any():
        notes.append(f"{int(dup.sum())} duplicated point(s) dropped")
        t, s, rows = t[~dup], s[~dup], rows[~dup]
    running = np.minimum.accumulate(s)
    rise = s - running
    # a large rise is still click noise when the fall it undoes happened within the reader's
    # horizontal precision (the two ends of a vertical drop clicked in swapped order)
    fell = np.searchsorted(-running, -(s - max_rise), side="right")
    fell_at = t[np.minimum(fell, t.size - 1)]
    big = (rise > max_rise) & (t - np.where(rise > max_rise, fell_at, t) > TIME_TOL * tmax)
    if big.any():
        i = int(np.argmax(big))
        raise DigitisedInputError(
            "curve",
            int(rows[i]),
            f"survival rises to {s[i] * factor:g}{scale} at time {t[i]:g} after falling to "
            f"{running[i] * factor:g}{scale}; a Kaplan-Meier curve never rises (two curves in "
            "one file, or a mis-click?)",
        )
    raised = int(np.sum(rise > 0))
    if raised:
        notes.append(
            f"{raised} point(s) above an earlier point lowered to keep the curve non-increasing "
            f"(largest rise {rise.max() * factor:.3g}{' points' if percent else ''})"
        )
        s = running
    if not (t[0] == 0.0 and s[0] == 1.0):
        t = np.concatenate(([0.0], t))
        s = np.concatenate(([1.0], s))
        notes.append("point (0, 1) added at the start")
    return CleanCurve(_ro(t), _ro(s), percent, tuple(notes))


@dataclass(frozen=True, slots=True, eq=False)
class CleanAtRisk:
    """Numbers at risk after cleaning: distinct increasing times from 0, non-increasing counts."""

    time: np.ndarray
    at_risk: np.ndarray
    notes: tuple[str, ...]


def clean_at_risk(
    time: Sequence[float] | np.ndarray, at_risk: Sequence[float] | np.ndarray
) -> CleanAtRisk:
    """Clean the numbers-at-risk table printed under a Kaplan-Meier figure.

    Rows are sorted by time and exact duplicates dropped. Nothing else is changed: the table is
    printed data, so a number that does not fit is a typo to fix, not noise to smooth.

    Parameters
    ----------
    time : array-like of float
        Times of the table's columns; one must be 0 (its number is the number randomised).
    at_risk : array-like of int
        Numbers at risk at those times.

    Returns
    -------
    CleanAtRisk

    Raises
    ------
    DigitisedInputError
        Missing values; a negative time; a negative or fractional number; two different
        numbers at one time; no row at time 0; a number larger than an earlier one. ``row``
        is the 1-based input row.
    """
    t = _as_float(time, "at-risk", "time")
    n = _as_float(at_risk, "at-risk", "at_risk")
    if t.size != n.size:
        raise DigitisedInputError("at-risk", None, "time and at_risk have different lengths")
    if t.size == 0:
        raise DigitisedInputError("at-risk", None, "the table is empty")
    for i in range(t.size):
        if t[i] < 0:
            raise DigitisedInputError("at-risk", i + 1, f"time {t[i]:g} is negative")
        if n[i] < 0 or n[i] != np.round(n[i]):
            raise DigitisedInputError(
                "at-risk", i + 1, f"number at risk {n[i]:g} is not a whole number >= 0"
            )
    notes: list[str] = []
    rows = np.arange(1, t.size + 1)
    order = np.argsort(t, kind="stable")
    if np.any(order != np.arange(t.size)):
        notes.append("at-risk rows sorted by time")
    t, n, rows = t[order], n[order], rows[order]
    same = np.zeros(t.size, dtype=bool)
    same[1:] = t[1:] == t[:-1]
    for i in np.flatnonzero(same):
        if n[i] != n[i - 1]:
            raise DigitisedInputError(
                "at-risk",
                int(rows[i]),
                f"time {t[i]:g} appears twice with different numbers ({n[i - 1]:g} and {n[i]:g})",
            )
    if same.any():
        notes.append(f"{int(same.sum())} duplicated at-risk row(s) dropped")
        t, n, rows = t[~same], n[~same], rows[~same]
    if t[0] != 0.0:
        raise DigitisedInputError(
            "at-risk", None, "no row at time 0 (the number randomised is needed)"
        )
    if n[0] <= 0:
        raise DigitisedInputError("at-risk", int(rows[0]), "no patients at risk at time 0")
    up = np.flatnonzero(np.diff(n) > 0)
    if up.size:
        i = int(up[0]) + 1
        raise DigitisedInputError(
            "at-risk",
            int(rows[i]),
            f"{n[i]:g} at risk at time {t[i]:g} is more than {n[i - 1]:g} at time "
            f"{t[i - 1]:g}; numbers at risk never increase",
        )
    return CleanAtRisk(_ro(t), _ro(n.astype(np.int64)), tuple(notes))


# ---------------------------------------------------------------------------------------------
# Guyot's algorithm
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accuracy:
    """How well a reconstruction reproduces what it was built from.

    Attributes
    ----------
    max_abs_diff : float
        Largest vertical distance between a (cleaned) digitised point and the graph of the
        reconstructed Kaplan-Meier step function (a point on a vertical drop counts as on it).
    max_abs_diff_time : float
        Time of the point where that distance is reached.
    median_digitised, median_reconstructed : float or None
        Median of the step curve through the points and of the reconstructed Kaplan-Meier
        curve (R's ``quantile.survfit`` rule); ``None`` = not reached.
    events_reconstructed : int
        Events in the reconstructed rows.
    events_given : int or None
        The total number of events given, if any.
    at_risk_max_abs_diff : int
        Largest difference between the table and the reconstructed numbers at risk.
    """

    max_abs_diff: float
    max_abs_diff_time: float
    median_digitised: float | None
    median_reconstructed: float | None
    events_reconstructed: int
    events_given: int | None
    at_risk_max_abs_diff: int


@dataclass(frozen=True, slots=True, eq=False)
class Reconstruction:
    """Reconstructed patient rows and their accuracy.

    Attributes
    ----------
    time : float array
        One time per patient, in the unit of the input, sorted.
    event : int array
        1 = event at ``time``, 0 = censored at ``time``.
    curve : CleanCurve
        The cleaned points the reconstruction follows.
    at_risk : CleanAtRisk
        The cleaned table (rows after the last point dropped, see ``notes``).
    at_risk_reconstructed : int array
        Numbers at risk of the reconstructed rows at ``at_risk.time``.
    accuracy : Accuracy
    notes : tuple of str
        Every cleaning step and adjustment, one sentence each.
    """

    time: np.ndarray
    event: np.ndarray
    curve: CleanCurve = field(repr=False)
    at_risk: CleanAtRisk = field(repr=False)
    at_risk_reconstructed: np.ndarray
    accuracy: Accuracy
    notes: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of reconstructed patients (the number at risk at time 0)."""
        return int(self.time.size)

    @property
    def events(self) -> int:
        return int(self.event.sum())


def _bin_counts(breaks: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Counts of ``x`` in the bins ``(b_k, b_{k+1}]`` (R ``hist(x, breaks)$counts`` when the
    breaks increase strictly and no ``x`` equals the first break); empty bins where breaks tie."""
    k = np.searchsorted(breaks, x, side="left") - 1
    return np.bincount(k, minlength=breaks.size - 1)[: breaks.size - 1]


class _Guyot:
    """State of Guyot's algorithm on cleaned points with at-risk times among them."""

    def __init__(self, t: np.ndarray, s: np.ndarray, lower: np.ndarray, n_risk: np.ndarray):
        self.t = t
        self.s = s
        self.m = t.size
        self.lower = lower
        self.upper = np.concatenate((lower[1:] - 1, [t.size - 1]))
        self.n_risk = n_risk.astype(np.int64).copy()
        self.d = np.zeros(self.m, dtype=np.int64)
        self.cen = np.zeros(self.m, dtype=np.int64)
        self.n_hat = np.zeros(self.m + 1, dtype=np.int64)
        self.km = np.ones(self.m)

    def spread(self, i: int, n_censor: int, end: int) -> None:
        """Spread ``n_censor`` censorings evenly over ``(t[lower[i]], t[end])`` into the bins
        between the points ``lower[i] .. end``."""
        lo = self.lower[i]
        self.cen[lo:end] = 0
        if n_censor > 0 and end > lo:
            j = np.arange(1, n_censor + 1)
            cen_t = self.t[lo] + j * (self.t[end] - self.t[lo]) / (n_censor + 1)
            self.cen[lo:end] = _bin_counts(self.t[lo : end + 1], cen_t)

    def events(self, i: int, last: int, stop: int) -> int:
        """Events and numbers at risk on points ``lower[i] .. stop`` from the number at risk at
        ``lower[i]``; returns the index of the last point with an event."""
        self.n_hat[self.lower[i]] = self.n_risk[i]
        for k in range(self.lower[i], stop + 1):
            nk = self.n_hat[k]
            if k == 0:
                dk = 0
                self.km[k] = 1.0
            else:
                if self.km[last] > 0 and nk > 0:
                    dk = int(np.round(nk * (1.0 - self.s[k] / self.km[last])))
                    dk = min(max(dk, 0), int(nk))
                else:
                    dk = 0
                self.km[k] = self.km[last] * (1.0 - dk / nk) if nk > 0 else self.km[last]
            self.d[k] = dk
            ck = min(int(self.cen[k]), int(nk) - dk) if k < self.m - 1 else 0
            self.cen[k] = ck
            self.n_hat[k + 1] = nk - dk - ck
            if dk != 0:
                last = k
        return last

    def interval(self, i: int, last: int) -> int:
        """Interval ``i`` (not the last): number censored such that the number at risk at the
        next at-risk time equals the table's (Guyot's inner loop, with cycle detection)."""
        lo, nxt = self.lower[i], self.lower[i + 1]
        ceiling = max(int(self.n_risk[i] - self.n_risk[i + 1]), 0)
        if self.s[lo] > 0:
            guess = self.n_risk[i] * self.s[nxt] / self.s[lo] - self.n_risk[i + 1]
            c = int(np.round(guess))
        else:
            c = 0
        seen: dict[int, int] = {}
        while True:
            used = min(max(c, 0), ceiling)
            if used in seen:
                # a cycle: keep the value whose number at risk is closest to the table's
                used = min(seen, key=lambda v: (abs(seen[v]), v))
                self.spread(i, used, nxt)
                new_last = self.events(i, last, self.upper[i])
                c = used + int(self.n_hat[nxt] - self.n_risk[i + 1])
                break
            self.spread(i, used, nxt)
            new_last = self.events(i, last, self.upper[i])
            gap = int(self.n_hat[nxt] - self.n_risk[i + 1])
            seen[used] = gap
            # as the published code: the count is updated, then the loop condition is tested
            c = used + gap
            if not (gap > 0 or (gap < 0 and c > 0)):
                break
        # the next interval starts from the number reconstructed (the table's when matched)
        self.n_risk[i + 1] = self.n_hat[nxt]
        self.n_censor_sum += c
        return new_last

    def last_interval(self, last: int, n_censor: int) -> None:
        i = self.lower.size - 1
        self.spread(i, min(max(n_censor, 0), int(self.n_risk[i])), self.upper[i])
        self.events(i, last, self.upper[i])

    def run(self, total_events: int | None) -> None:
        k_int = self.lower.size
        last = 0
        self.n_censor_sum = 0
        for i in range(k_int - 1):
            last = self.interval(i, last)
        i = k_int - 1
        lo, up = self.lower[i], self.upper[i]
        if k_int > 1:
            span = self.t[self.upper[i - 1]] - self.t[self.lower[0]]
            rate = self.n_censor_sum * (self.t[up] - self.t[lo]) / span if span > 0 else 0.0
            c = min(max(int(np.round(rate)), 0), int(self.n_risk[i]))
        else:
            c = 0
        self.last_interval(last, c)
        if total_events is None:
            return
        before = int(self.d[:lo].sum())
        if k_int > 1 and before >= total_events:
            # too many events already: nothing happens in the last interval
            self.d[lo : up + 1] = 0
            self.cen[lo:up] = 0
            self.n_hat[lo + 1 : up + 2] = self.n_risk[i]
            self.km[lo : up + 1] = self.km[last]
            return
        seen: dict[int, int] = {}
        while True:
            gap = int(self.d.sum()) - total_events
            seen[c] = gap
            if gap == 0 or (gap < 0 and c == 0):
                break
            c = min(max(c + gap, 0), int(self.n_risk[i]))
            if c in seen:
                c = min(seen, key=lambda v: (abs(seen[v]), v))
                self.last_interval(last, c)
                break
            self.last_interval(last, c)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        n0 = int(self.n_risk[0])
        ev_t = np.repeat(self.t, self.d)
        mid = (self.t[:-1] + self.t[1:]) / 2.0
        cen_t = np.repeat(mid, self.cen[:-1])
        rest = n0 - ev_t.size - cen_t.size
        if rest < 0:  # pragma: no cover - prevented by the caps above
            raise RuntimeError("reconstruction produced more patients than randomised")
        time = np.concatenate((ev_t, cen_t, np.full(rest, self.t[-1])))
        event = np.concatenate(
            (np.ones(ev_t.size, np.int64), np.zeros(cen_t.size + rest, np.int64))
        )
        order = np.lexsort((-event, time))
        return time[order], event[order]


def _km(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier on the distinct times: ``(times, survival, n at risk)``."""
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=ut.size)
    tot = np.bincount(inv, minlength=ut.size)
    risk = time.size - (np.cumsum(tot) - tot)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(risk > 0, 1.0 - d / np.maximum(risk, 1), 1.0))
    return ut, surv, risk


def _median(x: np.ndarray, surv: np.ndarray) -> float | None:
    """Median of a step curve ``S(t) = surv[k]`` on ``[x[k], x[k+1])`` by R's
    ``quantile.survfit`` rule: the first time S <= 0.5; where S stays at exactly 0.5 (within
    ``sqrt(.Machine$double.eps)``), the midpoint to the time it next falls (or to the last
    time)."""
    below = np.flatnonzero(surv <= 0.5 + _MEDIAN_TOL)
    if below.size == 0:
        return None
    k = int(below[0])
    if abs(surv[k] - 0.5) >= _MEDIAN_TOL:
        return float(x[k])
    after = np.flatnonzero(surv[k:] < 0.5 - _MEDIAN_TOL)
    end = x[k + int(after[0])] if after.size else x[-1]
    return float((x[k] + end) / 2.0)


def reconstruct(
    curve_time: Sequence[float] | np.ndarray,
    curve_survival: Sequence[float] | np.ndarray,
    at_risk_time: Sequence[float] | np.ndarray,
    at_risk: Sequence[float] | np.ndarray,
    total_events: int | None = None,
    *,
    max_rise: float = MAX_RISE,
) -> Reconstruction:
    """Reconstruct patient-level survival data from a digitised Kaplan-Meier curve.

    Method (Guyot et al. 2012): the at-risk times split the curve into intervals. In each
    interval but the last, the number censored is searched so that the reconstructed number at
    risk at the next at-risk time equals the table's: censorings are spread evenly in time over
    the interval, and at each digitised point the events are
    ``round(n_at_risk * (1 - S_point / S_reconstructed_at_last_event))``. In the last interval
    the censoring rate is the average of the earlier intervals, or, when ``total_events`` is
    given, the number censored is searched so that the total events equal it. Events are placed
    at the digitised time, censorings at the midpoint between two points, and patients still at
    risk after the last point are censored at its time.

    An at-risk time that is not a digitised time gets a point there, on the step curve through
    the points (the survival of the last point before it). At-risk rows after the last point
    are dropped (their patients end up censored at the last point), with a note.

    R equivalent: Guyot's published R code (supplement of doi:10.1186/1471-2288-12-9) and
    ``IPDfromKM::getIPD``; see the module docstring for the safeguards added.

    Parameters
    ----------
    curve_time, curve_survival : array-like of float
        Digitised points (see :func:`clean_curve` for the cleaning applied).
    at_risk_time, at_risk : array-like
        The numbers-at-risk table (see :func:`clean_at_risk`); must include time 0.
    total_events : int, optional
        Total number of events in the arm, when the paper reports it.
    max_rise : float
        Passed to :func:`clean_curve`.

    Returns
    -------
    Reconstruction
        Patient rows, the accuracy figures and the notes.

    Raises
    ------
    DigitisedInputError
        Input that cannot be cleaned (naming the table and row), or ``total_events`` outside
        ``0 .. number at risk at time 0``.
    """
    curve = clean_curve(curve_time, curve_survival, max_rise=max_rise)
    table = clean_at_risk(at_risk_time, at_risk)
    notes = list(curve.notes) + list(table.notes)
    n0 = int(table.at_risk[0])
    if total_events is not None:
        if int(total_events) != total_events or not 0 <= total_events <= n0:
            raise DigitisedInputError(
                "total events", None, f"{total_events} is not a whole number from 0 to {n0}"
            )
        total_events = int(total_events)
    t, s = curve.time, curve.survival
    beyond = table.time > t[-1]
    if beyond.any():
        dropped = int(beyond.sum())
        lost = int(table.at_risk[beyond].max())
        msg = f"{dropped} at-risk row(s) after the last point (time {t[-1]:g}) not used"
        if lost > 0:
            msg += f"; {lost} patient(s) still at risk there are censored at {t[-1]:g}"
        notes.append(msg)
        table = CleanAtRisk(
            _ro(table.time[~beyond].copy()), _ro(table.at_risk[~beyond].copy()), table.notes
        )
    missing = ~np.isin(table.time, t)
    if missing.any():
        tr = table.time[missing]
        k = np.searchsorted(t, tr, side="right") - 1
        pos = np.searchsorted(t, tr, side="left")
        t = np.insert(t, pos, tr)
        s = np.insert(s, pos, s[k])
        notes.append(
            f"{int(missing.sum())} at-risk time(s) between points given a point on the step curve"
        )
    lower = np.searchsorted(t, table.time, side="left")
    g = _Guyot(t, s, lower, table.at_risk)
    g.run(total_events)
    adjusted = np.flatnonzero(g.n_risk != table.at_risk)
    if adjusted.size:
        notes.append(
            f"{adjusted.size} number(s) at risk could not be met from the curve (largest gap "
            f"{int(np.abs(g.n_risk - table.at_risk).max())}); see the accuracy figures"
        )
    time, event = g.rows()
    km_t, km_s, _ = _km(time, event)
    # numbers at risk of the reconstructed rows at the table's times
    rec_risk = np.array([int(np.sum(time >= x)) for x in table.time], dtype=np.int64)
    # vertical distance of each cleaned point to the graph of the reconstructed step curve
    ct, cs = curve.time, curve.survival
    x = np.concatenate(([0.0], km_t))
    y = np.concatenate(([1.0], km_s))
    at = y[np.searchsorted(x, ct, side="right") - 1]  # S(t)
    before = y[np.maximum(np.searchsorted(x, ct, side="left") - 1, 0)]  # S(t-)
    dist = np.where(
        (cs <= before) & (cs >= at), 0.0, np.minimum(np.abs(cs - at), np.abs(cs - before))
    )
    worst = int(np.argmax(dist))
    accuracy = Accuracy(
        max_abs_diff=float(dist[worst]),
        max_abs_diff_time=float(ct[worst]),
        median_digitised=_median(ct, cs),
        median_reconstructed=_median(x, y),
        events_reconstructed=int(event.sum()),
        events_given=total_events,
        at_risk_max_abs_diff=int(np.abs(rec_risk - table.at_risk).max()),
    )
    return Reconstruction(
        time=_ro(time.astype(np.float64)),
        event=_ro(event),
        curve=curve,
        at_risk=table,
        at_risk_reconstructed=_ro(rec_risk),
        accuracy=accuracy,
        notes=tuple(notes),
    )
