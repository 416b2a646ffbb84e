"""core.stats.survival against values frozen from R 4.2.2 with survival 3.5.3.

Every R snippet below starts from this preamble (R is not needed to run the tests)::

    library(survival)
    lung <- survival::lung; veteran <- survival::veteran
    ovarian <- survival::ovarian; aml <- survival::aml
    # deterministic delayed entry for every third patient (1-based row number):
    lung$entry <- ifelse(seq_len(nrow(lung)) %% 3 == 0, floor(lung$time * 0.3), 0)
    sc <- function(x) sprintf("%.15g", x)

Numbers were printed with ``sc()`` (15 significant digits), so the tightest meaningful relative
tolerance is ~1e-14; tests use 1e-9 unless stated. In R's lung, status 1 = censored, 2 = dead.
The big per-row Kaplan-Meier tables are at the bottom of this module (``KM_REF``).
"""

from __future__ import annotations

import math
from math import inf, nan

import numpy as np
import pandas as pd
import pytest

from core.stats.survival import (
    EmptyGroupError,
    GroupHR,
    KMResult,
    Quantile,
    SurvivalCounts,
    at_risk_table,
    counts_from_arrays,
    counts_from_frame,
    cox_group_hr,
    kaplan_meier,
    km_quantiles,
    landmark,
    logrank_test,
    logrank_with_pairwise,
    pairwise_logrank,
    rmst,
    rmst_difference,
    survival_at,
    to_unit,
)
from core.vocab.methods import DAYS_PER_MONTH, ConfType

RTOL = 1e-9


# ---------------------------------------------------------------------------------------------
# data helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lung(r_dataset):
    df = r_dataset("lung")
    df["dead"] = (df["status"] == 2).astype(int)
    # R: lung$entry <- ifelse(seq_len(nrow(lung)) %% 3 == 0, floor(lung$time * 0.3), 0)
    rownum = np.arange(1, len(df) + 1)
    df["entry"] = np.where(rownum % 3 == 0, np.floor(df["time"] * 0.3), 0.0)
    return df


@pytest.fixture(scope="module")
def veteran(r_dataset):
    return r_dataset("veteran")


@pytest.fixture(scope="module")
def datasets(r_dataset, lung):
    aml = r_dataset("aml")
    ov = r_dataset("ovarian")
    vet = r_dataset("veteran")
    out = {
        "lung": counts_from_arrays(lung.time, lung.dead),
        "lung/entry": counts_from_arrays(lung.time, lung.dead, entry=lung.entry),
        "ovarian": counts_from_arrays(ov.futime, ov.fustat),
    }
    for sex in (1, 2):
        sub = lung[lung.sex == sex]
        out[f"lung/sex={sex}"] = counts_from_arrays(sub.time, sub.dead)
    for x in ("Maintained", "Nonmaintained"):
        sub = aml[aml.x == x]
        out[f"aml/{x}"] = counts_from_arrays(sub.time, sub.status)
    for rx in (1, 2):
        sub = ov[ov.rx == rx]
        out[f"ovarian/rx={rx}"] = counts_from_arrays(sub.futime, sub.fustat)
    for ct in ("squamous", "smallcell", "adeno", "large"):
        sub = vet[vet.celltype == ct]
        out[f"veteran/{ct}"] = counts_from_arrays(sub.time, sub.status)
    return out


