"""Response rates of user-defined groups: each group its own selection, compared when allowed."""

from __future__ import annotations

import pytest

from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_responses
from core.analyses.disclosure import Mode
from core.analyses.ledger import defined_response_tests
from core.analyses.responses import ResponseSpec, analyse
from core.data.filters import Filters
from core.stats.responses import GroupTestMethod

A, B = "pgep-mibg-211", "stage4-unselected-50"


def test_disjoint_cohort_groups_equal_the_grouping_by_cohort(default_db):
    """Two cohorts defined as groups give the counts, ORRs and intervals of grouping the two
    cohorts' selection by cohort_id; the test is Fisher's exact test on responders vs the rest.

    R (tolerance 1e-12 relative: the same hypergeometric sum)::

        fisher.test(matrix(c(25, 5, 100, 45), 2))$p.value   # 0.12611138246788417
        binom.test(5, 50)$conf.int                          # 0.033275093589022517 0.21813536643420228
    """
    gs = GroupSet(
        (
            DefinedGroup("Cohort A", Filters(cohorts=(A,))),
            DefinedGroup("Cohort B", Filters(cohorts=(B,))),
        )
    )
    cmp = compare_responses(gs, ResponseSpec(), default_db, mode=Mode.EXACT)
    assert not cmp.refused and not cmp.overlapping
    by = analyse(Filters(cohorts=(A, B)), ResponseSpec(by="cohort_id"), default_db, mode=Mode.EXACT)
    ref = {g.label: g for g in by.table.groups}
    for row, cohort in zip(cmp.rows, (A, B), strict=True):
        g = ref[cohort]
        assert (row.n, row.n_evaluable) == (g.n, g.n_evaluable)
        assert row.rate == g.derived["orr"] and row.control == g.derived["dcr"]
        assert row.hidden == frozenset()
    assert [(r.rate.n, r.rate.denominator) for r in cmp.rows] == [(25, 125), (5, 50)]
    assert cmp.rows[1].rate.lower == pytest.approx(3.3275093589022517, rel=1e-12)
    assert cmp.rows[1].rate.upper == pytest.approx(21.813536643420228, rel=1e-12)
    assert cmp.test.method is GroupTestMethod.FISHER_2X2
    assert cmp.test.p == pytest.approx(0.12611138246788417, rel=1e-12)
    frame = cmp.frame()
    assert list(frame["Responders (CR + PR)"]) == [25, 5]
    assert list(frame["ORR, % (95% CI)"]) == ["20.0% (13.4–28.1)", "10.0% (3.3–21.8)"]
    (entry,) = defined_response_tests(cmp)
    assert entry.p == cmp.test.p and "Cohort A" in entry.hypothesis
    csv = cmp.export()
    assert set(csv["test_p"]) == {cmp.test.p} and len(csv) == 4  # 2 groups x ORR, DCR


def test_overlapping_groups_withhold_the_test(default_db):
    gs = GroupSet(
        (
            DefinedGroup("Everyone", Filters(cohorts=(A,))),
            DefinedGroup("Grade 1", Filters(cohorts=(A,), grade=("G1",))),
        )
    )
    cmp = compare_responses(gs, ResponseSpec(), default_db, mode=Mode.EXACT)
    assert cmp.overlapping and cmp.test is None
    (ov,) = cmp.overlaps
    assert ov.n == cmp.rows[1].n and ov.shown == str(ov.n)
    assert any("more than one group" in n for n in cmp.notes)
    assert defined_response_tests(cmp) == []
    assert cmp.export()["test_p"].isna().all()


def test_one_group_is_not_a_comparison(default_db):
    gs = GroupSet((DefinedGroup("a", Filters()),))
    assert compare_responses(gs, ResponseSpec(), default_db, mode=Mode.EXACT).refused


def test_protected_imported_cohort_hides_small_counts(tmp_path):
    """Grade 1 (62 patients) vs grade 2 (12) of the imported cohort: grade 2 has 2 responders
    and 10 evaluable; exact mode shows them and tests, protected mode shows neither, no rate
    that would give them away, and no test."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    gs = GroupSet(
        (
            DefinedGroup("G1", Filters(cohorts=(REAL,), grade=("G1",))),
            DefinedGroup("G2", Filters(cohorts=(REAL,), grade=("G2",))),
        )
    )
    exact = compare_responses(gs, ResponseSpec(), path, mode=Mode.EXACT)
    assert (exact.rows[1].rate.n, exact.rows[1].n_evaluable) == (2, 10)
    assert exact.test is not None and not exact.disclosure.active
    prot = compare_responses(gs, ResponseSpec(), path, mode=Mode.PROTECTED)
    assert prot.disclosure.active and prot.test is None
    assert {"eval", "orr"} <= prot.rows[1].hidden
    row = prot.frame().iloc[1]
    assert row["Evaluable"] == "<11" and row["Responders (CR + PR)"] == "<11"
    assert row["ORR, % (95% CI)"] == "–" and row["DCR, % (95% CI)"] == "–"
    assert any("withheld under disclosure control" in n for n in prot.notes)
    csv = prot.export()
    g2 = csv[csv["group"] == "G2"]
    assert g2[["n", "n_evaluable", "denominator", "pct", "ci_lower"]].isna().all().all()
    assert defined_response_tests(prot) == []
