"""The Response page's downloadable R script reproduces its response table from the data.

Each case exports the view's rows (:func:`core.analyses.rdata.response_data`) and script
(:func:`core.present.rcode.response_script_of`), runs the script with ``Rscript`` (base R's
``binom.test``, ``prop.test(correct = FALSE)``, ``qbeta`` and ``fisher.test``) and compares
every count, denominator, percentage, CI limit and the group test's p-value with the app's
:class:`core.analyses.responses.ResponseResult`. Tolerance 1e-9 (relative, 1e-12 absolute):
closed forms and exact tests on the same counts. The Monte Carlo p-value (grade) is compared
within 5 simulation standard errors, sqrt(p (1 - p) / B) + 1 / B: R draws other tables.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from core.analyses.disclosure import Mode
from core.analyses.rdata import PROTECTED_REFUSAL, response_data, response_rows_refusal
from core.analyses.responses import ResponseSpec, analyse
from core.data.filters import Filters
from core.present.rcode import DATA_FILE, analysis_csv, response_script, response_script_of

RSCRIPT = shutil.which("Rscript")
needs_r = pytest.mark.skipif(
    RSCRIPT is None and not os.environ.get("CI"),
    reason="Rscript not installed (scripts/install-system-packages.sh installs it)",
)
TOL = 1e-9
SCRIPT = "reproduce_responses.R"
DUMP = r"""
write.csv(tab, "r_rates.csv", row.names = FALSE)
if (exists("p")) writeLines(format(p, digits = 17), "r_p.txt")
"""

CASES = {
    # grouped by sex: Fisher-Freeman-Halton exact test, Clopper-Pearson
    "imaging-sex-cp": ResponseSpec("imaging", "evaluable", "clopper-pearson", "sex"),
    # grouped by grade, all patients as denominator, Wilson; the 4 x 4 table falls back to the
    # Monte Carlo test: R's p is compared within 5 simulation SEs, not 1e-9
    "imaging-grade-wilson-all": ResponseSpec("imaging", "all", "wilson", "grade"),
    # ungrouped biochemical response, Jeffreys
    "biochemical-jeffreys": ResponseSpec("biochemical", "evaluable", "jeffreys", None),
}


def _run_r(tmp: Path, spec: ResponseSpec, path: Path) -> tuple[pd.DataFrame, float | None]:
    assert RSCRIPT is not None, "R is missing: run scripts/install-system-packages.sh"
    result = analyse(Filters(), spec, path, mode=Mode.EXACT)
    data = response_data(Filters(), spec, path, mode=Mode.EXACT)
    assert not data.refused and len(data.frame) == result.n
    (tmp / DATA_FILE).write_text(analysis_csv(data.frame, ["Selection: test"]))
    (tmp / SCRIPT).write_text(
        response_script_of(result, title="t", provenance=["Selection: test"]) + DUMP
    )
    run = subprocess.run(
        [RSCRIPT, "--vanilla", SCRIPT], cwd=tmp, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    tab = pd.read_csv(tmp / "r_rates.csv", keep_default_na=False, na_values=["NA"])
    p = tmp / "r_p.txt"
    return tab, (float(p.read_text()) if p.exists() else None)


def _close(app: float | None, r: float, what: str) -> None:
    if app is None:
        assert math.isnan(r), f"{what}: app none, R {r}"
    else:
        assert r == pytest.approx(app, rel=TOL, abs=1e-12), f"{what}: app {app}, R {r}"


@needs_r
@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_exported_response_script_reproduces_the_table_in_r(case, default_db, tmp_path):
    spec = CASES[case]
    result = analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    table = result.table
    tab, p = _run_r(tmp_path, spec, default_db)
    rows = {
        (str(g), str(k)): r
        for g, k, r in zip(tab["group"], tab["rate"], tab.itertuples(), strict=True)
    }
    groups = [*(table.groups if spec.by else ()), table.overall]
    checked = 0
    for g in groups:
        props = {
            **g.categories,
            **g.derived,
            "not_evaluable_or_missing": g.not_evaluable_or_missing,
        }
        for key, prop in props.items():
            r = rows[(g.label, key)]
            assert (r.x, r.n) == (prop.n, prop.denominator), f"{g.label} {key}"
            _close(prop.pct, r.pct, f"{g.label} {key} pct")
            _close(prop.lower, r.lower, f"{g.label} {key} lower")
            _close(prop.upper, r.upper, f"{g.label} {key} upper")
            checked += 1
    assert checked == len(rows)
    if spec.by:
        assert table.test is not None and "fisher" in table.test.method.value
        assert p is not None
        if table.test.n_tables:  # Monte Carlo: R's random tables are not the app's
            b = table.test.n_tables
            se = math.sqrt(table.test.p * (1 - table.test.p) / b) + 1 / b
            assert abs(p - table.test.p) < 5 * se, f"Monte Carlo p: app {table.test.p}, R {p}"
        else:
            _close(table.test.p, p, "group test p")
    else:
        assert p is None


def test_response_data_rows(default_db):
    spec = CASES["imaging-sex-cp"]
    result = analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    frame = response_data(Filters(), spec, default_db, mode=Mode.EXACT).frame
    assert list(frame.columns) == ["group", "response", "evaluable"]
    assert len(frame) == result.table.overall.n
    assert frame["evaluable"].sum() == result.table.overall.n_evaluable
    assert set(frame["response"].dropna()) <= {"CR", "PR", "SD", "PD", "NE"}
    assert set(frame["group"].dropna()) == {g.label for g in result.table.groups}


def test_response_script_text():
    script = response_script(
        title="t",
        codes=["CR", "PR"],
        derived=[("orr", ("CR", "PR"))],
        groups=["A", 'B"'],
        evaluable_denominator=False,
        ci_method="wilson",
        conf_level=0.9,
        test_method="fisher-freeman-halton-monte-carlo",
        mc_tables=1000,
        seed=7,
        provenance=["Disclosure: exact"],
    )
    assert "# Disclosure: exact" in script and "CONF <- 0.9" in script
    assert "prop.test(x, n, conf.level = CONF, correct = FALSE)" in script
    assert 'levels = c("A", "B\\"")' in script and "den <- n " in script
    assert "set.seed(7)" in script and "simulate.p.value = TRUE, B = 1000" in script
    assert "p differs" in script
    cp = response_script(
        title="t",
        codes=["CR"],
        derived=[],
        groups=[],
        evaluable_denominator=True,
        ci_method="clopper-pearson",
        conf_level=0.95,
        test_method=None,
        provenance=[],
    )
    assert "binom.test(x, n" in cp and "fisher.test" not in cp


def test_protected_real_cohort_gets_the_script_but_no_rows(tmp_path):
    """The attack: download a protected imported cohort's response rows. Refused; the script
    is given with the reason; exact mode gets the rows."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    f = Filters(cohorts=(REAL,))
    spec = ResponseSpec("imaging", "evaluable", "clopper-pearson", "sex")
    protected = response_data(f, spec, path, mode=Mode.PROTECTED)
    assert protected.refused and protected.refusal == PROTECTED_REFUSAL
    assert protected.frame.empty
    res = analyse(f, spec, path, mode=Mode.PROTECTED)
    assert res.disclosure.active and response_rows_refusal(res) == PROTECTED_REFUSAL
    script = response_script_of(res, title="t", provenance=[response_rows_refusal(res)])
    assert "binom.test(" in script and "Patient-level rows are not given" in script
    exact = response_data(f, spec, path, mode=Mode.EXACT)
    assert not exact.refused and len(exact.frame) == 80
    assert response_rows_refusal(analyse(f, spec, path, mode=Mode.EXACT)) == ""
