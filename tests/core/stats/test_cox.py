"""core.stats.cox against values frozen from R 4.2.2 with survival 3.5.3 (R is not needed to run).

Every R snippet below starts from this preamble::

    library(survival)
    lung <- survival::lung; veteran <- survival::veteran; ovarian <- survival::ovarian
    # deterministic delayed entry (1-based row number):
    lung_e <- transform(lung, entry = pmin(time - 1, (seq_len(nrow(lung)) %% 5) * 30))

``R_REF`` (bottom of this module) was printed with ``sprintf("%.17g", x)`` by::

    emit <- function(f) { s <- summary(f); z <- cox.zph(f)
      list(coef = coef(f), se = sqrt(diag(vcov(f))), z = s$coefficients[, "z"],
           p = s$coefficients[, "Pr(>|z|)"], lower = s$conf.int[, "lower .95"],
           upper = s$conf.int[, "upper .95"], loglik = f$loglik, lr = s$logtest[c(1, 3)],
           score = s$sctest[c(1, 3)],
           wald = c(f$wald.test, pchisq(f$wald.test, length(coef(f)), lower.tail = FALSE)),
           conc = f$concordance, n = f$n, events = f$nevent, zph = z$table,
           zph_ysum = colSums(z$y, na.rm = TRUE), zph_ysq = colSums(z$y^2, na.rm = TRUE),
           zph_xsum = sum(z$x)) }

applied to the ``coxph`` call given with each case in ``CASES`` (both ``ties = "efron"`` and
``ties = "breslow"``). Observed agreement is ~1e-13; tolerances are stated per test.
In R's lung, status 1 = censored, 2 = dead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import core.stats.cox as cox_module
from core.stats.cox import (
    AGG_COUNT,
    AGG_EVENTS,
    AGG_TIME,
    CoxModelError,
    aggregate_for_cox,
    build_design,
    cox_zph,
    fit_cox,
    fit_cox_aggregated,
    fit_cox_factor,
)
from core.vocab.methods import Ties

TOL = 1e-8  # stated tolerance for R comparisons (required: 1e-6; observed ~1e-13)


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def datasets(r_dataset) -> dict[str, pd.DataFrame]:
    lung = r_dataset("lung")
    # R: lung_e <- transform(lung, entry = pmin(time - 1, (seq_len(nrow(lung)) %% 5) * 30))
    lung["entry"] = np.minimum(lung["time"] - 1, (np.arange(1, len(lung) + 1) % 5) * 30)
    lung["dead"] = (lung["status"] == 2).astype(int)
    vet = r_dataset("veteran")
    ova = r_dataset("ovarian")
    return {"lung": lung, "veteran": vet, "ovarian": ova}


# name, dataset, time, event, build_design kwargs, strata column, entry column, R formula
CASES = {
    "lung": (
        "lung", "time", "dead",
        {"covariates": ["sex", "ph.ecog"], "continuous": {"sex", "ph.ecog"}},
        None, None,
        "coxph(Surv(time, status) ~ sex + ph.ecog, data = lung, ties = TIES)",
    ),
    "veteran": (
        "veteran", "time", "status",
        {"covariates": ["trt", "celltype", "karno"], "continuous": {"trt", "karno"},
         "reference_levels": {"celltype": "squamous"}},
        None, None,
        "coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran, ties = TIES)",
    ),
    "ovarian": (
        "ovarian", "futime", "fustat",
        {"covariates": ["age", "rx"], "continuous": {"age", "rx"}},
        None, None,
        "coxph(Surv(futime, fustat) ~ age + rx, data = ovarian, ties = TIES)",
    ),
    "lung_strata": (
        "lung", "time", "dead",
        {"covariates": ["age", "sex"], "continuous": {"age", "sex"}},
        "inst", None,
        "coxph(Surv(time, status) ~ age + sex + strata(inst), data = lung, ties = TIES)",
    ),
    "veteran_interaction": (
        "veteran", "time", "status",
        {"covariates": ["karno", "celltype", "trt"], "continuous": {"karno"},
         "reference_levels": {"celltype": "squamous"}, "interaction": ("celltype", "trt")},
        None, None,
        "coxph(Surv(time, status) ~ karno + celltype * trt, "
        "data = transform(veteran, trt = factor(trt)), ties = TIES)",
    ),
    "lung_age_sex_interaction": (
        "lung", "time", "dead",
        {"covariates": ["age", "sex"], "continuous": {"age"}, "interaction": ("age", "sex")},
        None, None,
        "coxph(Surv(time, status) ~ age * sex, data = transform(lung, sex = factor(sex)), "
        "ties = TIES)",
    ),
    "lung_entry": (
        "lung", "time", "dead",
        {"covariates": ["age", "sex", "ph.ecog"], "continuous": {"age", "sex", "ph.ecog"}},
        None, "entry",
        "coxph(Surv(entry, time, status) ~ age + sex + ph.ecog, data = lung_e, ties = TIES)",
    ),
    "lung_entry_strata": (
        "lung", "time", "dead",
        {"covariates": ["age", "ph.ecog"], "continuous": {"age", "ph.ecog"}},
        "sex", "entry",
        "coxph(Surv(entry, time, status) ~ age + ph.ecog + strata(sex), data = lung_e, "
        "ties = TIES)",
    ),
}  # fmt: skip


def fit_case(datasets, case: str, ties: Ties):
    """Build the design and fit one case; return (design, fit)."""
    ds, tcol, ecol, kw, strat, ent = CASES[case][:6]
    df = datasets[ds]
    required = [tcol, ecol] + [c for c in (strat, ent) if c]
    design = build_design(df, required=required, **kw)
    sub = df[design.keep]
    fit = fit_cox(
        sub[tcol],
        sub[ecol],
        design.X,
        ties=ties,
        strata=sub[strat] if strat else None,
        entry=sub[ent] if ent else None,
        groups=design.groups,
    )
    return design, fit


def rel_err(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


PARAMS = [pytest.param(c, t, id=f"{c}-{t.value}") for c in CASES for t in Ties]


# ---------------------------------------------------------------------------------------------
# R reference: coefficients, tests, concordance, cox.zph
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "ties"), PARAMS)
def test_model_matches_r(datasets, case, ties):
    """Coefficients, SE, z, p, HR CI, loglik, LR/score/Wald tests vs R ``summary(coxph)``.

    R calls (TIES = "efron" / "breslow"), preamble in the module docstring::

        coxph(Surv(time, status) ~ sex + ph.ecog, data = lung, ties = TIES)
        coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran, ties = TIES)
        coxph(Surv(futime, fustat) ~ age + rx, data = ovarian, ties = TIES)
        coxph(Surv(time, status) ~ age + sex + strata(inst), data = lung, ties = TIES)
        coxph(Surv(time, status) ~ karno + celltype * trt,
              data = transform(veteran, trt = factor(trt)), ties = TIES)
        coxph(Surv(time, status) ~ age * sex, data = transform(lung, sex = factor(sex)),
              ties = TIES)
        coxph(Surv(entry, time, status) ~ age + sex + ph.ecog, data = lung_e, ties = TIES)
        coxph(Surv(entry, time, status) ~ age + ph.ecog + strata(sex), data = lung_e,
              ties = TIES)

    Tolerance: coefficients and log-likelihoods absolute 1e-8; SE, z, p, CI limits and test
    statistics relative 1e-8; n and events exact.
    """
    ref = R_REF[f"{case}_{ties.value}"]
    design, fit = fit_case(datasets, case, ties)
    assert fit.converged
    assert (fit.n, fit.events) == (ref["n"], ref["events"])
    by_r = {design.r_names[t.term]: t for t in fit.terms}
    assert sorted(by_r) == sorted(ref["names"])
    terms = [by_r[name] for name in ref["names"]]
    np.testing.assert_allclose([t.coef for t in terms], ref["coef"], rtol=0, atol=TOL)
    assert rel_err([t.se for t in terms], ref["se"]) < TOL
    assert rel_err([t.z for t in terms], ref["z"]) < TOL
    assert rel_err([t.p for t in terms], ref["p"]) < TOL
    assert rel_err([t.hr_lower for t in terms], ref["lower"]) < TOL
    assert rel_err([t.hr_upper for t in terms], ref["upper"]) < TOL
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=0, atol=TOL)
    for test, key in ((fit.lr_test, "lr"), (fit.score_test, "score"), (fit.wald_test, "wald")):
        assert test.df == len(ref["names"])
        assert rel_err(test.chi2, ref[key][0]) < TOL
        assert rel_err(test.p, ref[key][1]) < TOL


@pytest.mark.parametrize(("case", "ties"), PARAMS)
def test_concordance_matches_r(datasets, case, ties):
    """Harrell's C, its pair counts and standard error vs ``fit$concordance`` of R.

    R: ``coxph(...)$concordance`` for the calls of :func:`test_model_matches_r` (vector
    concordant, discordant, tied.x, tied.y, tied.xy, concordance, std).
    Tolerance: counts exact; C absolute 1e-10; SE relative 1e-8.
    """
    ref = R_REF[f"{case}_{ties.value}"]["conc"]
    c = fit_case(datasets, case, ties)[1].concordance
    assert [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy] == ref[:5]
    assert c.value == pytest.approx(ref[5], rel=0, abs=1e-10)
    assert c.se == pytest.approx(ref[6], rel=1e-8)


@pytest.mark.parametrize(("case", "ties"), PARAMS)
def test_zph_matches_r(datasets, case, ties):
    """``cox.zph(fit)`` (transform "km"): per-term and global chi2, df, p; scaled residuals.

    R: ``z <- cox.zph(coxph(...))`` for the calls of :func:`test_model_matches_r`;
    ``z$table``, ``colSums(z$y, na.rm = TRUE)``, ``colSums(z$y^2, na.rm = TRUE)``,
    ``sum(z$x)``. Tolerance: p-values absolute 1e-8 (required 1e-4); chi2 and residual sums
    relative 1e-8; df exact. Residual sums are compared because row order within tied times
    is arbitrary.
    """
    ref = R_REF[f"{case}_{ties.value}"]
    design, fit = fit_case(datasets, case, ties)
    z = cox_zph(fit)
    assert [t.term for t in z.terms] + ["GLOBAL"] == ref["zph_names"]
    chisq = [t.chi2 for t in z.terms] + [z.global_test.chi2]
    p = [t.p for t in z.terms] + [z.global_test.p]
    df = [t.df for t in z.terms] + [z.global_test.df]
    assert df == ref["zph_df"]
    assert rel_err(chisq, ref["zph_chisq"]) < TOL
    np.testing.assert_allclose(p, ref["zph_p"], rtol=0, atol=1e-8)
    y = z.residuals[[name for name, _ in design.groups]]
    assert rel_err(y.sum().to_numpy(), ref["zph_ysum"]) < TOL
    assert rel_err((y**2).sum().to_numpy(), ref["zph_ysq"]) < TOL
    assert rel_err(z.residuals["transformed_time"].sum(), ref["zph_xsum"]) < 1e-10


@pytest.mark.parametrize("transform", ["rank", "identity", "log"])
def test_zph_transforms_match_r(datasets, transform):
    """Other ``cox.zph`` time transforms.

    R: ``cox.zph(coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran),
    transform = TRANSFORM)$table`` for TRANSFORM in "rank", "identity", "log".
    Tolerance: p absolute 1e-8, chi2 relative 1e-8.
    """
    ref = R_ZPH_TRANSFORMS[transform]
    z = cox_zph(fit_case(datasets, "veteran", Ties.EFRON)[1], transform=transform)
    assert rel_err([t.chi2 for t in z.terms] + [z.global_test.chi2], ref["chisq"]) < TOL
    np.testing.assert_allclose(
        [t.p for t in z.terms] + [z.global_test.p], ref["p"], rtol=0, atol=1e-8
    )


def test_zph_flag_names_violating_terms(datasets):
    """The plain-language flag lists exactly the terms with p < 0.05, and is None otherwise.

    R: ``cox.zph(coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran))``
    gives p < 0.05 for celltype and karno only; the lung model ``~ sex + ph.ecog`` has none.
    """
    ref = R_REF["veteran_efron"]
    violating = [
        n for n, p in zip(ref["zph_names"][:-1], ref["zph_p"][:-1], strict=True) if p < 0.05
    ]
    assert violating == ["celltype", "karno"]
    flag = cox_zph(fit_case(datasets, "veteran", Ties.EFRON)[1]).flag
    assert flag is not None
    for name in ref["zph_names"][:-1]:
        assert (f"{name} (p = " in flag) == (name in violating)
    assert cox_zph(fit_case(datasets, "lung", Ties.EFRON)[1]).flag is None


def test_zph_residual_frame_layout(datasets):
    """One residual row per event (patient-level fit), sorted by time, one column per term.

    R: ``nrow(cox.zph(coxph(Surv(time, status) ~ sex + ph.ecog, data = lung))$y)`` is 164.
    """
    z = cox_zph(fit_case(datasets, "lung", Ties.EFRON)[1])
    res = z.residuals
    assert list(res.columns) == ["time", "transformed_time", "n_events", "sex", "ph.ecog"]
    assert len(res) == 164
    assert (res["n_events"] == 1).all()
    assert res["time"].is_monotonic_increasing
    assert res["transformed_time"].between(0, 1).all()


def test_zph_on_degenerate_fit_raises_clear_error():
    """A fit with a single event has a singular zph information: CoxModelError, no traceback."""
    fit = fit_cox([1, 2, 3, 4, 5], [0, 1, 0, 0, 0], pd.DataFrame({"a": [0.0, 1, 0, 1, 0]}))
    with pytest.raises(CoxModelError, match="proportional-hazards test cannot be computed"):
        cox_zph(fit)


def test_zph_rejects_unknown_transform(datasets):
    """An unknown transform raises ValueError listing the allowed ones."""
    fit = fit_case(datasets, "lung", Ties.EFRON)[1]
    with pytest.raises(ValueError, match="allowed: km, rank, identity, log"):
        cox_zph(fit, transform="sqrt")


# ---------------------------------------------------------------------------------------------
# Design matrix
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "kwargs", "names", "r_names"),
    [
        ("lung", {"covariates": ["sex"]}, ["sex=2"], ["sex2"]),
        (
            "veteran",
            {"covariates": ["celltype"], "reference_levels": {"celltype": "squamous"}},
            ["celltype=adeno", "celltype=large", "celltype=smallcell"],
            ["celltypeadeno", "celltypelarge", "celltypesmallcell"],
        ),
        (
            "lung",
            {"covariates": ["sex"], "reference_levels": {"sex": 2}},
            ["sex=1"],
            ["sex1"],
        ),
        (
            "lung",
            {"covariates": ["age"], "continuous": {"age"}, "units": {"age": "years"},
             "scale": {"age": 10}},
            ["age (per 10 years)"],
            ["I(age/10)"],
        ),
        (
            "lung",
            {"covariates": ["age", "sex"], "continuous": {"age"}, "interaction": ("age", "sex")},
            ["age", "sex=2", "age:sex=2"],
            ["age", "sex2", "age:sex2"],
        ),
        (
            "veteran",
            {"covariates": ["trt", "prior"], "interaction": ("trt", "prior")},
            ["trt=2", "prior=10", "trt=2:prior=10"],
            ["trt2", "prior10", "trt2:prior10"],
        ),
    ],
)  # fmt: skip
def test_design_term_names(datasets, dataset, kwargs, names, r_names):
    """Term names (``covariate=level``) and the names R's model.matrix gives the same columns.

    R: ``colnames(model.matrix(~ sex, transform(lung, sex = factor(sex))))`` etc.
    (``relevel(factor(sex), "2")`` for the reference-level row, ``I(age/10)`` for scaling).
    """
    design = build_design(datasets[dataset], **kwargs)
    assert list(design.X.columns) == names
    assert [design.r_names[n] for n in names] == r_names


def test_design_units_and_groups(datasets):
    """Units are recorded per continuous term; groups map each term to its columns."""
    design = build_design(
        datasets["veteran"],
        ["karno", "celltype"],
        continuous={"karno"},
        units={"karno": "points"},
        interaction=("karno", "celltype"),
    )
    units = {t.name: t.unit for t in design.terms}
    assert units["karno"] == "points"
    assert units["celltype=large"] is None
    assert dict(design.groups) == {
        "karno": ("karno",),
        "celltype": ("celltype=large", "celltype=smallcell", "celltype=squamous"),
        "karno:celltype": (
            "karno:celltype=large",
            "karno:celltype=smallcell",
            "karno:celltype=squamous",
        ),
    }
    x = design.X
    assert np.array_equal(x["karno:celltype=large"], x["karno"] * x["celltype=large"])


def test_design_drops_missing_like_na_omit(datasets):
    """Rows with a missing covariate are dropped and counted like R's na.omit.

    R: ``f <- coxph(Surv(time, status) ~ age + ph.ecog + wt.loss + meal.cal, data = lung);
    c(f$n, f$nevent, length(f$na.action))`` is ``170 123 58``.
    """
    lung = datasets["lung"]
    cols = ["age", "ph.ecog", "wt.loss", "meal.cal"]
    design = build_design(lung, cols, continuous=set(cols), required=["time", "dead"])
    assert (design.n_used, design.n_dropped) == (170, 58)
    assert int(lung.loc[design.keep, "dead"].sum()) == 123
    assert design.dropped_by == {c: int(lung[c].isna().sum()) for c in [*cols, "time", "dead"]}
    assert list(design.X.index) == list(lung.index[design.keep])


def test_design_counts_patients_with_count_column():
    """With ``count=``, dropped and used numbers are in patients, not rows."""
    agg = pd.DataFrame({"grade": ["G1", "G2", None, "G2"], "c": [5, 7, 3, 2]})
    design = build_design(agg, ["grade"], count="c")
    assert (design.n_used, design.n_dropped) == (14, 3)


def test_rescaled_covariate_matches_r(datasets):
    """A covariate divided by its scale: coefficient per 10 years as R's I(age/10).

    R: ``coef(coxph(Surv(time, status) ~ I(age/10) + sex, data = lung))`` is
    ``0.17045331845411268 -0.51321851710838462``. Tolerance absolute 1e-8.
    """
    lung = datasets["lung"]
    design = build_design(
        lung, ["age", "sex"], continuous={"age", "sex"}, units={"age": "years"}, scale={"age": 10}
    )
    fit = fit_cox(lung["time"], lung["dead"], design.X)
    assert fit.term("age (per 10 years)").coef == pytest.approx(0.17045331845411268, abs=TOL)
    assert fit.term("sex").coef == pytest.approx(-0.51321851710838462, abs=TOL)


def test_reference_level_flips_the_coefficient(datasets):
    """Changing the reference level of a binary factor negates its coefficient, same SE."""
    lung = datasets["lung"]
    f1 = fit_cox(lung["time"], lung["dead"], build_design(lung, ["sex"]).X)
    x2 = build_design(lung, ["sex"], reference_levels={"sex": 2}).X
    f2 = fit_cox(lung["time"], lung["dead"], x2)
    assert f2.terms[0].coef == pytest.approx(-f1.terms[0].coef, rel=1e-10)
    assert f2.terms[0].se == pytest.approx(f1.terms[0].se, rel=1e-10)
    assert f2.terms[0].hr == pytest.approx(1 / f1.terms[0].hr, rel=1e-10)


def test_level_counts_on_terms(datasets):
    """n_level / events_level of each factor level; None for continuous terms.

    R: ``table(veteran$celltype, veteran$status)``: smallcell 3 censored / 45 dead,
    adeno 1 / 26, large 1 / 26.
    """
    fit = fit_case(datasets, "veteran", Ties.EFRON)[1]
    counts = {t.term: (t.n_level, t.events_level) for t in fit.terms}
    assert counts["celltype=smallcell"] == (48, 45)
    assert counts["celltype=adeno"] == (27, 26)
    assert counts["celltype=large"] == (27, 26)
    assert counts["karno"] == (None, None)
    assert counts["trt"] == (None, None)  # trt is coded 1/2 and entered as continuous


# ---------------------------------------------------------------------------------------------
# Aggregated fast path
# ---------------------------------------------------------------------------------------------


def synthetic_patients(n: int = 4000, seed: int = 20240611) -> pd.DataFrame:
    """Categorical covariates, integer-day times with many ties, ~60% events, 2 sites."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "grade": rng.choice(["G1", "G2", "G3"], n, p=[0.4, 0.4, 0.2]),
            "stage": rng.choice(["I", "II", "III", "IV"], n),
            "sex": rng.choice(["F", "M"], n),
            "site": rng.choice(["north", "south"], n),
        }
    )
    lp = 0.4 * (df["grade"] == "G2") + 0.9 * (df["grade"] == "G3") + 0.3 * (df["sex"] == "M")
    lp = lp + 0.25 * df["stage"].map({"I": 0, "II": 1, "III": 2, "IV": 3})
    t_event = rng.exponential(60 * np.exp(-lp.to_numpy()))
    t_cens = rng.uniform(0, 60, n)
    df["time"] = np.ceil(np.minimum(t_event, t_cens)).astype(int)
    df["event"] = (t_event <= t_cens).astype(int)
    df["entry"] = np.floor(rng.uniform(0, 1, n) * df["time"] * (rng.uniform(size=n) < 0.3))
    return df


