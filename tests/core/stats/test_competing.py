"""core.stats.competing against values frozen from R 4.2.2 with cmprsk 2.2-11 and survival 3.5.3.

Data (tests/data/r_datasets):

- ``mgus2_cr.csv``: survival's ``mgus2`` with its competing outcomes, as in survival's
  competing-risks vignette (event 1 = progression to plasma cell malignancy, 2 = death
  without it, 0 = censored)::

      library(survival); d <- mgus2
      etime <- with(d, ifelse(pstat == 0, futime, ptime))
      event <- with(d, ifelse(pstat == 0, 2 * death, 1))
      write.csv(data.frame(id = d$id, sex = d$sex, etime, event), "mgus2_cr.csv",
                row.names = FALSE, quote = FALSE)

- ``cr_sim.csv``: 240 patients, three groups (a, b, c), three causes, times rounded up to
  whole weeks (many ties), made by numpy with ``default_rng(20260517)`` (the script is in
  tests/data/r_datasets/README.md).

Every R snippet below starts from::

    library(cmprsk); library(survival); options(digits = 17)
    m <- read.csv("mgus2_cr.csv"); s <- read.csv("cr_sim.csv")
    ci <- function(est, var) {   # the log(-log) CI (Pintilie 2006; tidycmprsk)
      k <- qnorm(0.975) * sqrt(var) / (est * log(est)); rbind(est^exp(-k), est^exp(k)) }

Values were printed with 17 significant digits (``crr``'s p-values as ``summary.crr`` prints
them, to 11). Tolerance: 1e-9 relative (observed agreement ~1e-12: the same sums in a
different order); p-values of ``crr`` 1e-10 absolute.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.stats.competing import (
    CI_METHOD,
    cumulative_incidence,
    fine_gray,
    gray_test,
    loglog_ci,
    risk_table,
)

RTOL = 1e-9


@pytest.fixture(scope="module")
def mgus(r_dataset) -> pd.DataFrame:
    return r_dataset("mgus2_cr")


@pytest.fixture(scope="module")
def sim(r_dataset) -> pd.DataFrame:
    return r_dataset("cr_sim")


# ------------------------------------------------------------------ cuminc estimates, variances
MGUS_TIMES = [60, 120, 240, 360]
MGUS_CUMINC = {
    # timepoints(cuminc(m$etime, m$event, m$sex), c(60, 120, 240, 360)): $est, $var
    ("F", 1): (
        [0.039789621504405334, 0.073885664375926224, 0.10494067418613699, 0.15739038693443277],
        [6.0915107375335242e-05, 0.00011623978170247813, 0.00020498393238449903,
         0.0012207233391149167],
    ),
    ("M", 1): (
        [0.029346284458366286, 0.055310240648157052, 0.095650755030977475, 0.10446022997665153],
        [3.8060706634688716e-05, 7.4873529635454485e-05, 0.00018537170473828583,
         0.00025794283674618812],
    ),
    ("F", 2): (
        [0.26396514545770061, 0.48049004577469534, 0.69530780303198336, 0.76028174478832133],
        [0.00030959385368098613, 0.00043385700478048477, 0.00056453372481318244,
         0.0011593949167932049],
    ),
    ("M", 2): (
        [0.36762698560886298, 0.5751784888794913, 0.74812788926573526, 0.79943640697963092],
        [0.00031049419452501526, 0.00035945164283862196, 0.00043270063494606908,
         0.00059046555618173791],
    ),
}  # fmt: skip

SIM_TIMES = [0, 91, 182, 365, 730, 1000]
NA = None
SIM_CUMINC = {
    # timepoints(cuminc(s$time, s$status, s$group), c(0, 91, 182, 365, 730, 1000))
    ("a", 1): (
        [0, 0.089333933393339338, 0.16074228785079506, 0.27139914696743034,
         0.43486513597892351, 0.47819611502066428],
        [0, 0.00081604371270308851, 0.00137271934125304, 0.0021117668655766518,
         0.0028819252706093167, 0.0030221498007593842],
    ),
    ("b", 1): (
        [0, 0.13049824407374891, 0.19490311049793052, 0.33026729672068633,
         0.43460866713763247, NA],
        [0, 0.0013634366698769241, 0.0019480387807637818, 0.0028863909950196717,
         0.0034259246429262646, NA],
    ),
    ("c", 2): (
        [0, 0.055555555555555552, 0.11474420067167179, 0.27244230913069611,
         0.4172637962096501, 0.48376345864386366],
        [0, 0.00099158238964428772, 0.0019940863667332414, 0.0043928258107600411,
         0.0073155057943175283, 0.010104594074678896],
    ),
    ("c", 3): (
        [0, 0.037037037037037035, 0.037037037037037035, 0.084977023168321605,
         0.11453242869463874, 0.11453242869463874],
        [0, 0.00067398627111978147, 0.00067398627111978147, 0.0017538379104584697,
         0.002541846588777345, 0.002541846588777345],
    ),
    ("b", 3): (
        [0, 0.035831870061457424, 0.048901370249592381, 0.090386493427414311,
         0.14788341853351838, NA],
        [0, 0.00041842425882915026, 0.0005786145385651047, 0.0010941888379091677,
         0.0017648619461135212, NA],
    ),
}  # fmt: skip


def _check(curve, times, ref_est, ref_var):
    for a, e, v in zip(curve.at(times), ref_est, ref_var, strict=True):
        if e is None:
            assert a.cif is None and a.var is None and a.lower is None
            continue
        assert a.cif == pytest.approx(e, rel=RTOL, abs=1e-15)
        assert a.var == pytest.approx(v, rel=RTOL, abs=1e-15)


@pytest.mark.parametrize(("group", "cause"), list(MGUS_CUMINC))
def test_cuminc_mgus2_matches_cmprsk(mgus, group, cause):
    """``timepoints(cuminc(m$etime, m$event, m$sex), c(60, 120, 240, 360))``."""
    g = mgus[mgus["sex"] == group]
    curve = cumulative_incidence(g["etime"], g["event"], cause)
    _check(curve, MGUS_TIMES, *MGUS_CUMINC[(group, cause)])


@pytest.mark.parametrize(("group", "cause"), list(SIM_CUMINC))
def test_cuminc_ties_three_groups_matches_cmprsk(sim, group, cause):
    """``timepoints(cuminc(s$time, s$status, s$group), c(0, 91, 182, 365, 730, 1000))``;
    group b's follow-up ends before 1000: NA there (None here)."""
    g = sim[sim["group"] == group]
    curve = cumulative_incidence(g["time"], g["status"], cause)
    _check(curve, SIM_TIMES, *SIM_CUMINC[(group, cause)])


