"""The downloadable R script reproduces the app's numbers from the downloadable data.

Each case exports a survival view's analysis data set (:mod:`core.analyses.rdata`) and script
(:mod:`core.present.rcode`), runs the script with ``Rscript`` (R's ``survival``; installed by
scripts/install-system-packages.sh, so CI runs these) and compares what R computes with the
app's own result: medians and their CIs, survival and CI at the page's times, the log-rank
chi-square, hazard ratios, RMST and median follow-up. Tolerance 1e-9 relative (both sides do
the same arithmetic in double precision; R prints with 17 significant digits here).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.disclosure import Mode
from core.analyses.rdata import PROTECTED_REFUSAL, analysis_data
from core.analyses.survival import MISSING, SurvivalSpec, analyse, hazard_ratios
from core.data.filters import Filters
from core.present.rcode import DATA_FILE, SCRIPT_FILE, analysis_csv, survival_script
from core.vocab.methods import ConfType, Endpoint, Origin

RSCRIPT = shutil.which("Rscript")
# CI (CI=true) installs R with scripts/install-system-packages.sh: there a missing R fails.
needs_r = pytest.mark.skipif(
    RSCRIPT is None and not os.environ.get("CI"),
    reason="Rscript not installed (scripts/install-system-packages.sh installs it)",
)
TOL = 1e-9

# Appended to the exported script: writes what R computed as name,value lines.
DUMP = r"""
.out <- c()
.put <- function(name, x) .out[[name]] <<- x
q <- quantile(fit, probs = 0.5)
nm <- if (is.null(dim(q$quantile))) "All" else sub("^group=", "", rownames(q$quantile))
for (i in seq_along(nm)) {
  s <- nm[i]
  .put(paste0("median|", s), c(q$quantile)[i])
  .put(paste0("median_lower|", s), c(q$lower)[i])
  .put(paste0("median_upper|", s), c(q$upper)[i])
  if (exists("rmst")) {
    r <- if (is.null(dim(rmst))) rmst else rmst[i, ]
    .put(paste0("rmst|", s), r[["rmean"]])
    .put(paste0("rmst_se|", s), r[["se(rmean)"]])
  }
}
st <- if (is.null(at$strata)) rep("All", length(at$time)) else sub("^group=", "", as.character(at$strata))
for (i in seq_along(at$time)) {
  k <- paste0(st[i], "|", format(at$time[i], digits = 17))
  .put(paste0("surv|", k), at$surv[i])
  .put(paste0("lower|", k), at$lower[i])
  .put(paste0("upper|", k), at$upper[i])
  .put(paste0("n_risk|", k), at$n.risk[i])
}
if (exists("lr")) .put("chisq", if (is.list(lr)) lr$chisq else lr[["chisq"]])
if (exists("cox")) {
  ci <- summary(cox)$conf.int
  for (i in seq_len(nrow(ci))) {
    s <- sub("^group", "", rownames(ci)[i])
    .put(paste0("hr|", s), ci[i, "exp(coef)"])
    .put(paste0("hr_lower|", s), ci[i, "lower .95"])
    .put(paste0("hr_upper|", s), ci[i, "upper .95"])
  }
}
qf <- quantile(fu, probs = 0.5)
.put("followup", c(qf$quantile)[1])
.put("followup_lower", c(qf$lower)[1])
.put("followup_upper", c(qf$upper)[1])
write.csv(data.frame(name = names(.out), value = format(unlist(.out), digits = 17)),
          "r_values.csv", row.names = FALSE)