@pytest.fixture(scope="module")
def synth():
    df = synthetic_patients()
    design = build_design(
        df, ["grade", "stage", "sex"], reference_levels={"grade": "G1", "stage": "I"}
    )
    return df, design


@pytest.mark.parametrize("ties", list(Ties), ids=lambda t: t.value)
@pytest.mark.parametrize("variant", ["plain", "strata", "entry", "strata+entry"])
def test_aggregated_fit_equals_patient_level_fit(synth, ties, variant):
    """The fit on counts per (pattern, time) equals the patient-level fit.

    Synthetic data (seed 20240611, 4000 patients, 24 covariate patterns, 60 distinct days).
    Tolerance: coefficients absolute 1e-10, SE relative 1e-10, log-likelihoods and test
    statistics relative 1e-12, concordance counts exact, cox.zph p absolute 1e-10.
    """
    df, design = synth
    assert 0.5 < df["event"].mean() < 0.7
    strata = df["site"] if "strata" in variant else None
    entry = df["entry"] if "entry" in variant else None
    ind = fit_cox(df["time"], df["event"], design.X, ties, strata, entry, groups=design.groups)
    agg = aggregate_for_cox(df["time"], df["event"], design.X, strata=strata, entry=entry)
    assert len(agg) < 0.75 * len(df)  # rows really merge, so the comparison means something
    assert agg[AGG_COUNT].sum() == len(df) and agg[AGG_EVENTS].sum() == df["event"].sum()
    fa = fit_cox_aggregated(agg, ties, groups=design.groups)
    assert (fa.n, fa.events) == (ind.n, ind.events)
    np.testing.assert_allclose(fa.coef, ind.coef, rtol=0, atol=1e-10)
    assert rel_err([t.se for t in fa.terms], [t.se for t in ind.terms]) < 1e-10
    assert rel_err(fa.loglik, ind.loglik) < 1e-12
    for a, b in ((fa.lr_test, ind.lr_test), (fa.score_test, ind.score_test)):
        assert rel_err(a.chi2, b.chi2) < 1e-10
    assert rel_err(fa.wald_test.chi2, ind.wald_test.chi2) < 1e-10
    ca, ci = fa.concordance, ind.concordance
    assert (ca.concordant, ca.discordant, ca.tied_x, ca.tied_y, ca.tied_xy) == (
        ci.concordant, ci.discordant, ci.tied_x, ci.tied_y, ci.tied_xy,
    )  # fmt: skip
    assert ca.se == pytest.approx(ci.se, rel=1e-10)
    za, zi = cox_zph(fa), cox_zph(ind)
    np.testing.assert_allclose(
        [t.p for t in za.terms] + [za.global_test.p],
        [t.p for t in zi.terms] + [zi.global_test.p],
        rtol=0,
        atol=1e-10,
    )
    assert za.residuals["n_events"].sum() == len(zi.residuals)


