"""Subgroup hazard ratios of one two-arm comparison and the treatment-by-subgroup interaction.

Built on the project's own Cox engine (:func:`core.stats.cox.fit_cox_aggregated`, equal to R
``coxph``); never lifelines. Input rows are aggregated (each row stands for ``c`` patients with
the same arm, subgroup, entry and exit time, ``d`` of them with the event), so every function
here equals R on the expanded patient data.

R equivalents (``trt`` a 0/1 arm indicator, ``sub`` a factor)::

    # hazard ratio within one level of sub
    summary(coxph(Surv(t, e) ~ trt, data = subset(d, sub == level), ties = "efron"))
    # interaction: likelihood-ratio test
    anova(coxph(Surv(t, e) ~ trt + sub, d), coxph(Surv(t, e) ~ trt * sub, d))

Aliased columns (R reports ``NA`` coefficients, e.g. ``trt:sub3`` when level 3 holds one arm
only) are left out here as R leaves them out, so the test's degrees of freedom are R's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from core.stats.cox import (
    AGG_COUNT,
    AGG_ENTRY,
    AGG_EVENTS,
    AGG_TIME,
    CoxModelError,
    fit_cox_aggregated,
)
from core.vocab.methods import Ties

__all__ = ["InteractionTest", "SubgroupHR", "interaction_lr_test", "subgroup_hr"]

MIN_ARM_PATIENTS = 2
"""A subgroup's arm with fewer patients than this gets no hazard ratio."""


@dataclass(frozen=True, slots=True)
class SubgroupHR:
    """The hazard ratio of arm 1 against arm 0 in one subgroup (R ``summary(coxph(~ trt))``).

    ``n``/``events`` are per arm ``(arm 0, arm 1)``. ``reason`` is '' when the hazard ratio is
    estimable, else why not in plain words (then the estimates are None).
    """

    n: tuple[int, int]
    events: tuple[int, int]
    hr: float | None = None
    lower: float | None = None
    upper: float | None = None
    coef: float | None = None
    se: float | None = None
    p: float | None = None
    reason: str = ""

    @property
    def estimable(self) -> bool:
        return not self.reason


@dataclass(frozen=True, slots=True)
class InteractionTest:
    """Likelihood-ratio test of ``trt * sub`` against ``trt + sub`` (R ``anova`` of the two).

    ``chi2`` = 2 (loglik full - loglik main), ``df`` = the number of non-aliased interaction
    columns; ``p`` is None (``reason`` says why) when no interaction column can be estimated.
    """

    chi2: float | None
    df: int
    p: float | None
    loglik_main: float | None = None
    loglik_full: float | None = None
    aliased: tuple[str, ...] = ()
    reason: str = ""


def _frame(t: np.ndarray, d: np.ndarray, c: np.ndarray, entry: np.ndarray | None) -> pd.DataFrame:
    cols = {AGG_TIME: np.asarray(t, float), AGG_EVENTS: np.asarray(d), AGG_COUNT: np.asarray(c)}
    if entry is not None:
        cols[AGG_ENTRY] = np.asarray(entry, float)
    return pd.DataFrame(cols)


