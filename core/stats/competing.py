"""Competing risks: cumulative incidence (Aalen-Johansen), Gray's test, Fine-Gray regression.

Pure NumPy. Each function reproduces R's ``cmprsk`` (2.2-11; Gray's Fortran ``cinc``,
``crstm`` and ``crrfsv``/``crrvv``) and is checked against it with frozen values
(tests/core/stats/test_competing.py); the estimates also equal ``survival``'s multi-state
``survfit`` (``pstate``).

Data
----
Every function takes one row per patient, or one row per distinct (time, status, group) with a
``weight`` giving how many patients share it (a DuckDB ``GROUP BY``; the results are the same).
``status`` is 0 for censored and a positive integer cause code for an event. Times are
non-negative numbers in any unit (days here); no delayed entry (``cmprsk`` has none).

Confidence intervals
--------------------
``cuminc`` gives the variance only. The pointwise 95% CI here is the log(-log) transform
(Choudhury 2002; Pintilie, *Competing Risks: A Practical Perspective*, 2006; the default of R's
``tidycmprsk::cuminc``): ``F ** exp(+-z * se / (F * log F))``, which stays inside (0, 1).
It is undefined (``None``) where F is 0 or 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri

__all__ = [
    "CIFAt",
    "CIFCurve",
    "GrayTest",
    "FineGrayTerm",
    "FineGrayResult",
    "RiskRow",
    "CI_METHOD",
    "cumulative_incidence",
    "gray_test",
    "fine_gray",
    "risk_table",
]

CI_METHOD = "log(-log) transform, F^exp(±1.96·SE/(F·log F)) (Pintilie 2006; tidycmprsk)"
"""The pointwise CI of a cumulative incidence, named wherever one is shown."""

_EPS = float(np.finfo(float).eps)


def _arrays(
    time: Any, status: Any, weight: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=np.float64).reshape(-1)
    s = np.asarray(status).reshape(-1)
    if s.size != t.size:
        raise ValueError("status must have the same length as time")
    sf = s.astype(np.float64)
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("times must be finite and non-negative")
    if s.size and (np.any(sf < 0) or np.any(sf != np.round(sf))):
        raise ValueError("status must be 0 (censored) or a positive integer cause code")
    w = np.ones(t.size) if weight is None else np.asarray(weight, dtype=np.float64).reshape(-1)
    if w.size != t.size:
        raise ValueError("weight must have the same length as time")
    if w.size and (np.any(w < 0) or np.any(w != np.round(w))):
        raise ValueError("weight must hold whole, non-negative patient counts")
    return t, sf.astype(np.int64), w


def _z(conf_level: float) -> float:
    if not 0.0 < conf_level < 1.0:
        raise ValueError("conf_level must be strictly between 0 and 1")
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def loglog_ci(
    est: np.ndarray, var: np.ndarray, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """log(-log) CI of a cumulative incidence: ``F ** exp(+-z se / (F log F))``; nan at 0, 1.

    R: ``est^exp(c(-1, 1) * qnorm(0.975) * sqrt(var) / (est * log(est)))`` (tidycmprsk).
    """
    z = _z(conf_level)
    f = np.asarray(est, dtype=np.float64)
    # exp overflows to inf where F is within ~1e-300 of 0 or 1 relative to se: F ** inf = 0,
    # as R's arithmetic gives (no warning there either)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ok = (f > 0) & (f < 1)
        ff = np.where(ok, f, 0.5)
        k = z * np.sqrt(np.maximum(var, 0.0)) / (ff * np.log(ff))
        lo = np.where(ok, ff ** np.exp(-k), np.nan)
        hi = np.where(ok, ff ** np.exp(k), np.nan)
    return lo, hi


# ------------------------------------------------------------------ cumulative incidence
@dataclass(frozen=True, slots=True)
class CIFAt:
    """The cumulative incidence of one cause at a time (R: ``cmprsk::timepoints``).

    ``cif``/``var`` are the step function's values at ``time`` (right-continuous); ``None``
    past the group's last follow-up time, where ``timepoints`` gives NA.
    """

    time: float
    cif: float | None
    var: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True, eq=False)
class CIFCurve:
    """Aalen-Johansen cumulative incidence of one cause in one group, with Gray's variance.

    R: ``cmprsk::cuminc(ftime, fstatus)[["1 <cause>"]]`` (``time``, ``est``, ``var`` at the
    cause's jump times); the estimate equals ``survival::survfit(Surv(time,
    factor(status)) ~ 1)$pstate`` for that state. ``lower``/``upper``: :data:`CI_METHOD`
    (nan where undefined).

    Attributes
    ----------
    cause : int
        The cause code.
    time, est, var, lower, upper : float arrays
        One row per distinct time with an event of this cause: the value after the jump.
    last_time : float
        The group's largest time (event or censoring): the curve is defined up to it.
    n : int
        Patients in the group.
    """

    cause: int
    time: np.ndarray
    est: np.ndarray
    var: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    last_time: float
    n: int
    conf_level: float = 0.95

    def at(self, times: Sequence[float] | np.ndarray) -> tuple[CIFAt, ...]:
        """Values at ``times`` as ``cmprsk::timepoints`` (NA -> None past ``last_time``)."""
        out = []
        for t in np.asarray(times, dtype=np.float64).reshape(-1):
            if t > self.last_time:
                out.append(CIFAt(float(t), None, None, None, None))
                continue
            k = int(np.searchsorted(self.time, t, side="right"))
            if k == 0:
                out.append(CIFAt(float(t), 0.0, 0.0, None, None))
                continue
            lo, hi = self.lower[k - 1], self.upper[k - 1]
            out.append(
                CIFAt(
                    float(t),
                    float(self.est[k - 1]),
                    float(self.var[k - 1]),
                    None if np.isnan(lo) else float(lo),
                    None if np.isnan(hi) else float(hi),
                )
            )
        return tuple(out)


def _table(t: np.ndarray, s: np.ndarray, w: np.ndarray, causes: Sequence[int]):
    """Distinct times, at risk, events per cause (columns in ``causes`` order), all events."""
    ut, inv = np.unique(t, return_inverse=True)
    m = ut.size
    total = np.bincount(inv, weights=w, minlength=m)
    d = np.column_stack(
        [np.bincount(inv, weights=w * (s == c), minlength=m) for c in causes]
    ).reshape(m, len(causes))
    d_all = np.bincount(inv, weights=w * (s > 0), minlength=m)
    n_risk = total.sum() - (np.cumsum(total) - total)
    return ut, n_risk, d, d_all, total


def cumulative_incidence(
    time: Any,
    status: Any,
    cause: int,
    weight: Any = None,
    *,
    conf_level: float = 0.95,
) -> CIFCurve:
    """Aalen-Johansen cumulative incidence of ``cause``, with Gray's (1988) variance.

    Parameters
    ----------
    time : array of float
        Time of the event or censoring (>= 0).
    status : array of int
        0 censored, else the cause code.
    cause : int
        The cause whose incidence is estimated.
    weight : array of int, optional
        Patients per row (aggregated input).
    conf_level : float
        Level of the pointwise :data:`CI_METHOD` interval.

    Returns
    -------
    CIFCurve
        R: ``cmprsk::cuminc(time, status)`` (estimate and variance, Fortran ``cinc``), and
        ``survival::survfit(Surv(time, factor(status)) ~ 1)$pstate`` (estimate).

    Notes
    -----
    At each distinct time with ``n`` at risk, ``d1`` events of the cause and ``d2`` of other
    causes, ``F += S(t-) d1 / n`` (S the all-cause Kaplan-Meier) and the delta-method sums of
    ``cinc`` are accumulated (with its tie correction ``1 - (d - 1)/(n - 1)``); the variance
    is updated at the cause's own jump times and carried between them, as ``cinc`` does.
    """
    t, s, w = _arrays(time, status, weight)
    n = int(w.sum())
    if n == 0:
        raise ValueError("no patients")
    cause = int(cause)
    keep = w > 0
    t, s, w = t[keep], s[keep], w[keep]
    ut, rs, d, d_all, _tot = _table(t, s, w, [cause])
    d1 = d[:, 0]
    d2 = d_all - d1
    surv_after = np.where(rs > 0, (rs - d_all) / np.where(rs > 0, rs, 1.0), 1.0)
    fk = np.concatenate(([1.0], np.cumprod(surv_after)[:-1]))  # S(t-)
    fkn = fk * surv_after
    f = np.cumsum(fk * d1 / rs)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_fkn = np.where(fkn > 0, 1.0 / np.where(fkn > 0, fkn, 1.0), 0.0)
        rs1 = np.where(rs > 1, rs - 1.0, 1.0)
        # other causes (only where fkn > 0)
        t5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / rs1, 1.0)
        t6 = np.where((d2 > 0) & (fkn > 0), fk * fk * t5 * d2 / (rs * rs), 0.0)
        t3 = inv_fkn
        t4 = f * inv_fkn
        v1 = t4 * t4 * t6
        v2 = t3 * t4 * t6
        v3 = t3 * t3 * t6
        # the cause itself
        t5 = np.where(d1 > 1, 1.0 - (d1 - 1.0) / rs1, 1.0)
        t6 = np.where(d1 > 0, fk * fk * t5 * d1 / (rs * rs), 0.0)
        t4 = 1.0 + t3 * f
        v1 = v1 + t4 * t4 * t6
        v2 = v2 + t3 * t4 * t6
        v3 = v3 + t3 * t3 * t6
    c1, c2, c3 = np.cumsum(v1), np.cumsum(v2), np.cumsum(v3)
    var = c1 + f * f * c3 - 2.0 * f * c2
    jump = d1 > 0
    est = f[jump]
    v = var[jump]
    lo, hi = loglog_ci(est, v, conf_level)
    return CIFCurve(
        cause,
        _ro(ut[jump]),
        _ro(est),
        _ro(v),
        _ro(lo),
        _ro(hi),
        float(ut[-1]),
        n,
        conf_level,
    )


def _ro(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


# ------------------------------------------------------------------ Gray's test
@dataclass(frozen=True, slots=True)
class GrayTest:
    """Gray's (1988) k-sample test of equal cumulative incidence of one cause (rho = 0).

    R: ``cmprsk::cuminc(ftime, fstatus, group)$Tests[cause, ]`` (``stat``, ``pv``, ``df``).
    ``chi2`` is None where R gives -1 (singular variance).
    """

    cause: int
    chi2: float | None
    df: int
    p: float | None
    groups: tuple[str, ...] = ()


def gray_test(
    time: Any,
    status: Any,
    group: Any,
    cause: int,
    weight: Any = None,
    *,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's test that the cumulative incidence of ``cause`` is equal across groups.

    Parameters
    ----------
    time, status, weight
        As :func:`cumulative_incidence`.
    group : array
        Group of each row; groups are ordered by their sorted labels (R's factor levels).
    cause : int
        The cause tested (events of other causes are competing; status 0 censored).
    rho : float
        Power of the weight ``(1 - F(t-))**rho`` (R's default 0).

    Returns
    -------
    GrayTest
        R: ``cmprsk::cuminc(time, status, group)$Tests`` (Fortran ``crstm``), one stratum.

    Notes
    -----
    Vectorised over distinct times: the score of the first ``k - 1`` groups and its variance
    (the sums ``v``, ``v2``, ``v3`` and the cumulative matrix ``c`` of ``crst``) are built with
    cumulative sums over times; the statistic is ``s' V^-1 s`` on ``k - 1`` df.
    """
    t, s, w = _arrays(time, status, weight)
    g = np.asarray(group, dtype=object).reshape(-1)
    if g.size != t.size:
        raise ValueError("group must have the same length as time")
    keep = w > 0
    t, s, w, g = t[keep], s[keep], w[keep], g[keep]
    labels = sorted({str(x) for x in g})
    ng = len(labels)
    if ng < 2:
        raise ValueError("Gray's test needs at least two groups")
    gi = np.searchsorted(
        np.array(labels, dtype=object), np.array([str(x) for x in g], dtype=object)
    )
    m_code = np.where(s == int(cause), 1, np.where(s > 0, 2, 0))
    ut, inv = np.unique(t, return_inverse=True)
    m = ut.size
    key = inv * ng + gi
    size = m * ng
    tot = np.bincount(key, weights=w, minlength=size).reshape(m, ng)
    e1 = np.bincount(key, weights=w * (m_code == 1), minlength=size).reshape(m, ng)
    e2 = np.bincount(key, weights=w * (m_code == 2), minlength=size).reshape(m, ng)
    rs = tot.sum(axis=0) - (np.cumsum(tot, axis=0) - tot)  # at risk at each time, per group
    td = e1 + e2
    pos = rs > 0
    rsafe = np.where(pos, rs, 1.0)
    step = np.where(pos, (rs - td) / rsafe, 1.0)
    skm = np.cumprod(step, axis=0)
    skmm = np.vstack((np.ones((1, ng)), skm[:-1]))
    f1 = np.cumsum(np.where(pos, skmm * e1 / rsafe, 0.0), axis=0)
    f1m = np.vstack((np.zeros((1, ng)), f1[:-1]))
    nd1 = e1.sum(axis=1)
    nd2 = e2.sum(axis=1)
    event = (nd1 + nd2) > 0
    # only times with an event contribute; the group estimates above carry over the others
    rs, pos, rsafe, skm, skmm, f1m, e1, e2 = (
        a[event] for a in (rs, pos, rsafe, skm, skmm, f1m, e1, e2)
    )
    nd1, nd2 = nd1[event], nd2[event]
    skmm_safe = np.where(pos, skmm, 1.0)  # a group with nobody at risk contributes nothing
    t1 = np.where(pos, rs / skmm_safe, 0.0)
    tr = t1.sum(axis=1)
    tq = np.where(pos, rs * (1 - f1m) / skmm_safe, 0.0).sum(axis=1)
    fpool = np.cumsum(nd1 / tr)
    fm = np.concatenate(([0.0], fpool[:-1]))
    fb = (1.0 - fm) ** rho
    # a: fb * (diag(t1) - t1 t1' / tr), zero rows/columns for empty groups
    a = fb[:, None, None] * (
        t1[:, :, None] * np.eye(ng)[None] - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        cinc = a * (nd1 / (tr * (1.0 - fm)))[:, None, None]
    cinc = np.where(nd1[:, None, None] > 0, cinc, 0.0)
    c = np.cumsum(cinc, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = rs * (1 - f1m) / (skmm_safe * tq[:, None])
    score = np.where(pos, fb[:, None] * (e1 - nd1[:, None] * share), 0.0)
    s_vec = score.sum(axis=0)[: ng - 1]
    f = fpool
    with np.errstate(divide="ignore", invalid="ignore"):
        # failures from the cause
        t4 = np.where(skm > 0, 1.0 - (1.0 - f)[:, None] / np.where(skm > 0, skm, 1.0), 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(
            pos & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * rsafe), 0.0
        )
        # failures from other causes
        ok2 = (skm > 0) & (e2 > 0)
        u4 = np.where(ok2, (1.0 - f)[:, None] / np.where(skm > 0, skm, 1.0), 0.0)
        u5 = np.where(e2 > 1, 1.0 - (e2 - 1.0) / np.where(rs > 1, rs - 1.0, 1.0), 1.0)
        u3 = np.where(ok2, u5 * skmm**2 * e2 / rsafe**2, 0.0)
    v3 = (t4 * t4 * t3).sum(axis=0) + (u4 * u4 * u3).sum(axis=0)
    # t1[i, k] = a[i, k] - t4[k] c[i, k] (cause) and u1[i, k] = u4[k] c[i, k] (other causes)
    tt1 = a - t4[:, None, :] * c
    uu1 = u4[:, None, :] * c
    v2 = np.einsum("jik,jk,jk->ik", tt1, t4, t3) - np.einsum("jik,jk,jk->ik", uu1, u4, u3)
    v = np.einsum("jik,jlk,jk->il", tt1, tt1, t3) + np.einsum("jik,jlk,jk->il", uu1, uu1, u3)
    cf = c[-1] if c.shape[0] else np.zeros((ng, ng))
    v = v + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    vs = v[: ng - 1, : ng - 1]
    try:
        if np.linalg.matrix_rank(vs) < ng - 1:
            raise np.linalg.LinAlgError
        chi2 = float(s_vec @ np.linalg.solve(vs, s_vec))
    except np.linalg.LinAlgError:
        return GrayTest(int(cause), None, ng - 1, None, tuple(labels))
    return GrayTest(int(cause), chi2, ng - 1, float(chdtrc(ng - 1, chi2)), tuple(labels))


# ------------------------------------------------------------------ Fine-Gray
@dataclass(frozen=True, slots=True)
class FineGrayTerm:
    """One coefficient of a Fine-Gray model: a group against the reference.

    R: ``summary(cmprsk::crr(time, status, cov1 = model.matrix(~ group)[, -1]))$coef`` and
    ``$conf.int`` (``coef``, ``se(coef)``, ``exp(coef)``, ``2.5%``, ``97.5%``, ``p-value``).
    """

    label: str
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    z: float
    p: float


@dataclass(frozen=True)
class FineGrayResult:
    """Fine-Gray (1999) proportional subdistribution hazards model of one cause on a group.

    R: ``cmprsk::crr(ftime, fstatus, cov1, failcode = cause)`` (Newton-Raphson as ``crr``,
    ``gtol = 1e-6``, ``maxiter = 10``; robust sandwich variance ``crr``'s ``var``).
    """

    cause: int
    reference: str
    terms: tuple[FineGrayTerm, ...]
    converged: bool
    loglik: float
    n: int
    n_events: int
    var: np.ndarray


def _censoring_weights(t: np.ndarray, s: np.ndarray, w: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier of the censoring distribution just before ``at`` (R ``crr``'s ``uuu``:
    ``summary(survfit(Surv(ftime, cenind) ~ 1), times = at * (1 - eps))$surv``)."""
    ut, inv = np.unique(t, return_inverse=True)
    m = ut.size
    tot = np.bincount(inv, weights=w, minlength=m)
    cen = np.bincount(inv, weights=w * (s == 0), minlength=m)
    n_risk = tot.sum() - (np.cumsum(tot) - tot)
    g = np.cumprod(np.where(n_risk > 0, 1.0 - cen / np.where(n_risk > 0, n_risk, 1.0), 1.0))
    k = np.searchsorted(ut, np.asarray(at) * (1.0 - _EPS), side="right")
    return np.where(k > 0, g[np.maximum(k - 1, 0)], 1.0)


class _FG:
    """Fine-Gray sums over aggregated rows (pattern x, time, status, count), with cumsums.

    The risk-set weight of a row at a cause time s is ``exp(x b)`` times 1 (t >= s) or
    ``G(s-)/G(t-)`` (an other-cause failure before s). Per covariate pattern these weights do
    not depend on ``b``: ``M[s, pattern]`` is computed once, and every iteration's sums are
    ``M @ exp(X b)`` (cost: cause times x patterns, not patients).
    """

    def __init__(self, t, st, x, c, pat, xp):
        order = np.argsort(t, kind="stable")
        self.t, self.st, self.x, self.c = t[order], st[order], x[order], c[order]
        pat = pat[order]
        self.g_row = _censoring_weights(self.t, self.st, self.c, self.t)
        ev = self.st == 1
        self.s = np.unique(self.t[ev])  # distinct cause times
        self.d = np.bincount(
            np.searchsorted(self.s, self.t[ev]), weights=self.c[ev], minlength=self.s.size
        )
        self.g_s = _censoring_weights(self.t, self.st, self.c, self.s)
        self.ge = np.searchsorted(self.t, self.s, side="left")  # rows with t >= s start here
        self.x_ev = (self.c[ev, None] * self.x[ev]).sum(axis=0)
        self.xp = xp
        p = xp.shape[1]
        self.xx = (xp[:, :, None] * xp[:, None, :]).reshape(xp.shape[0], p * p)
        onehot = np.zeros((self.t.size, self.xp.shape[0]))
        onehot[np.arange(self.t.size), pat] = self.c
        rev = np.vstack((np.cumsum(onehot[::-1], axis=0)[::-1], np.zeros((1, onehot.shape[1]))))
        two = np.where((self.st == 2)[:, None], onehot / self.g_row[:, None], 0.0)
        fwd = np.vstack((np.zeros((1, onehot.shape[1])), np.cumsum(two, axis=0)))
        self.m = rev[self.ge] + self.g_s[:, None] * fwd[self.ge]

    def sums(self, b: np.ndarray):
        """S0, S1, S2 (risk-set sums) at the cause times, and the row weights exp(x b)."""
        ep = np.exp(self.xp @ b)
        me = self.m * ep[None, :]
        s0 = me.sum(axis=1)
        s1 = me @ self.xp
        s2 = (me @ self.xx).reshape(-1, self.xp.shape[1], self.xp.shape[1])
        return s0, s1, s2, np.exp(self.x @ b)

    def lik_score_info(self, b: np.ndarray):
        """R's ``crrfsv``: minus the log partial likelihood, its gradient and Hessian."""
        s0, s1, s2, _e = self.sums(b)
        xbar = s1 / s0[:, None]
        lik = -float(self.x_ev @ b) + float((self.d * np.log(s0)).sum())
        score = -self.x_ev + (self.d[:, None] * xbar).sum(axis=0)
        info = (
            self.d[:, None, None] * (s2 / s0[:, None, None] - xbar[:, :, None] * xbar[:, None, :])
        ).sum(axis=0)
        return lik, score, info

    def lik(self, b: np.ndarray) -> float:
        s0, _s1, _s2, _e = self.sums(b)
        return -float(self.x_ev @ b) + float((self.d * np.log(s0)).sum())

    def robust_var(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """R's ``crrvv``: information and the sum of squared influence terms (eta + psi)."""
        s0, s1, s2, e = self.sums(b)
        t, st, x, c = self.t, self.st, self.x, self.c
        p = x.shape[1]
        xbar = s1 / s0[:, None]
        info = (
            self.d[:, None, None] * (s2 / s0[:, None, None] - xbar[:, :, None] * xbar[:, None, :])
        ).sum(axis=0)
        dk0 = self.d / s0
        # eta: risk-set part up to t (s_k <= t) and, for other-cause failures, after t
        le = np.searchsorted(self.s, t, side="right")  # cause times <= t
        p0 = np.concatenate(([0.0], np.cumsum(dk0)))[le]
        p1 = np.vstack((np.zeros((1, p)), np.cumsum(dk0[:, None] * xbar, axis=0)))[le]
        q0a = np.concatenate((np.cumsum((dk0 * self.g_s)[::-1])[::-1], [0.0]))
        q1a = np.vstack(
            (np.cumsum((dk0 * self.g_s)[::-1, None] * xbar[::-1], axis=0)[::-1], np.zeros((1, p)))
        )
        q0, q1 = q0a[le], q1a[le]
        eta = -e[:, None] * (x * p0[:, None] - p1)
        two = st == 2
        eta -= np.where(two[:, None], (e / self.g_row)[:, None] * (x * q0[:, None] - q1), 0.0)
        one = st == 1
        at = np.searchsorted(self.s, t[one])
        eta[one] += x[one] - xbar[at]
        # psi: the censoring martingale part, at the distinct censoring times u
        ut, inv = np.unique(t, return_inverse=True)
        tot = np.bincount(inv, weights=c, minlength=ut.size)
        y = tot.sum() - (np.cumsum(tot) - tot)  # at risk (count) at each distinct time
        ncen = np.bincount(inv, weights=c * (st == 0), minlength=ut.size)
        wb = np.where(two, c * e / self.g_row, 0.0)
        lt = np.searchsorted(t, ut, side="left")  # rows with t < u
        b0 = np.concatenate(([0.0], np.cumsum(wb)))[lt]
        b1 = np.vstack((np.zeros((1, p)), np.cumsum(wb[:, None] * x, axis=0)))[lt]
        ge = np.searchsorted(self.s, ut, side="left")  # cause times >= u start here
        q = b1 * q0a[ge][:, None] - b0[:, None] * q1a[ge]
        ss2 = -np.cumsum((ncen / y**2)[:, None] * q, axis=0)
        psi = ss2[inv] + np.where((st == 0)[:, None], q[inv] / y[inv][:, None], 0.0)
        u = eta + psi
        v2 = (c[:, None, None] * u[:, :, None] * u[:, None, :]).sum(axis=0)
        return info, v2


def fine_gray(
    time: Any,
    status: Any,
    group: Any,
    cause: int,
    weight: Any = None,
    *,
    reference: str | None = None,
    conf_level: float = 0.95,
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> FineGrayResult:
    """Fine-Gray subdistribution hazard ratios of each group against ``reference``.

    Parameters
    ----------
    time, status, weight
        As :func:`cumulative_incidence` (status 0 censored, else a cause code).
    group : array
        Group of each row; one indicator per group other than the reference (R's
        ``model.matrix(~ factor(group))[, -1]`` with the reference first).
    cause : int
        The cause of interest (``failcode``); other causes compete.
    reference : str, optional
        Reference group (default: the first of the sorted labels, R's first level).
    gtol, maxiter
        ``crr``'s stopping rule: stop when ``max(|score| * max(|b|, 1)) < max(|loglik|, 1) *
        gtol``; at most ``maxiter`` Newton steps (step halving as ``crr``).

    Returns
    -------
    FineGrayResult
        R: ``cmprsk::crr(time, status, cov1, failcode = cause)``: coefficients, robust
        (sandwich) standard errors, HR = exp(coef), Wald CI and two-sided p.

    Notes
    -----
    Censoring weights are the Kaplan-Meier of the censoring distribution just before each
    time (one censoring group). Patients sharing a group, time and status are one weighted
    row; every risk-set sum is a cumulative sum over time, so the cost grows with the number
    of distinct (group, time, status) rows, not with the number of patients.
    """
    t, s, w = _arrays(time, status, weight)
    g = np.array([str(v) for v in np.asarray(group, dtype=object).reshape(-1)], dtype=object)
    if g.size != t.size:
        raise ValueError("group must have the same length as time")
    keep = w > 0
    t, s, w, g = t[keep], s[keep], w[keep], g[keep]
    labels = sorted(set(g))
    ref = labels[0] if reference is None else str(reference)
    if ref not in labels:
        raise ValueError(f"reference group {reference!r} has no patients")
    others = [lbl for lbl in labels if lbl != ref]
    if not others:
        raise ValueError("the Fine-Gray model needs at least two groups")
    st = np.where(s == int(cause), 1, np.where(s > 0, 2, 0))
    if not (st == 1).any():
        raise ValueError(f"no event of cause {cause}")
    x = np.column_stack([(g == lbl).astype(np.float64) for lbl in others])
    # one row per (pattern, time, status): a 1-D key, no row-wise sort of a 2-D array
    code = np.searchsorted(np.array(labels, dtype=object), g)
    ut, tidx = np.unique(t, return_inverse=True)
    key = (code.astype(np.int64) * ut.size + tidx) * 3 + st
    uk, inv = np.unique(key, return_inverse=True)
    cnt = np.bincount(inv.reshape(-1), weights=w, minlength=uk.size)
    st_r = uk % 3
    tidx_r = (uk // 3) % ut.size
    code_r = uk // 3 // ut.size
    xp = np.array([[1.0 if lbl == o else 0.0 for o in others] for lbl in labels])
    model = _FG(ut[tidx_r], st_r, xp[code_r], cnt, code_r, xp)
    b = np.zeros(x.shape[1])
    converged = False
    lik = 0.0
    for ll in range(maxiter + 1):
        lik, score, info = model.lik_score_info(b)
        if np.max(np.abs(score) * np.maximum(np.abs(b), 1.0)) < max(abs(lik), 1.0) * gtol:
            converged = True
            break
        if ll == maxiter:
            break
        sc = -np.linalg.solve(info, score)
        bn = b + sc
        fbn = model.lik(bn)
        i = 0
        while not np.isfinite(fbn) or fbn > lik + 1e-4 * float(sc @ score):
            i += 1
            sc = sc * 0.5
            bn = b + sc
            fbn = model.lik(bn)
            if i > 20:
                break
        if i > 20:
            break
        b = bn
    info, v2 = model.robust_var(b)
    h = np.linalg.inv(info)
    var = h @ v2 @ h.T
    se = np.sqrt(np.diag(var))
    z = _z(conf_level)
    terms = tuple(
        FineGrayTerm(
            lbl,
            float(b[j]),
            float(se[j]),
            float(np.exp(b[j])),
            float(np.exp(b[j] - z * se[j])),
            float(np.exp(b[j] + z * se[j])),
            float(b[j] / se[j]),
            float(2.0 * (1.0 - ndtr(abs(b[j] / se[j])))),
        )
        for j, lbl in enumerate(others)
    )
    return FineGrayResult(
        int(cause),
        ref,
        terms,
        converged,
        -float(lik),
        int(w.sum()),
        int(w[st == 1].sum()),
        _ro(var),
    )


# ------------------------------------------------------------------ risk table
@dataclass(frozen=True, slots=True)
class RiskRow:
    """At risk just before ``time``, and cumulative events per cause and censorings at or
    before it (R: ``summary(survfit(Surv(time, factor(status)) ~ 1), times = t)``: ``n.risk``
    and the cumulative sums of ``n.event`` by state and ``n.censor``)."""

    time: float
    at_risk: int
    events: tuple[tuple[int, int], ...]
    """(cause, cumulative events) in the order of ``causes``."""
    censored: int


def risk_table(
    time: Any, status: Any, causes: Sequence[int], times: Sequence[float], weight: Any = None
) -> tuple[RiskRow, ...]:
    """Numbers at risk (time < t excluded: at risk at t counts exit >= t), cumulative events
    per cause and cumulative censorings at each of ``times``."""
    t, s, w = _arrays(time, status, weight)
    out = []
    for x in np.asarray(times, dtype=np.float64).reshape(-1):
        at_risk = int(w[t >= x].sum())
        done = t <= x
        ev = tuple((int(k), int(w[done & (s == k)].sum())) for k in causes)
        out.append(RiskRow(float(x), at_risk, ev, int(w[done & (s == 0)].sum())))
    return tuple(out)