def test_aggregated_fit_from_raw_categories(synth):
    """The SQL route: GROUP BY the raw columns, then dummy-code the aggregate with counts.

    Tolerance: coefficients absolute 1e-10 against the patient-level fit.
    """
    df, design = synth
    ind = fit_cox(df["time"], df["event"], design.X, groups=design.groups)
    agg = (
        df.groupby(["grade", "stage", "sex", "time"])["event"]
        .agg(["sum", "size"])
        .reset_index()
        .rename(columns={"time": AGG_TIME, "sum": AGG_EVENTS, "size": AGG_COUNT})
    )
    d2 = build_design(
        agg,
        ["grade", "stage", "sex"],
        reference_levels={"grade": "G1", "stage": "I"},
        count=AGG_COUNT,
    )
    assert d2.n_used == len(df)
    fa = fit_cox_aggregated(agg, X=d2.X, groups=d2.groups)
    np.testing.assert_allclose(fa.coef, ind.coef, rtol=0, atol=1e-10)
    assert [t.n_level for t in fa.terms] == [t.n_level for t in ind.terms]
    assert [t.events_level for t in fa.terms] == [t.events_level for t in ind.terms]


def test_aggregated_fit_with_continuous_covariates(datasets):
    """Aggregation is exact for any design (here lung with entry).

    Tolerance: coefficients absolute 1e-10, concordance counts exact, its SE relative 1e-12.
    """
    design, ind = fit_case(datasets, "lung_entry", Ties.EFRON)
    sub = datasets["lung"][design.keep]
    agg = aggregate_for_cox(sub["time"], sub["dead"], design.X, entry=sub["entry"])
    fa = fit_cox_aggregated(agg)
    np.testing.assert_allclose(fa.coef, ind.coef, rtol=0, atol=1e-10)
    ca, ci = fa.concordance, ind.concordance
    assert (ca.concordant, ca.discordant, ca.tied_x) == (ci.concordant, ci.discordant, ci.tied_x)
    assert ca.se == pytest.approx(ci.se, rel=1e-12)


