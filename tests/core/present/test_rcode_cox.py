"""The Cox page's downloadable R script reproduces its model from the downloadable data.

Each case exports the model's analysis data set (:func:`core.analyses.rdata.cox_data`) and
script (:func:`core.present.rcode.cox_script_of`), runs the script with ``Rscript`` (R's
``survival``; installed by scripts/install-system-packages.sh, so CI runs these) and compares
what R computes with the app's :class:`core.analyses.cox.CoxAnalysis`: every coefficient, its
SE, hazard ratio, Wald 95% CI and p, the likelihood-ratio, score and Wald tests, and every
``cox.zph`` chi-square (terms and global).

Tolerance 1e-6 relative: ``coxph`` and the app each iterate Newton-Raphson to their own
convergence rule (R stops when the log partial likelihood changes by < 1e-9 relative), so the
estimates agree to about 1e-8 rather than to the last bit; 1e-6 leaves room for the statistics
derived from them (p-values, ``cox.zph``) while any modelling difference (a row, a level, ties,
delayed entry, the step) moves them by far more. Measured on these cases: at most 1e-13.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from core.analyses import cox as cd
from core.analyses.disclosure import Mode
from core.analyses.rdata import PROTECTED_REFUSAL, cox_data, cox_rows_refusal
from core.data.filters import Filters
from core.present.rcode import DATA_FILE, analysis_csv, cox_script, cox_script_of
from core.vocab.methods import Origin, Ties

RSCRIPT = shutil.which("Rscript")
# CI (CI=true) installs R with scripts/install-system-packages.sh: there a missing R fails.
needs_r = pytest.mark.skipif(
    RSCRIPT is None and not os.environ.get("CI"),
    reason="Rscript not installed (scripts/install-system-packages.sh installs it)",
)
TOL = 1e-6
SCRIPT = "reproduce_cox.R"

# Appended to the exported script: writes what R computed as name,value lines.
DUMP = r"""
.out <- c()
.put <- function(name, x) .out[[name]] <<- x
s <- summary(fit)
for (nm in rownames(s$coefficients)) {
  .put(paste0("coef|", nm), s$coefficients[nm, "coef"])
  .put(paste0("se|", nm), s$coefficients[nm, "se(coef)"])
  .put(paste0("z|", nm), s$coefficients[nm, "z"])
  .put(paste0("p|", nm), s$coefficients[nm, "Pr(>|z|)"])
  .put(paste0("hr|", nm), s$conf.int[nm, "exp(coef)"])
  .put(paste0("lower|", nm), s$conf.int[nm, "lower .95"])
  .put(paste0("upper|", nm), s$conf.int[nm, "upper .95"])
}
.put("n", fit$n)
.put("events", fit$nevent)
# (summary() rounds the Wald and score statistics for printing: take them from the fit)
.put("lr", 2 * diff(fit$loglik))
.put("lr_p", s$logtest[["pvalue"]])
.put("score", fit$score)
.put("wald", fit$wald.test)
for (nm in rownames(zph$table)) .put(paste0("zph|", nm), zph$table[nm, "chisq"])
write.csv(data.frame(name = names(.out), value = format(unlist(.out), digits = 17)),
          "r_values.csv", row.names = FALSE)
"""

CASES = {
    # all categorical: the app fits the aggregated path, R the patient rows
    "sex-grade": cd.CoxSpec(("sex", "grade")),
    # age per 10 years, a reference level given, Breslow ties
    "sex-grade-age10-breslow": cd.CoxSpec(
        ("sex", "grade", "age"),
        references=(("grade", "G2"),),
        steps=(("age", 10.0),),
        ties=Ties.BRESLOW,
    ),
    # from diagnosis with delayed entry, stratified, with an interaction; first activity
    # (per 1000 MBq) is missing for some patients, who are not in the model or the data
    "diagnosis-delayed-entry-strata": cd.CoxSpec(
        ("sex", "first_activity_mbq", "met_liver"),
        interaction=("sex", "met_liver"),
        strata="grade",
        origin=Origin.DIAGNOSIS,
    ),
    # a post-baseline covariate at a 6-month landmark (re-origined times, status known by then)
    "landmark-imaging-response": cd.CoxSpec(("sex", "imaging_response"), landmark_months=6.0),
}


def _run_r(tmp: Path, a: cd.CoxAnalysis, path: Path) -> dict[str, float]:
    assert RSCRIPT is not None, "R is missing: run scripts/install-system-packages.sh"
    data = cox_data(a.filters, a.spec, path, mode=Mode.EXACT)
    assert not data.refused
    script = cox_script_of(a, title="test model", provenance=["Selection: test"])
    (tmp / DATA_FILE).write_text(analysis_csv(data.frame, ["Selection: test"]))
    (tmp / SCRIPT).write_text(script + DUMP)
    run = subprocess.run(
        [RSCRIPT, "--vanilla", SCRIPT], cwd=tmp, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = pd.read_csv(tmp / "r_values.csv", keep_default_na=False, dtype=str)
    return {
        str(n): (math.nan if v.strip() == "NA" else float(v))
        for n, v in zip(out["name"], out["value"], strict=True)
    }


def _close(app: float, r: float, what: str) -> None:
    assert r == pytest.approx(app, rel=TOL, abs=1e-12), f"{what}: app {app}, R {r}"


def _zph_name(spec: cd.CoxSpec, term: str) -> str:
    """The app's cox.zph term (covariate key or 'a:b') as R prints it (``I(age/10)``)."""

    def one(c: str) -> str:
        step = spec.step(c) if cd.COVARIATES[c].continuous else 1
        return c if step == 1 else f"I({c}/{step:g})"

    return ":".join(one(c) for c in term.split(":"))


