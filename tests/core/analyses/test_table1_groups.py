"""Table 1 split by user-defined groups: each group its own selection under every rule, the
tests of Table 1 split by a field when no patient is in two groups, none when some are."""

from __future__ import annotations

import pytest

from core.analyses import ledger
from core.analyses.defined_groups import DefinedGroup, GroupSet
from core.analyses.disclosure import Mode
from core.analyses.table1 import (
    GROUPS_SPLIT,
    NOT_SHOWN,
    OVERLAP_NOTE,
    baseline_table,
    baseline_table_by_groups,
)
from core.data.filters import Filters
from core.present import table1 as shown
from tests.core.analyses import _small_cohort as sc

A, B = "pgep-mibg-211", "stage4-unselected-50"
DISJOINT = GroupSet(
    (
        DefinedGroup("Trial", Filters(cohorts=(A,))),
        DefinedGroup("Unselected", Filters(cohorts=(B,))),
    )
)


@pytest.mark.parametrize("mode", [Mode.EXACT, Mode.PROTECTED])
def test_disjoint_cohort_groups_equal_table1_split_by_cohort(default_db, mode):
    t = baseline_table_by_groups(DISJOINT, mode=mode, path=default_db)
    ref = baseline_table(Filters(cohorts=(A, B)), "cohort_id", mode=Mode.EXACT, path=default_db)
    assert not t.refused and t.split_by == GROUPS_SPLIT
    assert t.groups == ("Trial", "Unselected") and t.compared == t.groups
    assert [t.group_n[g] for g in t.groups] == [ref.group_n[A], ref.group_n[B]] == [211, 50]
    assert [r.key for r in t.rows] == [r.key for r in ref.rows]
    for r, q in zip(t.rows, ref.rows, strict=True):
        assert r.cells["Trial"].text() == q.cells[A].text(), r.key
        assert r.cells["Unselected"].text() == q.cells[B].text(), r.key
    assert len(t.tests) == len(ref.tests) > 5
    for v, w in zip(t.tests, ref.tests, strict=True):
        assert (v.family, v.method, v.note) == (w.family, w.method, w.note)
        assert v.p == w.p and v.smd == w.smd  # the same function on the same values
    frame = shown.frame(t)
    assert list(frame.columns) == [
        "Section",
        "Characteristic",
        "Trial (n=211)",
        "Unselected (n=50)",
        "p-value",
        "SMD",
    ]
    assert "Trial minus Unselected" in " ".join(shown.footnotes(t))
    entries = ledger.table1_tests(t)
    assert entries and all("across your groups" in e.hypothesis for e in entries)
    assert t.overlaps and all(o.n == 0 for o in t.overlaps)


def test_overlapping_groups_show_columns_and_withhold_tests(default_db):
    gs = GroupSet(
        (
            DefinedGroup("Everyone", Filters(cohorts=(A,))),
            DefinedGroup("Men", Filters(cohorts=(A,), sex=("male",))),
        )
    )
    t = baseline_table_by_groups(gs, mode=Mode.EXACT, path=default_db)
    men = baseline_table(Filters(cohorts=(A,), sex=("male",)), mode=Mode.EXACT, path=default_db)
    assert t.groups == ("Everyone", "Men") and t.group_n["Everyone"] == 211
    assert t.group_n["Men"] == men.group_n["All"] > 0
    assert t.tests == () and t.compared == () and OVERLAP_NOTE in t.notices
    (o,) = t.overlaps
    assert (o.a, o.b, o.n, o.shown) == ("Everyone", "Men", men.group_n["All"], str(o.n))
    assert "p-value" not in shown.frame(t).columns and ledger.table1_tests(t) == []


def test_fewer_than_two_groups_is_refused(default_db):
    t = baseline_table_by_groups(GroupSet(DISJOINT.groups[:1]), path=default_db)
    assert t.refused and "two groups" in t.refusal


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    return sc.build(tmp_path_factory.mktemp("t1groups") / "small.duckdb")


MEN_WOMEN = GroupSet(
    (
        DefinedGroup("Men", Filters(cohorts=(sc.REAL,), sex=("male",))),
        DefinedGroup("Women", Filters(cohorts=(sc.REAL,), sex=("female",))),
    )
)


def _cell(t, key, group):
    return next(r.cells[group] for r in t.rows if r.key == key)


def test_protected_imported_cohort_hides_small_counts(small_db):
    exact = baseline_table_by_groups(MEN_WOMEN, mode=Mode.EXACT, path=small_db)
    prot = baseline_table_by_groups(MEN_WOMEN, mode=Mode.PROTECTED, path=small_db)
    assert exact.group_n == prot.group_n == {"Men": 44, "Women": 36}
    assert prot.disclosure.active and not exact.disclosure.active
    small = [
        (r.key, g)
        for r in exact.rows
        if r.kind != "continuous"
        for g in exact.groups
        if 1 <= (r.cells[g].n or 0) < sc.T
    ]
    assert small  # e.g. prior surgery "no" among women, grade G3
    for key, g in small:
        c = _cell(prot, key, g)
        assert c.hidden and c.n is None, (key, g)
    # each column is its own selection's Table 1, protected as the sidebar would show it
    for g, f in zip(prot.groups, (("male",), ("female",)), strict=True):
        own = baseline_table(Filters(cohorts=(sc.REAL,), sex=f), path=small_db)
        for r in own.rows:
            assert _cell(prot, r.key, g).text() == r.cells["All"].text(), (r.key, g)
    # a test computed on a hidden cell is withheld; one on shown cells is the exact one
    by_family = {v.family: v for v in prot.tests}
    exact_tests = {v.family: v for v in exact.tests}
    assert by_family["grade"].note == NOT_SHOWN and by_family["grade"].p is None
    assert exact_tests["grade"].p is not None
    shown_tests = [v for v in prot.tests if v.p is not None]
    assert shown_tests
    for v in shown_tests:
        assert v.p == exact_tests[v.family].p
    assert {e.p for e in ledger.table1_tests(prot)} == {v.p for v in shown_tests}


def test_characteristics_defining_the_groups_are_not_tested(default_db):
    gs = GroupSet(
        (
            DefinedGroup("G1 young", Filters(cohorts=(A,), grade=("G1",), age_max=60)),
            DefinedGroup("G2 older", Filters(cohorts=(A,), grade=("G2",), age_min=61)),
        )
    )
    t = baseline_table_by_groups(gs, mode=Mode.EXACT, path=default_db)
    families = {v.family for v in t.tests}
    assert "grade" not in families and "age" not in families
    assert {"sex", "primary_site", "first_activity_mbq"} <= families
    assert "Not compared, as they define the groups: grade, age, years." in t.notices