def test_aggregated_rejects_bad_counts():
    """d > c or fractional counts are refused with a clear message."""
    agg = pd.DataFrame({"x": [0.0, 1.0], "t": [1.0, 2.0], "d": [2, 1], "c": [1, 1]})
    with pytest.raises(CoxModelError, match="0 <= d <= c"):
        fit_cox_aggregated(agg)
    agg = pd.DataFrame({"x": [0.0, 1.0], "t": [1.0, 2.0], "d": [0.5, 1], "c": [1, 1]})
    with pytest.raises(CoxModelError, match="whole numbers"):
        fit_cox_aggregated(agg)


# ---------------------------------------------------------------------------------------------
# Internals with an independent reference
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 3, 10, 64, 65, 100, 1000, 20000])
@pytest.mark.parametrize("r", [1e-6, 0.01, 0.0999, 0.1, 0.1001, 0.5, 1.0])
def test_efron_sums_match_direct_summation(d, r):
    """The power-series Efron sums equal compensated direct sums over l = 0..d-1.

    Reference: ``math.fsum`` of 1/den, f/den, 1/den^2, f/den^2, f^2/den^2, log(den) with
    den = S0 - (l/d) A0, A0 = r S0. Tolerance relative 1e-12.
    """
    s0 = np.array([123.4])
    got = cox_module._efron_sums(
        s0, s0 * r, np.array([float(d)]), cox_module._power_sums(np.array([d]))
    )
    f = np.arange(d) / d
    den = s0[0] - f * s0[0] * r
    ref = [1 / den, f / den, 1 / den**2, f / den**2, f * f / den**2, np.log(den)]
    for g, terms in zip(got, ref, strict=True):
        expected = math.fsum(terms)
        assert abs(g[0] - expected) <= 1e-12 * max(abs(expected), 1e-300)


@pytest.mark.parametrize("d", [1, 2, 64, 65, 200, 5000])
def test_power_sums_exact(d):
    """P_m(d) = sum_k (k/d)^m against exact integer arithmetic; relative 1e-14."""
    from fractions import Fraction

    got = cox_module._power_sums(np.array([d]))[0]
    for m in (0, 1, 2, 5, 13, cox_module._SERIES_M + 2):
        exact = Fraction(sum(k**m for k in range(d)), d**m)
        assert abs(got[m] - float(exact)) <= 1e-14 * float(exact) + (1e-300 if m else 0)


@pytest.mark.parametrize("case", ["veteran", "lung_entry_strata"])
def test_concordance_tree_equals_dense(datasets, case, monkeypatch):
    """The merge-sort-tree dominance counts (large data) equal the dense-grid counts."""
    dense = fit_case(datasets, case, Ties.EFRON)[1].concordance
    monkeypatch.setattr(cox_module, "_DENSE_CELLS", 0)
    tree = fit_case(datasets, case, Ties.EFRON)[1].concordance
    assert tree == dense


def test_lifelines_crosscheck(datasets):
    """Coefficients and SE agree with lifelines CoxPHFitter (Efron).

    lifelines' defaults (damped step 0.95, precision 1e-7) stop ~1e-5 short of the maximum,
    so it is run with full Newton steps and a tight tolerance. Tolerance: coefficients
    absolute 1e-8 (required 1e-6), SE relative 1e-8.
    """
    lifelines = pytest.importorskip("lifelines")
    design, fit = fit_case(datasets, "veteran", Ties.EFRON)
    vet = datasets["veteran"]
    frame = design.X.assign(time=vet["time"], status=vet["status"])
    cph = lifelines.CoxPHFitter().fit(
        frame,
        "time",
        "status",
        fit_options={"step_size": 1.0, "precision": 1e-12, "r_precision": 1e-14},
    )
    names = [t.term for t in fit.terms]
    np.testing.assert_allclose(cph.params_[names].to_numpy(), fit.coef, rtol=0, atol=1e-8)
    assert rel_err(cph.standard_errors_[names].to_numpy(), [t.se for t in fit.terms]) < 1e-8


# ---------------------------------------------------------------------------------------------
# Problem checks
# ---------------------------------------------------------------------------------------------


def test_epv_warning_text(datasets):
    """Fewer than 10 events per parameter: warning with the exact numbers.

    R: ``coxph(Surv(futime, fustat) ~ age + rx, data = ovarian)``: n = 26, 12 events.
    """
    fit = fit_case(datasets, "ovarian", Ties.EFRON)[1]
    epv = [w for w in fit.warnings if "EPV" in w]
    assert len(epv) == 1
    assert epv[0].startswith("12 events for 2 parameters (EPV = 6.0 < 10)")
    assert not any("EPV" in w for w in fit_case(datasets, "lung", Ties.EFRON)[1].warnings)


def test_one_level_covariate_names_it(datasets):
    """A categorical covariate with one observed level (after dropping NAs) is refused."""
    df = pd.DataFrame(
        {"grade": ["G2", "G2", None, "G2"], "age": [50, 60, 70, 80], "time": [1, 2, 3, 4]}
    )
    with pytest.raises(CoxModelError, match=r"covariate 'grade' has only one level \(G2\)"):
        build_design(df, ["grade", "age"], continuous={"age"})
    df2 = df.assign(age=55)
    with pytest.raises(CoxModelError, match="covariate 'age' is constant"):
        build_design(df2, ["age"], continuous={"age"})


def test_no_events_is_refused():
    """Zero events: CoxModelError saying so, not a numerical failure."""
    x = pd.DataFrame({"a": [0.0, 1.0, 0.0, 1.0]})
    with pytest.raises(CoxModelError, match="no events among the 4 patients"):
        fit_cox([1, 2, 3, 4], [0, 0, 0, 0], x)


def test_monotone_likelihood_is_named():
    """A level without events: coefficient diverges; warning names the term; no exception.

    R::

        d <- data.frame(time = 1:30, status = rep(c(1, 1, 0), 10),
                        grp = rep(c("A", "B", "C"), 10))
        coef(coxph(Surv(time, status) ~ grp, data = d))
        # grpB -0.22651577670286088, grpC -20.87185314590875862 (after 20 iterations),
        # warning "Loglik converged before variable 2; coefficient may be infinite."

    Tolerance: grpB absolute 1e-8; grpC is only required to have diverged (< -15).
    """
    d = pd.DataFrame(
        {
            "time": np.arange(1, 31),
            "status": np.tile([1, 1, 0], 10),
            "grp": np.tile(list("ABC"), 10),
        }
    )
    fit = fit_cox(d["time"], d["status"], build_design(d, ["grp"]).X)
    assert fit.term("grp=B").coef == pytest.approx(-0.22651577670286088, abs=TOL)
    assert fit.term("grp=C").coef < -15
    assert fit.term("grp=C").hr_upper == math.inf
    flagged = [w for w in fit.warnings if "may be infinite" in w]
    assert len(flagged) == 1
    assert "'grp=C'" in flagged[0] and "none of the 10 patients" in flagged[0]


def _large_two_group_counts(seed: int) -> tuple[np.ndarray, ...]:
    """300 reference patients against 10^6 (times in days / 30.4375), as counts per
    (group, day, status): the shape of a large view against a reconstructed trial arm."""
    rng = np.random.default_rng(seed)
    g = np.r_[np.zeros(300, dtype=np.int64), np.ones(1_000_000, dtype=np.int64)]
    days = np.ceil(rng.exponential(np.where(g == 1, 500.0, 800.0)))
    cens = np.ceil(rng.uniform(30, 1500, g.size))
    d = (days <= cens).astype(np.int64)
    key = (g * 4000 + np.minimum(days, cens).astype(np.int64)) * 2 + d
    k, n = np.unique(key, return_counts=True)
    return k // 8000, (k % 8000) // 2 / 30.4375, (k % 2) * n.astype(float), n.astype(float)


