"""The Overview page's downloadable R script reproduces Table 1's p-values from the data.

Each case exports Table 1's rows (:func:`core.analyses.rdata.table1_data`) and script
(:func:`core.present.rcode.table1_script_of`), runs the script with ``Rscript`` (base R's
``wilcox.test``, ``kruskal.test``, ``chisq.test(correct = FALSE)`` and ``fisher.test``, the test
the app chose per characteristic) and compares every p-value with the app's. Tolerance 1e-9
(relative, 1e-12 absolute): the same closed forms and exact tests on the same counts. A
Monte Carlo Fisher p-value (tables too large for the exact test) is compared within 5
simulation standard errors, sqrt(p (1 - p) / B) + 1 / B: R draws other random tables.
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
from core.analyses.rdata import PROTECTED_REFUSAL, table1_data, table1_rows_refusal
from core.analyses.table1 import baseline_table
from core.data.filters import Filters
from core.present.rcode import DATA_FILE, analysis_csv, table1_script, table1_script_of
from core.stats.fisher import MONTE_CARLO_TABLES

RSCRIPT = shutil.which("Rscript")
needs_r = pytest.mark.skipif(
    RSCRIPT is None and not os.environ.get("CI"),
    reason="Rscript not installed (scripts/install-system-packages.sh installs it)",
)
TOL = 1e-9
SCRIPT = "reproduce_table1.R"
DUMP = '\nwrite.csv(res, "r_p.csv", row.names = FALSE)\n'


def _run_r(tmp: Path, split: str, path: Path) -> dict[str, tuple[str, float]]:
    assert RSCRIPT is not None, "R is missing: run scripts/install-system-packages.sh"
    t1 = baseline_table(Filters(), split, mode=Mode.EXACT, path=path)
    data = table1_data(Filters(), split, path, mode=Mode.EXACT)
    assert not data.refused and len(data.frame) == t1.group_n["All"]
    (tmp / DATA_FILE).write_text(analysis_csv(data.frame, ["Selection: test"]))
    (tmp / SCRIPT).write_text(table1_script_of(t1, title="t", provenance=["x"]) + DUMP)
    run = subprocess.run(
        [RSCRIPT, "--vanilla", SCRIPT], cwd=tmp, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = pd.read_csv(tmp / "r_p.csv", keep_default_na=False, na_values=["NA"])
    return {
        str(v): (str(t), float(p))
        for v, t, p in zip(out["variable"], out["test"], out["p"], strict=True)
    }


@needs_r
@pytest.mark.slow
@pytest.mark.parametrize("split", ["sex", "grade", "n_treatments_group"])
def test_exported_table1_script_reproduces_the_p_values_in_r(split, default_db, tmp_path):
    t1 = baseline_table(Filters(), split, mode=Mode.EXACT, path=default_db)
    r = _run_r(tmp_path, split, default_db)
    tested = [v for v in t1.tests if v.p is not None]
    assert len(tested) >= 20 and len(r) == len(tested)
    methods = set()
    for v in tested:
        test, p = r[v.family]
        assert test == v.method.value
        methods.add(test)
        if test == "fisher-monte-carlo":
            se = math.sqrt(v.p * (1 - v.p) / MONTE_CARLO_TABLES) + 1 / MONTE_CARLO_TABLES
            assert abs(p - v.p) < 5 * se, f"{v.family}: app {v.p}, R {p}"
        else:
            assert p == pytest.approx(v.p, rel=TOL, abs=1e-12), f"{v.family}: app {v.p}, R {p}"
    if len(t1.compared) == 2:  # single vs multiple treatments: Wilcoxon and SMDs
        assert "fisher" in methods and any(m.startswith("wilcoxon") for m in methods)
    else:
        assert {"fisher", "kruskal-wallis"} <= methods


def test_table1_data_rows(default_db):
    t1 = baseline_table(Filters(), "grade", mode=Mode.EXACT, path=default_db)
    frame = table1_data(Filters(), "grade", default_db, mode=Mode.EXACT).frame
    assert list(frame.columns) == ["split_group", *(v.family for v in t1.tests)]
    assert set(frame["split_group"].dropna()) == set(t1.compared)
    for g in t1.compared:
        assert int((frame["split_group"] == g).sum()) == t1.group_n[g]
    assert set(frame["met_liver"].dropna()) <= {True, False}
    assert set(frame["treatments"].dropna()) <= {"none", "single", "multiple"}


def test_table1_script_text():
    script = table1_script(
        title="t",
        groups=["A", "B"],
        tests=[
            ("age", "Age", "wilcoxon-exact"),
            ("dose", "Dose", "wilcoxon"),
            ("sex", "Sex", "chi-square"),
            ("site", "Site", "fisher-monte-carlo"),
            ("x", "X", None),
        ],
        mc_tables=1000,
        seed=3,
        provenance=["Disclosure: exact"],
    )
    assert "# Disclosure: exact" in script
    assert 'wilcox.test(d[["age"]] ~ d$split_group, exact = TRUE, correct = TRUE)' in script
    assert "exact = FALSE, correct = TRUE" in script
    assert 'chisq.test(tab_of("sex"), correct = FALSE)' in script
    assert "set.seed(3)" in script and "simulate.p.value = TRUE, B = 1000" in script
    assert "(no p-value in the app for x)" in script
    k = table1_script(title="t", groups=["A", "B", "C"], tests=[("age", "Age", "kruskal-wallis")],
                      provenance=[])  # fmt: skip
    assert 'kruskal.test(d[["age"]] ~ d$split_group)' in k


def test_protected_real_cohort_gets_the_script_but_no_rows(tmp_path):
    """The attack: download a protected imported cohort's Table 1 rows. Refused; the script
    is given with the reason; exact mode gets the rows."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    f = Filters(cohorts=(REAL,))
    protected = table1_data(f, "sex", path, mode=Mode.PROTECTED)
    assert protected.refused and protected.refusal == PROTECTED_REFUSAL
    assert protected.frame.empty
    t1 = baseline_table(f, "sex", mode=Mode.PROTECTED, path=path)
    assert t1.disclosure.active and table1_rows_refusal(t1) == PROTECTED_REFUSAL
    script = table1_script_of(t1, title="t", provenance=[table1_rows_refusal(t1)])
    assert "read.csv(" in script and "Patient-level rows are not given" in script
    exact = table1_data(f, "sex", path, mode=Mode.EXACT)
    assert not exact.refused and len(exact.frame) == 80
    assert set(exact.frame["split_group"].dropna()) == {"Male", "Female"}
    et = baseline_table(f, "sex", mode=Mode.EXACT, path=path)
    assert table1_rows_refusal(et) == ""