"""


def _run_r(tmp: Path, analysis, reference: str | None, path: Path) -> dict[str, float]:
    assert RSCRIPT is not None, "R is missing: run scripts/install-system-packages.sh"
    spec = analysis.spec
    data = analysis_data(analysis.filters, spec, path, mode=Mode.EXACT)
    assert not data.refused
    groups = [g.label for g in analysis.groups if g.label != MISSING] if spec.by else []
    delayed = bool((data.frame["entry_days"] > 0).any())
    script = survival_script(
        title="test view",
        groups=groups,
        reference=reference,
        times_days=list(spec.times_days),
        rmst_days=spec.rmst_days,
        conf_type=spec.conf_type,
        delayed_entry=delayed,
        provenance=["Selection: test", "Disclosure: exact"],
    )
    (tmp / DATA_FILE).write_text(analysis_csv(data.frame, ["Selection: test"]))
    (tmp / SCRIPT_FILE).write_text(script + DUMP)
    run = subprocess.run(
        [RSCRIPT, "--vanilla", SCRIPT_FILE], cwd=tmp, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = pd.read_csv(tmp / "r_values.csv", keep_default_na=False, dtype=str)
    return {
        str(n): (math.nan if v.strip() == "NA" else float(v))
        for n, v in zip(out["name"], out["value"], strict=True)
    }


def _close(app: float | None, r: float, what: str) -> None:
    if app is None or (isinstance(app, float) and math.isnan(app)):
        assert math.isnan(r), f"{what}: app has none, R {r}"
        return
    assert r == pytest.approx(app, rel=TOL, abs=1e-12), f"{what}: app {app}, R {r}"


CASES = {
    "os-index-by-cohort": (
        SurvivalSpec(by="cohort_id", rmst_months=36.0),
        "pgep-mibg-211",
    ),
    "os-index-by-grade-with-missing": (SurvivalSpec(by="grade", rmst_months=24.0), "G1"),
    "pfs-imaging-all": (SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, rmst_months=12.0), None),
    "os-diagnosis-delayed-entry": (
        SurvivalSpec(origin=Origin.DIAGNOSIS, conf_type=ConfType.LOG, rmst_months=None),
        None,
    ),
    "os-diagnosis-by-grade": (
        SurvivalSpec(origin=Origin.DIAGNOSIS, by="grade", rmst_months=None),
        "G2",
    ),
}


@needs_r
@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_exported_script_reproduces_the_view_in_r(case, default_db, tmp_path):
    spec, reference = CASES[case]
    analysis = analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    assert analysis.groups
    r = _run_r(tmp_path, analysis, reference, default_db)
    shown = [g for g in analysis.groups if not (spec.by and g.label == MISSING)]
    times = spec.times_days
    for g in shown:
        name = g.label if spec.by else "All"
        med = next(q for q in g.quantiles if q.p == 0.5)
        _close(med.estimate, r[f"median|{name}"], f"median {name}")
        _close(med.lower, r[f"median_lower|{name}"], f"median lower {name}")
        _close(med.upper, r[f"median_upper|{name}"], f"median upper {name}")
        delayed = spec.origin != Origin.INDEX
        for a, t in zip(g.at, times, strict=True):
            key = f"{name}|{format(float(t), '.17g')}"
            if a.surv is None:
                # past the group's last follow-up the app gives no estimate; R (extend=TRUE)
                # carries the last value with nobody at risk
                assert r[f"n_risk|{key}"] == 0, f"S({t}) {name}: app none, R has patients"
                continue
            if delayed and a.n_risk == 0:
                continue
            _close(a.surv, r[f"surv|{key}"], f"S({t}) {name}")
            _close(a.lower, r[f"lower|{key}"], f"lower({t}) {name}")
            _close(a.upper, r[f"upper|{key}"], f"upper({t}) {name}")
        if g.rmst is not None:
            _close(g.rmst.estimate, r[f"rmst|{name}"], f"RMST {name}")
            _close(g.rmst.se, r[f"rmst_se|{name}"], f"RMST se {name}")
    if spec.by:
        assert analysis.logrank is not None
        _close(analysis.logrank.chi2, r["chisq"], "log-rank chi2")
        hrs = hazard_ratios(Filters(), spec, reference, default_db, mode=Mode.EXACT)
        assert hrs.rows
        for row in hrs.rows:
            if row.label == reference:
                continue
            _close(row.hr, r[f"hr|{row.label}"], f"HR {row.label}")
            _close(row.lower, r[f"hr_lower|{row.label}"], f"HR lower {row.label}")
            _close(row.upper, r[f"hr_upper|{row.label}"], f"HR upper {row.label}")
    fu = analysis.median_followup
    assert fu is not None
    _close(fu.estimate, r["followup"], "median follow-up")
    _close(fu.lower, r["followup_lower"], "median follow-up lower")
    _close(fu.upper, r["followup_upper"], "median follow-up upper")


def test_script_names_levels_reference_first_and_escapes_strings():
    script = survival_script(
        title='Overall survival "by" grade',
        groups=["G1", 'G"2', "G3"],
        reference="G3",
        times_days=[365.25],
        rmst_days=None,
        conf_type=ConfType.LOG_LOG,
        delayed_entry=False,
        provenance=["Selection: all"],
    )
    assert 'levels = c("G3", "G1", "G\\"2")' in script
    assert 'conf.type = "log-log"' in script
    assert "survdiff(Surv(exit_days, status) ~ group" in script
    assert "rmean" not in script


def test_delayed_entry_uses_counting_process_and_score_test():
    script = survival_script(
        title="t",
        groups=["a", "b"],
        reference=None,
        times_days=[365.25],
        rmst_days=None,
        conf_type=ConfType.LOG,
        delayed_entry=True,
        provenance=[],
    )
    assert "survdiff(" not in script
    assert "Surv(entry_days, exit_days, status) ~ group" in script
    assert 'ties = "exact"' in script and "$score" in script
    assert "Surv(entry_days, exit_days, I(1 - status)) ~ 1" in script


def test_csv_has_provenance_then_rows_with_na_for_missing_group():
    frame = pd.DataFrame(
        {
            "group": ["a", None],
            "entry_days": [0.0, 0.0],
            "exit_days": [10.0, 1 / 3],
            "status": [1, 0],
        }
    )
    text = analysis_csv(frame, ["Selection: all", "Disclosure: exact"])
    lines = text.splitlines()
    assert lines[:2] == ["# Selection: all", "# Disclosure: exact"]
    assert lines[2] == "group,entry_days,exit_days,status"
    assert lines[4].startswith("NA,0,")
    assert float(lines[4].split(",")[2]) == 1 / 3  # exact round trip


def test_protected_real_cohort_gets_no_patient_rows(tmp_path):
    """The attack: download the analysis data set of an imported real cohort in protected mode
    and read individual patients. The rows are refused; exact mode gets them."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    f = Filters(cohorts=(REAL,))
    spec = SurvivalSpec(by="sex")
    protected = analysis_data(f, spec, path, mode=Mode.PROTECTED)
    assert protected.refused and protected.refusal == PROTECTED_REFUSAL
    assert protected.frame.empty
    exact = analysis_data(f, spec, path, mode=Mode.EXACT)
    assert not exact.refused
    assert len(exact.frame) == 80
    assert set(exact.frame["group"].dropna()) == {"Male", "Female"}
    assert np.isin(exact.frame["status"], [0, 1]).all()


