"""Effect differences between two independent Kaplan-Meier groups, with normal-approximation CIs.

Two contrasts of a group against a reference group, both from R's ``survfit`` estimates:

* :func:`survival_difference`: ``S(t) - S_ref(t)`` at chosen times, Greenwood standard errors
  on the survival scale (R ``summary(fit, times=)$std.err``);
* :func:`rmst_contrast`: the difference ``RMST - RMST_ref`` and the ratio ``RMST / RMST_ref``
  of restricted mean survival times up to a horizon ``tau`` (R ``summary(fit, rmean=tau)``),
  the ratio's CI on the log scale by the delta method, as survRM2's ``rmst2`` (unadjusted).

Pure NumPy on :class:`core.stats.survival.KMResult` values; times in any unit (the estimates
scale with it, probabilities, ratios and p values do not). ``None`` where R gives ``NA`` or where
a value is not estimable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from core.stats.survival import KMResult, rmst

__all__ = [
    "SurvivalDifference",
    "RMSTContrast",
    "survival_difference",
    "rmst_contrast",
    "surv_and_se",
]


def _z(conf_level: float) -> float:
    if not 0.0 < conf_level < 1.0:
        raise ValueError("conf_level must be strictly between 0 and 1")
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def _p(estimate: float, se: float) -> float | None:
    """Two-sided normal p of ``estimate / se`` (None when se is 0 or not finite)."""
    if not (se > 0 and np.isfinite(se)):
        return None
    return float(2.0 * ndtr(-abs(estimate / se)))


@dataclass(frozen=True, slots=True)
class SurvivalDifference:
    """``S(t) - S_ref(t)`` at one time, with its standard error, Wald CI and two-sided p.

    ``surv``/``se`` belong to the group, ``surv_ref``/``se_ref`` to the reference (standard
    errors on the survival scale). ``estimate`` and the rest are None after either curve's last
    observed time (R's ``summary(times=)`` drops such times); ``p`` is None when ``se`` is 0
    (both curves still at 1).
    """

    time: float
    surv: float | None
    se: float | None
    surv_ref: float | None
    se_ref: float | None
    estimate: float | None
    diff_se: float | None
    lower: float | None
    upper: float | None
    p: float | None


@dataclass(frozen=True, slots=True)
class RMSTContrast:
    """Restricted mean survival time of a group against a reference up to ``tau``.

    ``difference = rmst - rmst_ref`` with ``se = sqrt(se^2 + se_ref^2)``, Wald CI and
    two-sided z-test p; ``ratio = rmst / rmst_ref`` with ``log_ratio_se =
    sqrt(se^2 / rmst^2 + se_ref^2 / rmst_ref^2)`` (delta method), CI
    ``exp(log(ratio) +/- z log_ratio_se)`` and p from ``log(ratio) / log_ratio_se``. Ratio
    fields are None when either RMST is 0; p values None when the SE is 0.
    """

    tau: float
    rmst: float
    rmst_se: float
    rmst_ref: float
    rmst_ref_se: float
    difference: float
    se: float
    lower: float
    upper: float
    p: float | None
    ratio: float | None
    log_ratio_se: float | None
    ratio_lower: float | None
    ratio_upper: float | None
    ratio_p: float | None

    def scaled(self, days_per_unit: float) -> RMSTContrast:
        """The same contrast with times (tau, RMSTs, difference and its SE/CI) divided by
        ``days_per_unit``; ratio and p values are unit-free."""
        f = float(days_per_unit)
        if not np.isfinite(f) or f <= 0:
            raise ValueError("days_per_unit must be positive")
        return RMSTContrast(
            self.tau / f,
            self.rmst / f,
            self.rmst_se / f,
            self.rmst_ref / f,
            self.rmst_ref_se / f,
            self.difference / f,
            self.se / f,
            self.lower / f,
            self.upper / f,
            self.p,
            self.ratio,
            self.log_ratio_se,
            self.ratio_lower,
            self.ratio_upper,
            self.ratio_p,
        )


def surv_and_se(km: KMResult, t: float) -> tuple[float, float] | None:
    """Kaplan-Meier survival and its Greenwood standard error (survival scale) at ``t``.

    R equivalent: ``s <- summary(fit, times = t); c(s$surv, s$std.err)``. Before the first row
    ``(1, 0)``; None after the last observed time (R drops the time). Where the curve has
    reached 0 (``n == d``, Greenwood's SE infinite) R gives ``NaN`` (``0 * Inf``); here the
    survival-scale SE is 0: the estimate 0 has no sampling variance left under Greenwood.

    Parameters
    ----------
    km : KMResult
        The group's Kaplan-Meier fit.
    t : float
        Time, in the fit's unit.

    Returns
    -------
    tuple of float or None
        ``(surv, se)``, or None after the last observed time.
    """
    t = float(t)
    if not np.isfinite(t):
        raise ValueError("times must be finite")
    if t > km.time[-1]:
        return None
    j = int(np.searchsorted(km.time, t, side="right")) - 1
    if j < 0:
        return 1.0, 0.0
    s = float(km.surv[j])
    se = float(km.std_err[j]) * s if s > 0 else 0.0
    return s, se if np.isfinite(se) else 0.0


def survival_difference(
    km: KMResult, km_ref: KMResult, times: Sequence[float], conf_level: float = 0.95
) -> list[SurvivalDifference]:
    """Difference of two independent Kaplan-Meier estimates at fixed times.

    Method: ``d = S(t) - S_ref(t)``, ``se = sqrt(se^2 + se_ref^2)`` with Greenwood standard
    errors on the survival scale (:func:`surv_and_se`), CI ``d +/- z se`` and two-sided p
    ``2 * pnorm(-|d / se|)``.

    R equivalent::

        s <- summary(survfit(Surv(time, status) ~ g), times = t)   # reference stratum first
        d <- s$surv[g2] - s$surv[g1]; se <- sqrt(s$std.err[g1]^2 + s$std.err[g2]^2)
        c(d, d - qnorm(.975) * se, d + qnorm(.975) * se, 2 * pnorm(-abs(d / se)))

    Parameters
    ----------
    km, km_ref : KMResult
        The group's and the reference group's fits (same time unit).
    times : sequence of float
        Times at which to compare.
    conf_level : float
        Confidence level of the interval (default 0.95).

    Returns
    -------
    list of SurvivalDifference
        One per time, in the given order.
    """
    z = _z(conf_level)
    out = []
    for t in times:
        a, b = surv_and_se(km, t), surv_and_se(km_ref, t)
        if a is None or b is None:
            out.append(
                SurvivalDifference(
                    float(t),
                    None if a is None else a[0],
                    None if a is None else a[1],
                    None if b is None else b[0],
                    None if b is None else b[1],
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
            continue
        d = a[0] - b[0]
        se = float(np.hypot(a[1], b[1]))
        out.append(
            SurvivalDifference(
                float(t), a[0], a[1], b[0], b[1], d, se, d - z * se, d + z * se, _p(d, se)
            )
        )
    return out


def rmst_contrast(
    km: KMResult, km_ref: KMResult, tau: float, conf_level: float = 0.95
) -> RMSTContrast:
    """Difference and ratio of restricted mean survival times up to ``tau``.

    Method: each RMST and its SE as R's ``survival:::survmean`` (:func:`core.stats.survival.rmst`;
    the same formula as survRM2's ``rmst1``); difference ``RMST - RMST_ref`` with
    ``se = sqrt(se^2 + se_ref^2)``, Wald CI and two-sided z-test p; ratio ``RMST / RMST_ref``
    with its CI on the log scale by the delta method,
    ``se(log ratio) = sqrt(se^2 / RMST^2 + se_ref^2 / RMST_ref^2)``, as survRM2's ``rmst2``
    (unadjusted ``RMST (arm=1)/(arm=0)`` row). Whether ``tau`` may be used (follow-up of both
    groups reaching it, as survRM2 requires) is the caller's decision.

    R equivalent::

        t <- summary(survfit(Surv(time, status) ~ g), rmean = tau)$table
        d <- t[2, "rmean"] - t[1, "rmean"]
        se <- sqrt(t[1, "se(rmean)"]^2 + t[2, "se(rmean)"]^2)
        lr <- log(t[2, "rmean"] / t[1, "rmean"])
        lse <- sqrt(t[2, "se(rmean)"]^2 / t[2, "rmean"]^2 + t[1, "se(rmean)"]^2 / t[1, "rmean"]^2)
        c(d, se, d + c(-1, 1) * qnorm(.975) * se, 2 * pnorm(-abs(d / se)),
          exp(lr), exp(lr + c(-1, 1) * qnorm(.975) * lse), 2 * pnorm(-abs(lr / lse)))

    Parameters
    ----------
    km, km_ref : KMResult
        The group's and the reference group's fits (same time unit).
    tau : float
        Horizon, positive, in the fits' unit.
    conf_level : float
        Confidence level of the intervals (default 0.95).

    Returns
    -------
    RMSTContrast
    """
    z = _z(conf_level)
    a = rmst(km, tau, conf_level)
    b = rmst(km_ref, tau, conf_level)
    d = a.estimate - b.estimate
    se = float(np.hypot(a.se, b.se))
    ratio = lse = rlo = rhi = rp = None
    if a.estimate > 0 and b.estimate > 0:
        lr = float(np.log(a.estimate / b.estimate))
        lse = float(np.hypot(a.se / a.estimate, b.se / b.estimate))
        ratio = float(np.exp(lr))
        rlo, rhi = float(np.exp(lr - z * lse)), float(np.exp(lr + z * lse))
        rp = _p(lr, lse)
    return RMSTContrast(
        a.tau,
        a.estimate,
        a.se,
        b.estimate,
        b.se,
        d,
        se,
        d - z * se,
        d + z * se,
        _p(d, se),
        ratio,
        lse,
        rlo,
        rhi,
        rp,
    )