def assert_r_close(actual, expected, rtol=RTOL):
    """Elementwise relative closeness; R's NA (nan) must be nan here too, Inf must match."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=0
    )


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier, all rows, three CI transforms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("conf_type", list(ConfType))
@pytest.mark.parametrize(
    "key", ["lung", "aml/Maintained", "aml/Nonmaintained", "ovarian", "lung/entry"]
)
def test_km_all_rows_match_r(datasets, key, conf_type):
    """KM time/n.risk/n.event/n.censor/surv/std.err/lower/upper at every row, rtol 1e-9.

    R (CT in "log-log", "log", "plain"; one fit per key)::

        f <- survfit(Surv(time, status) ~ 1, data=lung, conf.type=CT)                 # lung
        f <- survfit(Surv(time, status) ~ 1, data=aml, subset=x=="Maintained",
                     conf.type=CT)                                                    # aml/...
        f <- survfit(Surv(futime, fustat) ~ 1, data=ovarian, conf.type=CT)            # ovarian
        f <- survfit(Surv(entry, time, status) ~ 1, data=lung, conf.type=CT)          # lung/entry
        sc(f$time); sc(f$n.risk); sc(f$n.event); sc(f$n.censor); sc(f$surv); sc(f$std.err)
        sc(f$lower); sc(f$upper)     # NA -> nan, Inf -> inf
    """
    ref = KM_REF[key]
    km = kaplan_meier(datasets[key], conf_type=conf_type)
    np.testing.assert_array_equal(km.time, ref["time"])
    np.testing.assert_array_equal(km.n_risk, ref["n.risk"])
    np.testing.assert_array_equal(km.n_event, ref["n.event"])
    np.testing.assert_array_equal(km.n_censor, ref["n.censor"])
    assert_r_close(km.surv, ref["surv"])
    assert_r_close(km.std_err, ref["std.err"])
    assert_r_close(km.lower, ref[f"lower/{conf_type.value}"])
    assert_r_close(km.upper, ref[f"upper/{conf_type.value}"])
    assert km.n == int(np.sum(ref["n.event"]) + np.sum(ref["n.censor"]))
    assert km.events == int(np.sum(ref["n.event"]))
    assert km.conf_type is conf_type


def test_km_accepts_conf_type_code_and_level(datasets):
    """conf_type may be given as its code; conf_level changes z. R::

    f <- survfit(Surv(time, status) ~ 1, data=aml, subset=x=="Maintained",
                 conf.type="log", conf.int=0.9)
    sc(f$lower[1:3])   # 0.777135294472088 0.647614278014167 0.519393965412095
    """
    km = kaplan_meier(datasets["aml/Maintained"], conf_type="log", conf_level=0.9)
    assert km.conf_type is ConfType.LOG
    assert_r_close(km.lower[:3], [0.777135294472088, 0.647614278014167, 0.519393965412095])
    with pytest.raises(ValueError):
        kaplan_meier(datasets["aml/Maintained"], conf_level=1.0)
    with pytest.raises(ValueError):
        kaplan_meier(datasets["aml/Maintained"], conf_type="logit")


# ---------------------------------------------------------------------------------------------
# quantiles
# ---------------------------------------------------------------------------------------------

QUANTILE_REF = [
    # key|conf.type, (q25, q50, q75), lower, upper  -- None = NA (not reached)
    ("lung|log-log", (170, 310, 550), (144, 284, 457), (194, 361, 643)),
    ("lung|log", (170, 310, 550), (145, 285, 460), (197, 363, 654)),
    ("lung|plain", (170, 310, 550), (145, 284, 457), (197, 361, 643)),
    ("lung/sex=1|log-log", (144, 270, 457), (105, 210, 371), (176, 306, 567)),
    ("lung/sex=2|log-log", (226, 426, 687), (167, 345, 524), (310, 524, 765)),
    ("veteran/squamous|log-log", (33, 118, 357), (10, 44, 201), (110, 242, 587)),
    ("veteran/smallcell|log-log", (20, 51, 99), (10, 24, 59), (25, 61, 151)),
    ("veteran/adeno|log-log", (19, 51, 92), (7, 24, 73), (36, 90, 140)),
    ("veteran/large|log-log", (53, 156, 231), (15, 100, 164), (111, 216, 340)),
    ("ovarian/rx=1|log-log", (268, 638, None), (59, 156, 431), (638, None, None)),
    ("ovarian/rx=2|log-log", (475, None, None), (353, 464, 563), (None, None, None)),
    ("ovarian/rx=2|log", (475, None, None), (365, 475, None), (None, None, None)),
    ("aml/Maintained|log-log", (18, 31, 48), (9, 13, 31), (34, None, None)),
    ("aml/Nonmaintained|plain", (8, 23, 33), (5, 8, 23), (27, 33, None)),
    ("lung/entry|log-log", (147, 291, 524), (107, 239, 444), (179, 348, 624)),
]


@pytest.mark.parametrize(("key", "est", "lower", "upper"), QUANTILE_REF)
def test_quantiles_match_r(datasets, key, est, lower, upper):
    """Quartiles and median with CI, exact (they are data times). R, e.g.::

    f <- survfit(Surv(futime, fustat) ~ 1, data=ovarian, subset=rx==2, conf.type="log-log")
    quantile(f, probs=c(.25, .5, .75))     # $quantile, $lower, $upper; NA = not reached
    # other keys: lung (all / subset=sex==1 / sex==2), veteran subset=celltype==CT,
    # ovarian subset=rx==1, aml subset=x=="Maintained" / "Nonmaintained",
    # lung/entry: Surv(entry, time, status). Medians equal print(f) for all of these.
    """
    name, ct = key.split("|")
    qs = km_quantiles(kaplan_meier(datasets[name], conf_type=ct), probs=(0.25, 0.5, 0.75))
    assert [q.p for q in qs] == [0.25, 0.5, 0.75]
    assert tuple(q.estimate for q in qs) == est
    assert tuple(q.lower for q in qs) == lower
    assert tuple(q.upper for q in qs) == upper


@pytest.mark.parametrize(
    ("time", "status", "est", "lower", "upper"),
    [
        # S = 0.5 exactly on the flat segment [2, 5): median is its midpoint
        ([1, 2, 3, 5], [1, 1, 0, 1], (1.5, 3.5, 5), (1, 1, 1), (None, None, None)),
        # the curve ENDS at S = 0.5: midpoint to the last time (print(f) would say 2)
        ([1, 2, 3, 4], [1, 1, 0, 0], (1.5, 3, None), (1, 1, 1), (None, None, None)),
        # one event time with S = 0.25
        ([4, 4, 4, 4], [1, 1, 0, 1], (4, 4, 4), (4, 4, 4), (4, None, None)),
        # everybody dies at once: S = 0, log-log CI is NA
        ([4, 4, 4], [1, 1, 1], (4, 4, 4), (None, None, None), (None, None, None)),
        # events at time 0
        ([0, 0, 0, 2, 6], [1, 0, 1, 1, 0], (0, 2, None), (0, 0, 0), (2, None, None)),
        # no events: nothing reached
        ([3, 5, 5, 8], [0, 0, 0, 0], (None,) * 3, (None,) * 3, (None,) * 3),
    ],
)
def test_quantile_edge_rules_match_r(time, status, est, lower, upper):
    """R's averaging rule and 'not reached'. R (log-log), e.g.::

        quantile(survfit(Surv(c(1,2,3,5), c(1,1,0,1)) ~ 1, conf.type="log-log"))
        # 1.5 3.5 5 | lower 1 1 1 | upper NA NA NA
        quantile(survfit(Surv(c(1,2,3,4), c(1,1,0,0)) ~ 1, conf.type="log-log"))
        # 1.5 3 NA  (print() reports median 2 here: print.survfit's own rule)
        quantile(survfit(Surv(c(4,4,4,4), c(1,1,0,1)) ~ 1, conf.type="log-log"))  # 4 4 4 ...
        quantile(survfit(Surv(c(4,4,4), c(1,1,1)) ~ 1, conf.type="log-log"))
        quantile(survfit(Surv(c(0,0,0,2,6), c(1,0,1,1,0)) ~ 1, conf.type="log-log"))
        quantile(survfit(Surv(c(3,5,5,8), c(0,0,0,0)) ~ 1, conf.type="log-log"))  # all NA

    Exact comparison (estimates are data times or their midpoints).
    """
    km = kaplan_meier(counts_from_arrays(time, status), ConfType.LOG_LOG)
    qs = km_quantiles(km)
    assert tuple(q.estimate for q in qs) == est
    assert tuple(q.lower for q in qs) == lower
    assert tuple(q.upper for q in qs) == upper


def test_quantile_not_reached_is_none_not_number(datasets):
    """ovarian rx=2 never drops to 0.5 (R: quantile(...)$quantile["50"] is NA)."""
    (med,) = km_quantiles(kaplan_meier(datasets["ovarian/rx=2"]), probs=(0.5,))
    assert med == Quantile(0.5, None, 464.0, None)


def test_quantile_probability_validation(datasets):
    km = kaplan_meier(datasets["aml/Maintained"])
    with pytest.raises(ValueError):
        km_quantiles(km, probs=(1.5,))
    assert km_quantiles(km, probs=()) == []
    assert km_quantiles(km, probs=(0.0,))[0].estimate == 0.0  # R: quantile(f, 0) is 0


# ---------------------------------------------------------------------------------------------
# summary(fit, times=) and numbers at risk
# ---------------------------------------------------------------------------------------------

SUMMARY_REF = {
    "lung|log-log": dict(
        times=[0, 4, 5, 30, 91.3125, 182.625, 365, 730, 1000, 1022, 1100],
        n_risk=[228, 228, 228, 219, 201, 156, 65, 13, 2, 1],
        surv=[1, 1, 0.995614035087719, 0.956140350877193, 0.881578947368421, 0.708054225986936,
              0.409241624460064, 0.115693098344539, 0.0503455680708105, 0.0503455680708105],
        lower=[1, 1, 0.969277036218889, 0.920018759486473, 0.83207134221092, 0.643995454844778,
               0.338714269088323, 0.0676321514888291, 0.0178661710928527, 0.0178661710928527],
        upper=[1, 1, 0.999381011438739, 0.976158015296718, 0.917213604179644, 0.762738352773918,
               0.478380767646914, 0.177825199700288, 0.108662176030919, 0.108662176030919],
    ),
    "lung|plain": dict(
        times=[0, 4, 5, 30, 91.3125, 182.625, 365, 730, 1000, 1022, 1100],
        n_risk=[228, 228, 228, 219, 201, 156, 65, 13, 2, 1],
        surv=[1, 1, 0.995614035087719, 0.956140350877193, 0.881578947368421, 0.708054225986936,
              0.409241624460064, 0.115693098344539, 0.0503455680708105, 0.0503455680708105],
        lower=[1, 1, 0.987036574146309, 0.929559182447982, 0.839639207607522, 0.648728665390422,
               0.339028583847676, 0.0602296507744505, 0.00556421507827679, 0.00556421507827679],
        upper=[1, 1, 1, 0.982721519306404, 0.92351868712932, 0.767379786583451,
               0.479454665072453, 0.171156545914628, 0.0951269210633441, 0.0951269210633441],
    ),
    "veteran/squamous|log": dict(
        times=[0, 1, 30, 100, 365, 999, 1000],
        n_risk=[35, 35, 27, 20, 6, 1],
        surv=[1, 0.942857142857143, 0.77037037037037, 0.622222222222222, 0.216140350877193, 0],
        lower=[1, 0.869010962753835, 0.642557997182628, 0.479314970436106, 0.10879522186245, None],
        upper=[1, 1, 0.923606133838072, 0.807737120071384, 0.429399843831195, None],
    ),
    "lung/entry|log-log": dict(
        times=[5, 30, 91.3125, 182.625, 365, 730, 1022],
        n_risk=[156, 154, 170, 149, 65, 13, 1],
        surv=[0.993589743589744, 0.936680840526995, 0.843827667547654, 0.664870219753543,
              0.381034195960236, 0.107718824457364, 0.0468754444891384],
        lower=[0.955372938027305, 0.885521475906181, 0.780609784331322, 0.59473409009666,
               0.312329334491911, 0.0628315126703222, 0.016656820338337],
        upper=[0.999094535557978, 0.96541825267899, 0.890103022668765, 0.725712769570602,
               0.449325479146168, 0.166264852571473, 0.101568689110351],
    ),
    "ovarian|log-log": dict(
        times=[0, 59, 60, 365, 1227],
        n_risk=[26, 26, 25, 20, 1],
        surv=[1, 0.961538461538462, 0.961538461538462, 0.730769230769231, 0.496732026143791],
        lower=[1, 0.756944289177586, 0.756944289177586, 0.516885735287984, 0.282054664292128],
        upper=[1, 0.994491156943218, 0.994491156943218, 0.861502559637418, 0.679210083341876],
    ),
}  # fmt: skip


@pytest.mark.parametrize("key", list(SUMMARY_REF))
def test_survival_at_matches_r_summary(datasets, key):
    """surv/lower/upper/n.risk at fixed times, rtol 1e-9; times past the end -> None. R, e.g.::

    f <- survfit(Surv(time, status) ~ 1, data=lung, conf.type="log-log")
    s <- summary(f, times=c(0, 4, 5, 30, 91.3125, 182.625, 365, 730, 1000, 1022, 1100))
    s$n.risk; sc(s$surv); sc(s$lower); sc(s$upper)   # 1100 > max time: dropped by R
    # veteran/squamous: survfit(Surv(time, status) ~ 1, data=veteran,
    #                           subset=celltype=="squamous", conf.type="log")
    # lung/entry: survfit(Surv(entry, time, status) ~ 1, data=lung, conf.type="log-log")
    # ovarian: survfit(Surv(futime, fustat) ~ 1, data=ovarian, conf.type="log-log")
    """
    name, ct = key.split("|")
    ref = SUMMARY_REF[key]
    res = survival_at(kaplan_meier(datasets[name], conf_type=ct), ref["times"])
    m = len(ref["n_risk"])
    assert [r.time for r in res] == [float(t) for t in ref["times"]]
    assert [r.n_risk for r in res[:m]] == ref["n_risk"]
    assert_r_close([r.surv for r in res[:m]], ref["surv"])
    for field in ("lower", "upper"):
        got = [getattr(r, field) for r in res[:m]]
        assert [g is None for g in got] == [v is None for v in ref[field]]
        assert_r_close([g for g in got if g is not None], [v for v in ref[field] if v is not None])
    for r in res[m:]:  # after the last observed time
        assert (r.surv, r.lower, r.upper, r.n_risk) == (None, None, None, 0)


def test_survival_at_loglog_is_none_on_censor_rows_with_s_one():
    """R: before the first row the survfit0 start row (1, 1, 1) is used; ON a censor-only row
    with S = 1 the log-log CI is NA::

        f <- survfit(Surv(c(1,2,2,3,5,6), c(0,0,1,1,1,0)) ~ 1, conf.type="log-log")
        summary(f, times=c(0.5, 1))    # lower/upper: 1 1 then NA NA
    """
    km = kaplan_meier(counts_from_arrays([1, 2, 2, 3, 5, 6], [0, 0, 1, 1, 1, 0]))
    a, b = survival_at(km, [0.5, 1.0])
    assert (a.surv, a.lower, a.upper, a.n_risk) == (1.0, 1.0, 1.0, 6)
    assert (b.surv, b.lower, b.upper, b.n_risk) == (1.0, None, None, 6)


def test_at_risk_table_matches_r(datasets):
    """Numbers at risk at regular ticks, exact. R::

    summary(survfit(Surv(time, status) ~ 1, data=lung), times=seq(0, 1200, 200),
            extend=TRUE)$n.risk        # 228 144 57 24 8 2 0
    """
    ticks = np.arange(0, 1201, 200)
    np.testing.assert_array_equal(
        at_risk_table(datasets["lung"], ticks), [228, 144, 57, 24, 8, 2, 0]
    )
    empty = counts_from_arrays([], [])
    np.testing.assert_array_equal(at_risk_table(empty, ticks), np.zeros(7, dtype=int))


def test_at_risk_with_delayed_entry_counts_only_those_already_entered():
    """Deliberate deviation from R's summary() under delayed entry (documented in survival_at).

    R::

        f <- survfit(Surv(c(0,0,3,1,4,2), c(2,5,6,3,8,4), c(1,0,1,1,0,1)) ~ 1)
        summary(f, times=c(1, 2.5, 3.5))$n.risk      # 3 3 3
    R takes n.risk from the next output row (time 2) which includes the patient entering at 1;
    at t = 1 only the two patients with entry 0 are at risk (interval (entry, exit]).
    """
    c = counts_from_arrays([2, 5, 6, 3, 8, 4], [1, 0, 1, 1, 0, 1], entry=[0, 0, 3, 1, 4, 2])
    np.testing.assert_array_equal(at_risk_table(c, [1, 2.5, 3.5]), [2, 3, 3])
    km = kaplan_meier(c)
    np.testing.assert_array_equal(km.n_risk, [3, 3, 3, 3, 2, 1])  # R: f$n.risk


# ---------------------------------------------------------------------------------------------
# log-rank
# ---------------------------------------------------------------------------------------------

LOGRANK_REF = {
    "lung~sex": dict(chi2=10.3267419548856, df=1, p=0.00131116452035549, observed=[112, 53],
                     expected=[91.5817390295728, 73.4182609704272]),
    "veteran~celltype": dict(chi2=25.4037003457854, df=3, p=1.27124593900609e-05,
                             observed=[31, 45, 26, 26],
                             expected=[47.6546776724754, 30.1020793268148, 15.6937646143605,
                                       34.5494783863493]),
    "ovarian~rx": dict(chi2=1.06273986129141, df=1, p=0.302591116989095, observed=[7, 5],
                       expected=[5.23353101714994, 6.76646898285006]),
    "aml~x": dict(chi2=3.3963886989776, df=1, p=0.0653393220405051, observed=[7, 11],
                  expected=[10.6893359923007, 7.31066400769928]),
}  # fmt: skip
LOGRANK_GROUPS = {
    "lung~sex": ["lung/sex=1", "lung/sex=2"],
    "veteran~celltype": ["veteran/squamous", "veteran/smallcell", "veteran/adeno", "veteran/large"],
    "ovarian~rx": ["ovarian/rx=1", "ovarian/rx=2"],
    "aml~x": ["aml/Maintained", "aml/Nonmaintained"],
}


@pytest.mark.parametrize("key", list(LOGRANK_REF))
def test_logrank_matches_survdiff(datasets, key):
    """k-group log-rank from aggregated counts, rtol 1e-9. R::

    sd <- survdiff(Surv(time, status) ~ sex, data=lung)          # lung~sex
    sd <- survdiff(Surv(time, status) ~ celltype, data=veteran)  # veteran~celltype
    sd <- survdiff(Surv(futime, fustat) ~ rx, data=ovarian)      # ovarian~rx
    sd <- survdiff(Surv(time, status) ~ x, data=aml)             # aml~x
    sc(sd$chisq); sc(sd$pvalue); sd$obs; sc(sd$exp)
    """
    ref = LOGRANK_REF[key]
    res = logrank_test([datasets[g] for g in LOGRANK_GROUPS[key]])
    assert_r_close(res.chi2, ref["chi2"])
    assert res.df == ref["df"]
    assert_r_close(res.p, ref["p"])
    np.testing.assert_array_equal(res.observed, ref["observed"])
    assert_r_close(res.expected, ref["expected"])


def test_logrank_delayed_entry_equals_exact_cox_score(lung):
    """Log-rank with counting-process risk sets = coxph score test with ties="exact".

    survdiff refuses (start, stop] data. R (rtol 1e-9)::

        f <- coxph(Surv(entry, time, status) ~ factor(sex), data=lung, ties="exact")
        sc(f$score)    # 10.7136596952991
        ll <- subset(lung, !is.na(ph.ecog) & ph.ecog < 3)
        f <- coxph(Surv(entry, time, status) ~ factor(ph.ecog), data=ll, ties="exact")
        sc(f$score)    # 18.1265612584311   (3 groups, df 2)
        # sanity of the identity on right-censored data:
        sc(coxph(Surv(time, status) ~ factor(sex), data=lung, ties="exact")$score)
        # 10.3267419548856 == survdiff(Surv(time, status) ~ sex, data=lung)$chisq
        # (ties="efron" gives 10.714131187071, "breslow" 10.6832391961657)
    """
    groups = [counts_from_arrays(s.time, s.dead, entry=s.entry) for _, s in lung.groupby("sex")]
    res = logrank_test(groups)
    assert_r_close(res.chi2, 10.7136596952991)
    assert res.df == 1
    ll = lung[lung["ph.ecog"].notna() & (lung["ph.ecog"] < 3)]
    groups = [counts_from_arrays(s.time, s.dead, entry=s.entry) for _, s in ll.groupby("ph.ecog")]
    res = logrank_test(groups)
    assert_r_close(res.chi2, 18.1265612584311)
    assert res.df == 2


PAIRWISE_REF = [
    ("squamous", "smallcell", 11.573673919989, 0.00066892122504147, 0.00267568490016588),
    ("squamous", "adeno", 12.0454836410801, 0.000519180149283958, 0.00259590074641979),
    ("squamous", "large", 0.822593978656156, 0.364422837484103, 0.728845674968206),
    ("smallcell", "adeno", 0.0968431919710046, 0.755651328687121, 0.755651328687121),
    ("smallcell", "large", 9.37090414818377, 0.00220456751896179, 0.00661370255688536),
    ("adeno", "large", 17.6693215293231, 2.62831687847632e-05, 0.000157699012708579),
]


def test_pairwise_logrank_holm_matches_r(datasets):
    """Pairwise survdiff + Holm, rtol 1e-9 (survminer not installed; same computation). R::

    lev <- levels(veteran$celltype); ps <- c(); chis <- c()
    for (i in 1:3) for (j in (i+1):4) {
      sd <- survdiff(Surv(time, status) ~ celltype,
                     data=subset(veteran, celltype %in% lev[c(i, j)]))
      ps <- c(ps, sd$pvalue); chis <- c(chis, sd$chisq)
    }
    sc(chis); sc(ps); sc(p.adjust(ps, method="holm"))
    """
    labels = ["squamous", "smallcell", "adeno", "large"]
    res = pairwise_logrank([datasets[f"veteran/{x}"] for x in labels], labels, adjust="holm")
    assert [(r.a, r.b) for r in res] == [(a, b) for a, b, *_ in PAIRWISE_REF]
    assert_r_close([r.chi2 for r in res], [x[2] for x in PAIRWISE_REF])
    assert_r_close([r.p for r in res], [x[3] for x in PAIRWISE_REF])
    assert_r_close([r.p_adj for r in res], [x[4] for x in PAIRWISE_REF])
    a, b, chi2, p, p_adj = res[0]  # unpacks as a tuple
    assert (a, b) == ("squamous", "smallcell") and p_adj >= p
    none = pairwise_logrank([datasets[f"veteran/{x}"] for x in labels], labels, adjust="none")
    assert [r.p_adj for r in none] == [r.p for r in none]
    with pytest.raises(ValueError):
        pairwise_logrank([datasets["lung"]] * 2, ["a", "b"], adjust="tukey")


@pytest.mark.parametrize("k", [2, 3, 4])
def test_logrank_with_pairwise_equals_the_separate_tests(datasets, k):
    """One merged grid for the k-group test and every pair gives what :func:`logrank_test` per
    pair and over all groups give (each checked against R above): the same terms, so equal to
    rounding (rtol 1e-13: BLAS may add them in another order for another memory layout)."""
    labels = ["squamous", "smallcell", "adeno", "large"][:k]
    groups = [datasets[f"veteran/{x}"] for x in labels]
    overall, pairs = logrank_with_pairwise(groups, labels)
    alone = logrank_test(groups)
    assert overall.df == alone.df
    assert overall.chi2 == pytest.approx(alone.chi2, rel=1e-13, abs=0)
    assert overall.p == pytest.approx(alone.p, rel=1e-13, abs=0)
    if k == 2:
        assert pairs == []
        return
    separate = pairwise_logrank(groups, labels)
    assert [(r.a, r.b) for r in pairs] == [(r.a, r.b) for r in separate]
    index_pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    for r, (i, j) in zip(pairs, index_pairs, strict=True):
        two = logrank_test([groups[i], groups[j]])
        assert r.chi2 == pytest.approx(two.chi2, rel=1e-13, abs=0)
        assert r.p == pytest.approx(two.p, rel=1e-13, abs=0)


@pytest.mark.parametrize(
    ("time", "status", "group", "chi2", "df", "p"),
    [
        # one event: chi2 1 on 1 df
        ([3, 5, 7, 8], [1, 0, 0, 0], [1, 1, 2, 2], 1.0, 1, 0.317310507862914),
        # tied event time across groups
        ([3, 3, 7, 8], [1, 1, 1, 0], [1, 2, 2, 1], 0.428571428571429, 1, 0.512690760261923),
        # group 2 leaves before the first event: E = 0, R drops it -> chi2 0 on 0 df, p 1
        ([2, 3, 1, 1], [1, 1, 0, 0], [1, 1, 2, 2], 0.0, 0, 1.0),
        # no events at all: R gives chi2 0 on -1 df, p NaN; here df 0, p 1 (documented)
        ([3, 5, 5, 8], [0, 0, 0, 0], [1, 1, 2, 2], 0.0, 0, 1.0),
    ],
)
def test_logrank_degenerate(time, status, group, chi2, df, p):
    """Small cases, rtol 1e-9. R::

    sd <- survdiff(Surv(c(3,5,7,8), c(1,0,0,0)) ~ c(1,1,2,2))   # 1 0.317310507862914
    sd <- survdiff(Surv(c(3,3,7,8), c(1,1,1,0)) ~ c(1,2,2,1))
    # 0.428571428571429 0.512690760261923
    sd <- survdiff(Surv(c(2,3,1,1), c(1,1,0,0)) ~ c(1,1,2,2))   # 0 on 0 df, p 1
    sd <- survdiff(Surv(c(3,5,5,8), c(0,0,0,0)) ~ c(1,1,2,2))   # 0 on -1 df, p NaN
    sc(sd$chisq); sc(sd$pvalue)
    """
    time, status, group = map(np.asarray, (time, status, group))
    groups = [counts_from_arrays(time[group == g], status[group == g]) for g in (1, 2)]
    res = logrank_test(groups)
    assert_r_close(res.chi2, chi2)
    assert res.df == df
    assert_r_close(res.p, p)


def test_logrank_group_entering_after_all_events_is_dropped():
    """Delayed entry after the last event gives E = 0 for that group, dropped as R does."""
    a = counts_from_arrays([1.0, 2.0], [1, 0])
    late = counts_from_arrays([5.0, 6.0], [0, 0], entry=[2.0, 2.0])
    res = logrank_test([a, late])
    assert (res.chi2, res.df, res.p) == (0.0, 0, 1.0)
    np.testing.assert_array_equal(res.expected, [1.0, 0.0])


def test_logrank_input_errors(datasets):
    with pytest.raises(ValueError):
        logrank_test([datasets["lung"]])
    with pytest.raises(EmptyGroupError):
        logrank_test([datasets["lung"], counts_from_arrays([], [])])


# ---------------------------------------------------------------------------------------------
# Cox hazard ratios
# ---------------------------------------------------------------------------------------------

COX_REF = [
    # (label, coef, exp(coef), lower .95, upper .95, Pr(>|z|))
    ("lung~sex/ref=1", [("2", -0.531023537619508, 0.588002818563589, 0.423717830353915,
                         0.815984813171386, 0.00149122920488075)]),
    ("veteran~celltype/ref=adeno", [
        ("large", -0.917567519884396, 0.399489610694712, 0.227187741338304, 0.702467255111998,
         0.00144090583438225),
        ("smallcell", -0.146459853831261, 0.863760408309806, 0.529899916068337,
         1.40796784513419, 0.55686896019464),
        ("squamous", -1.14771303661749, 0.317361734744824, 0.178753362201119, 0.563449377623028,
         8.90250888955707e-05)]),
    ("veteran~celltype/ref=squamous", [
        ("adeno", 1.1477130366175, 3.15097849085068, 1.77478233132248, 5.59430036831912,
         8.90250888955695e-05),
        ("large", 0.230145516733099, 1.25878317061735, 0.731002171301812, 2.16762019708866,
         0.406554491898833),
        ("smallcell", 1.00125318278623, 2.7216904678326, 1.65597132361361, 4.47326526556402,
         7.82816241272822e-05)]),
    ("lung/entry~sex/ref=1", [("2", -0.540812797021424, 0.582274788771189, 0.419563847820477,
                               0.808086615183306, 0.00121932278147429)]),
    ("lung/entry~ecog/ref=0", [
        ("1", 0.359128241880547, 1.43208044248522, 0.97012194492433, 2.11401711349662,
         0.0707138292489365),
        ("2", 0.9156236620235, 2.49833288147743, 1.60860489019384, 3.88017419611301,
         4.57703566441625e-05)]),
]  # fmt: skip


@pytest.mark.parametrize(("key", "ref"), COX_REF)
def test_cox_group_hr_matches_coxph_efron(lung, veteran, key, ref):
    """Efron Cox HR per group vs reference: coef to 1e-6 absolute, HR/CI/p to 1e-6 relative.

    R::

        f <- coxph(Surv(time, status) ~ factor(sex), data=lung, ties="efron")
        f <- coxph(Surv(time, status) ~ relevel(celltype, "adeno"), data=veteran, ties="efron")
        f <- coxph(Surv(time, status) ~ celltype, data=veteran, ties="efron")   # ref squamous
        f <- coxph(Surv(entry, time, status) ~ factor(sex), data=lung, ties="efron")
        f <- coxph(Surv(entry, time, status) ~ factor(ph.ecog), ties="efron",
                   data=subset(lung, !is.na(ph.ecog) & ph.ecog < 3))
        s <- summary(f); sc(coef(f)); sc(s$conf.int[, c(1, 3, 4)]); sc(s$coefficients[, 5])

    The 1e-6 tolerance is the brief's: lifelines and R stop Newton-Raphson at different
    points (observed differences ~3e-9).
    """
    data, _, ref_level = key.partition("/ref=")
    if data.startswith("lung"):
        d = lung if "ecog" not in data else lung[lung["ph.ecog"].notna() & (lung["ph.ecog"] < 3)]
        gcol = "sex" if "sex" in data else "ph.ecog"
        group = d[gcol].astype(int).astype(str).to_numpy()
        entry = d.entry.to_numpy() if "entry" in data else None
        res = cox_group_hr(d.time, d.dead, group, ref_level, entry=entry)
    else:
        res = cox_group_hr(veteran.time, veteran.status, veteran.celltype, ref_level)
    assert [r.label for r in res] == [x[0] for x in ref]
    for r, (_, coef, hr, lo, hi, p) in zip(res, ref, strict=True):
        assert math.log(r.hr) == pytest.approx(coef, abs=1e-6)
        assert_r_close([r.hr, r.lower, r.upper, r.p], [hr, lo, hi, p], rtol=1e-6)


def test_cox_group_without_events_is_not_estimable():
    """A level with no events has no finite HR (R: coef diverges, warning) -> None values.

    The remaining HR equals the fit without that level's patients. R::

        d <- data.frame(t=c(1,3,5,7, 2,4,6,8, 2.5,10), e=c(1,0,1,1, 1,1,0,1, 0,0),
                        g=c("a","a","a","a","b","b","b","b","c","c"))
        f <- coxph(Surv(t, e) ~ relevel(factor(g), "a"), data=subset(d, g != "c"))
        sc(exp(coef(f)))   # 0.578737309032052 (a vs b only)
        f <- coxph(Surv(t, e) ~ relevel(factor(g), "a"), data=d)
        sc(exp(coef(f)))   # 0.578737309031995 7.19257242863922e-10 + "may be infinite" warning
    Tolerance 1e-6 relative (see test above).
    """
    t = np.array([1, 3, 5, 7, 2, 4, 6, 8, 2.5, 10])
    e = np.array([1, 0, 1, 1, 1, 1, 0, 1, 0, 0])
    g = np.array(list("aaaabbbbcc"))
    b, c = cox_group_hr(t, e, g, "a")
    assert c == GroupHR("c", None, None, None, None)
    assert b.label == "b"
    assert b.hr == pytest.approx(0.578737309032052, rel=1e-6)
    with pytest.raises(ValueError, match="reference"):
        cox_group_hr(t, e, g, "c")
    with pytest.raises(ValueError, match="not present"):
        cox_group_hr(t, e, g, "z")
    with pytest.raises(EmptyGroupError):
        cox_group_hr([], [], [], "a")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("delayed", [False, True])
def test_cox_group_hr_agrees_with_lifelines(seed, delayed):
    """The project's Cox engine (used for every hazard ratio) against an independent one:
    lifelines' CoxPHFitter (Efron) at tight convergence, on tied integer times with three
    groups, with and without delayed entry. Both stop Newton-Raphson at different points, so
    1e-6 relative (observed ~1e-9)."""
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(seed)
    n = 300
    g = rng.choice(np.array(["a", "b", "c"], dtype=object), size=n, p=[0.5, 0.3, 0.2])
    rate = np.select([g == "a", g == "b"], [1 / 300, 1 / 200], 1 / 450)
    t = np.ceil(rng.exponential(1 / rate)).clip(1, 900)  # many ties
    e = (rng.random(n) < 0.75).astype(int)
    entry = (
        np.where(rng.random(n) < 0.3, np.floor(t * rng.random(n) * 0.5), 0.0) if delayed else None
    )
    ours = cox_group_hr(t, e, g, "a", entry=entry)
    frame = pd.DataFrame(
        {"t": t, "e": e, "b": (g == "b").astype(float), "c": (g == "c").astype(float)}
    )
    if delayed:
        frame["entry"] = entry
    fit = CoxPHFitter().fit(
        frame,
        duration_col="t",
        event_col="e",
        entry_col="entry" if delayed else None,
        fit_options={"precision": 1e-12, "r_precision": 1e-14, "max_steps": 100},
    )
    ci = fit.confidence_intervals_
    for row, name in zip(ours, ("b", "c"), strict=True):
        assert row.label == name
        assert row.hr == pytest.approx(float(np.exp(fit.params_[name])), rel=1e-6)
        assert row.lower == pytest.approx(float(np.exp(ci.loc[name].iloc[0])), rel=1e-6)
        assert row.upper == pytest.approx(float(np.exp(ci.loc[name].iloc[1])), rel=1e-6)
        assert row.p == pytest.approx(float(fit.summary.loc[name, "p"]), rel=1e-6)


def test_cox_group_hr_separation_follows_the_cox_page_rule():
    """A level whose events all come first (monotone likelihood) has no finite HR: the engine
    flags it as the Cox page does, and the row is None. R::

        t <- 1:12; e <- rep(1, 12); e[5:8] <- c(1, 0, 1, 0); g <- c(rep("b", 4), rep("a", 8))
        coef(coxph(Surv(t, e) ~ relevel(factor(g), "a")))
        # 22.62678, "Loglik converged before variable 1; coefficient may be infinite"
    """
    t = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dtype=float)
    e = np.ones(12, dtype=int)
    g = np.array(list("bbbbaaaaaaaa"), dtype=object)  # every b dies before every a
    e[4:8] = [1, 0, 1, 0]
    (b,) = cox_group_hr(t, e, g, "a")
    assert b == GroupHR("b", None, None, None, None)


# ---------------------------------------------------------------------------------------------
# RMST
# ---------------------------------------------------------------------------------------------

RMST_REF = [
    ("lung/sex=1", 365, 241.495085192057, 10.3582264910969),
    ("lung/sex=2", 365, 297.465409532037, 10.7913239788001),
    ("lung/sex=1", 730, 311.117765899007, 19.3017187936314),
    ("lung/sex=2", 730, 434.705208026645, 27.2475953218648),
    ("lung/sex=1", 1022, 326.084109668875, 22.9115634684895),
    ("lung/sex=2", 1022, 460.647310791935, 34.6898460264944),
    ("lung/sex=1", 2000, 361.012274815912, 38.3809374019952),
    ("lung/sex=2", 2000, 542.031036547999, 76.0395554722603),
    ("veteran/squamous", 365, 170.642372598162, 24.2342999339549),
    ("veteran/smallcell", 365, 77.6352880658436, 13.9698400472251),
    ("veteran/adeno", 365, 65.5555555555556, 9.93028587986494),
    ("veteran/large", 365, 162.234567901235, 20.4620544136471),
    ("aml/all", 48, 27.0062111801242, 3.20514022345086),
    ("lung/entry", 500, 294.339640719475, 12.30035181231),
]


@pytest.mark.parametrize(("key", "tau", "est", "se"), RMST_REF)
def test_rmst_matches_r(datasets, r_dataset, key, tau, est, se):
    """RMST and its SE as R's print(fit, rmean=tau), rtol 1e-9. R::

    t <- summary(survfit(Surv(time, status) ~ sex, data=lung), rmean=365)$table
    sc(t[, "rmean"]); sc(t[, "se(rmean)"])        # also tau 730, 1022, 2000
    # veteran: survfit(Surv(time, status) ~ celltype, data=veteran), rmean=365
    # aml/all: survfit(Surv(time, status) ~ 1, data=aml), rmean=48
    # lung/entry: survfit(Surv(entry, time, status) ~ 1, data=lung), rmean=500
    """
    if key == "aml/all":
        aml = r_dataset("aml")
        counts = counts_from_arrays(aml.time, aml.status)
    else:
        counts = datasets[key]
    res = rmst(kaplan_meier(counts), tau)
    assert res.tau == tau
    assert_r_close([res.estimate, res.se], [est, se])
    z = 1.959963984540054
    assert_r_close([res.lower, res.upper], [est - z * se, est + z * se])


def test_rmst_difference_matches_r(datasets):
    """Difference lung sex 1 - sex 2 at 365 days, rtol 1e-9. R::

    t <- summary(survfit(Surv(time, status) ~ sex, data=lung), rmean=365)$table
    d <- t[1, "rmean"] - t[2, "rmean"]
    se <- sqrt(t[1, "se(rmean)"]^2 + t[2, "se(rmean)"]^2)
    sc(c(d, se, d - qnorm(.975) * se, d + qnorm(.975) * se, d / se, 2 * pnorm(-abs(d / se))))
    """
    a = kaplan_meier(datasets["lung/sex=1"])
    b = kaplan_meier(datasets["lung/sex=2"])
    res = rmst_difference(a, b, 365)
    assert_r_close(
        [res.estimate, res.se, res.lower, res.upper, res.z, res.p],
        [-55.9703243399798, 14.9581258604241, -85.2877123026282, -26.6529363773313,
         -3.74180060137513, 0.000182706461311161],
    )  # fmt: skip


def test_rmst_edge_cases():
    """Events at time 0 (R below), tau before the first time (R refuses: 'Truncation point
    ... < smallest survival time'; here the curve is 1 on [0, tau] so RMST = tau, se 0)::

        t <- summary(survfit(Surv(c(0,0,0,2,6), c(1,0,1,1,0)) ~ 1), rmean=5)$table
        sc(t[c("rmean", "se(rmean)")])    # 2.1 0.996493853468249
    """
    km = kaplan_meier(counts_from_arrays([0, 0, 0, 2, 6], [1, 0, 1, 1, 0]))
    res = rmst(km, 5)
    assert_r_close([res.estimate, res.se], [2.1, 0.996493853468249])
    early = rmst(kaplan_meier(counts_from_arrays([3, 5], [1, 1])), 2)
    assert (early.estimate, early.se) == (2.0, 0.0)
    with pytest.raises(ValueError):
        rmst(km, 0)


# ---------------------------------------------------------------------------------------------
# landmark
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("L", "n_ev", "n_cens", "n_kept", "median", "lower", "upper"),
    [(90, 27, 0, 201, 263, 216, 336), (180, 63, 6, 159, 249, 183, 297)],
)
def test_landmark_matches_r(lung, L, n_ev, n_cens, n_kept, median, lower, upper):
    """Exclusion counts (time <= L) and the KM median after the landmark, exact. R::

    L <- 90   # and 180
    c(sum(lung$time <= L & lung$status == 2), sum(lung$time <= L & lung$status == 1),
      sum(lung$time > L))                                  # 27 0 201 | 63 6 159
    f <- survfit(Surv(time - L, status) ~ 1, data=lung, subset=time > L,
                 conf.type="log-log")
    quantile(f, 0.5)    # 263 (216, 336) | 249 (183, 297)
    """
    lm = landmark(lung.time, lung.dead, L)
    mask, new_time, ex_ev, ex_cens = lm
    assert (ex_ev, ex_cens, int(mask.sum())) == (n_ev, n_cens, n_kept)
    np.testing.assert_array_equal(new_time, lung.time.to_numpy()[mask] - L)
    counts = counts_from_arrays(
        new_time, lung.dead.to_numpy()[mask], n_landmark_excluded=ex_ev + ex_cens
    )
    assert counts.n_landmark_excluded == n_ev + n_cens
    (q,) = km_quantiles(kaplan_meier(counts), probs=(0.5,))
    assert (q.estimate, q.lower, q.upper) == (median, lower, upper)


def test_landmark_surv_and_entry_shift(lung):
    """After the 180-day landmark, R (rtol 1e-9)::

    f <- survfit(Surv(time - 180, status) ~ 1, data=lung, subset=time > 180,
                 conf.type="log-log")
    s <- summary(f, times=c(0, 100, 365)); sc(s$surv); sc(s$lower); s$n.risk
    # 1 0.797192231864612 0.353969514494127 | 1 0.722527785785682 0.266419774732102
    # n.risk 159 104 32
    """
    lm = landmark(lung.time, lung.dead, 180)
    km = kaplan_meier(counts_from_arrays(lm.time, lung.dead.to_numpy()[lm.mask_kept]))
    res = survival_at(km, [0, 100, 365])
    assert_r_close([r.surv for r in res], [1, 0.797192231864612, 0.353969514494127])
    assert_r_close([r.lower for r in res], [1, 0.722527785785682, 0.266419774732102])
    assert [r.n_risk for r in res] == [159, 104, 32]
    lm2 = landmark([10, 50, 200], [1, 0, 1], 30, entry=[0, 20, 100])
    np.testing.assert_array_equal(lm2.mask_kept, [False, True, True])
    np.testing.assert_array_equal(lm2.time, [20, 170])
    np.testing.assert_array_equal(lm2.entry, [0, 70])  # max(entry - L, 0)
    assert (lm2.n_excluded_event, lm2.n_excluded_censored) == (1, 0)


# ---------------------------------------------------------------------------------------------
# aggregation
# ---------------------------------------------------------------------------------------------


def test_counts_from_arrays_equals_hand_built_frame():
    """Hand-aggregated frame (as from DuckDB GROUP BY) gives identical counts and KM."""
    time = [5, 3, 3, 8, 5, 5, 12, 8]
    event = [1, 0, 1, 1, 1, 0, 0, 0]
    a = counts_from_arrays(time, event)
    frame = pd.DataFrame(
        {"t": [8, 3, 5, 12], "d": [1, 1, 2, 0], "c": [1, 1, 1, 1], "e": [0, 0, 0, 0]}
    )  # unsorted on purpose
    b = counts_from_frame(frame)
    for f in ("time", "n_event", "n_censor", "n_enter"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(a.time, [3, 5, 8, 12])
    np.testing.assert_array_equal(a.n_event, [1, 2, 1, 0])
    np.testing.assert_array_equal(a.n_censor, [1, 1, 1, 1])
    ka, kb = kaplan_meier(a), kaplan_meier(b)
    np.testing.assert_array_equal(ka.surv, kb.surv)
    # without the optional e column, with duplicate and all-zero rows
    c = counts_from_frame(
        pd.DataFrame({"t": [3, 3, 5, 8, 12, 20], "d": [1, 0, 2, 1, 0, 0], "c": [0, 1, 1, 1, 1, 0]})
    )
    np.testing.assert_array_equal(c.time, a.time)
    np.testing.assert_array_equal(c.n_event, a.n_event)


def test_counts_with_delayed_entry_frame():
    """Entries at t count for times > t only; frame e column equals entry aggregation."""
    a = counts_from_arrays([2, 5, 6, 3, 8, 4], [1, 0, 1, 1, 0, 1], entry=[0, 0, 3, 1, 4, 2])
    b = counts_from_frame(
        pd.DataFrame(
            {
                "t": [0, 1, 2, 3, 4, 5, 6, 8],
                "d": [0, 0, 1, 1, 1, 0, 1, 0],
                "c": [0, 0, 0, 0, 0, 1, 0, 1],
                "e": [2, 1, 1, 1, 1, 0, 0, 0],
            }
        )
    )
    for f in ("time", "n_event", "n_censor", "n_enter"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert (a.n, a.events, a.n_start) == (6, 4, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(time=[1, 2], event=[1, 2]), "0/1"),  # R's lung status coding
        (dict(time=[1, -2], event=[1, 0]), "non-negative"),
        (dict(time=[1, np.nan], event=[1, 0]), "finite"),
        (dict(time=[1, 2], event=[1]), "same length"),
        (dict(time=[1, 2], event=[1, 0], entry=[0, 2]), "strictly before"),
    ],
)
def test_counts_from_arrays_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        counts_from_arrays(**kwargs)


def test_counts_from_frame_rejects_inconsistent_entries():
    """An exit at t=0 by a patient counted as entering at 0 is impossible ((0, 0] is empty)."""
    with pytest.raises(ValueError, match="inconsistent"):
        counts_from_frame(pd.DataFrame({"t": [0, 5], "d": [1, 0], "c": [0, 1], "e": [2, 0]}))
    with pytest.raises(ValueError, match="columns"):
        counts_from_frame(pd.DataFrame({"t": [1], "d": [1]}))
    with pytest.raises(ValueError, match="sorted"):
        SurvivalCounts(np.array([2.0, 1.0]), np.ones(2), np.zeros(2), np.zeros(2))


# ---------------------------------------------------------------------------------------------
# degenerate data
# ---------------------------------------------------------------------------------------------

DEGENERATE = {
    "no_events": ([3, 5, 5, 8], [0, 0, 0, 0]),
    "one_time": ([4, 4, 4, 4], [1, 1, 0, 1]),
    "all_die_one_time": ([4, 4, 4], [1, 1, 1]),
    "single": ([7], [1]),
    "single_censored": ([7], [0]),
    "time_zero": ([0, 0, 0, 2, 6], [1, 0, 1, 1, 0]),
}
DEGENERATE_REF = {
    "no_events|log-log": dict(time=[3, 5, 8], n_risk=[4, 3, 1], surv=[1, 1, 1], std_err=[0, 0, 0], lower=[nan, nan, nan], upper=[nan, nan, nan]),
    "one_time|log-log": dict(time=[4], n_risk=[4], surv=[0.25], std_err=[0.866025403784439], lower=[0.00894782441660317], upper=[0.665325342788865]),
    "all_die_one_time|log-log": dict(time=[4], n_risk=[3], surv=[0], std_err=[inf], lower=[nan], upper=[nan]),
    "single|log-log": dict(time=[7], n_risk=[1], surv=[0], std_err=[inf], lower=[nan], upper=[nan]),
    "single_censored|log-log": dict(time=[7], n_risk=[1], surv=[1], std_err=[0], lower=[nan], upper=[nan]),
    "time_zero|log-log": dict(time=[0, 2, 6], n_risk=[5, 2, 1], surv=[0.6, 0.3, 0.3], std_err=[0.365148371670111, 0.795822425754221, 0.795822425754221], lower=[0.125730182994431, 0.0123015294254161, 0.0123015294254161], upper=[0.881756407393532, 0.719218020810415, 0.719218020810415]),
    "no_events|log": dict(time=[3, 5, 8], n_risk=[4, 3, 1], surv=[1, 1, 1], std_err=[0, 0, 0], lower=[1, 1, 1], upper=[1, 1, 1]),
    "one_time|log": dict(time=[4], n_risk=[4], surv=[0.25], std_err=[0.866025403784439], lower=[0.0457907596660182], upper=[1]),
    "all_die_one_time|log": dict(time=[4], n_risk=[3], surv=[0], std_err=[inf], lower=[nan], upper=[nan]),
    "single|log": dict(time=[7], n_risk=[1], surv=[0], std_err=[inf], lower=[nan], upper=[nan]),
    "single_censored|log": dict(time=[7], n_risk=[1], surv=[1], std_err=[0], lower=[1], upper=[1]),
    "time_zero|log": dict(time=[0, 2, 6], n_risk=[5, 2, 1], surv=[0.6, 0.3, 0.3], std_err=[0.365148371670111, 0.795822425754221, 0.795822425754221], lower=[0.293316431638326, 0.0630544842551363, 0.0630544842551363], upper=[1, 1, 1]),
    "no_events|plain": dict(time=[3, 5, 8], n_risk=[4, 3, 1], surv=[1, 1, 1], std_err=[0, 0, 0], lower=[1, 1, 1], upper=[1, 1, 1]),
    "one_time|plain": dict(time=[4], n_risk=[4], surv=[0.25], std_err=[0.866025403784439], lower=[0], upper=[0.674344650278564]),
    "all_die_one_time|plain": dict(time=[4], n_risk=[3], surv=[0], std_err=[inf], lower=[nan], upper=[nan]),
    "single|plain": dict(time=[7], n_risk=[1], surv=[0], std_err=[inf], lower=[nan], upper=[nan]),
    "single_censored|plain": dict(time=[7], n_risk=[1], surv=[1], std_err=[0], lower=[1], upper=[1]),
    "time_zero|plain": dict(time=[0, 2, 6], n_risk=[5, 2, 1], surv=[0.6, 0.3, 0.3], std_err=[0.365148371670111, 0.795822425754221, 0.795822425754221], lower=[0.170593405507882, 0, 0], upper=[1, 0.767934987770272, 0.767934987770272]),
}  # fmt: skip


@pytest.mark.parametrize("key", list(DEGENERATE_REF))
def test_km_degenerate_matches_r(key):
    """Degenerate curves incl. R's NA/Inf limits, rtol 1e-9. R (CT per key)::

    f <- survfit(Surv(c(3,5,5,8), c(0,0,0,0)) ~ 1, conf.type=CT)        # no_events
    f <- survfit(Surv(c(4,4,4,4), c(1,1,0,1)) ~ 1, conf.type=CT)        # one_time
    f <- survfit(Surv(c(4,4,4), c(1,1,1)) ~ 1, conf.type=CT)            # all_die_one_time
    f <- survfit(Surv(7, 1) ~ 1, conf.type=CT)                          # single
    f <- survfit(Surv(7, 0) ~ 1, conf.type=CT)                          # single_censored
    f <- survfit(Surv(c(0,0,0,2,6), c(1,0,1,1,0)) ~ 1, conf.type=CT)    # time_zero
    sc(f$time); f$n.risk; sc(f$surv); sc(f$std.err); sc(f$lower); sc(f$upper)
    """
    name, ct = key.split("|")
    ref = DEGENERATE_REF[key]
    km = kaplan_meier(counts_from_arrays(*DEGENERATE[name]), conf_type=ct)
    np.testing.assert_array_equal(km.time, ref["time"])
    np.testing.assert_array_equal(km.n_risk, ref["n_risk"])
    assert_r_close(km.surv, ref["surv"])
    assert_r_close(km.std_err, ref["std_err"])
    assert_r_close(km.lower, ref["lower"])
    assert_r_close(km.upper, ref["upper"])


@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_data_never_crash(name):
    """Every statistic returns a defined value on degenerate data."""
    counts = counts_from_arrays(*DEGENERATE[name])
    km = kaplan_meier(counts)
    assert len(km_quantiles(km)) == 3
    assert len(survival_at(km, [0, 5, 100])) == 3
    r = rmst(km, 10)
    assert math.isfinite(r.estimate) and math.isfinite(r.se) and 0 < r.estimate <= 10
    lr = logrank_test([counts, counts])
    assert lr.chi2 == 0.0 and 0.0 <= lr.p <= 1.0


def test_empty_group_raises_specific_error():
    empty = counts_from_arrays([], [])
    assert empty.n == 0
    with pytest.raises(EmptyGroupError):
        kaplan_meier(empty)
    from_frame = counts_from_frame(pd.DataFrame({"t": [], "d": [], "c": []}))
    with pytest.raises(EmptyGroupError):
        kaplan_meier(from_frame)
    with pytest.raises(EmptyGroupError):
        rmst_difference(kaplan_meier(counts_from_arrays([1], [1])), kaplan_meier(empty), 5)
    assert issubclass(EmptyGroupError, ValueError)


# ---------------------------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------------------------


def test_results_are_scale_free(lung):
    """KM is invariant to the time unit; quantiles and RMST scale by the unit."""
    days = counts_from_arrays(lung.time, lung.dead)
    months = counts_from_arrays(lung.time / DAYS_PER_MONTH, lung.dead)
    kd, km_ = kaplan_meier(days), kaplan_meier(months)
    np.testing.assert_allclose(km_.surv, kd.surv, rtol=0, atol=0)
    np.testing.assert_allclose(km_.lower, kd.lower, rtol=0, atol=0)
    conv = to_unit(kd, DAYS_PER_MONTH)
    assert isinstance(conv, KMResult)
    np.testing.assert_allclose(conv.time, km_.time, rtol=1e-15)
    qd, qm = km_quantiles(kd), km_quantiles(km_)
    for a, b in zip(to_unit(qd, DAYS_PER_MONTH), qm, strict=True):
        assert a.estimate == pytest.approx(b.estimate, rel=1e-14)
        assert a.lower == pytest.approx(b.lower, rel=1e-14)
    rd = rmst(kd, 365.25)
    rm = rmst(km_, 365.25 / DAYS_PER_MONTH)
    rc = to_unit(rd, DAYS_PER_MONTH)
    assert_r_close([rc.tau, rc.estimate, rc.se], [rm.tau, rm.estimate, rm.se], rtol=1e-12)
    sa = to_unit(survival_at(kd, [365.25]), DAYS_PER_MONTH)[0]
    assert sa.time == pytest.approx(12.0) and sa.surv == survival_at(km_, [12.0])[0].surv
    with pytest.raises(TypeError):
        to_unit(object(), 30)


# ---------------------------------------------------------------------------------------------
# frozen R tables (survival 3.5.3): see test_km_all_rows_match_r for the R calls
# ---------------------------------------------------------------------------------------------
# fmt: off
KM_REF = {
    "lung": {
        "time": [5, 11, 12, 13, 15, 26, 30, 31, 53, 54, 59, 60, 61, 62, 65, 71, 79, 81, 88, 92, 93, 95, 105, 107, 110, 116, 118, 122, 131, 132, 135, 142, 144, 145, 147, 153, 156, 163, 166, 167, 170, 173, 174, 175, 176, 177, 179, 180, 181, 182, 183, 185, 186, 188, 189, 191, 192, 194, 196, 197, 199, 201, 202, 203, 207, 208, 210, 211, 212, 218, 221, 222, 223, 224, 225, 226, 229, 230, 235, 237, 239, 240, 243, 245, 246, 252, 259, 266, 267, 268, 269, 270, 272, 276, 279, 283, 284, 285, 286, 288, 291, 292, 293, 296, 300, 301, 303, 305, 306, 310, 315, 320, 329, 332, 337, 340, 345, 348, 350, 351, 353, 356, 361, 363, 364, 371, 376, 382, 384, 387, 390, 394, 404, 413, 426, 428, 429, 433, 442, 444, 450, 455, 457, 458, 460, 473, 477, 511, 519, 520, 524, 529, 533, 543, 550, 551, 558, 559, 567, 574, 583, 588, 613, 624, 641, 643, 654, 655, 687, 689, 705, 707, 728, 731, 735, 740, 765, 791, 806, 814, 821, 840, 883, 965, 1010, 1022],
        "n.risk": [228, 227, 224, 223, 221, 220, 219, 218, 217, 215, 214, 213, 211, 210, 209, 207, 206, 205, 203, 201, 199, 198, 196, 194, 192, 191, 190, 189, 188, 187, 185, 184, 183, 182, 180, 179, 178, 176, 173, 171, 170, 169, 168, 167, 165, 164, 162, 160, 159, 157, 156, 155, 154, 153, 152, 151, 150, 149, 148, 147, 145, 144, 142, 140, 139, 138, 137, 136, 135, 134, 133, 132, 130, 129, 128, 126, 125, 124, 123, 122, 121, 119, 118, 117, 116, 115, 114, 113, 112, 111, 110, 108, 107, 106, 105, 104, 103, 101, 99, 98, 97, 96, 94, 93, 92, 91, 89, 87, 86, 85, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 71, 70, 69, 67, 65, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 48, 47, 46, 45, 44, 43, 42, 41, 39, 38, 37, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        "n.event": [1, 3, 1, 2, 1, 1, 1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2, 2, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 2, 3, 2, 1, 1, 0, 0, 1, 1, 1, 2, 1, 2, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 2, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 2, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 2, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 2, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 2, 0, 1, 2, 1, 2, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0],
        "n.censor": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 2, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 2, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1],
        "surv": [0.995614035087719, 0.982456140350877, 0.978070175438596, 0.969298245614035, 0.964912280701754, 0.960526315789474, 0.956140350877193, 0.951754385964912, 0.942982456140351, 0.93859649122807, 0.934210526315789, 0.925438596491228, 0.921052631578947, 0.916666666666667, 0.907894736842105, 0.903508771929824, 0.899122807017544, 0.890350877192982, 0.881578947368421, 0.87719298245614, 0.872784977519175, 0.863968967645244, 0.859560962708278, 0.850699509484481, 0.846268782872583, 0.841838056260685, 0.837407329648787, 0.832976603036888, 0.82854587642499, 0.819684423201193, 0.815253696589295, 0.810822969977396, 0.806392243365498, 0.797530790141701, 0.793100063529803, 0.788669336917905, 0.779807883694108, 0.766515703858413, 0.757654250634616, 0.753223524022718, 0.748792797410819, 0.748792797410819, 0.748792797410819, 0.744309008204767, 0.739798044518677, 0.735287080832588, 0.726209462550704, 0.721670653409762, 0.712593035127878, 0.708054225986936, 0.703515416845995, 0.703515416845995, 0.698947134918423, 0.698947134918423, 0.694348798504486, 0.694348798504486, 0.694348798504486, 0.689688739454121, 0.689688739454121, 0.68499697932178, 0.680272862223009, 0.670824628025467, 0.666100510926696, 0.666100510926696, 0.661308420920029, 0.656516330913362, 0.651724240906696, 0.651724240906696, 0.646896653937016, 0.642069066967337, 0.642069066967337, 0.6372049073691, 0.632303331158568, 0.632303331158568, 0.632303331158568, 0.627285050752548, 0.622266770346527, 0.617248489940507, 0.617248489940507, 0.617248489940507, 0.607046035561325, 0.607046035561325, 0.607046035561325, 0.601857607906955, 0.596669180252585, 0.596669180252585, 0.596669180252585, 0.596669180252585, 0.591341776857472, 0.58601437346236, 0.580686970067247, 0.575310238862921, 0.575310238862921, 0.575310238862921, 0.575310238862921, 0.569778409643085, 0.56424658042325, 0.553073380810908, 0.547486781004737, 0.541900181198567, 0.536313581392396, 0.536313581392396, 0.530608117760562, 0.530608117760562, 0.530608117760562, 0.524777259323633, 0.518880885623367, 0.512916737512754, 0.50695258940214, 0.495024293180913, 0.495024293180913, 0.488987411556756, 0.482950529932598, 0.482950529932598, 0.47683723208535, 0.470723934238102, 0.464610636390854, 0.458497338543606, 0.452384040696358, 0.44627074284911, 0.434044147154614, 0.434044147154614, 0.427843516480976, 0.415442255133702, 0.409241624460064, 0.396649574476678, 0.396649574476678, 0.396649574476678, 0.396649574476678, 0.3900387482354, 0.383427921994122, 0.376817095752844, 0.376817095752844, 0.376817095752844, 0.369965875830065, 0.363114655907286, 0.356263435984507, 0.349412216061728, 0.342560996138949, 0.33570977621617, 0.328715822545, 0.32172186887383, 0.314727915202659, 0.314727915202659, 0.307575008038962, 0.300422100875266, 0.293269193711569, 0.293269193711569, 0.285749470795888, 0.278229747880206, 0.263190302048844, 0.263190302048844, 0.255449410812113, 0.255449410812113, 0.247466616724235, 0.247466616724235, 0.239217729500093, 0.239217729500093, 0.230674239160804, 0.222130748821515, 0.213587258482226, 0.213587258482226, 0.2046877893788, 0.195788320275374, 0.186888851171948, 0.177989382068522, 0.169089912965096, 0.16019044386167, 0.151290974758244, 0.142391505654817, 0.133492036551391, 0.124592567447965, 0.115693098344539, 0.106793629241113, 0.097894160137687, 0.097894160137687, 0.0881047441239183, 0.0783153281101496, 0.0783153281101496, 0.067127424094414, 0.067127424094414, 0.067127424094414, 0.0503455680708105, 0.0503455680708105, 0.0503455680708105, 0.0503455680708105],
        "std.err": [0.00439561501176264, 0.00884990406755986, 0.00991665369238657, 0.0117865162600046, 0.012628920507068, 0.0134255403385264, 0.0141841831284727, 0.0149107350118924, 0.0162848972491991, 0.0169390756530863, 0.0175747195844051, 0.0187981802473083, 0.019389168358237, 0.0199680765957718, 0.0210939081754765, 0.0216426435482853, 0.0221829634676502, 0.0232409866852407, 0.0242726073141875, 0.0247797313891676, 0.025286646873076, 0.0262859330423161, 0.0267789952721106, 0.0277634426154129, 0.0282502656052439, 0.028733835582164, 0.0292143920616412, 0.0296921597176124, 0.0301673498241674, 0.0311107829848655, 0.0315793923504181, 0.0320461586909091, 0.0325112427789447, 0.0334369700792633, 0.0338978995115765, 0.0343577202476514, 0.03527454598353, 0.0366445389292216, 0.0375556737244888, 0.0380108978281553, 0.0384660262548603, 0.0384660262548603, 0.0384660262548603, 0.0389320897112647, 0.0394038389537067, 0.0398756927693209, 0.0408317446071122, 0.041310283753093, 0.0422688788501989, 0.0427491260485737, 0.0432301315159489, 0.0432301315159489, 0.0437182512207207, 0.0437182512207207, 0.0442137385624467, 0.0442137385624467, 0.0442137385624467, 0.0447236183515152, 0.0447236183515152, 0.0452415297985133, 0.0457677696508829, 0.0468241157471083, 0.047354438819736, 0.047354438819736, 0.0479017231757875, 0.0484506795061563, 0.0490014229189945, 0.0490014229189945, 0.0495622700029259, 0.050125133747053, 0.050125133747053, 0.0506987104733633, 0.0512834235972049, 0.0512834235972049, 0.0512834235972049, 0.0518987629847034, 0.052516642394337, 0.0531372082457803, 0.0531372082457803, 0.0531372082457803, 0.0544284983696582, 0.0544284983696582, 0.0544284983696582, 0.0551012027358728, 0.0557772808738502, 0.0557772808738502, 0.0557772808738502, 0.0557772808738502, 0.0564937398489245, 0.0572140081100603, 0.0579382909630104, 0.0586803262855496, 0.0586803262855496, 0.0586803262855496, 0.0586803262855496, 0.0594704459515112, 0.0602653934378711, 0.0619026465364898, 0.0627296515203501, 0.0635626139938168, 0.0644018184050587, 0.0644018184050587, 0.0652838763676051, 0.0652838763676051, 0.0652838763676051, 0.0662124205544614, 0.0671696802369749, 0.0681573183621423, 0.0691535895809262, 0.0711737721401541, 0.0711737721401541, 0.072223700416032, 0.0732842676803082, 0.0732842676803082, 0.0743832565961629, 0.0754941655252297, 0.076617561813072, 0.0777540312438598, 0.0789041795778355, 0.080068634172965, 0.0824430899687252, 0.0824430899687252, 0.0836893208304706, 0.0862352708130808, 0.0875366434665631, 0.0902832456095408, 0.0902832456095408, 0.0902832456095408, 0.0902832456095408, 0.0918343634675979, 0.0934118679904798, 0.0950171427703907, 0.0950171427703907, 0.0950171427703907, 0.096772711840421, 0.0985614720199152, 0.100385300065298, 0.102246185140012, 0.104146239674943, 0.106087711370058, 0.108156668380106, 0.110274201902286, 0.112443280780248, 0.112443280780248, 0.114769475989225, 0.1171569139013, 0.119609625732179, 0.119609625732179, 0.122397820243869, 0.125269565153685, 0.131289243650022, 0.131289243650022, 0.134640748272367, 0.134640748272367, 0.138333638755987, 0.138333638755987, 0.142427598796119, 0.142427598796119, 0.146997864683741, 0.151765851383244, 0.156752464684108, 0.156752464684108, 0.162428228419327, 0.168401941712147, 0.174710377874136, 0.181396440201774, 0.188510603057876, 0.196112784064251, 0.20427480982647, 0.213083712465021, 0.222646210802121, 0.233094916174607, 0.244597108406769, 0.257367445204729, 0.271686877539138, 0.271686877539138, 0.291418720294489, 0.314346559432367, 0.314346559432367, 0.350176074620312, 0.350176074620312, 0.350176074620312, 0.453824433641275, 0.453824433641275, 0.453824433641275, 0.453824433641275],
        "lower/log-log": [0.969277036218889, 0.953935230206082, 0.948119884092588, 0.936681974228284, 0.93106624616357, 0.92551367615259, 0.920018759486473, 0.914576283436634, 0.903830458075567, 0.8985193566278, 0.893245089029124, 0.882796279745395, 0.877617135039472, 0.872465527852843, 0.862238274703854, 0.857159726807257, 0.852102867668782, 0.842049829864709, 0.83207134221092, 0.82710797054876, 0.822130230596904, 0.812222319753539, 0.807290906116034, 0.797409062127745, 0.792488882018959, 0.787581892913678, 0.782687657827167, 0.777805768747835, 0.772935844050929, 0.763230479732186, 0.758394389386783, 0.753568958527203, 0.748753907653803, 0.739153905816658, 0.734368470359728, 0.729592443859588, 0.720067784055901, 0.705846422655995, 0.696407261006339, 0.691699737037223, 0.68700006044013, 0.68700006044013, 0.68700006044013, 0.682242458330957, 0.677459295704831, 0.672684280378916, 0.66308975586643, 0.658304528445661, 0.648757498058053, 0.643995454844778, 0.639240908613965, 0.639240908613965, 0.634458004001691, 0.634458004001691, 0.62964618476191, 0.62964618476191, 0.62964618476191, 0.624767169227472, 0.624767169227472, 0.619857734666301, 0.614917248796924, 0.605061116687073, 0.600145238433137, 0.600145238433137, 0.595155481277681, 0.590174138326116, 0.585201097551912, 0.585201097551912, 0.580193677866141, 0.575194630606513, 0.575194630606513, 0.570160100172063, 0.565089275628556, 0.565089275628556, 0.565089275628556, 0.559887261220483, 0.554694749526844, 0.549511618751379, 0.549511618751379, 0.549511618751379, 0.538975320933455, 0.538975320933455, 0.538975320933455, 0.53361756740635, 0.528270177359365, 0.528270177359365, 0.528270177359365, 0.528270177359365, 0.52276670779446, 0.517274599470074, 0.511793708715354, 0.506265040082609, 0.506265040082609, 0.506265040082609, 0.506265040082609, 0.500562226131436, 0.494872162966919, 0.483399185672152, 0.4776820146863, 0.471977526785417, 0.466285587127624, 0.466285587127624, 0.460465202515717, 0.460465202515717, 0.460465202515717, 0.454509208427059, 0.448489825970651, 0.442404897494716, 0.436335737394672, 0.424244072784757, 0.424244072784757, 0.418135375312745, 0.412042658182212, 0.412042658182212, 0.405875756694391, 0.39972543781737, 0.393591573399723, 0.387474047935605, 0.38137275819312, 0.375287612887199, 0.363165448509548, 0.363165448509548, 0.357027383610771, 0.344801837105829, 0.338714269088323, 0.326371653762711, 0.326371653762711, 0.326371653762711, 0.326371653762711, 0.319864766701136, 0.313379787707659, 0.306916677004993, 0.306916677004993, 0.306916677004993, 0.300198121957888, 0.29350491812826, 0.286837040142034, 0.280194488932436, 0.273577291855864, 0.266985502938259, 0.260256862238925, 0.253556110102787, 0.246883365263062, 0.246883365263062, 0.24005895210767, 0.233265653724481, 0.226503677118074, 0.226503677118074, 0.219358926002292, 0.212253343964977, 0.198161004016739, 0.198161004016739, 0.190927274343438, 0.190927274343438, 0.183467456615951, 0.183467456615951, 0.175760007713408, 0.175760007713408, 0.167779743892773, 0.159871066921241, 0.152034983540698, 0.152034983540698, 0.143873998021472, 0.135801913758462, 0.127820606166897, 0.119932367216158, 0.112139956665533, 0.104446667023867, 0.096856406004639, 0.0893738016880073, 0.0820043376864085, 0.0747545286958327, 0.0676321514888291, 0.0606465536695675, 0.0538090741304463, 0.0538090741304463, 0.046275889058337, 0.0390065211489479, 0.0390065211489479, 0.0307283845558338, 0.0307283845558338, 0.0307283845558338, 0.0178661710928527, 0.0178661710928527, 0.0178661710928527, 0.0178661710928527],
        "upper/log-log": [0.999381011438739, 0.993379132789539, 0.990813247958559, 0.98524443308125, 0.982296706677329, 0.979263834158, 0.976158015296718, 0.972988696333922, 0.966488113242163, 0.963167915277886, 0.959806953701728, 0.952976352413237, 0.949512337748044, 0.946018983873111, 0.938951981446415, 0.935381648384671, 0.931788673364313, 0.924539674457377, 0.917213604179644, 0.913523939039162, 0.90980201926605, 0.902310180515044, 0.898541544181353, 0.89092866106523, 0.887101635741346, 0.883261520961366, 0.879408751339534, 0.87554373286759, 0.87166684545266, 0.863878866270359, 0.859968422969542, 0.856047411055397, 0.852116109327738, 0.844223674349447, 0.840263024817167, 0.836293054926937, 0.828325987233285, 0.816310420606175, 0.808258740520506, 0.804220977407616, 0.800175456533637, 0.800175456533637, 0.800175456533637, 0.796080333550363, 0.79195592605711, 0.787823708123135, 0.779491995899066, 0.775314690716979, 0.7669377609652, 0.762738352773918, 0.758531785481384, 0.758531785481384, 0.754294416620285, 0.754294416620285, 0.750025711723877, 0.750025711723877, 0.750025711723877, 0.745700130423011, 0.745700130423011, 0.741341627332045, 0.736949593535362, 0.728142887640091, 0.723728397386648, 0.723728397386648, 0.719251592561321, 0.714767196159438, 0.710275292751089, 0.710275292751089, 0.705747145585322, 0.701211459834886, 0.701211459834886, 0.696638563177315, 0.692027653657591, 0.692027653657591, 0.692027653657591, 0.687314380976522, 0.682592814354352, 0.677863036028358, 0.677863036028358, 0.677863036028358, 0.66824407388409, 0.66824407388409, 0.66824407388409, 0.663351171502646, 0.658449365110955, 0.658449365110955, 0.658449365110955, 0.658449365110955, 0.653426347991858, 0.648393717328232, 0.643351560760922, 0.638260016181809, 0.638260016181809, 0.638260016181809, 0.638260016181809, 0.633033694853301, 0.627796733594122, 0.617202647171631, 0.611889431128884, 0.606565544453441, 0.601231063124774, 0.601231063124774, 0.595789639415879, 0.595789639415879, 0.595789639415879, 0.590235717383823, 0.584616940979477, 0.578931145821869, 0.573232330852823, 0.561795979140734, 0.561795979140734, 0.555999773073937, 0.550190263991562, 0.550190263991562, 0.544305674226024, 0.538407274986993, 0.532495123266551, 0.526569267342303, 0.520629746958537, 0.514676593477334, 0.502729471466589, 0.502729471466589, 0.496663779723018, 0.484489434701794, 0.478380767646914, 0.465962187364682, 0.465962187364682, 0.465962187364682, 0.465962187364682, 0.459472528760501, 0.452964531112994, 0.446438165562417, 0.446438165562417, 0.446438165562417, 0.439698531450634, 0.432937782455068, 0.426155865673996, 0.419352707681132, 0.412528214266206, 0.405682270068038, 0.398698449208982, 0.391691132442269, 0.384660143219767, 0.384660143219767, 0.377475949221358, 0.370265521329281, 0.363028599684183, 0.363028599684183, 0.35546905670236, 0.347876756104045, 0.332592324662595, 0.332592324662595, 0.324722100625382, 0.324722100625382, 0.316621912209333, 0.316621912209333, 0.308270061673213, 0.308270061673213, 0.299641196918493, 0.290953161726386, 0.282204900635358, 0.282204900635358, 0.273124480117469, 0.263970461788462, 0.254741012026022, 0.245433939946182, 0.236046653694869, 0.226576105195152, 0.217018720293097, 0.207370310113729, 0.197625957826602, 0.187779872680171, 0.177825199700288, 0.167753768217767, 0.157555754327058, 0.157555754327058, 0.146571885237609, 0.135367956143743, 0.135367956143743, 0.123059694935264, 0.123059694935264, 0.123059694935264, 0.108662176030919, 0.108662176030919, 0.108662176030919, 0.108662176030919],
        "lower/log": [0.987073416740515, 0.965561897075363, 0.959243676910091, 0.947163003131191, 0.941321714600716, 0.935581072627036, 0.929925266889297, 0.924342339169958, 0.913359779594313, 0.907946709442894, 0.902578799005746, 0.891962442831094, 0.886707450693755, 0.881484299907568, 0.871124706620179, 0.865984505986997, 0.86086854848426, 0.850703906610012, 0.840621182856532, 0.835608026665066, 0.830583366727193, 0.820584892081258, 0.815609661197417, 0.805645335901667, 0.800684923905544, 0.79573831407627, 0.790805028589657, 0.78588462216203, 0.780976679065088, 0.771196652191412, 0.766323862435362, 0.761462120110075, 0.756611123077894, 0.746940242391496, 0.7421198366145, 0.737309129579281, 0.727715915946749, 0.71339353405228, 0.703888089637702, 0.699147711092809, 0.694415358104013, 0.694415358104013, 0.694415358104013, 0.689626942638407, 0.68481390576444, 0.680009036759631, 0.670356553520238, 0.665542307130596, 0.655937164821531, 0.651146030144839, 0.646362369485984, 0.646362369485984, 0.641551147468155, 0.641551147468155, 0.636711781305132, 0.636711781305132, 0.636711781305132, 0.631806838626568, 0.631806838626568, 0.626872179555609, 0.621907150261977, 0.612001150989096, 0.607059968981739, 0.607059968981739, 0.602046494831277, 0.59704111615336, 0.592043732696558, 0.592043732696558, 0.587012601001761, 0.581989509110171, 0.581989509110171, 0.576931552453249, 0.57183790600863, 0.57183790600863, 0.57183790600863, 0.566615734718965, 0.561402526538291, 0.556198178776565, 0.556198178776565, 0.556198178776565, 0.54562216612668, 0.54562216612668, 0.54562216612668, 0.540245957519197, 0.53487943224205, 0.53487943224205, 0.53487943224205, 0.53487943224205, 0.529359855870757, 0.523850805819741, 0.518352166926932, 0.512806261026842, 0.512806261026842, 0.512806261026842, 0.512806261026842, 0.507089541282512, 0.501384541529637, 0.489881600767468, 0.484147910081671, 0.47842592047201, 0.472715527268672, 0.472715527268672, 0.46687879965774, 0.46687879965774, 0.46687879965774, 0.460908685865449, 0.45487570019223, 0.448777687777509, 0.442694068954505, 0.430569524729972, 0.430569524729972, 0.424444346820432, 0.418333809280918, 0.418333809280918, 0.412149726080786, 0.405980833281674, 0.39982703935768, 0.393688263244116, 0.38756443407039, 0.38145549092913, 0.369282067785069, 0.369282067785069, 0.363118583893906, 0.350838359388025, 0.344721581795827, 0.33232097603345, 0.33232097603345, 0.33232097603345, 0.33232097603345, 0.325790339368672, 0.319279775721325, 0.31278927932404, 0.31278927932404, 0.31278927932404, 0.306047324127232, 0.299328521837181, 0.292632885589053, 0.285960451453732, 0.279311278619602, 0.272685449690485, 0.265923970179957, 0.259188072511431, 0.25247790089435, 0.25247790089435, 0.245617376899785, 0.238785380005381, 0.231982138262412, 0.231982138262412, 0.224802026177971, 0.217657639551048, 0.203477444996474, 0.203477444996474, 0.196199769407655, 0.196199769407655, 0.188697790109965, 0.188697790109965, 0.180950076950584, 0.180950076950584, 0.172931571287209, 0.164977741428185, 0.157089588303121, 0.157089588303121, 0.148878771667512, 0.140748180017788, 0.132699611413171, 0.124735239562777, 0.116857659668359, 0.109069946549185, 0.101375728389132, 0.0937792807207796, 0.0862856471049503, 0.0789007956900188, 0.0716318249617963, 0.0644872384057824, 0.0574773180571014, 0.0574773180571014, 0.0497672025930502, 0.042293584589158, 0.042293584589158, 0.0337932193295472, 0.0337932193295472, 0.0337932193295472, 0.02068546019898, 0.02068546019898, 0.02068546019898, 0.02068546019898],
        "upper/log": [1, 0.999645978819943, 0.997266170326969, 0.991950789720945, 0.989094052551406, 0.986136669838224, 0.983094451916202, 0.979979357017088, 0.973565874537908, 0.970280925282712, 0.966950817414079, 0.960171140342321, 0.956728117571098, 0.953253254613711, 0.946216823976487, 0.942659014463242, 0.939076963053771, 0.931845590879274, 0.924532305743542, 0.920847459473628, 0.917130835384699, 0.909646746189512, 0.905880697302267, 0.898273251501163, 0.894447780247113, 0.890608508390664, 0.886755913780848, 0.882890441726723, 0.879012507982509, 0.871220786202156, 0.867307704200026, 0.863383576517147, 0.859448705320045, 0.851547855003197, 0.847582398067229, 0.843607244290396, 0.835628742131265, 0.82359356542542, 0.815527314576619, 0.811481848741816, 0.807428359570263, 0.807428359570263, 0.807428359570263, 0.803326937278958, 0.799196894319371, 0.795058686007456, 0.786715936062316, 0.782532569925231, 0.774142495571083, 0.769936026218947, 0.765722085791577, 0.765722085791577, 0.761478019856433, 0.761478019856433, 0.757203287484918, 0.757203287484918, 0.757203287484918, 0.752873391436906, 0.752873391436906, 0.748511222834285, 0.744116170528259, 0.735302018367485, 0.730883130707886, 0.730883130707886, 0.726403743455568, 0.721916265219548, 0.717420796350367, 0.717420796350367, 0.712889774701195, 0.708350718188404, 0.708350718188404, 0.703775157119987, 0.699162294757333, 0.699162294757333, 0.699162294757333, 0.694450419900166, 0.689729588260212, 0.68499990268197, 0.68499990268197, 0.68499990268197, 0.675384748216339, 0.675384748216339, 0.675384748216339, 0.670495679151122, 0.665596934941001, 0.665596934941001, 0.665596934941001, 0.665596934941001, 0.660581064428747, 0.655554677189237, 0.650517888648881, 0.645432585549471, 0.645432585549471, 0.645432585549471, 0.645432585549471, 0.640217179936934, 0.634990066801872, 0.624416520404906, 0.619111988574661, 0.61379577029046, 0.608467970679667, 0.608467970679667, 0.603036537190812, 0.603036537190812, 0.603036537190812, 0.597496164313156, 0.591892188023036, 0.586222503448425, 0.580538448388262, 0.569127717510763, 0.569127717510763, 0.563345207568838, 0.55754808525541, 0.55754808525541, 0.5516775373478, 0.545791830795278, 0.539891058379386, 0.533975302487537, 0.528044635384668, 0.522099119449031, 0.510163742336998, 0.510163742336998, 0.504105498076877, 0.491942408041219, 0.485837603547281, 0.473430497257246, 0.473430497257246, 0.473430497257246, 0.473430497257246, 0.466957446988271, 0.460464403147947, 0.4539513756944, 0.4539513756944, 0.4539513756944, 0.447233935696181, 0.440493450224523, 0.433729912357584, 0.426943292726343, 0.420133539381798, 0.413300577552024, 0.406334532078146, 0.399343071263839, 0.392326062031313, 0.392326062031313, 0.385161615046344, 0.377968863471769, 0.370747595588351, 0.370747595588351, 0.363220747821406, 0.35565851382546, 0.340426601551646, 0.340426601551646, 0.332591631892661, 0.332591631892661, 0.324538651762966, 0.324538651762966, 0.316248122529441, 0.316248122529441, 0.30769745637737, 0.299083192343773, 0.290404459510872, 0.290404459510872, 0.281417495936547, 0.272352128115672, 0.263206819676519, 0.253979711268284, 0.244668588671772, 0.235270843311791, 0.225783423774179, 0.216202776634789, 0.206524774635614, 0.196744630108205, 0.186856791819807, 0.176854824744142, 0.166731276145184, 0.166731276145184, 0.155975130863094, 0.145017043993303, 0.145017043993303, 0.133343053871502, 0.133343053871502, 0.133343053871502, 0.122534195516598, 0.122534195516598, 0.122534195516598, 0.122534195516598],
        "lower/plain": [0.987036574146309, 0.965414954010756, 0.959060125654455, 0.946906343993904, 0.941028550619982, 0.93525143402415, 0.929559182447982, 0.923939836479941, 0.912884519291322, 0.907435108169956, 0.902030881090901, 0.891341962408864, 0.886050723459698, 0.880791348279104, 0.870359372080501, 0.865183012332085, 0.860030916926635, 0.849794061998886, 0.839639207607522, 0.834590016605837, 0.829528953548972, 0.819457733913681, 0.814446160963927, 0.804408399961629, 0.799411300842062, 0.794428024308166, 0.789458092497904, 0.784501060099458, 0.779556511365622, 0.769703334187987, 0.764793999769648, 0.759895733124906, 0.75500823213785, 0.745264404758618, 0.74040755632271, 0.735560427150894, 0.72589443104335, 0.711463030964983, 0.701885012393988, 0.697108378440388, 0.692339791293993, 0.692339791293993, 0.692339791293993, 0.687514141885493, 0.682663363712353, 0.677820776613056, 0.668091827855472, 0.663239384959232, 0.653557922936073, 0.648728665390422, 0.643906906758733, 0.643906906758733, 0.639057012422342, 0.639057012422342, 0.634178381923804, 0.634178381923804, 0.634178381923804, 0.629232913473743, 0.629232913473743, 0.624257085398413, 0.619250223099307, 0.609260650042593, 0.604277727806471, 0.604277727806471, 0.599221048502084, 0.594172498331271, 0.589131977371111, 0.589131977371111, 0.584056942064912, 0.578989982282716, 0.578989982282716, 0.573887355327968, 0.56874820705584, 0.56874820705584, 0.56874820705584, 0.563477799628511, 0.558216398862512, 0.552963902569842, 0.552963902569842, 0.552963902569842, 0.542287641386441, 0.542287641386441, 0.542287641386441, 0.536859169270504, 0.531440433334933, 0.531440433334933, 0.531440433334933, 0.531440433334933, 0.52586504736282, 0.520300248009885, 0.514745920936602, 0.509143045360459, 0.509143045360459, 0.509143045360459, 0.509143045360459, 0.503365076840652, 0.497598902468722, 0.485970670099507, 0.480174454137794, 0.474390021336612, 0.468617268391972, 0.468617268391972, 0.462714662012993, 0.462714662012993, 0.462714662012993, 0.456674836464791, 0.450570137062404, 0.444398299009297, 0.438240973060589, 0.425969379460944, 0.425969379460944, 0.419768382069846, 0.413582159828723, 0.413582159828723, 0.407319845377052, 0.401072869324488, 0.39484114350595, 0.388624590378105, 0.382423142760803, 0.376236743615414, 0.363908912208134, 0.363908912208134, 0.357665176748748, 0.345225025673322, 0.339028583847676, 0.326461674750846, 0.326461674750846, 0.326461674750846, 0.326461674750846, 0.319834876334808, 0.313228443820679, 0.306642381033864, 0.306642381033864, 0.306642381033864, 0.299794067135927, 0.292969279472199, 0.286168044657186, 0.279390413130519, 0.272636459412269, 0.265906282482395, 0.259033598903565, 0.252187006860552, 0.245366672651699, 0.245366672651699, 0.238387843292686, 0.231438177130015, 0.224517932798043, 0.224517932798043, 0.217199510212585, 0.209917712874591, 0.195465597372706, 0.195465597372706, 0.188038605881977, 0.188038605881977, 0.180371252818237, 0.180371252818237, 0.172439391258048, 0.172439391258048, 0.164214564030769, 0.156056713031681, 0.147967019074949, 0.147967019074949, 0.139524719772079, 0.131166086479997, 0.122893240382842, 0.114708729896873, 0.106615587697032, 0.0986174032061792, 0.0907184150231808, 0.0829236295401873, 0.0752389746083101, 0.0676715010372231, 0.0602296507744505, 0.0529236202303841, 0.0457658629786173, 0.0457658629786173, 0.0377819401366896, 0.0300646330174916, 0.0300646330174916, 0.0210556916661057, 0.0210556916661057, 0.0210556916661057, 0.00556421507827679, 0.00556421507827679, 0.00556421507827679, 0.00556421507827679],
        "upper/plain": [1, 0.999497326690998, 0.997080225222737, 0.991690147234166, 0.988796010783526, 0.985801197554797, 0.982721519306404, 0.979568935449884, 0.97308039298938, 0.969757874286184, 0.966390171540678, 0.959535230573593, 0.956054539698197, 0.952541985054229, 0.945430101603709, 0.941834531527564, 0.938214697108453, 0.930907692387079, 0.92351868712932, 0.919795948306443, 0.916041001489378, 0.908480201376806, 0.904675764452629, 0.896990619007334, 0.893126264903104, 0.889248088213204, 0.885356566799669, 0.881452145974318, 0.877535241484358, 0.8696655122144, 0.865713393408942, 0.861750206829887, 0.857776254593146, 0.849797175524785, 0.845792570736896, 0.841778246684916, 0.833721336344866, 0.821568376751843, 0.813423488875245, 0.809338669605047, 0.805245803527646, 0.805245803527646, 0.805245803527646, 0.801103874524041, 0.796932725325001, 0.792753385052119, 0.784327097245936, 0.780101921860292, 0.771628147319684, 0.767379786583451, 0.763123926933256, 0.763123926933256, 0.758837257414504, 0.758837257414504, 0.754519215085168, 0.754519215085168, 0.754519215085168, 0.750144565434498, 0.750144565434498, 0.745736873245147, 0.74129550134671, 0.732388606008341, 0.727923294046921, 0.727923294046921, 0.723395793337975, 0.718860163495454, 0.71431650444228, 0.71431650444228, 0.709736365809121, 0.705148151651958, 0.705148151651958, 0.700522459410231, 0.695858455261297, 0.695858455261297, 0.695858455261297, 0.691092301876584, 0.686317141830542, 0.681533077311173, 0.681533077311173, 0.681533077311173, 0.671804429736209, 0.671804429736209, 0.671804429736209, 0.666856046543406, 0.661897927170236, 0.661897927170236, 0.661897927170236, 0.661897927170236, 0.656818506352124, 0.651728498914834, 0.646628019197893, 0.641477432365383, 0.641477432365383, 0.641477432365383, 0.641477432365383, 0.636191742445519, 0.630894258377777, 0.620176091522309, 0.614799107871681, 0.609410341060521, 0.60400989439282, 0.60400989439282, 0.598501573508131, 0.598501573508131, 0.598501573508131, 0.592879682182474, 0.58719163418433, 0.581435176016211, 0.575664205743691, 0.564079206900882, 0.564079206900882, 0.558206441043666, 0.552318900036474, 0.552318900036474, 0.546354618793648, 0.540374999151716, 0.534380129275758, 0.528370086709107, 0.522344938631913, 0.516304742082806, 0.504179382101094, 0.504179382101094, 0.498021856213205, 0.485659484594081, 0.479454665072453, 0.46683747420251, 0.46683747420251, 0.46683747420251, 0.46683747420251, 0.460242620135992, 0.453627400167564, 0.446991810471823, 0.446991810471823, 0.446991810471823, 0.440137684524203, 0.433260032342373, 0.426358827311828, 0.419434018992937, 0.412485532865629, 0.405513269949945, 0.398398046186435, 0.391256730887107, 0.384089157753619, 0.384089157753619, 0.376762172785239, 0.369406024620517, 0.362020454625094, 0.362020454625094, 0.354299431379191, 0.346541782885821, 0.330915006724982, 0.330915006724982, 0.322860215742249, 0.322860215742249, 0.314561980630232, 0.314561980630232, 0.305996067742139, 0.305996067742139, 0.29713391429084, 0.28820478461135, 0.279207497889504, 0.279207497889504, 0.269850858985521, 0.260410554070751, 0.250884461961053, 0.24127003424017, 0.231564238233159, 0.22176348451716, 0.211863534493306, 0.201859381769448, 0.191745098494473, 0.181513633858707, 0.171156545914628, 0.160663638251842, 0.150022457296757, 0.150022457296757, 0.138427548111147, 0.126566023202808, 0.126566023202808, 0.113199156522722, 0.113199156522722, 0.113199156522722, 0.0951269210633441, 0.0951269210633441, 0.0951269210633441, 0.0951269210633441],
    },
    "aml/Maintained": {
        "time": [9, 13, 18, 23, 28, 31, 34, 45, 48, 161],
        "n.risk": [11, 10, 8, 7, 6, 5, 4, 3, 2, 1],
        "n.event": [1, 1, 1, 1, 0, 1, 1, 0, 1, 0],
        "n.censor": [0, 1, 0, 0, 1, 0, 0, 1, 0, 1],
        "surv": [0.909090909090909, 0.818181818181818, 0.715909090909091, 0.613636363636364, 0.613636363636364, 0.490909090909091, 0.368181818181818, 0.368181818181818, 0.184090909090909, 0.184090909090909],
        "std.err": [0.0953462589245592, 0.14213381090374, 0.195087577921207, 0.248734169081545, 0.248734169081545, 0.334467766561573, 0.441816726937788, 0.441816726937788, 0.833787754888509, 0.833787754888509],
        "lower/log-log": [0.50808020576993, 0.447428614682181, 0.350190385907938, 0.265752040001286, 0.265752040001286, 0.167330909776851, 0.0928295749369852, 0.0928295749369852, 0.0117384801231896, 0.0117384801231896],
        "upper/log-log": [0.986673822667823, 0.951162228582492, 0.899023974191053, 0.835299243250221, 0.835299243250221, 0.753399790370811, 0.657040832398164, 0.657040832398164, 0.525014842726641, 0.525014842726641],
        "lower/log": [0.754133845081525, 0.619248987399364, 0.488426287422128, 0.37686705950168, 0.37686705950168, 0.254859951199317, 0.154877117897191, 0.154877117897191, 0.0359178984891853, 0.0359178984891853],
        "upper/log": [1, 1, 1, 0.999157600228473, 0.999157600228473, 0.945584955200429, 0.875260678143908, 0.875260678143908, 0.943525769474552, 0.943525769474552],
        "lower/plain": [0.739204333133848, 0.590255058799017, 0.442170778715077, 0.314482491946437, 0.314482491946437, 0.169096200651704, 0.0493566605554544, 0.0493566605554544, 0, 0],
        "upper/plain": [1, 1, 0.989647403103104, 0.91279023532629, 0.91279023532629, 0.812721981166478, 0.687006975808182, 0.687006975808182, 0.484931162720207, 0.484931162720207],
    },
    "aml/Nonmaintained": {
        "time": [5, 8, 12, 16, 23, 27, 30, 33, 43, 45],
        "n.risk": [12, 10, 8, 7, 6, 5, 4, 3, 2, 1],
        "n.event": [2, 2, 1, 0, 1, 1, 1, 1, 1, 1],
        "n.censor": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        "surv": [0.833333333333333, 0.666666666666667, 0.583333333333333, 0.583333333333333, 0.486111111111111, 0.388888888888889, 0.291666666666667, 0.194444444444444, 0.0972222222222222, 0],
        "std.err": [0.129099444873581, 0.204124145231932, 0.243975018237133, 0.243975018237133, 0.304724700110022, 0.377964473009227, 0.475594865605671, 0.626783170528009, 0.944911182523068, inf],
        "lower/log-log": [0.481714942195379, 0.337018932541402, 0.270138924085497, 0.270138924085497, 0.191876619618728, 0.126272012195394, 0.0724016089077718, 0.0311986429312119, 0.00574630569586383, nan],
        "upper/log-log": [0.955509365728065, 0.85971179908444, 0.800940192333387, 0.800940192333387, 0.729671569779485, 0.649817408289315, 0.560886052671409, 0.461429476238114, 0.34890386111075, nan],
        "lower/log": [0.647036987013362, 0.446846081150264, 0.361613705210385, 0.361613705210385, 0.267518248858267, 0.185396526095557, 0.11483115015247, 0.0569215525716042, 0.0152565271708652, nan],
        "upper/log": [1, 0.994625360259092, 0.940998012173809, 0.940998012173809, 0.883319225339558, 0.815735715691272, 0.740822018515804, 0.664223659882563, 0.619548629119056, nan],
        "lower/plain": [0.622474781353057, 0.399949351313594, 0.304393688157834, 0.304393688157834, 0.195781523478619, 0.100801262125765, 0.0197899310527094, 0, 0, nan],
        "upper/plain": [1, 0.933383982019739, 0.862272978508832, 0.862272978508832, 0.776440698743603, 0.676976515652013, 0.563543402280624, 0.433314085623752, 0.277276988949175, nan],
    },
    "ovarian": {
        "time": [59, 115, 156, 268, 329, 353, 365, 377, 421, 431, 448, 464, 475, 477, 563, 638, 744, 769, 770, 803, 855, 1040, 1106, 1129, 1206, 1227],
        "n.risk": [26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        "n.event": [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "n.censor": [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "surv": [0.961538461538462, 0.923076923076923, 0.884615384615385, 0.846153846153846, 0.807692307692308, 0.769230769230769, 0.730769230769231, 0.730769230769231, 0.730769230769231, 0.687782805429864, 0.687782805429864, 0.641930618401207, 0.596078431372549, 0.596078431372549, 0.54640522875817, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791, 0.496732026143791],
        "std.err": [0.0392232270276368, 0.0566138517072298, 0.0708288246974828, 0.0836242010007091, 0.0956948752938691, 0.107417231105915, 0.119037979174001, 0.119037979174001, 0.119037979174001, 0.133590834543636, 0.133590834543636, 0.150360951832482, 0.167639259514219, 0.167639259514219, 0.188888006252999, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842, 0.211588251084842],
        "lower/log-log": [0.756944289177586, 0.726029773211991, 0.683583441871182, 0.640434805840608, 0.5981137736046, 0.556919789001685, 0.516885735287984, 0.516885735287984, 0.516885735287984, 0.470772195419574, 0.470772195419574, 0.422402494114822, 0.376676946848099, 0.376676946848099, 0.327859017130065, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128, 0.282054664292128],
        "upper/log-log": [0.994491156943218, 0.980187805018525, 0.961256635371551, 0.939293810946659, 0.915076666502974, 0.889052023744989, 0.861502559637418, 0.861502559637418, 0.861502559637418, 0.830319561602528, 0.830319561602528, 0.796121361435785, 0.760207070302569, 0.760207070302569, 0.720675534038363, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876, 0.679210083341876],
        "lower/log": [0.890389006776242, 0.826129433945158, 0.769954183720261, 0.718237843191738, 0.669561265046851, 0.623193528520079, 0.578701944188642, 0.578701944188642, 0.578701944188642, 0.529344725133514, 0.529344725133514, 0.478080044961745, 0.429149500239206, 0.429149500239206, 0.377340207736834, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112, 0.328108828053112],
        "upper/log": [1, 1, 1, 0.996851305104251, 0.974319898657336, 0.949489924480652, 0.922795705115128, 0.922795705115128, 0.922795705115128, 0.893642960786396, 0.893642960786396, 0.861937081841449, 0.827938739645533, 0.827938739645533, 0.791218820291978, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737, 0.752014833800737],
        "lower/plain": [0.887619122758071, 0.820651282733297, 0.761811355926521, 0.707468873525338, 0.656202742665318, 0.607281612087224, 0.560273350480925, 0.560273350480925, 0.560273350480925, 0.507698415817797, 0.507698415817797, 0.452752349025467, 0.400226782437214, 0.400226782437214, 0.34411853312994, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051, 0.290734596552051],
        "upper/plain": [1, 1, 1, 0.984838818782355, 0.959181872719298, 0.931179926374314, 0.901265111057537, 0.901265111057537, 0.901265111057537, 0.867867195041931, 0.867867195041931, 0.831108887776946, 0.791930080307884, 0.791930080307884, 0.7486919243864, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531, 0.702729455735531],
    },
    "lung/entry": {
        "time": [5, 11, 12, 13, 15, 26, 30, 31, 53, 54, 59, 60, 61, 62, 65, 71, 79, 81, 88, 92, 93, 95, 105, 107, 110, 116, 118, 122, 131, 132, 135, 142, 144, 145, 147, 153, 156, 163, 166, 167, 170, 173, 174, 175, 176, 177, 179, 180, 181, 182, 183, 185, 186, 188, 189, 191, 192, 194, 196, 197, 199, 201, 202, 203, 207, 208, 210, 211, 212, 218, 221, 222, 223, 224, 225, 226, 229, 230, 235, 237, 239, 240, 243, 245, 246, 252, 259, 266, 267, 268, 269, 270, 272, 276, 279, 283, 284, 285, 286, 288, 291, 292, 293, 296, 300, 301, 303, 305, 306, 310, 315, 320, 329, 332, 337, 340, 345, 348, 350, 351, 353, 356, 361, 363, 364, 371, 376, 382, 384, 387, 390, 394, 404, 413, 426, 428, 429, 433, 442, 444, 450, 455, 457, 458, 460, 473, 477, 511, 519, 520, 524, 529, 533, 543, 550, 551, 558, 559, 567, 574, 583, 588, 613, 624, 641, 643, 654, 655, 687, 689, 705, 707, 728, 731, 735, 740, 765, 791, 806, 814, 821, 840, 883, 965, 1010, 1022],
        "n.risk": [156, 156, 153, 152, 150, 153, 154, 153, 159, 160, 162, 161, 164, 163, 165, 167, 167, 170, 169, 170, 168, 168, 171, 171, 171, 172, 172, 171, 172, 171, 169, 169, 169, 168, 166, 165, 165, 164, 163, 161, 160, 161, 160, 160, 158, 157, 155, 153, 152, 150, 149, 148, 147, 146, 145, 144, 143, 143, 142, 142, 140, 139, 137, 135, 134, 133, 132, 131, 130, 130, 130, 129, 127, 126, 125, 123, 122, 121, 120, 119, 119, 117, 116, 115, 114, 113, 112, 111, 110, 109, 108, 106, 105, 104, 103, 102, 101, 99, 97, 96, 95, 94, 92, 91, 90, 89, 87, 86, 85, 85, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 71, 70, 69, 67, 65, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 48, 47, 46, 45, 44, 43, 42, 41, 39, 38, 37, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        "n.event": [1, 3, 1, 2, 1, 1, 1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2, 2, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 2, 3, 2, 1, 1, 0, 0, 1, 1, 1, 2, 1, 2, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 2, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 2, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 2, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 2, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 2, 0, 1, 2, 1, 2, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0],
        "n.censor": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 2, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 2, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1],
        "surv": [0.993589743589744, 0.97448224852071, 0.968113083497699, 0.955374753451677, 0.949005588428665, 0.942802937523903, 0.936680840526995, 0.930558743530086, 0.918853602102035, 0.913110767088897, 0.907474280872299, 0.896201308439103, 0.890736666314474, 0.885272024189845, 0.874541454199665, 0.869304679024817, 0.864099261785147, 0.853933388117087, 0.843827667547654, 0.838863975385609, 0.833870737436885, 0.823943704848351, 0.819125320609472, 0.809544907502928, 0.804810726757297, 0.800131594624987, 0.79547966674926, 0.790827738873534, 0.786229903182408, 0.777034231800158, 0.772436396109033, 0.767865766546257, 0.763322182128824, 0.754235013293957, 0.749691428876524, 0.74514784445909, 0.736115749374737, 0.72265021737398, 0.71378334354117, 0.709349906624766, 0.704916469708361, 0.704916469708361, 0.704916469708361, 0.700510741772684, 0.696077129482983, 0.691643517193283, 0.682719084713369, 0.678256868473413, 0.669332435993499, 0.664870219753543, 0.660408003513586, 0.660408003513586, 0.655915432061112, 0.655915432061112, 0.651391877357243, 0.651391877357243, 0.651391877357243, 0.646836689403696, 0.646836689403696, 0.642281501450148, 0.63769377643979, 0.628518326419074, 0.623930601408716, 0.623930601408716, 0.61927440289074, 0.614618204372765, 0.609962005854789, 0.609962005854789, 0.605269990425137, 0.600614067421867, 0.600614067421867, 0.595958144418596, 0.591265560604277, 0.591265560604277, 0.591265560604277, 0.586458523526193, 0.581651486448109, 0.576844449370026, 0.576844449370026, 0.576844449370026, 0.567149584674731, 0.567149584674731, 0.567149584674731, 0.562217849155821, 0.55728611363691, 0.55728611363691, 0.55728611363691, 0.55728611363691, 0.552219876240211, 0.547153638843512, 0.542087401446812, 0.536973369357691, 0.536973369357691, 0.536973369357691, 0.536973369357691, 0.531708924560067, 0.526444479762443, 0.51580923774704, 0.510491616739338, 0.505173995731637, 0.499856374723935, 0.499856374723935, 0.494423153259545, 0.494423153259545, 0.494423153259545, 0.488867836930786, 0.483248666391352, 0.477629495851917, 0.472010325312483, 0.460904200011013, 0.460904200011013, 0.455283417084049, 0.449662634157086, 0.449662634157086, 0.443970702079148, 0.43827877000121, 0.432586837923272, 0.426894905845334, 0.421202973767397, 0.415511041689459, 0.404127177533583, 0.404127177533583, 0.398353932140246, 0.386807441353573, 0.381034195960236, 0.369310066853767, 0.369310066853767, 0.369310066853767, 0.369310066853767, 0.363154899072871, 0.356999731291975, 0.350844563511078, 0.350844563511078, 0.350844563511078, 0.344465571447241, 0.338086579383403, 0.331707587319565, 0.325328595255727, 0.318949603191889, 0.312570611128052, 0.306058723396217, 0.299546835664383, 0.293034947932548, 0.293034947932548, 0.286375062752263, 0.279715177571978, 0.273055292391693, 0.273055292391693, 0.26605387463806, 0.259052456884426, 0.24504962137716, 0.24504962137716, 0.23784227957195, 0.23784227957195, 0.230409708335326, 0.230409708335326, 0.222729384724149, 0.222729384724149, 0.214774763841143, 0.206820142958138, 0.198865522075133, 0.198865522075133, 0.190579458655335, 0.182293395235538, 0.174007331815741, 0.165721268395944, 0.157435204976147, 0.14914914155635, 0.140863078136552, 0.132577014716755, 0.124290951296958, 0.116004887877161, 0.107718824457364, 0.0994327610375663, 0.0911466976177691, 0.0911466976177691, 0.0820320278559922, 0.0729173580942153, 0.0729173580942153, 0.0625005926521845, 0.0625005926521845, 0.0625005926521845, 0.0468754444891384, 0.0468754444891384, 0.0468754444891384, 0.0468754444891384],
        "std.err": [0.00643090141188591, 0.0129246971001756, 0.0144930138733818, 0.0172559192562915, 0.0185070116087428, 0.0196343865371163, 0.0206869609561361, 0.0217013826657071, 0.0234748500547965, 0.0242976698717348, 0.0250742373612154, 0.0265865648612903, 0.0272810150226713, 0.0279664792508224, 0.0292658030170709, 0.029875736973008, 0.0304734653941214, 0.0316015838895964, 0.0327035822672899, 0.0332314777771097, 0.0337635027058122, 0.0348093313369649, 0.0352999897015397, 0.0362670073188863, 0.0367382027958684, 0.0371980546893588, 0.0376522907759236, 0.0381063606957802, 0.0385498956351257, 0.03943730467994, 0.0398813513999434, 0.0403205081633789, 0.0407549330464479, 0.0416254729796752, 0.0420617364815762, 0.0424987598742511, 0.043364822787561, 0.0446556491836186, 0.0455009648587878, 0.0459255667233083, 0.0463515464138756, 0.0463515464138756, 0.0463515464138756, 0.0467736467581725, 0.0472026149551062, 0.0476331451540214, 0.0485103218548029, 0.0489515166512675, 0.0498394450280592, 0.0502863103638696, 0.0507351985390323, 0.0507351985390323, 0.0511923270701069, 0.0511923270701069, 0.0516579816791105, 0.0516579816791105, 0.0516579816791105, 0.0521324620488912, 0.0521324620488912, 0.0526093020264725, 0.0530954435066891, 0.0540754250084839, 0.0545694300256659, 0.0545694300256659, 0.055081150302468, 0.0555958065137961, 0.0561134913583303, 0.0561134913583303, 0.0566423357976156, 0.0571662881145722, 0.0571662881145722, 0.0576935569392472, 0.0582326257417489, 0.0582326257417489, 0.0582326257417489, 0.0588020298241565, 0.0593752491353337, 0.0599524038992509, 0.0599524038992509, 0.0599524038992509, 0.0611386779033506, 0.0611386779033506, 0.0611386779033506, 0.0617593360263694, 0.0623846398080529, 0.0623846398080529, 0.0623846398080529, 0.0623846398080529, 0.0630495528903807, 0.0637196473023091, 0.0643950975276439, 0.0650889840545492, 0.0650889840545492, 0.0650889840545492, 0.0650889840545492, 0.0658304213539288, 0.0665781816860892, 0.0681243167021238, 0.068907988232733, 0.0696990671751745, 0.0704978159091204, 0.0704978159091204, 0.0713399454693926, 0.0713399454693926, 0.0713399454693926, 0.0722292816455522, 0.0731486379245264, 0.0740778113595578, 0.0750171857525407, 0.0768834510604368, 0.0768834510604368, 0.0778564198257841, 0.0788412524998371, 0.0788412524998371, 0.0798638095018928, 0.0808994946501818, 0.0819488254002698, 0.083012339931935, 0.0840905985301289, 0.0851841850617126, 0.0874198049065275, 0.0874198049065275, 0.0885960587575398, 0.0910048412916005, 0.0922389459810561, 0.0948494788815241, 0.0948494788815241, 0.0948494788815241, 0.0948494788815241, 0.0963270964983524, 0.0978321843146459, 0.0993660738207605, 0.0993660738207605, 0.0993660738207605, 0.101046113053661, 0.10276051271299, 0.104511088768149, 0.106299772257468, 0.108128619915056, 0.109999825954593, 0.111996536202636, 0.114042793772733, 0.116141511092846, 0.116141511092846, 0.118395066726386, 0.120710818409871, 0.123092736479843, 0.123092736479843, 0.125803758317288, 0.128599467961953, 0.134470162878234, 0.134470162878234, 0.1377442931727, 0.1377442931727, 0.141356127627266, 0.141356127627266, 0.145364989268848, 0.145364989268848, 0.149845692056474, 0.154525832314163, 0.159426140864183, 0.159426140864183, 0.16500996513467, 0.170893455634572, 0.177113171004382, 0.183711806164383, 0.190739630574111, 0.198256357476211, 0.206333606414332, 0.215058196133465, 0.224536621491565, 0.234901254046783, 0.246319111412933, 0.25900455798598, 0.273238208589631, 0.273238208589631, 0.292865548920288, 0.315688325145658, 0.315688325145658, 0.351381050204468, 0.351381050204468, 0.351381050204468, 0.454754852394263, 0.454754852394263, 0.454754852394263, 0.454754852394263],
        "lower/log-log": [0.955372938027305, 0.933444924026394, 0.925094497920138, 0.908678292895271, 0.900623597479481, 0.892969067515224, 0.885521475906181, 0.878128463803628, 0.864367881631941, 0.857707356990992, 0.851235863807891, 0.838359356973091, 0.832205538592161, 0.826068472883661, 0.814124591891669, 0.808352480283713, 0.802635099793424, 0.79156365894592, 0.780609784331322, 0.7752637776465, 0.769887341128933, 0.759237166866855, 0.75411043814033, 0.74394820743125, 0.738947249268619, 0.734021051711147, 0.72913418922747, 0.724252683095662, 0.719443276167837, 0.70983955928959, 0.705045345228297, 0.700289411929463, 0.695571256998534, 0.686149367849613, 0.681445682993684, 0.676746862823437, 0.667429700274019, 0.653587303951741, 0.644511818778685, 0.639980453527197, 0.635453353083576, 0.635453353083576, 0.635453353083576, 0.630963007826752, 0.62644414937988, 0.621929577804821, 0.612846610050385, 0.608311805029452, 0.599255546849467, 0.59473409009666, 0.590217078689596, 0.590217078689596, 0.585669349821987, 0.585669349821987, 0.581090329095445, 0.581090329095445, 0.581090329095445, 0.576479419335899, 0.576479419335899, 0.571873444734483, 0.567234738990526, 0.557972604128123, 0.553349150440727, 0.553349150440727, 0.548651773899835, 0.543959833932535, 0.539273314646731, 0.539273314646731, 0.534550961784858, 0.529875698734564, 0.529875698734564, 0.525205811416877, 0.520499266814102, 0.520499266814102, 0.520499266814102, 0.515666769368712, 0.510840496559879, 0.506020427019971, 0.506020427019971, 0.506020427019971, 0.496306307055273, 0.496306307055273, 0.496306307055273, 0.491362053613793, 0.486424706184228, 0.486424706184228, 0.486424706184228, 0.486424706184228, 0.481339468855829, 0.476261990598253, 0.471192238260554, 0.466075228345786, 0.466075228345786, 0.466075228345786, 0.466075228345786, 0.460792735829172, 0.455519319369998, 0.44487715893424, 0.439570141381674, 0.434272447165981, 0.428984042612115, 0.428984042612115, 0.423572200279382, 0.423572200279382, 0.423572200279382, 0.418029838564644, 0.412424888391212, 0.406831602869001, 0.401249934508845, 0.390272338209603, 0.390272338209603, 0.384722630194501, 0.379184437092583, 0.379184437092583, 0.373576579443884, 0.367980847077962, 0.362397226262782, 0.356825709730155, 0.3512662966575, 0.345718992666087, 0.334660766736479, 0.334660766736479, 0.329058431155388, 0.3178926785557, 0.312329334491911, 0.301044041395741, 0.301044041395741, 0.301044041395741, 0.301044041395741, 0.295093105946437, 0.289159567320239, 0.283243482128598, 0.283243482128598, 0.283243482128598, 0.27709251510076, 0.270962001026464, 0.264852019587053, 0.258762669181719, 0.252694067408293, 0.246646351634127, 0.240471432721464, 0.234319645292144, 0.228191186126295, 0.228191186126295, 0.221921825842428, 0.215678601449849, 0.209461792152662, 0.209461792152662, 0.202892292402299, 0.196356098589795, 0.183385276537495, 0.183385276537495, 0.17672427123245, 0.17672427123245, 0.16985326014499, 0.16985326014499, 0.162752162593137, 0.162752162593137, 0.155397500778405, 0.148105362744219, 0.140876865629019, 0.140876865629019, 0.133346484973441, 0.125894602211751, 0.118523154261664, 0.111234447506151, 0.104031206986804, 0.0969166381195994, 0.0898945044657327, 0.0829692264222819, 0.0761460076300349, 0.0694309987587909, 0.0628315126703222, 0.0563563117073432, 0.0500159986540611, 0.0500159986540611, 0.0430292653016813, 0.0362837375092769, 0.0362837375092769, 0.0285998986224171, 0.0285998986224171, 0.0285998986224171, 0.016656820338337, 0.016656820338337, 0.016656820338337, 0.016656820338337],
        "upper/log-log": [0.999094535557978, 0.99034547843451, 0.986602481422176, 0.978472580859984, 0.974165935674038, 0.969821021345257, 0.96541825267899, 0.960928462170938, 0.952051175950697, 0.947593366538626, 0.943154138493657, 0.934148981463218, 0.929703850643832, 0.925226440605499, 0.916320299749147, 0.911918241828931, 0.907515515806381, 0.898824185049777, 0.890103022668765, 0.885783161042635, 0.881425768165338, 0.872711053384007, 0.8684431875244, 0.85991410721254, 0.855675611532647, 0.85146928262035, 0.847274106017427, 0.843069132050584, 0.838897431748681, 0.830527136563818, 0.826328941639512, 0.82214410662751, 0.817972898911226, 0.809607097364916, 0.805412794963683, 0.801211073377206, 0.792830869987886, 0.780276869401356, 0.771966004688677, 0.767801378203464, 0.763630729498131, 0.763630729498131, 0.763630729498131, 0.759477215887691, 0.755294674673134, 0.751106327055147, 0.742664568997331, 0.738435067090459, 0.729959112345455, 0.725712769570602, 0.72146091912704, 0.72146091912704, 0.717178037362661, 0.717178037362661, 0.712863535964971, 0.712863535964971, 0.712863535964971, 0.708516804433041, 0.708516804433041, 0.704164390736901, 0.699778925448175, 0.690990862257405, 0.686588345722971, 0.686588345722971, 0.682122383133642, 0.67765057478252, 0.673172957378635, 0.673172957378635, 0.668659277276499, 0.664170272512044, 0.664170272512044, 0.659675559470196, 0.655144040870013, 0.655144040870013, 0.655144040870013, 0.650509845062135, 0.645869389627, 0.641222704310342, 0.641222704310342, 0.641222704310342, 0.631842212421868, 0.631842212421868, 0.631842212421868, 0.627071185722619, 0.622293471086469, 0.622293471086469, 0.622293471086469, 0.622293471086469, 0.617395776293316, 0.612490794008543, 0.60757855105908, 0.602618833089679, 0.602618833089679, 0.602618833089679, 0.602618833089679, 0.597525569690891, 0.592424075384337, 0.582107279352108, 0.57693619006077, 0.571756668607913, 0.56656873263118, 0.56656873263118, 0.561275408388771, 0.561275408388771, 0.561275408388771, 0.555871135024938, 0.550403973000768, 0.544926618485574, 0.539439088612641, 0.528544548103265, 0.528544548103265, 0.523025854116546, 0.517496991486957, 0.517496991486957, 0.511898284781269, 0.506288919313485, 0.50066888449606, 0.49503816482771, 0.489396739860436, 0.483744584154578, 0.472407953454831, 0.472407953454831, 0.466654580713583, 0.455113396731697, 0.449325479146168, 0.437563451505929, 0.437563451505929, 0.437563451505929, 0.437563451505929, 0.431417508136703, 0.425256554307127, 0.419080503631528, 0.419080503631528, 0.419080503631528, 0.412703113922381, 0.406308241376946, 0.39989576985638, 0.393465568002233, 0.387017488729215, 0.380551368641617, 0.373956337510209, 0.367341409018159, 0.360706362928985, 0.360706362928985, 0.353928045560943, 0.34712728633035, 0.340303786863715, 0.340303786863715, 0.333176432856705, 0.326020784280536, 0.311622871972358, 0.311622871972358, 0.30421180809315, 0.30421180809315, 0.296585767416812, 0.296585767416812, 0.288724536119107, 0.288724536119107, 0.280604502113915, 0.272432186710771, 0.26420648180681, 0.26420648180681, 0.255670455845938, 0.247068771778615, 0.23839958957786, 0.229660750624132, 0.220849735702702, 0.211963612485044, 0.202998969630498, 0.193951833601759, 0.184817562799817, 0.175590711462454, 0.166264852571473, 0.156832344186456, 0.147284016189648, 0.147284016189648, 0.13700266609318, 0.126519157495444, 0.126519157495444, 0.115007745287144, 0.115007745287144, 0.115007745287144, 0.101568689110351, 0.101568689110351, 0.101568689110351, 0.101568689110351],
        "lower/log": [0.981144800331932, 0.950106764502934, 0.940999978774747, 0.923603341365266, 0.915199076113054, 0.907210581059027, 0.899462090441485, 0.891808369226775, 0.877535094008552, 0.870645279667591, 0.863954947142101, 0.850697288614132, 0.844360071327439, 0.838053279350963, 0.825789399526843, 0.819863861662334, 0.814000315727367, 0.802647167597683, 0.791437130206494, 0.78596799019238, 0.780475344404362, 0.769604827807472, 0.764368788601863, 0.753998379659354, 0.74889708688986, 0.743872284839271, 0.738889329962027, 0.733914893596122, 0.729013930073844, 0.719235404060009, 0.714357586107534, 0.709519649370665, 0.704721012996046, 0.695144390625612, 0.690366216313597, 0.685594680864906, 0.676135759590358, 0.662090231222922, 0.652883837853844, 0.648288925312005, 0.643699467307548, 0.643699467307548, 0.643699467307548, 0.639147359299849, 0.634568377388021, 0.62999471177738, 0.6207975330753, 0.616206952289719, 0.607041607131021, 0.60246676746918, 0.597897102219774, 0.597897102219774, 0.593297968239386, 0.593297968239386, 0.588668754757837, 0.588668754757837, 0.588668754757837, 0.584008829983369, 0.584008829983369, 0.579354380308016, 0.574668318442729, 0.565312853620308, 0.560643386656048, 0.560643386656048, 0.55590165768787, 0.551165700426362, 0.546435484028214, 0.546435484028214, 0.541670393015948, 0.536952003588169, 0.536952003588169, 0.532239269734829, 0.527490791553675, 0.527490791553675, 0.527490791553675, 0.522618674508005, 0.517752898205315, 0.512893433994638, 0.512893433994638, 0.512893433994638, 0.503102275250854, 0.503102275250854, 0.503102275250854, 0.498121155918667, 0.493146914093571, 0.493146914093571, 0.493146914093571, 0.493146914093571, 0.488027345713715, 0.482915371764725, 0.477810960329355, 0.472660058268171, 0.472660058268171, 0.472660058268171, 0.472660058268171, 0.467346498979335, 0.462041648926179, 0.451337680067709, 0.445999147516514, 0.440669541044833, 0.435348833768779, 0.435348833768779, 0.429906615692685, 0.429906615692685, 0.429906615692685, 0.424335913404882, 0.418703345235097, 0.413081733920918, 0.407471046536224, 0.396430767690083, 0.396430767690083, 0.390850190044092, 0.385280478382487, 0.385280478382487, 0.379641878612429, 0.374014689443099, 0.36839890835966, 0.362794538454827, 0.357201588436773, 0.351620072650892, 0.340491429571901, 0.340491429571901, 0.334854397330439, 0.32361702345989, 0.318016768391485, 0.306658582069711, 0.306658582069711, 0.306658582069711, 0.306658582069711, 0.300675563882318, 0.294708717816611, 0.288758113577261, 0.288758113577261, 0.288758113577261, 0.282575961682356, 0.27641271990551, 0.270268483905985, 0.264143365976139, 0.258037495523405, 0.251951019633336, 0.245738463214286, 0.239547329756611, 0.233377823250276, 0.233377823250276, 0.227068626952668, 0.220783593283733, 0.214523004703334, 0.214523004703334, 0.207914718639678, 0.2013370263283, 0.188275073435991, 0.188275073435991, 0.181568666399333, 0.181568666399333, 0.174653872803601, 0.174653872803601, 0.167510723406028, 0.167510723406028, 0.16011586498097, 0.152777784224295, 0.145497562447837, 0.145497562447837, 0.137917492324816, 0.130408578398897, 0.122972653187316, 0.115611883270471, 0.108328813395935, 0.101126421790431, 0.0940081898143457, 0.0869781902732837, 0.0800412004111711, 0.0732028481406585, 0.0664698039011757, 0.0598500364950586, 0.0533531607871775, 0.0533531607871775, 0.0462057304643001, 0.0392750309170041, 0.0392750309170041, 0.031389763478116, 0.031389763478116, 0.031389763478116, 0.0192246024080659, 0.0192246024080659, 0.0192246024080659, 0.0192246024080659],
        "upper/log": [1, 0.99948309827979, 0.996007400191214, 0.988239083439913, 0.984060878529106, 0.979791679640767, 0.975439661475577, 0.970992878112467, 0.962117581234485, 0.957647497143733, 0.953185780310425, 0.9441393501517, 0.939660502266149, 0.935151232174802, 0.926171679549156, 0.921726960183635, 0.917281627280987, 0.908496610688385, 0.899686286304427, 0.895319883227695, 0.890919119660595, 0.882119243837513, 0.877804406549435, 0.869183508802775, 0.864898952396202, 0.860645814832925, 0.856404165755154, 0.852154000455524, 0.847936418163647, 0.839477859378131, 0.835237138426768, 0.831009875422978, 0.82679633923897, 0.81834862360979, 0.814114632567159, 0.809874005150628, 0.801416562859839, 0.788749496735637, 0.780363415322998, 0.776162094372347, 0.771955321548658, 0.771955321548658, 0.771955321548658, 0.767765511659889, 0.763547928725413, 0.759325032310011, 0.750817011663808, 0.746554997346198, 0.738015161745406, 0.73373741587786, 0.729454498918921, 0.729454498918921, 0.725141627052273, 0.725141627052273, 0.72079819840539, 0.72079819840539, 0.72079819840539, 0.716423590325933, 0.716423590325933, 0.712043511064396, 0.707631410083673, 0.698790561924775, 0.694361878940826, 0.694361878940826, 0.689871636056556, 0.6853756263392, 0.680873880743783, 0.680873880743783, 0.676337060383618, 0.671824028170899, 0.671824028170899, 0.667305345725066, 0.662750836136854, 0.662750836136854, 0.662750836136854, 0.658096651713226, 0.653436133066579, 0.648769309011054, 0.648769309011054, 0.648769309011054, 0.639350420819179, 0.639350420819179, 0.639350420819179, 0.634562307088616, 0.629767324050623, 0.629767324050623, 0.629767324050623, 0.629767324050623, 0.624855952013887, 0.619936995183396, 0.615010485746918, 0.61003758273088, 0.61003758273088, 0.61003758273088, 0.61003758273088, 0.60493526981428, 0.599824260251112, 0.589490267476157, 0.584309840528326, 0.579120502311967, 0.573922280184304, 0.573922280184304, 0.56862175541364, 0.56862175541364, 0.56862175541364, 0.563213610810618, 0.557743988020673, 0.55226343015068, 0.546771970905642, 0.53586325507879, 0.53586325507879, 0.53033872095174, 0.524803346917459, 0.524803346917459, 0.519199791722341, 0.513584855503375, 0.507958541944872, 0.50232084918607, 0.496671769817455, 0.491011290863577, 0.479656054270149, 0.479656054270149, 0.473895091468674, 0.462336607286179, 0.456539003353229, 0.444761482163668, 0.444761482163668, 0.444761482163668, 0.444761482163668, 0.43861722255635, 0.432456864821521, 0.42628034315768, 0.42628034315768, 0.42628034315768, 0.419910204696945, 0.413521256178962, 0.407113407731409, 0.400686553303881, 0.394240570231532, 0.387775318723245, 0.381185513011203, 0.374574439413339, 0.367941904307438, 0.367941904307438, 0.361171323696151, 0.35437678769715, 0.347558029061832, 0.347558029061832, 0.340450472544928, 0.333312638224979, 0.318944594423462, 0.318944594423462, 0.311556784955211, 0.311556784955211, 0.303964823928459, 0.303964823928459, 0.29615046613674, 0.29615046613674, 0.288092620856161, 0.279979001858193, 0.271808648920792, 0.271808648920792, 0.263349698788175, 0.254821288250323, 0.246221828519159, 0.237549445799704, 0.228801950181903, 0.219976797686922, 0.21107104414297, 0.20208128929771, 0.193003609328012, 0.183833475789561, 0.174565659313929, 0.165194117607097, 0.155711870937957, 0.155711870937957, 0.145636775494016, 0.13537713369789, 0.13537713369789, 0.124445795349738, 0.124445795349738, 0.124445795349738, 0.114296631442031, 0.114296631442031, 0.114296631442031, 0.114296631442031],
        "lower/plain": [0.981066205454546, 0.949796721863799, 0.9406130711799, 0.923063042771932, 0.91458223639151, 0.906521343903751, 0.898702461647811, 0.890978424524019, 0.876577275911681, 0.869626096753499, 0.862876818361328, 0.849501414713822, 0.843109148762427, 0.836747350134659, 0.82437782644445, 0.818402223224272, 0.812489296203655, 0.801042490720207, 0.789740133848723, 0.784226667847557, 0.778689133506933, 0.767730116132073, 0.762452735852353, 0.752000813581251, 0.746859884241071, 0.741796522486857, 0.736775547302248, 0.731763112770985, 0.726825196580613, 0.716972829400159, 0.712058123193586, 0.707183835310995, 0.702349379464933, 0.692701181247601, 0.687887250848821, 0.683079980739143, 0.673550702158662, 0.659401367012349, 0.650127964815926, 0.64549957883602, 0.640876668287722, 0.640876668287722, 0.640876668287722, 0.636291655542625, 0.631679257815531, 0.627072197871592, 0.617807189336308, 0.613182727561806, 0.603949689426465, 0.599341038254203, 0.594737585142054, 0.594737585142054, 0.590104080218698, 0.590104080218698, 0.585439893516466, 0.585439893516466, 0.585439893516466, 0.580744373129983, 0.580744373129983, 0.576054354680092, 0.571332073466271, 0.561904255062364, 0.55719865454932, 0.55719865454932, 0.552419352320929, 0.547645853278522, 0.54287812698035, 0.54287812698035, 0.538074769325857, 0.533318945433397, 0.533318945433397, 0.528568810264872, 0.523782146285515, 0.523782146285515, 0.523782146285515, 0.51886926039919, 0.513962754508423, 0.509062600525573, 0.509062600525573, 0.509062600525573, 0.499188272973053, 0.499188272973053, 0.499188272973053, 0.49416358560243, 0.489145822553991, 0.489145822553991, 0.489145822553991, 0.489145822553991, 0.483979386261781, 0.478820598203166, 0.473669427340282, 0.468470568027225, 0.468470568027225, 0.468470568027225, 0.468470568027225, 0.463105045014407, 0.457748298300419, 0.446937765634242, 0.441546061027785, 0.436163357564854, 0.430789629799777, 0.430789629799777, 0.42529106684821, 0.42529106684821, 0.42529106684821, 0.419660386202296, 0.413965935319459, 0.408282544662615, 0.402610183527683, 0.391451101461459, 0.391451101461459, 0.385809089468563, 0.380178059028453, 0.380178059028453, 0.37447588359868, 0.36878524620684, 0.363106147497923, 0.3574385938679, 0.351782597479671, 0.346138176293463, 0.334884160639522, 0.334884160639522, 0.329181729997789, 0.317814063517225, 0.31214892423503, 0.300654748356447, 0.300654748356447, 0.300654748356447, 0.300654748356447, 0.294592111219927, 0.288545904686626, 0.282516207360718, 0.282516207360718, 0.282516207360718, 0.276245287165927, 0.269993608162634, 0.263761278509167, 0.257548423809499, 0.251355187663397, 0.24518173230496, 0.238876024802599, 0.232592196304503, 0.226330471219921, 0.226330471219921, 0.219921710330526, 0.213537683528809, 0.20717870153619, 0.20717870153619, 0.200452748501382, 0.193758200769787, 0.180465157653965, 0.180465157653965, 0.173631082784445, 0.173631082784445, 0.166574026042024, 0.166574026042024, 0.159271523742908, 0.159271523742908, 0.151697099606202, 0.14418154670751, 0.136726112960995, 0.136726112960995, 0.128943471988788, 0.121235130643822, 0.113603220756693, 0.106050255952681, 0.0985791861296188, 0.0911934660947507, 0.0838971425500457, 0.0766949652592559, 0.0695925306508068, 0.0625964697571235, 0.0557146980222943, 0.0489567534522477, 0.0423342642373265, 0.0423342642373265, 0.0349451575646872, 0.027800636184216, 0.027800636184216, 0.0194567967928969, 0.0194567967928969, 0.0194567967928969, 0.00509521397922151, 0.00509521397922151, 0.00509521397922151, 0.00509521397922151],
        "upper/plain": [1, 0.999167775177621, 0.995613095815498, 0.987686464131421, 0.98342894046582, 0.979084531144054, 0.974659219406178, 0.970139062536153, 0.961129928292389, 0.956595437424295, 0.95207174338327, 0.942901202164383, 0.93836418386652, 0.933796698245032, 0.924705081954881, 0.920207134825362, 0.91570922736664, 0.906824285513967, 0.897915201246584, 0.893501282923661, 0.889052341366837, 0.880157293564628, 0.87579790536659, 0.867089001424605, 0.862761569273522, 0.858466666763116, 0.854183786196272, 0.849892364976082, 0.845634609784204, 0.837095634200157, 0.832814669024479, 0.82854769778152, 0.824294984792715, 0.815768845340313, 0.811495606904226, 0.807215708179037, 0.798680796590813, 0.785899067735611, 0.777438722266415, 0.773200234413511, 0.768956271129, 0.768956271129, 0.768956271129, 0.764729828002743, 0.760475001150435, 0.756214836514973, 0.747630980090431, 0.743331009385019, 0.734715182560533, 0.730399401252882, 0.726078421885118, 0.726078421885118, 0.721726783903527, 0.721726783903527, 0.71734386119802, 0.71734386119802, 0.71734386119802, 0.712929005677408, 0.712929005677408, 0.708508648220205, 0.704055479413309, 0.695132397775784, 0.690662548268111, 0.690662548268111, 0.686129453460551, 0.681590555467007, 0.677045884729229, 0.677045884729229, 0.672465211524417, 0.667909189410337, 0.667909189410337, 0.663347478572321, 0.658748974923038, 0.658748974923038, 0.658748974923038, 0.654047786653196, 0.649340218387796, 0.644626298214479, 0.644626298214479, 0.644626298214479, 0.63511089637641, 0.63511089637641, 0.63511089637641, 0.630272112709211, 0.625426404719829, 0.625426404719829, 0.625426404719829, 0.625426404719829, 0.62046036621864, 0.615486679483857, 0.610505375553343, 0.605476170688158, 0.605476170688158, 0.605476170688158, 0.605476170688158, 0.600312804105727, 0.595140661224467, 0.584680709859837, 0.579437172450892, 0.57418463389842, 0.568923119648094, 0.568923119648094, 0.56355523967088, 0.56355523967088, 0.56355523967088, 0.558075287659276, 0.552531397463244, 0.546976447041219, 0.541410467097282, 0.530357298560566, 0.530357298560566, 0.524757744699536, 0.519147209285719, 0.519147209285719, 0.513465520559615, 0.50777229379558, 0.502067528348621, 0.496351217822769, 0.490623350055122, 0.484883907085455, 0.473370194427645, 0.473370194427645, 0.467526134282704, 0.455800819189921, 0.449919467685441, 0.437965385351086, 0.437965385351086, 0.437965385351086, 0.437965385351086, 0.431717686925814, 0.425453557897323, 0.419172919661439, 0.419172919661439, 0.419172919661439, 0.412685855728554, 0.406179550604172, 0.399653896129964, 0.393108766701955, 0.386544018720382, 0.379959489951144, 0.373241421989835, 0.366501475024263, 0.359739424645176, 0.359739424645176, 0.352828415174001, 0.345892671615147, 0.338931883247195, 0.338931883247195, 0.331655000774737, 0.324346712999066, 0.309634085100355, 0.309634085100355, 0.302053476359454, 0.302053476359454, 0.294245390628628, 0.294245390628628, 0.286187245705389, 0.286187245705389, 0.277852428076084, 0.269458739208766, 0.26100493118927, 0.26100493118927, 0.252215445321883, 0.243351659827255, 0.234411442874789, 0.225392280839207, 0.216291223822675, 0.207104817017948, 0.197829013723059, 0.188459064174254, 0.178989371943109, 0.169413305997198, 0.159722950892433, 0.149908768622885, 0.139959130998212, 0.139959130998212, 0.129118898147297, 0.118034080004215, 0.118034080004215, 0.105544388511472, 0.105544388511472, 0.105544388511472, 0.0886556749990553, 0.0886556749990553, 0.0886556749990553, 0.0886556749990553],
    },
}
# fmt: on