def test_finite_coefficient_is_not_flagged_infinite_at_scale():
    """With 10^6 patients the log-likelihood (~ -9e6) meets the relative criterion eps while
    the next Newton step is still ~1e-3, so R's check flags a finite coefficient; the engine
    confirms it with a few more steps and keeps R's estimate. The data, written to CSV, in R::

        x <- read.csv("counts-expanded.csv")  # g, days, d: one row per patient
        f <- coxph(Surv(days / 30.4375, d) ~ g, data = x, ties = "efron")
        # coef 0.546299314410855, se 0.076932143179470211, loglik -9038297.6213897970
        # -9038267.1165980417, 3 iterations; warning "Loglik converged before variable 1;
        # coefficient may be infinite."

    Tolerance: coefficient 1e-8 absolute (both stop at the same iteration, from sums taken in
    a different order); se 1e-8 relative. Without the extra steps this fit was flagged and
    the arm comparison showed no hazard ratio.
    """
    code, t, d, c = _large_two_group_counts(0)
    fit = fit_cox_factor(code, t, d, c, ["g"])
    assert fit.converged and fit.iterations == 3
    assert fit.term("g").coef == pytest.approx(0.546299314410855, abs=1e-8)
    assert fit.term("g").se == pytest.approx(0.076932143179470211, rel=1e-8)
    assert not any("may be infinite" in w for w in fit.warnings)
    # R's own check on this estimate does fire: the step is above toler.inf x |coef|
    step = abs(float(fit.vcov[0, 0]) * float(fit_score_at(code, t, d, c, fit.term("g").coef)))
    assert step > cox_module.TOLER_INF * abs(fit.term("g").coef)


def fit_score_at(code, t, d, c, beta: float) -> float:
    """Score of the one-factor model at ``beta`` (the engine's own derivatives)."""
    rs = cox_module._factor_risk(
        np.asarray(code, dtype=np.int64), np.asarray(t), np.asarray(d), np.asarray(c), 1
    )
    return float(cox_module._derivatives(rs, np.array([beta]), Ties.EFRON).scores[0][0])


def test_diverging_coefficient_stays_flagged_after_extra_steps():
    """Monotone likelihood at scale: 10^5 patients of level 1 all die before any reference
    patient's event; the extra Newton steps keep moving (~1 each), so the flag stays."""
    t = np.r_[np.arange(1.0, 101.0), np.arange(101.0, 201.0)]
    code = np.r_[np.ones(100, dtype=np.int64), np.zeros(100, dtype=np.int64)]
    c = np.full(200, 1000.0)
    d = np.full(200, 600.0)
    fit = fit_cox_factor(code, t, d, c, ["g"])
    assert fit.term("g").coef > 5
    assert any("'g' may be infinite" in w for w in fit.warnings)