def test_report_of_a_protected_real_cohort_has_the_script_but_no_rows(tmp_path):
    """The attack through the report folder: patient rows of an imported cohort. Protected mode
    writes the script only (stating why); exact mode writes the rows too."""
    from core.cli import main
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    base = ["report", "--db", str(path), "--cohort", REAL, "--by", "sex"]
    prot = tmp_path / "prot"
    assert main([*base, "--out", str(prot)]) == 0
    assert (prot / "reproduce.R").exists() and not (prot / "analysis_data.csv").exists()
    assert PROTECTED_REFUSAL in (prot / "reproduce.R").read_text()
    exact = tmp_path / "exact"
    assert main([*base, "--disclosure", "exact", "--out", str(exact)]) == 0
    rows = (exact / "analysis_data.csv").read_text().splitlines()
    assert sum(1 for r in rows if r and not r.startswith("#")) == 81  # header + 80 patients


CIF_DUMP = r"""
.out <- c()
.put <- function(name, x) .out[[name]] <<- x
est <- tp$est
for (i in seq_len(nrow(est))) for (j in seq_len(ncol(est))) {
  k <- paste0(rownames(est)[i], "|", format(as.numeric(colnames(est)[j]), digits = 17))
  .put(paste0("cif|", k), est[i, j])
  .put(paste0("lower|", k), ci_lower[i, j])
  .put(paste0("upper|", k), ci_upper[i, j])
}
if (!is.null(fit$Tests)) for (c in rownames(fit$Tests)) .put(paste0("gray|", c), fit$Tests[c, "stat"])
if (exists("fg")) for (c in names(fg)) {
  cf <- fg[[c]]$coef
  for (k in seq_along(cf)) .put(paste0("crr|", c, "|", sub("^group", "", names(cf)[k])), cf[k])
}
write.csv(data.frame(name = names(.out), value = format(unlist(.out), digits = 17)),
          "r_values.csv", row.names = FALSE)
"""