@needs_r
@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_exported_cox_script_reproduces_the_model_in_r(case, default_db, tmp_path):
    spec = CASES[case]
    a = cd.analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    assert a.fit is not None and a.zph is not None, a.error
    r = _run_r(tmp_path, a, default_db)
    assert r["n"] == a.n and r["events"] == a.events
    r_names = {t.name: t.r_name for t in a.design_terms}
    assert len([k for k in r if k.startswith("coef|")]) == len(a.fit.terms)
    for t in a.fit.terms:
        nm = r_names[t.term]
        for field, key in [
            ("coef", "coef"),
            ("se", "se"),
            ("z", "z"),
            ("p", "p"),
            ("hr", "hr"),
            ("hr_lower", "lower"),
            ("hr_upper", "upper"),
        ]:
            _close(getattr(t, field), r[f"{key}|{nm}"], f"{field} {nm}")
    _close(a.fit.lr_test.chi2, r["lr"], "LR test")
    _close(a.fit.lr_test.p, r["lr_p"], "LR p")
    _close(a.fit.score_test.chi2, r["score"], "score test")
    _close(a.fit.wald_test.chi2, r["wald"], "Wald test")
    for z in a.zph.terms:
        _close(z.chi2, r[f"zph|{_zph_name(spec, z.term)}"], f"cox.zph {z.term}")
    _close(a.zph.global_test.chi2, r["zph|GLOBAL"], "cox.zph global")


def test_cox_data_are_the_rows_the_model_fits(default_db):
    """Same n and events as the analysis, the delayed entry of a diagnosis origin, and the
    patients with a missing covariate left out."""
    spec = CASES["diagnosis-delayed-entry-strata"]
    a = cd.analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    data = cox_data(Filters(), spec, default_db, mode=Mode.EXACT)
    frame = data.frame
    assert list(frame.columns) == ["entry_days", "exit_days", "status", *spec.covariates, "grade"]
    assert len(frame) == a.n and frame["status"].sum() == a.events
    assert a.n_missing_covariates > 0  # the drop is exercised
    assert (frame["entry_days"] > 0).any() and (frame["exit_days"] > frame["entry_days"]).all()
    assert not frame.isna().any().any()
    assert set(frame["met_liver"]) <= {"Yes", "No"}


def test_cox_script_text():
    script = cox_script(
        title='Overall survival "model"',
        covariates=["sex", "grade", "age"],
        levels={"sex": ["Male", "Female"], "grade": ["G2", "G1", 'G"3'], "route": ["iv", "ia"]},
        steps={"age": 10.0},
        interaction=("sex", "age"),
        strata="route",
        ties=Ties.BRESLOW,
        delayed_entry=True,
        provenance=["Selection: all", "Disclosure: exact"],
    )
    assert "library(survival)" in script
    assert "# Selection: all\n# Disclosure: exact" in script
    assert 'd$grade <- factor(d$grade, levels = c("G2", "G1", "G\\"3"))' in script
    assert 'd$route <- factor(d$route, levels = c("iv", "ia"))' in script
    assert (
        "coxph(Surv(entry_days, exit_days, status) ~ sex + grade + I(age / 10) + "
        "sex:I(age / 10) + strata(route)," in script
    )
    assert 'ties = "breslow"' in script
    assert "print(summary(fit))" in script and "cox.zph(fit)" in script
    plain = cox_script(
        title="t",
        covariates=["age"],
        levels={},
        steps={"age": 1.0},
        interaction=None,
        strata=None,
        ties=Ties.EFRON,
        delayed_entry=False,
        provenance=[],
    )
    assert "coxph(Surv(exit_days, status) ~ age," in plain
    assert 'ties = "efron"' in plain and "factor(" not in plain


def test_protected_real_cohort_gets_the_script_but_no_rows(tmp_path):
    """The attack: download the Cox model's analysis data set of an imported real cohort in
    protected mode and read individual patients. The script is given, the rows are refused;
    exact mode gets them."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    f = Filters(cohorts=(REAL,))
    spec = cd.CoxSpec(("sex", "grade"))
    protected = cox_data(f, spec, path, mode=Mode.PROTECTED)
    assert protected.refused and protected.refusal == PROTECTED_REFUSAL
    assert protected.frame.empty
    a = cd.analyse(f, spec, path, mode=Mode.PROTECTED)
    assert a.disclosure.active and cox_rows_refusal(a)
    script = cox_script_of(a, title="t", provenance=[cox_rows_refusal(a)])
    assert "coxph(" in script and "Patient-level rows are not given" in script
    exact = cox_data(f, spec, path, mode=Mode.EXACT)
    assert not exact.refused
    assert len(exact.frame) == 80
    assert set(exact.frame["sex"]) == {"Male", "Female"}
    ea = cd.analyse(f, spec, path, mode=Mode.EXACT)
    assert cox_rows_refusal(ea) == "" and len(exact.frame) == ea.n