def test_collinear_terms_are_named():
    """A column that is a linear combination of others is refused, naming the terms."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=50), rng.normal(size=50)
    x = pd.DataFrame({"a": a, "b": b, "a_plus_b": a + b})
    with pytest.raises(CoxModelError, match=r"'a_plus_b' is a linear combination of 'a', 'b'"):
        fit_cox(rng.exponential(size=50), np.ones(50), x)


def test_term_constant_within_strata_is_refused():
    """A term constant within every stratum has no information: refused, naming it."""
    x = pd.DataFrame({"site_b": [0.0] * 5 + [1.0] * 5, "z": np.arange(10.0) % 3})
    strata = ["a"] * 5 + ["b"] * 5
    with pytest.raises(CoxModelError, match="'site_b' does not vary within the risk sets"):
        fit_cox(np.arange(1, 11), np.ones(10), x, strata=strata)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"covariates": ["sex"], "reference_levels": {"sex": 3}}, "reference level '3'"),
        ({"covariates": ["nope"]}, "not in the data: nope"),
        ({"covariates": ["celltype"], "continuous": {"celltype"}}, "'celltype' is not numeric"),
        ({"covariates": ["sex"], "interaction": ("sex", "sex")}, "two different covariates"),
    ],
)
def test_design_input_errors(datasets, kwargs, message):
    """Design errors are CoxModelError with a message naming the problem."""
    df = datasets["veteran"].assign(sex=np.tile([1, 2], 69)[:137])
    with pytest.raises(CoxModelError, match=message):
        build_design(df, **kwargs)


def test_empty_interaction_cell_is_refused():
    """An interaction product with no patients is refused, naming both levels."""
    df = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "q", "p", "p"]})
    with pytest.raises(CoxModelError, match="no patients have both a=y and b=q"):
        build_design(df, ["a", "b"], interaction=("a", "b"))


@pytest.mark.parametrize(
    ("time", "event", "x", "entry", "message"),
    [
        ([1, 2, 3], [1, 0, 1], {"a": [0.0, 1.0, np.nan]}, None, "missing values"),
        ([1, 2, 3], [1, 0, 2], {"a": [0.0, 1.0, 0.0]}, None, "0 \\(censored\\) or 1"),
        ([1, 2, 3], [1, 0, 1], {"a": [0.0, 1.0, 0.0]}, [0, 2, 1], "entry time >= exit time"),
        ([1, 2], [1, 0, 1], {"a": [0.0, 1.0, 0.0]}, None, "time has 2 values"),
        ([1, -2, 3], [1, 0, 1], {"a": [0.0, 1.0, 0.0]}, None, "negative"),
    ],
)
def test_fit_input_errors(time, event, x, entry, message):
    """Invalid fit inputs raise CoxModelError, never a numpy traceback."""
    with pytest.raises(CoxModelError, match=message):
        fit_cox(time, event, pd.DataFrame(x), entry=entry)


def test_ties_accepts_codes(datasets):
    """The ties argument takes the Ties member or its code; unknown codes list the allowed."""
    lung = datasets["lung"]
    x = build_design(lung, ["sex"]).X
    by_code = fit_cox(lung["time"], lung["dead"], x, ties="breslow")
    by_member = fit_cox(lung["time"], lung["dead"], x, ties=Ties.BRESLOW)
    assert by_code.ties is Ties.BRESLOW and by_code.coef == pytest.approx(by_member.coef, 0)
    with pytest.raises(ValueError, match="allowed: efron, breslow"):
        fit_cox(lung["time"], lung["dead"], x, ties="exact")


# ---------------------------------------------------------------------------------------------
# Frozen R output (see the module docstring for the script)
# ---------------------------------------------------------------------------------------------

R_REF = {
    "lung_efron": {
        "names": ["sex", "ph.ecog"],
        "coef": [-0.5529697751622392, 0.4874937779881498],
        "se": [0.16756879121091833, 0.11222235407692682],
        "z": [-3.299956818726572, 4.3439988583199725],
        "p": [0.0009669970608081264, 1.3991224209228064e-05],
        "lower": [0.41420321385326914, 1.306748519617971],
        "upper": [0.7988828382450635, 2.028802160629447],
        "loglik": [-744.4804557614402, -729.9537234011608],
        "lr": [29.05346472055885, 4.910438722563197e-07],
        "score": [29.41222939806826, 4.104077336733349e-07],
        "wald": [28.960325650146636, 5.144523886232731e-07],
        "conc": [10807, 5185, 3795, 23, 5, 0.6420629706372871, 0.02467144142583625],
        "n": 227,
        "events": 164,
        "zph_names": ["sex", "ph.ecog", "GLOBAL"],
        "zph_chisq": [2.428562830235823, 2.132200967365381, 4.576155048940263],
        "zph_df": [1, 1, 2],
        "zph_p": [0.11914208459093674, 0.14423352281486762, 0.10146133140474697],
        "zph_ysum": [-90.6870431644628, 79.94897958660412],
        "zph_ysq": [783.651155415097, 382.40106510507167],
        "zph_xsum": 65.46161854950313,
    },
    "veteran_efron": {
        "names": ["trt", "celltypesmallcell", "celltypeadeno", "celltypelarge", "karno"],
        "coef": [
            0.26174409005751503,
            0.8249801878571302,
            1.1539944138617664,
            0.3946254639458109,
            -0.03127129604780218,
        ],
        "se": [
            0.20092305511889183,
            0.2689112921947877,
            0.2950377376971248,
            0.28224330985745805,
            0.005165089742917031,
        ],
        "z": [
            1.3027080934173219,
            3.06785252907695,
            3.9113451142525224,
            1.3981747313872894,
            -6.054356769054207,
        ],
        "p": [
            0.1926744378861767,
            0.0021560298807700887,
            9.178350906618725e-05,
            0.1620606028116618,
            1.4097984829120756e-09,
        ],
        "lower": [
            0.8762902900197924,
            1.3470590573993753,
            1.7784302156770515,
            0.8533706861930306,
            0.9594503736536046,
        ],
        "upper": [
            1.9261940126278563,
            3.8652897063497345,
            5.653403503692114,
            2.5800587916723723,
            0.9790741427484351,
        ],
        "loglik": [-505.449054918058, -474.91450892475274],
        "lr": [61.06909198661049, 7.306694339664889e-12],
        "score": [66.54856544501605, 5.347075493335473e-13],
        "wald": [63.407259600098314, 2.397160034422754e-12],
        "conc": [6407, 2233, 164, 39, 0, 0.7370513402998637, 0.0215583829932995],
        "n": 137,
        "events": 128,
        "zph_names": ["trt", "celltype", "karno", "GLOBAL"],
        "zph_chisq": [
            0.20630741206443187,
            14.531710396470324,
            12.813325591115504,
            22.859685274987328,
        ],
        "zph_df": [1, 3, 1, 5],
        "zph_p": [
            0.6496771411691554,
            0.00226389031729814,
            0.00034415927802800965,
            0.0003590645435534574,
        ],
        "zph_ysum": [33.50324352727989, 127.99999999994037, -4.002725894117612],
        "zph_ysq": [597.815082528131, 1181.3039510047745, 0.4945613697129536],
        "zph_xsum": 60.555790515529985,
    },
    "ovarian_efron": {
        "names": ["age", "rx"],
        "coef": [0.147326595469114, -0.8039730126651145],
        "se": [0.04614704774080264, 0.6320493718794501],
        "z": [3.1925464939082047, -1.2720098277677825],
        "p": [0.001410242394295396, 0.2033696274523671],
        "lower": [1.0585288257942256, 0.12966941641127896],
        "upper": [1.2684214150243058, 1.5446865239904837],
        "loglik": [-34.98494037116256, -27.041898863008388],
        "lr": [15.88608301630834, 0.0003551247193220073],
        "score": [18.55712338361982, 9.340537260840473e-05],
        "wald": [13.467506895285958, 0.0011900577452177165],
        "conc": [174, 44, 0, 0, 0, 0.7981651376146789, 0.07632619914260061],
        "n": 26,
        "events": 12,
        "zph_names": ["age", "rx", "GLOBAL"],
        "zph_chisq": [0.22426564219798073, 0.7796068798845192, 0.9186699285160882],
        "zph_df": [1, 1, 2],
        "zph_p": [0.6358087586765836, 0.37726139685185706, 0.6317036113251617],
        "zph_ysum": [1.7679191456293695, -9.647676151981372],
        "zph_ysq": [0.6045795809161901, 65.62656652298784],
        "zph_xsum": 2.6047259929612876,
    },
    "lung_strata_efron": {
        "names": ["age", "sex"],
        "coef": [0.01920489834089146, -0.49235151865161497],
        "se": [0.009873224809873758, 0.18156342931018626],
        "z": [1.9451495039073274, -2.7117328667023175],
        "p": [0.051756987279961426, 0.006693250906720133],
        "lower": [0.9998537439987235, 0.42818098912023406],
        "upper": [1.0393089938992417, 0.8724117847733812],
        "loglik": [-329.8277476361933, -323.50070780651725],
        "lr": [12.654079659352078, 0.0017873167079227503],
        "score": [12.32153029409493, 0.0021106377055300236],
        "wald": [12.065187068336808, 0.002399263330985331],
        "conc": [955, 590, 23, 0, 0, 0.6163903061224489, 0.03139557028278734],
        "n": 227,
        "events": 164,
        "zph_names": ["age", "sex", "GLOBAL"],
        "zph_chisq": [0.07404705623618882, 2.6902745519113838, 2.7391358242637738],
        "zph_df": [1, 1, 2],
        "zph_p": [0.7855329138613842, 0.10096241637786801, 0.2542167798115183],
        "zph_ysum": [3.149603331884949, -80.7456493283759],
        "zph_ysq": [2.5207726819645746, 919.8881200674476],
        "zph_xsum": 65.382701719205,
    },
    "veteran_interaction_efron": {
        "names": [
            "karno",
            "celltypesmallcell",
            "celltypeadeno",
            "celltypelarge",
            "trt2",
            "celltypesmallcell:trt2",
            "celltypeadeno:trt2",
            "celltypelarge:trt2",
        ],
        "coef": [
            -0.031749793117395966,
            0.33140648569370096,
            1.2140985535190723,
            -0.05072567904403888,
            -0.33122428099563855,
            1.151811431752431,
            0.11127179800371331,
            0.8502050608758117,
        ],
        "se": [
            0.005394316864117003,
            0.33768972675018993,
            0.45099505897021347,
            0.39355579599141854,
            0.39495563104357734,
            0.5173657082520122,
            0.5897832409366249,
            0.5656501259918869,
        ],
        "z": [
            -5.8857857106236375,
            0.9813934491968213,
            2.6920440243653734,
            -0.128890692401707,
            -0.8386366846333,
            2.2263003005049886,
            0.18866558131934102,
            1.5030582011892033,
        ],
        "p": [
            3.961673494477154e-09,
            0.3263987553367962,
            0.0071015570295192955,
            0.8974441416231973,
            0.40167321818785257,
            0.025994073371054374,
            0.8503549292043961,
            0.13282403625128028,
        ],
        "lower": [
            0.9585606333728126,
            0.7185979790243286,
            1.3911969347362458,
            0.4395161285231342,
            0.3311038874999049,
            1.147738261556209,
            0.3518036354360087,
            0.772248558414945,
        ],
        "upper": [
            0.9790455344557041,
            2.70003892095052,
            8.150119798165967,
            2.055726897893495,
            1.5571769451813875,
            8.721834434827118,
            3.550987411598967,
            7.091230896282008,
        ],
        "loglik": [-505.449054918058, -471.59163311705237],
        "lr": [67.71484360201123, 1.3987319903821578e-11],
        "score": [71.67200931823152, 2.2817271344115255e-12],
        "wald": [66.43690780577899, 2.507099600829038e-11],
        "conc": [6381, 2259, 164, 39, 0, 0.734098137210359, 0.020953758467524355],
        "n": 137,
        "events": 128,
        "zph_names": ["karno", "celltype", "trt", "celltype:trt", "GLOBAL"],
        "zph_chisq": [
            12.340883429713768,
            11.876722975384968,
            0.9854994202510803,
            12.067249669706966,
            31.35234805265952,
        ],
        "zph_df": [1, 3, 1, 3, 8],
        "zph_p": [
            0.0004431452608879112,
            0.00781760976616238,
            0.3208448488743623,
            0.007156306244176614,
            0.00012159265130914199,
        ],
        "zph_ysum": [
            -4.063973520296611,
            128.00000010734556,
            -42.39670803616254,
            127.99999984396437,
        ],
        "zph_ysq": [0.47944501405876966, 1035.1906861556395, 961.4767972696112, 1606.851861654486],
        "zph_xsum": 60.555790515529985,
    },
    "lung_age_sex_interaction_efron": {
        "names": ["age", "sex2", "age:sex2"],
        "coef": [0.020342664744435687, 0.09532231580549305, -0.009688559038689601],
        "se": [0.011395074509756633, 1.2287182630957325, 0.019413942203181572],
        "z": [1.785215597056254, 0.07757865954179786, -0.4990516061751658],
        "p": [0.07422635302291539, 0.9381632184291271, 0.6177430288732714],
        "lower": [0.9980107103687562, 0.09897171002484467, 0.953382409604824],
        "upper": [1.0436003403224745, 12.226012556269895, 1.0287681014973127],
        "loglik": [-749.9098013903947, -742.7241399918507],
        "lr": [14.371322797087942, 0.002440913569591172],
        "score": [14.556687823075663, 0.0022374922351891292],
        "wald": [14.11995364099447, 0.002746339744136751],
        "conc": [11901, 7802, 311, 28, 0, 0.6024033176776257, 0.025522270662527168],
        "n": 228,
        "events": 165,
        "zph_names": ["age", "sex", "age:sex", "GLOBAL"],
        "zph_chisq": [0.1805274262629751, 2.599418331755882, 2.798872592987678, 3.3918401239063334],
        "zph_df": [1, 1, 1, 3],
        "zph_p": [
            0.6709203700483204,
            0.10690294364387522,
            0.09433061479818822,
            0.33506338927703083,
        ],
        "zph_ysum": [3.3565396828318947, 15.728182107907148, -1.5986122413837947],
        "zph_ysq": [3.9301375878183875, 39973.80939811539, 9.932935478426788],
        "zph_xsum": 65.89380443305792,
    },
    "lung_entry_efron": {
        "names": ["age", "sex", "ph.ecog"],
        "coef": [0.009622748318428197, -0.542200475533591, 0.503030722760481],
        "se": [0.009318772617482835, 0.16793732265808828, 0.11359389669513496],
        "z": [1.0326197143575622, -3.228588302777002, 4.428325265665659],
        "p": [0.30178189859719246, 0.0012440284566183767, 9.496761042804172e-06],
        "lower": [0.9913955218599894, 0.41838568536998966, 1.32364696124664],
        "upper": [1.0282796951581326, 0.8081162383500725, 2.066116315869933],
        "loglik": [-715.8334048269304, -699.5058227417535],
        "lr": [32.65516417035383, 3.807793653649707e-07],
        "score": [32.83642833510324, 3.4869600104574586e-07],
        "wald": [32.109039773453716, 4.963730102219251e-07],
        "conc": [10041, 5916, 98, 28, 0, 0.6284646527561507, 0.02436895099827661],
        "n": 227,
        "events": 164,
        "zph_names": ["age", "sex", "ph.ecog", "GLOBAL"],
        "zph_chisq": [
            0.8823939188665794,
            1.9451991806707691,
            2.8530306267753174,
            5.111689642381126,
        ],
        "zph_df": [1, 1, 1, 3],
        "zph_p": [
            0.34754684168252914,
            0.1631051254242737,
            0.09120186637507784,
            0.16379900468344127,
        ],
        "zph_ysum": [1.5781307227529024, -88.92087777692456, 82.49703858796677],
        "zph_ysq": [2.5127409829073404, 780.9511354421755, 400.8707595864157],
        "zph_xsum": 86.26846043802826,
    },
    "lung_entry_strata_efron": {
        "names": ["age", "ph.ecog"],
        "coef": [0.009209227713544554, 0.4959125349063058],
        "se": [0.00929787796399689, 0.11498410850386317],
        "z": [0.9904655394708763, 4.312878895692307],
        "p": [0.32194662474885377, 1.611423951440301e-05],
        "lower": [0.9910262285728854, 1.3106822765735031],
        "upper": [1.0278124755939635, 2.0570589044731453],
        "loglik": [-610.6344336405245, -599.9247953677824],
        "lr": [21.41927654548431, 2.2328687467109427e-05],
        "score": [21.933571989080907, 1.726574642666076e-05],
        "wald": [21.497717350274694, 2.146989846724109e-05],
        "conc": [4982, 3324, 98, 17, 0, 0.5986435030937649, 0.025457566744952777],
        "n": 227,
        "events": 164,
        "zph_names": ["age", "ph.ecog", "GLOBAL"],
        "zph_chisq": [0.7396428769560801, 2.719745303254367, 3.133672813892098],
        "zph_df": [1, 1, 2],
        "zph_p": [0.38977530137160166, 0.09911382958928606, 0.20870439484105013],
        "zph_ysum": [1.5103133450126516, 81.32965572489806],
        "zph_ysq": [2.443934523373326, 407.6029074567296],
        "zph_xsum": 86.26846043802826,
    },
    "lung_breslow": {
        "names": ["sex", "ph.ecog"],
        "coef": [-0.5523334761012302, 0.4866736452747876],
        "se": [0.16757257357635097, 0.11221652772275587],
        "z": [-3.2960851785782888, 4.336915917387607],
        "p": [0.0009804228452423413, 1.4449586791439054e-05],
        "lower": [0.41446378228191494, 1.3056921619536788],
        "upper": [0.7993972545533643, 2.0271158070578807],
        "loglik": [-744.6928192661609, -730.2090291808319],
        "lr": [28.96758017065804, 5.125897161617311e-07],
        "score": [29.32249847783116, 4.2924016953777357e-07],
        "wald": [28.87290364172433, 5.374383286825768e-07],
        "conc": [10807, 5185, 3795, 23, 5, 0.6420629706372871, 0.02467144142583625],
        "n": 227,
        "events": 164,
        "zph_names": ["sex", "ph.ecog", "GLOBAL"],
        "zph_chisq": [2.418770758704259, 2.128434695082509, 4.561425255667147],
        "zph_df": [1, 1, 2],
        "zph_p": [0.11988897458722078, 0.1445883420097909, 0.10221134210865408],
        "zph_ysum": [-90.58269011903414, 79.81447782161844],
        "zph_ysq": [782.90864764715, 381.8509975818388],
        "zph_xsum": 65.46161854950313,
    },
    "veteran_breslow": {
        "names": ["trt", "celltypesmallcell", "celltypeadeno", "celltypelarge", "karno"],
        "coef": [
            0.2573130796537103,
            0.8196143322160275,
            1.1476733665808072,
            0.3929593294998354,
            -0.031111857565642137,
        ],
        "se": [
            0.20062914180278937,
            0.2688087027442413,
            0.29493150646894367,
            0.2822327097040255,
            0.005166716337817356,
        ],
        "z": [
            1.2825309291640146,
            3.0490617448343986,
            3.891321684554096,
            1.3923238377009093,
            -6.021591961207828,
        ],
        "p": [
            0.19965646232483072,
            0.002295572957847289,
            9.96996465752988e-05,
            0.16382435617515667,
            1.7270984841329157e-09,
        ],
        "lower": [
            0.8729187367481035,
            1.340119723820484,
            1.7675921195637616,
            0.8519677399490844,
            0.9596002998851214,
        ],
        "upper": [
            1.9165735298454587,
            3.84383170266885,
            5.6166112250248075,
            2.5757101326847573,
            0.9792333791457373,
        ],
        "loglik": [-505.883956283116, -475.67600212864096],
        "lr": [60.415908308950065, 9.971935052335741e-12],
        "score": [65.74682887532708, 7.844230655677433e-13],
        "wald": [62.6564438717853, 3.4293900883866514e-12],
        "conc": [6407, 2233, 164, 39, 0, 0.7370513402998637, 0.0215583829932995],
        "n": 137,
        "events": 128,
        "zph_names": ["trt", "celltype", "karno", "GLOBAL"],
        "zph_chisq": [
            0.19383522845798337,
            14.357928462237751,
            12.591078309495673,
            22.5338120782546,
        ],
        "zph_df": [1, 3, 1, 5],
        "zph_p": [
            0.6597435764957512,
            0.002456303627200162,
            0.00038759246237199396,
            0.00041434895796179603,
        ],
        "zph_ysum": [32.93607419561537, 127.9999999999709, -3.9823177684014115],
        "zph_ysq": [592.9709689926069, 1187.470960362259, 0.4905487034774943],
        "zph_xsum": 60.555790515529985,
    },
    "ovarian_breslow": {
        "names": ["age", "rx"],
        "coef": [0.147326595469114, -0.8039730126651145],
        "se": [0.04614704774080264, 0.6320493718794501],
        "z": [3.1925464939082047, -1.2720098277677825],
        "p": [0.001410242394295396, 0.2033696274523671],
        "lower": [1.0585288257942256, 0.12966941641127896],
        "upper": [1.2684214150243058, 1.5446865239904837],
        "loglik": [-34.98494037116256, -27.041898863008388],
        "lr": [15.88608301630834, 0.0003551247193220073],
        "score": [18.55712338361982, 9.340537260840473e-05],
        "wald": [13.467506895285958, 0.0011900577452177165],
        "conc": [174, 44, 0, 0, 0, 0.7981651376146789, 0.07632619914260061],
        "n": 26,
        "events": 12,
        "zph_names": ["age", "rx", "GLOBAL"],
        "zph_chisq": [0.22426564219798073, 0.7796068798845192, 0.9186699285160882],
        "zph_df": [1, 1, 2],
        "zph_p": [0.6358087586765836, 0.37726139685185706, 0.6317036113251617],
        "zph_ysum": [1.7679191456293695, -9.647676151981372],
        "zph_ysq": [0.6045795809161901, 65.62656652298784],
        "zph_xsum": 2.6047259929612876,
    },
    "lung_strata_breslow": {
        "names": ["age", "sex"],
        "coef": [0.01920489834089146, -0.49235151865161497],
        "se": [0.009873224809873758, 0.18156342931018626],
        "z": [1.9451495039073274, -2.7117328667023175],
        "p": [0.051756987279961426, 0.006693250906720133],
        "lower": [0.9998537439987235, 0.42818098912023406],
        "upper": [1.0393089938992417, 0.8724117847733812],
        "loglik": [-329.8277476361933, -323.50070780651725],
        "lr": [12.654079659352078, 0.0017873167079227503],
        "score": [12.32153029409493, 0.0021106377055300236],
        "wald": [12.065187068336808, 0.002399263330985331],
        "conc": [955, 590, 23, 0, 0, 0.6163903061224489, 0.03139557028278734],
        "n": 227,
        "events": 164,
        "zph_names": ["age", "sex", "GLOBAL"],
        "zph_chisq": [0.07404705623618879, 2.6902745519113838, 2.7391358242637738],
        "zph_df": [1, 1, 2],
        "zph_p": [0.7855329138613842, 0.10096241637786801, 0.2542167798115183],
        "zph_ysum": [3.149603331884949, -80.7456493283759],
        "zph_ysq": [2.5207726819645746, 919.8881200674476],
        "zph_xsum": 65.382701719205,
    },
    "veteran_interaction_breslow": {
        "names": [
            "karno",
            "celltypesmallcell",
            "celltypeadeno",
            "celltypelarge",
            "trt2",
            "celltypesmallcell:trt2",
            "celltypeadeno:trt2",
            "celltypelarge:trt2",
        ],
        "coef": [
            -0.031514922397727546,
            0.32899441999095697,
            1.1965995447375763,
            -0.0532639463973585,
            -0.33546000702794887,
            1.14160756078254,
            0.12465946870760941,
            0.8510676993115205,
        ],
        "se": [
            0.005388630200828312,
            0.33767915221478373,
            0.4506504930651958,
            0.39355144573382056,
            0.39489125140324816,
            0.5172223690884339,
            0.5893727678600577,
            0.5656525115323537,
        ],
        "z": [
            -5.848410676405896,
            0.9742811122129839,
            2.6552717974380733,
            -0.1353417627472869,
            -0.849499718810913,
            2.2071890718774188,
            0.2115120947312057,
            1.504576894754655,
        ],
        "p": [
            4.962920262503719e-09,
            0.3299169801948317,
            0.007924453036986209,
            0.8923416669253831,
            0.3956032865991743,
            0.027300852926485417,
            0.8324876954657588,
            0.13243289024509466,
        ],
        "lower": [
            0.9587964839953311,
            0.7168816199543021,
            1.3679876737109815,
            0.43840567172665645,
            0.32974599349471806,
            1.1364056528913449,
            0.3568320950716176,
            0.7729114033060276,
        ],
        "upper": [
            0.979264595984844,
            2.6934782730331785,
            8.003334607428286,
            2.050498046806633,
            1.5503994750005474,
            8.630865382970239,
            3.595952355374825,
            7.097383888082454,
        ],
        "loglik": [-505.883956283116, -472.4320503725198],
        "lr": [66.90381182119233, 2.025945934260993e-11],
        "score": [70.72705089462595, 3.5209912845864363e-12],
        "wald": [65.63592767731203, 3.6123568717937265e-11],
        "conc": [6381, 2259, 164, 39, 0, 0.734098137210359, 0.020953758467524355],
        "n": 137,
        "events": 128,
        "zph_names": ["karno", "celltype", "trt", "celltype:trt", "GLOBAL"],
        "zph_chisq": [
            12.127390104930985,
            11.769993918998185,
            0.9417777028489188,
            11.770143336735007,
            30.80156659485777,
        ],
        "zph_df": [1, 3, 1, 3, 8],
        "zph_p": [
            0.0004968660853780551,
            0.008214066632285624,
            0.3318210809377603,
            0.008213497957740217,
            0.00015239786037149377,
        ],
        "zph_ysum": [
            -4.033910068008724,
            128.00000009480172,
            -42.938880955842635,
            127.99999985923827,
        ],
        "zph_ysq": [0.4750622690235191, 1045.496125798265, 967.9577344740325, 1631.0023803249117],
        "zph_xsum": 60.555790515529985,
    },
    "lung_age_sex_interaction_breslow": {
        "names": ["age", "sex2", "age:sex2"],
        "coef": [0.020290085021501633, 0.09244102006786865, -0.009632407616391234],
        "se": [0.011392225972922379, 1.2286324419768029, 0.019412633960252043],
        "z": [1.7810465724370406, 0.075238954230393, -0.49619271841800966],
        "p": [0.07490484277559509, 0.9400245911804449, 0.6197584479171945],
        "lower": [0.9979638082675911, 0.09870355485294138, 0.9534383896029899],
        "upper": [1.0435396434192985, 12.18878609597259, 1.028823231892985],
        "loglik": [-750.1220188953188, -742.9569633583335],
        "lr": [14.330111073970556, 0.0024885737437825776],
        "score": [14.512347145559367, 0.002284567195010777],
        "wald": [14.078002668251955, 0.002800877655999438],
        "conc": [11901, 7802, 311, 28, 0, 0.6024033176776257, 0.025522270662527168],
        "n": 228,
        "events": 165,
        "zph_names": ["age", "sex", "age:sex", "GLOBAL"],
        "zph_chisq": [0.179494687683653, 2.59100032719896, 2.7917951311426976, 3.386441436811424],
        "zph_df": [1, 1, 1, 3],
        "zph_p": [0.6718078580218481, 0.1074724403155692, 0.09474803378525554, 0.3357916728262979],
        "zph_ysum": [3.3478640285478094, 15.25276831120459, -1.589347256704651],
        "zph_ysq": [3.91959405823248, 39897.17682941387, 9.913361656212402],
        "zph_xsum": 65.89380443305792,
    },
    "lung_entry_breslow": {
        "names": ["age", "sex", "ph.ecog"],
        "coef": [0.009523302404393646, -0.5407431448196451, 0.5017795476525284],
        "se": [0.009315290951644762, 0.16795047644828312, 0.11358488985705341],
        "z": [1.0223301079728655, -3.219658296034402, 4.417661084005259],
        "p": [0.3066246878345335, 0.0012834347986185207, 9.977470702298366e-06],
        "lower": [0.991303701101733, 0.4189850542078085, 1.3220152201615882],
        "upper": [1.0281704258315032, 0.8093156541870251, 2.063496431695303],
        "loglik": [-716.1393244274965, -699.902373450957],
        "lr": [32.473901953078894, 4.1580859880939574e-07],
        "score": [32.65431914342876, 3.809356321536115e-07],
        "wald": [31.935468686919442, 5.39994137211968e-07],
        "conc": [10041, 5916, 98, 28, 0, 0.6284646527561507, 0.02436895099827661],
        "n": 227,
        "events": 164,
        "zph_names": ["age", "sex", "ph.ecog", "GLOBAL"],
        "zph_chisq": [
            0.8411468293163237,
            1.9160742648173188,
            2.8139708439056332,
            5.010624978706671,
        ],
        "zph_df": [1, 1, 1, 3],
        "zph_p": [
            0.3590689829532665,
            0.16629007768904283,
            0.09344681140619968,
            0.17102078238381846,
        ],
        "zph_ysum": [1.5618215930290151, -88.6818755442206, 82.2918458684686],
        "zph_ysq": [2.501161937950074, 779.8875652782747, 400.20250730741475],
        "zph_xsum": 86.26846043802826,
    },
    "lung_entry_strata_breslow": {
        "names": ["age", "ph.ecog"],
        "coef": [0.00910245951456929, 0.49506785924793956],
        "se": [0.009293858727401223, 0.1149650790033044],
        "z": [0.9794058400879683, 4.306245544646736],
        "p": [0.3273794926526682, 1.660487343498324e-05],
        "lower": [0.9909282302005233, 1.3096244869291904],
        "upper": [1.027694648008016, 2.055245434316753],
        "loglik": [-610.9394734936699, -600.2775196294065],
        "lr": [21.32390772852682, 2.3419211591413638e-05],
        "score": [21.83533210148972, 1.8135013319882186e-05],
        "wald": [21.402759902899092, 2.251384844936783e-05],
        "conc": [4982, 3324, 98, 17, 0, 0.5986435030937649, 0.025457566744952777],
        "n": 227,
        "events": 164,
        "zph_names": ["age", "ph.ecog", "GLOBAL"],
        "zph_chisq": [0.6887066318161408, 2.665344986279331, 3.0422927222072182],
        "zph_df": [1, 1, 2],
        "zph_p": [0.40660465184645334, 0.10255558594193244, 0.21846130780665013],
        "zph_ysum": [1.4928033603805952, 81.19112891691871],
        "zph_ysq": [2.4315565137001656, 406.95099086216334],
        "zph_xsum": 86.26846043802826,
    },
}
R_ZPH_TRANSFORMS = {
    "rank": {
        "chisq": [0.21510306158602044, 14.67568079820564, 13.393896165805671, 23.293799602484192],
        "p": [
            0.6427967428420581,
            0.002115862632768554,
            0.000252444460380335,
            0.00029658480295747055,
        ],
    },
    "identity": {
        "chisq": [0.00493118418533987, 18.413912396659036, 6.0515950597963, 20.870858444012498],
        "p": [
            0.9440166529448247,
            0.00036131990292719105,
            0.013893740448828943,
            0.0008568505049281977,
        ],
    },
    "log": {
        "chisq": [0.21486100337560082, 13.585734040999577, 10.079175415692871, 21.451356768282693],
        "p": [
            0.6429837878261784,
            0.003526870238925512,
            0.0014995442546055552,
            0.0006654588346706642,
        ],
    },
}