@needs_r
@pytest.mark.slow
def test_exported_cuminc_script_reproduces_the_view_in_r(default_db, tmp_path):
    """cmprsk::cuminc / timepoints / crr on the exported rows equal the app's cumulative
    incidence, its log(-log) CI, Gray's test and the Fine-Gray coefficients (1e-9 relative;
    crr iterates to its own tolerance, so its coefficients to 1e-6)."""
    from core.analyses.competing import CompetingSpec
    from core.analyses.competing import analyse as cif_analyse
    from core.analyses.rdata import competing_data
    from core.present.rcode import cuminc_script

    assert RSCRIPT is not None, "R is missing: run scripts/install-system-packages.sh"
    spec = CompetingSpec(by="sex")
    a = cif_analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    groups = [g.label for g in a.groups if g.in_tests]
    data = competing_data(Filters(), spec, default_db, mode=Mode.EXACT)
    assert not data.refused and len(data.frame) == a.n_analysed
    causes = [
        c
        for c in a.causes
        if all(cr.events > 0 for g in a.groups for cr in g.causes if cr.cause == c)
    ]
    script = cuminc_script(
        title="t", groups=groups, causes=causes, times_days=list(spec.times_days), provenance=[]
    )
    (tmp_path / DATA_FILE).write_text(
        analysis_csv(data.frame.assign(entry_days=0.0, exit_days=data.frame["time_days"]), [])
        if False
        else ""
    )
    buf = data.frame.to_csv(index=False, na_rep="NA", float_format="%.17g")
    (tmp_path / DATA_FILE).write_text(buf)
    (tmp_path / SCRIPT_FILE).write_text(script + CIF_DUMP)
    run = subprocess.run(
        [RSCRIPT, "--vanilla", SCRIPT_FILE], cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    out = pd.read_csv(tmp_path / "r_values.csv", keep_default_na=False, dtype=str)
    r = {
        n: (math.nan if v.strip() == "NA" else float(v))
        for n, v in zip(out["name"], out["value"], strict=True)
    }
    checked = 0
    for g in a.groups:
        if not g.in_tests:
            continue
        for c in g.causes:
            for at in c.at:
                key = f"{g.label} {c.cause}|{format(float(at.time), '.17g')}"
                if at.cif is None:
                    continue
                _close(at.cif, r[f"cif|{key}"], f"CIF {key}")
                if at.lower is not None:
                    _close(at.lower, r[f"lower|{key}"], f"lower {key}")
                    _close(at.upper, r[f"upper|{key}"], f"upper {key}")
                checked += 1
    assert checked >= 8
    for cause, test, _why in a.tests:
        if test is not None:
            _close(test.chi2, r[f"gray|{cause}"], f"Gray {cause}")
    for cause, model, _why in a.fine_gray:
        if model is not None and cause in causes:
            for term in model.terms:
                assert r[f"crr|{cause}|{term.label}"] == pytest.approx(term.coef, rel=1e-6)