def test_loglog_ci_matches_r():
    """``ci(tp$est["F 1", ], tp$var["F 1", ])`` on mgus2 and ``ci(...["b 1", ])`` on cr_sim."""
    est, var = MGUS_CUMINC[("F", 1)]
    lo, hi = loglog_ci(np.array(est), np.array(var))
    np.testing.assert_allclose(
        lo, [0.02645103462959476, 0.054610731367953018, 0.079003206155669609,
             0.096369243754637596], rtol=RTOL)  # fmt: skip
    np.testing.assert_allclose(
        hi, [0.057169486401555447, 0.096870887188394289, 0.13503672532984248,
             0.23192601417081091], rtol=RTOL)  # fmt: skip
    assert "log(-log)" in CI_METHOD


def test_curve_carries_ci_at_times(sim):
    """The curve's own CI at t equals ``ci()`` of its estimate and variance (cr_sim, b, 1):
    ``c(0.068987219933736049, 0.21205247658752754)`` at day 91; undefined at F = 0."""
    g = sim[sim["group"] == "b"]
    at = cumulative_incidence(g["time"], g["status"], 1).at([0, 91, 730])
    assert at[0].cif == 0 and at[0].lower is None and at[0].upper is None
    assert at[1].lower == pytest.approx(0.068987219933736049, rel=RTOL)
    assert at[1].upper == pytest.approx(0.21205247658752754, rel=RTOL)
    assert at[2].lower == pytest.approx(0.31858596593300137, rel=RTOL)
    assert at[2].upper == pytest.approx(0.54494547555563388, rel=RTOL)


def test_aalen_johansen_equals_survfit_multistate(sim):
    """``summary(survfit(Surv(time, factor(status)) ~ group, data = s), times = c(91, 182,
    365, 730, 1000))$pstate`` (columns: state 1, 2, 3), group c (printed to 15 digits)."""
    g = sim[sim["group"] == "c"]
    pstate = {
        1: [0.0740740740740741, 0.0939373408885604, 0.115524519615575, 0.268704787793071,
            0.335204450227284],
        2: [0.0555555555555556, 0.114744200671672, 0.272442309130696, 0.41726379620965,
            0.483763458643864],
        3: [0.037037037037037, 0.037037037037037, 0.0849770231683216, 0.114532428694639,
            0.114532428694639],
    }  # fmt: skip
    for cause, ref in pstate.items():
        got = [a.cif for a in cumulative_incidence(g["time"], g["status"], cause).at(SIM_TIMES[1:])]
        np.testing.assert_allclose(got, ref, rtol=1e-13)


