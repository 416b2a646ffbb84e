"""Effect differences (core.stats.effects) against R, frozen values, rtol 1e-9 (closed forms).

Data: R's ``lung`` (by sex, reference sex=1) and ``veteran`` (by trt, reference trt=1), as
exported in tests/data/r_datasets. R 4.2.2, survival 3.5.3.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.stats.effects import rmst_contrast, surv_and_se, survival_difference
from core.stats.survival import counts_from_arrays, kaplan_meier

RTOL = 1e-9


def close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=0
    )


@pytest.fixture(scope="module")
def fits(r_dataset):
    lung = r_dataset("lung")
    vet = r_dataset("veteran")
    out = {}
    for sex in (1, 2):
        sub = lung[lung.sex == sex]
        out[f"lung{sex}"] = kaplan_meier(counts_from_arrays(sub.time, (sub.status == 2) * 1))
    for trt in (1, 2):
        sub = vet[vet.trt == trt]
        out[f"vet{trt}"] = kaplan_meier(counts_from_arrays(sub.time, sub.status))
    return out


# R (both data sets)::
#   sd2 <- function(fit, times) {
#     s <- summary(fit, times = times); k <- length(times)
#     d <- s$surv[k + 1:k] - s$surv[1:k]; se <- sqrt(s$std.err[1:k]^2 + s$std.err[k + 1:k]^2)
#     list(d, se, d - qnorm(.975) * se, d + qnorm(.975) * se, 2 * pnorm(-abs(d / se)))
#   }
#   sd2(survfit(Surv(time, status) ~ sex, data = lung), c(180, 365, 730))
#   sd2(survfit(Surv(time, status) ~ trt, data = veteran), c(30, 90, 180))
SURV_DIFF = {
    "lung": (
        (180, 365, 730),
        [0.197936704046001, 0.190375195546527, 0.109108406638036],
        [0.0562116451910808, 0.0738518773801789, 0.0679471063519934],
        [0.0877639039597381, 0.045628175690708, -0.0240654746655833],
        [0.308109504132263, 0.335122215402346, 0.242282287941656],
        [0.000429475725504781, 0.00994322069068124, 0.108321278949389],
    ),
    "vet": (
        (30, 90, 180),
        [-0.0475987496447857, -0.166578167498884, 0.0204261519398892],
        [0.0782439818047735, 0.0844417592880905, 0.0737600581896503],
        [-0.200954135989149, -0.332080974494742, -0.124140905609404],
        [0.105756636699578, -0.00107536050302592, 0.164993209489182],
        [0.54296364292461, 0.0485298748934413, 0.78183615686217],
    ),
}


@pytest.mark.parametrize("name", ["lung", "vet"])
def test_survival_difference_equals_r(fits, name):
    """Group 2 minus group 1 at three times (R call in the table's comment above), rtol 1e-9."""
    times, d, se, lo, hi, p = SURV_DIFF[name]
    res = survival_difference(fits[f"{name}2"], fits[f"{name}1"], times)
    assert [r.time for r in res] == list(times)
    close([r.estimate for r in res], d)
    close([r.diff_se for r in res], se)
    close([r.lower for r in res], lo)
    close([r.upper for r in res], hi)
    close([r.p for r in res], p)


def test_survival_and_se_equal_r_summary(fits):
    """The group values themselves. R::

    s <- summary(survfit(Surv(time, status) ~ sex, data = lung), times = c(180, 365, 730))
    s$surv; s$std.err
    """
    got = [surv_and_se(fits["lung1"], t) for t in (180, 365, 730)]
    close(
        [v for pair in got for v in pair],
        [0.644465001541783, 0.040786425085295, 0.336087834639379, 0.0434235888417982,
         0.0781240912670194, 0.0276475092813622],
    )  # fmt: skip


# R::
#   t <- summary(survfit(Surv(time, status) ~ sex, data = lung), rmean = 365)$table
#   d <- t[2, "rmean"] - t[1, "rmean"]; se <- sqrt(t[2, "se(rmean)"]^2 + t[1, "se(rmean)"]^2)
#   c(d, se, d - qnorm(.975) * se, d + qnorm(.975) * se, 2 * pnorm(-abs(d / se)))
#   lr <- log(t[2, "rmean"] / t[1, "rmean"])
#   lse <- sqrt(t[2, "se(rmean)"]^2 / t[2, "rmean"]^2 + t[1, "se(rmean)"]^2 / t[1, "rmean"]^2)
#   c(exp(lr), exp(lr - qnorm(.975) * lse), exp(lr + qnorm(.975) * lse), 2 * pnorm(-abs(lr / lse)))
#   # veteran: survfit(Surv(time, status) ~ trt, data = veteran), rmean = 180
RMST = {
    "lung": (
        365,
        (241.495085192057, 10.3582264910969, 297.465409532037, 10.7913239788001),
        (55.9703243399798, 14.9581258604241, 26.6529363773313, 85.2877123026282,
         0.000182706461311161),
        (1.2317658940987, 1.10334339056206, 1.37513600103398, 0.000206761222503229),
    ),
    "vet": (
        180,
        (95.3744657416462, 7.94799373336676, 81.6143214285714, 7.91539746923284),
        (-13.7601443130748, 11.2171351726533, -35.7453252611927, 8.22503663504308,
         0.219932532098714),
        (0.855725070582846, 0.666025448003534, 1.09945558179352, 0.223045543553983),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", ["lung", "vet"])
def test_rmst_difference_and_ratio_equal_r(fits, name):
    """RMST difference and ratio, group 2 vs group 1 (R call in the comment above), rtol 1e-9."""
    tau, (r1, s1, r2, s2), diff, ratio = RMST[name]
    c = rmst_contrast(fits[f"{name}2"], fits[f"{name}1"], tau)
    close([c.rmst_ref, c.rmst_ref_se, c.rmst, c.rmst_se], [r1, s1, r2, s2])
    close([c.difference, c.se, c.lower, c.upper, c.p], diff)
    close([c.ratio, c.ratio_lower, c.ratio_upper, c.ratio_p], ratio)


@pytest.mark.parametrize("name", ["lung", "vet"])
def test_rmst_difference_equals_survrm2_by_hand(fits, name):
    """survRM2::rmst2 (unadjusted) computed by its own formula (survRM2 1.0-4's rmst1/rmst2
    source, survRM2 is not installed here), rtol 1e-9. R::

      rmst1 <- function(time, status, tau) {
        ft <- survfit(Surv(time, status) ~ 1); idx <- ft$time <= tau
        wk.time <- sort(c(ft$time[idx], tau)); wk.surv <- ft$surv[idx]
        wk.n.risk <- ft$n.risk[idx]; wk.n.event <- ft$n.event[idx]
        areas <- diff(c(0, wk.time)) * c(1, wk.surv)
        wk.var <- c(ifelse(wk.n.risk - wk.n.event == 0, 0,
                           wk.n.event / (wk.n.risk * (wk.n.risk - wk.n.event))), 0)
        c(sum(areas), sqrt(sum(cumsum(rev(areas[-1]))^2 * rev(wk.var)[-1])))
      }
      a1 <- rmst1(time[arm == 1], status[arm == 1], tau); a0 <- rmst1(...arm == 0...)
      d <- a1[1] - a0[1]; se <- sqrt(a1[2]^2 + a0[2]^2); 2 * (1 - pnorm(abs(d) / se))
      lr <- log(a1[1] / a0[1]); lse <- sqrt(a1[2]^2 / a1[1]^2 + a0[2]^2 / a0[1]^2)
      # lung: arm = sex == 2, status - 1, tau 365; veteran: arm = trt == 2, tau 180

    gives the same numbers as the survfit route (tested above): lung 55.9703243399798,
    14.9581258604241, p 0.000182706461311133, ratio 1.2317658940987 (1.10334339056206,
    1.37513600103398), p 0.000206761222503182; veteran -13.7601443130748, 11.2171351726533,
    p 0.219932532098714, ratio 0.855725070582846 (0.666025448003534, 1.09945558179352),
    p 0.223045543553983. (The p values differ from the survfit route by 1e-13 relative: R's
    ``1 - pnorm`` loses digits; rtol 1e-9 here.)
    """
    survrm2 = {
        "lung": (55.9703243399798, 14.9581258604241, 0.000182706461311133, 1.2317658940987,
                 1.10334339056206, 1.37513600103398, 0.000206761222503182),
        "vet": (-13.7601443130748, 11.2171351726533, 0.219932532098714, 0.855725070582846,
                0.666025448003534, 1.09945558179352, 0.223045543553983),
    }  # fmt: skip
    tau = RMST[name][0]
    c = rmst_contrast(fits[f"{name}2"], fits[f"{name}1"], tau)
    close(
        [c.difference, c.se, c.p, c.ratio, c.ratio_lower, c.ratio_upper, c.ratio_p],
        survrm2[name],
    )


def test_edges():
    """After a curve's last time: no difference (R's summary drops the time); before any
    event both curves are 1 with SE 0: difference 0, no p; a curve at 0 has SE 0."""
    a = kaplan_meier(counts_from_arrays([5, 8, 12], [1, 0, 1]))
    b = kaplan_meier(counts_from_arrays([2, 4, 6, 30], [1, 1, 0, 0]))
    early, late = survival_difference(a, b, [1, 20])
    assert early.estimate == 0 and early.diff_se == 0 and early.p is None
    assert late.estimate is None and late.surv is None and late.surv_ref is not None
    assert surv_and_se(a, 12) == (0.0, 0.0)
    with pytest.raises(ValueError):
        survival_difference(a, b, [float("nan")])
    zero = kaplan_meier(counts_from_arrays([0, 0], [1, 1]))
    c = rmst_contrast(zero, b, 3)
    assert c.rmst == 0 and c.ratio is None and c.ratio_p is None and c.difference < 0
    m = rmst_contrast(a, b, 10).scaled(2.0)
    assert m.tau == 5 and m.ratio == rmst_contrast(a, b, 10).ratio
