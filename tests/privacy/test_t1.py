"""Table 1 tests and SMDs under disclosure control (issue 17, item 6).

A p-value or SMD is a function of the counts it compares: with the shown cells and margins,
Fisher's p or a yes/no SMD pins a hidden count down. In protected mode on real cohorts no test
or SMD is shown for a characteristic with a hidden cell in a compared column, nor when a
compared column is hidden, nor (continuous) when a compared group has 1-10 missing values;
exact mode shows them all. The planted counts are those of tests/privacy/cohort.py (8 men,
4 lung primaries, 3 G3 and 2 missing grades, 6 multiple treatments).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analyses.disclosure import Mode
from core.analyses.table1 import NOT_SHOWN, baseline_table
from core.data.filters import Filters
from core.stats.tests import categorical_test
from tests.privacy.cohort import REAL, SMALL
from tests.privacy.collect import json_leaks, leaks, run_cli

SYNTH = "synth-120"


def _table1_json(db, by: str, mode: str | None) -> dict:
    rc, out, err = run_cli(["table1", "--db", str(db), "--cohort", REAL, "--by", by, "--json"],
                           mode)  # fmt: skip
    assert rc == 0, err[-1500:]
    return json.loads(out)


@pytest.mark.parametrize(("by", "small_group"), [("sex", "Male"), ("primary_site", "Lung"),
                                                  ("n_treatments_group", "Multiple")])  # fmt: skip
def test_a_small_group_withholds_every_test_and_smd(privacy_db, by, small_group):
    prot = _table1_json(privacy_db, by, None)
    sizes = {g["label"].lower(): g["n_text"] for g in prot["groups"]}
    assert sizes[small_group.lower()] == "<11"
    assert prot["tests"], "the split table has tests"
    for v in prot["tests"]:
        assert (v["p"], v["smd"], v["test"], v["statistic"]) == (None, None, None, None), v
        assert v["note"] == NOT_SHOWN
    assert json_leaks(prot) == []
    exact = _table1_json(privacy_db, by, "exact")
    assert any(v["p"] is not None for v in exact["tests"])
    assert leaks(json.dumps(exact)), "exact mode shows the small counts"


def test_exact_mode_shows_the_tests_on_the_small_group(privacy_db):
    exact = _table1_json(privacy_db, "sex", "exact")
    sizes = {g["label"]: g["n"] for g in exact["groups"]}
    assert sizes["Male"] == SMALL["male"]
    tests = {v["variable"]: v for v in exact["tests"]}
    assert tests["age"]["test"] in ("wilcoxon", "wilcoxon-exact")
    assert tests["prior_ssa"]["test"] in ("chi-square", "fisher")
    assert tests["age"]["smd"] is not None and tests["prior_ssa"]["smd"] is not None


@pytest.fixture(scope="module")
def by_cohort(privacy_db):
    f = Filters(cohorts=(SYNTH, REAL))
    return (baseline_table(f, "cohort_id", path=privacy_db),
            baseline_table(f, "cohort_id", mode=Mode.EXACT, path=privacy_db))  # fmt: skip


def test_shown_columns_with_a_hidden_category_withhold_that_test_only(by_cohort):
    prot, exact = by_cohort
    assert set(prot.compared) == {SYNTH, REAL}
    assert all(prot.group_n[g] is not None for g in prot.compared)  # both columns shown
    # grade: 3 G3 and 2 missing in the real cohort; primary site: 4 lung; sex: 8 men
    for fam in ("grade", "primary_site", "sex", "treatments"):
        v = prot.test_for(fam)
        assert (v.p, v.smd, v.method, v.note) == (None, None, None, NOT_SHOWN), fam
        assert exact.test_for(fam).p is not None
    # age: no value missing, both groups large -> shown, and it is the exact value
    assert prot.test_for("age").p == exact.test_for("age").p is not None
    assert prot.test_for("age").smd == exact.test_for("age").smd is not None
    for v in prot.tests:
        if v.p is not None or v.smd is not None:
            fam_rows = [r for r in prot.rows if r.family == v.family]
            assert not any(r.cells[g].hidden for r in fam_rows for g in prot.compared
                           if r.kind != "sub"), v.family  # fmt: skip


def test_the_withheld_p_value_would_give_the_hidden_count_back(by_cohort):
    """Why the rule: the exact test of grade by cohort, with everything else as shown, takes a
    different value for every possible hidden G3 count, so it would identify the 3."""
    _, exact = by_cohort
    levels = [r for r in exact.rows if r.family == "grade" and r.kind == "level"]
    table = np.array([[int(r.cells[g].n or 0) for r in levels] for g in exact.compared])
    real = exact.compared.index(REAL)
    g3 = next(i for i, r in enumerate(levels) if r.key == "grade=G3")
    assert table[real, g3] == SMALL["g3"]
    other = next(i for i, r in enumerate(levels) if r.key == "grade=G1")
    ps = {}
    for k in range(1, 11):
        t = table.copy()
        t[real, other] += t[real, g3] - k
        t[real, g3] = k
        ps[k] = categorical_test(t).p
    assert len({round(p, 12) for p in ps.values()}) == 10
    assert ps[SMALL["g3"]] == pytest.approx(exact.test_for("grade").p, rel=1e-9)