def test_weighted_rows_equal_patient_rows(sim):
    """Aggregated input (one row per time, status, with a count) gives identical numbers."""
    agg = sim.groupby(["time", "status", "group"]).size().reset_index(name="n")
    a = cumulative_incidence(sim["time"], sim["status"], 2)
    b = cumulative_incidence(agg["time"], agg["status"], 2, agg["n"])
    np.testing.assert_array_equal(a.time, b.time)
    np.testing.assert_allclose(a.est, b.est, rtol=1e-14)
    np.testing.assert_allclose(a.var, b.var, rtol=1e-12)
    ga = gray_test(sim["time"], sim["status"], sim["group"], 1)
    gb = gray_test(agg["time"], agg["status"], agg["group"], 1, agg["n"])
    assert gb.chi2 == pytest.approx(ga.chi2, rel=1e-12)
    fa = fine_gray(sim["time"], sim["status"], sim["group"], 1)
    fb = fine_gray(agg["time"], agg["status"], agg["group"], 1, agg["n"])
    assert fb.terms[1].se == pytest.approx(fa.terms[1].se, rel=1e-12)


# ------------------------------------------------------------------ Gray's test
@pytest.mark.parametrize(
    ("cause", "chi2", "p"),
    [
        (1, 1.1945078250755148, 0.27442215678800419010),
        (2, 11.6512590121277384, 0.00064159097640792417),
    ],
)
def test_gray_mgus2_matches_cmprsk(mgus, cause, chi2, p):
    """``cuminc(m$etime, m$event, m$sex)$Tests`` (stat, pv, df = 1)."""
    t = gray_test(mgus["etime"], mgus["event"], mgus["sex"], cause)
    assert t.chi2 == pytest.approx(chi2, rel=RTOL)
    assert t.p == pytest.approx(p, rel=RTOL)
    assert t.df == 1


@pytest.mark.parametrize(
    ("cause", "chi2", "p"),
    [
        (1, 4.6477518786124898, 0.097893420375760209),
        (2, 2.5633344369321360, 0.277574137735625226),
        (3, 1.0874602177801604, 0.580578586996860935),
    ],
)
def test_gray_three_groups_matches_cmprsk(sim, cause, chi2, p):
    """``cuminc(s$time, s$status, s$group)$Tests`` (df = 2)."""
    t = gray_test(sim["time"], sim["status"], sim["group"], cause)
    assert t.chi2 == pytest.approx(chi2, rel=RTOL)
    assert t.p == pytest.approx(p, rel=RTOL)
    assert t.df == 2 and t.groups == ("a", "b", "c")


def test_gray_needs_two_groups(sim):
    with pytest.raises(ValueError, match="two groups"):
        gray_test(sim["time"], sim["status"], ["a"] * len(sim), 1)


# ------------------------------------------------------------------ Fine-Gray
def test_fine_gray_mgus2_matches_crr(mgus):
    """``summary(crr(m$etime, m$event, cov1 = as.numeric(m$sex == "M"), failcode = fc))``:
    ``$coef`` (coef, exp(coef), se(coef), z, p-value), ``$conf.int`` (2.5%, 97.5%) and
    ``$loglik``, fc = 1 and 2."""
    r1 = fine_gray(mgus["etime"], mgus["event"], mgus["sex"], 1)
    (t,) = r1.terms
    assert (r1.reference, t.label, r1.converged) == ("F", "M", True)
    assert t.coef == pytest.approx(-0.22923711332647401, rel=RTOL)
    assert t.se == pytest.approx(0.18577835143571403, rel=RTOL)
    assert t.hr == pytest.approx(0.79513997286687843, rel=RTOL)
    assert t.z == pytest.approx(-1.2339280198952474, rel=RTOL)
    assert t.lower == pytest.approx(0.55247008533413011, rel=RTOL)
    assert t.upper == pytest.approx(1.1444014675805678, rel=RTOL)
    assert t.p == pytest.approx(0.21722972738, abs=1e-10)
    assert r1.loglik == pytest.approx(-793.01974539380819, rel=RTOL)
    (t2,) = fine_gray(mgus["etime"], mgus["event"], mgus["sex"], 2).terms
    assert t2.coef == pytest.approx(0.2327692736319629, rel=RTOL)
    assert t2.se == pytest.approx(0.067999032455218225, rel=RTOL)
    assert t2.lower == pytest.approx(1.1046114222319279, rel=RTOL)
    assert t2.upper == pytest.approx(1.442020028603427, rel=RTOL)
    assert t2.p == pytest.approx(0.000619053157767, abs=1e-10)