def subgroup_hr(
    t: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    arm: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    ties: Ties = Ties.EFRON,
    arm_names: tuple[str, str] = ("reference arm", "comparison arm"),
) -> SubgroupHR:
    """Hazard ratio (Wald 95% CI and p) of ``arm == 1`` against ``arm == 0``.

    Parameters
    ----------
    t, d, c : array_like
        Exit time, events and patients per aggregated row.
    arm : array_like of 0/1
        The row's arm.
    entry : array_like, optional
        Delayed-entry time per row (R ``Surv(entry, t, e)``).
    ties : Ties
        Efron (R's default) or Breslow.
    arm_names : (str, str)
        Names of arm 0 and arm 1 for the reasons.

    Returns
    -------
    SubgroupHR
        Not estimable (``reason``) when an arm has fewer than :data:`MIN_ARM_PATIENTS`
        patients or no events (the estimate would be 0 or infinite), or when the engine flags
        the coefficient as infinite.
    """
    arm = np.asarray(arm, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    n = (int(c[arm == 0].sum()), int(c[arm == 1].sum()))
    ev = (int(d[arm == 0].sum()), int(d[arm == 1].sum()))
    base = SubgroupHR(n, ev)
    for k in (0, 1):
        if n[k] == 0:
            return _why(base, f"no patients in the {arm_names[k]}")
    for k in (0, 1):
        if n[k] < MIN_ARM_PATIENTS:
            return _why(base, f"fewer than {MIN_ARM_PATIENTS} patients in the {arm_names[k]}")
    if ev[0] == 0 and ev[1] == 0:
        return _why(base, "no events")
    for k in (0, 1):
        if ev[k] == 0:
            return _why(base, f"no events in the {arm_names[k]} (the HR would be 0 or infinite)")
    frame = _frame(t, d, c, entry)
    X = pd.DataFrame({"trt": arm.astype(float)})
    try:
        fit = fit_cox_aggregated(frame, Ties.parse(ties), X=X)
    except CoxModelError as exc:
        return _why(base, str(exc))
    if not fit.converged or any("may be infinite" in w for w in fit.warnings):
        return _why(base, "the estimate is infinite (monotone likelihood)")
    term = fit.terms[0]
    return SubgroupHR(n, ev, term.hr, term.hr_lower, term.hr_upper, term.coef, term.se, term.p, "")


def _why(base: SubgroupHR, reason: str) -> SubgroupHR:
    return SubgroupHR(base.n, base.events, reason=reason)


def _independent(columns: dict[str, np.ndarray]) -> tuple[list[str], list[str]]:
    """Greedy left-to-right choice of linearly independent columns (with an intercept, which a
    Cox model absorbs in its baseline hazard): (kept, aliased), as R's ``coxph`` marks the
    later of two dependent columns ``NA``."""
    first = next(iter(columns.values()))
    kept_cols = [np.ones(first.size)]
    kept, aliased = [], []
    for name, col in columns.items():
        trial = np.column_stack([*kept_cols, col])
        if np.linalg.matrix_rank(trial, tol=1e-9 * max(1.0, trial.shape[0])) == trial.shape[1]:
            kept_cols.append(col)
            kept.append(name)
        else:
            aliased.append(name)
    return kept, aliased


def interaction_lr_test(
    t: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    arm: np.ndarray,
    sub: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    ties: Ties = Ties.EFRON,
) -> InteractionTest:
    """Likelihood-ratio test for a treatment-by-subgroup interaction.

    R: ``anova(coxph(Surv(t, e) ~ trt + sub), coxph(Surv(t, e) ~ trt * sub))`` with ``sub`` a
    factor (treatment coding; the test does not depend on the reference level).

    Parameters
    ----------
    t, d, c : array_like
        Exit time, events and patients per aggregated row (complete cases).
    arm : array_like of 0/1
    sub : array_like of int
        Subgroup code per row (0 .. k-1).
    entry : array_like, optional
        Delayed-entry time per row.
    ties : Ties

    Returns
    -------
    InteractionTest
    """
    arm = np.asarray(arm, dtype=float)
    sub = np.asarray(sub, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    present = [k for k in np.unique(sub[c > 0])]
    if len(present) < 2:
        return InteractionTest(None, 0, None, reason="fewer than two subgroups")
    main: dict[str, np.ndarray] = {"trt": arm}
    for k in present[1:]:
        main[f"sub{k}"] = (sub == k).astype(float)
    inter = {f"trt:sub{k}": arm * (sub == k) for k in present[1:]}
    pos = c > 0
    kept_main, _ = _independent({k: v[pos] for k, v in main.items()})
    kept_full, aliased = _independent({k: v[pos] for k, v in {**main, **inter}.items()})
    df = len(kept_full) - len(kept_main)
    if df == 0:
        return InteractionTest(
            None,
            0,
            None,
            aliased=tuple(aliased),
            reason="the comparison does not vary within two or more subgroups",
        )
    frame = _frame(t, d, c, entry)
    full = {**main, **inter}
    try:
        m0 = fit_cox_aggregated(
            frame, Ties.parse(ties), X=pd.DataFrame({k: main[k] for k in kept_main})
        )
        m1 = fit_cox_aggregated(
            frame, Ties.parse(ties), X=pd.DataFrame({k: full[k] for k in kept_full})
        )
    except CoxModelError as exc:
        return InteractionTest(None, df, None, aliased=tuple(aliased), reason=str(exc))
    chi2 = max(2.0 * (m1.loglik[1] - m0.loglik[1]), 0.0)
    p = float(stats.chi2.sf(chi2, df))
    return InteractionTest(
        float(chi2),
        df,
        p if math.isfinite(p) else None,
        m0.loglik[1],
        m1.loglik[1],
        tuple(aliased),
    )