CRR_SIM = {
    # X <- model.matrix(~ factor(group), s)[, -1]; summary(crr(s$time, s$status, cov1 = X,
    # failcode = fc)): (coef, se, hr, lower, upper, p) for b and c; $loglik
    1: (
        [(0.0031975478180229461, 0.22877927321434935, 1.00320266542719350, 0.64069510650957839,
          1.57081828422733483, 0.988848679602),
         (-0.6232864585118026435, 0.30446305712397514, 0.53617940745667081, 0.29522335158541724,
          0.97379951632114492, 0.0406417757022)],
        -453.06935778194861,
    ),
    2: (
        [(0.21920511783242119, 0.27147748433324698, 1.2450866399696217, 0.73133695544673527,
          2.1197352731667736, 0.419405948262),
         (0.32973298587560479, 0.28977559559329197, 1.3905967699080930, 0.78803187054671564,
          2.4539101129719927, 0.255166081059)],
        -366.97542716985618,
    ),
    3: (
        [(0.383685028739057410, 0.42672052919598646, 1.46768309087840576, 0.63592678515527523,
          3.3873296510453210, 0.368573686072),
         (-0.012920871263381111, 0.54784670396824953, 0.98716224483115289, 0.33733435805664369,
          2.8887934903341486, 0.981183772861)],
        -141.88680079450191,
    ),
}  # fmt: skip


@pytest.mark.parametrize("cause", [1, 2, 3])
def test_fine_gray_three_groups_matches_crr(sim, cause):
    """Group factor with reference a, ties; see ``CRR_SIM`` for the R call."""
    r = fine_gray(sim["time"], sim["status"], sim["group"], cause)
    rows, loglik = CRR_SIM[cause]
    assert [t.label for t in r.terms] == ["b", "c"] and r.reference == "a"
    for t, (coef, se, hr, lo, hi, p) in zip(r.terms, rows, strict=True):
        assert t.coef == pytest.approx(coef, rel=RTOL, abs=1e-12)
        assert t.se == pytest.approx(se, rel=RTOL)
        assert t.hr == pytest.approx(hr, rel=RTOL)
        assert (t.lower, t.upper) == (pytest.approx(lo, rel=RTOL), pytest.approx(hi, rel=RTOL))
        assert t.p == pytest.approx(p, abs=1e-10)
    assert r.loglik == pytest.approx(loglik, rel=RTOL)


def test_fine_gray_reference_choice_inverts_hr(mgus):
    """Reference M instead of F: coef changes sign, SE unchanged (R: cov1 = sex == "F")."""
    r = fine_gray(mgus["etime"], mgus["event"], mgus["sex"], 1, reference="M")
    assert r.terms[0].label == "F"
    assert r.terms[0].coef == pytest.approx(0.22923711332647401, rel=1e-7)
    assert r.terms[0].se == pytest.approx(0.18577835143571403, rel=1e-7)


def test_fine_gray_refuses_bad_input(sim):
    with pytest.raises(ValueError, match="reference"):
        fine_gray(sim["time"], sim["status"], sim["group"], 1, reference="zz")
    with pytest.raises(ValueError, match="no event"):
        fine_gray(sim["time"], sim["status"], sim["group"], 9)
    with pytest.raises(ValueError, match="status"):
        cumulative_incidence([1.0, 2.0], [0, -1], 1)


# ------------------------------------------------------------------ risk table
def test_risk_table_matches_survfit_summary(sim):
    """``x <- summary(survfit(Surv(time, factor(status)) ~ 1, data = s[s$group == "a", ]),
    times = c(0, 365, 730))``: ``x$n.risk[, 1]`` = 101, 38, 17; cumulative sums of
    ``x$n.event`` by state (1, 2, 3) = (0, 0, 0), (26, 19, 8), (39, 21, 9) and of
    ``x$n.censor`` = 0, 10, 15."""
    g = sim[sim["group"] == "a"]
    rows = risk_table(g["time"], g["status"], [1, 2, 3], [0, 365, 730])
    assert [r.at_risk for r in rows] == [101, 38, 17]
    assert [r.events for r in rows] == [
        ((1, 0), (2, 0), (3, 0)),
        ((1, 26), (2, 19), (3, 8)),
        ((1, 39), (2, 21), (3, 9)),
    ]
    assert [r.censored for r in rows] == [0, 10, 15]


def test_loglog_ci_next_to_one_gives_r_arithmetic_without_a_warning():
    """F one ulp below 1 with a large variance: exp(-k) overflows to inf, so the lower limit
    is F ** inf = 0 and the upper F ** 0 = 1, as R's arithmetic gives
    (``(1 - 2^-53)^exp(c(-1, 1) * qnorm(0.975) * 0.1 / (F * log(F)))`` = 0, 1), with no
    overflow warning (which the suite turns into an error here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = loglog_ci(np.array([1.0 - 2.0**-53, 0.5]), np.array([0.01, 0.01]))
    assert lo[0] == 0.0 and hi[0] == 1.0
    assert 0.0 < lo[1] < 0.5 < hi[1] < 1.0
