"""User-defined groups: each a selection under every rule, compared without double counting."""

from __future__ import annotations

import math

import pytest

from core.analyses.defined_groups import (
    MAX_GROUPS,
    DefinedGroup,
    GroupSet,
    compare_survival,
    intersection,
)
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, analyse, hazard_ratios
from core.data.filters import Filters


def test_intersection_of_conjunctions():
    a = Filters(primary_site=("small_bowel", "pancreas"), age_min=40, prior_yes=("surgery",))
    b = Filters(primary_site=("pancreas",), age_max=70, route=("IA",))
    both = intersection(a, b)
    assert both == Filters(
        primary_site=("pancreas",), route=("IA",), age_min=40, age_max=70, prior_yes=("surgery",)
    )
    assert intersection(Filters(route=("IV",)), Filters(route=("IA",))) is None
    assert intersection(Filters(age_min=70), Filters(age_max=60)) is None
    assert intersection(Filters(prior_yes=("surgery",)), Filters(prior_no=("surgery",))) is None
    assert intersection(Filters(), Filters()) == Filters()


def test_link_round_trip_and_hostile_values():
    gs = GroupSet(
        (
            DefinedGroup("Small bowel IA", Filters(primary_site=("small_bowel",), route=("IA",))),
            DefinedGroup("IV, same sites", Filters(primary_site=("small_bowel",), route=("IV",))),
        )
    )
    params = gs.to_query_params()
    assert params["grp1"] == "Small bowel IA" and params["grp2.route"] == "IV"
    back, notices = GroupSet.from_query_params(params)
    assert back == gs and notices == []
    bad = {
        "grp1": "=cmd|' /C calc'!A0",
        "grp2": "ok",
        "grp2.route": "IV,'; DROP TABLE patients;--",
        "grp3": "ok",
        f"grp{MAX_GROUPS + 1}": "x",
        "grp4": "y" * 100,
    }
    parsed, notices = GroupSet.from_query_params(bad)
    assert [g.name for g in parsed.groups] == ["ok"]
    assert parsed.groups[0].filters == Filters(route=("IV",))
    text = " ".join(notices)
    assert "Ignored group 1" in text and "used twice" in text and "at most 40" in text
    assert f"at most {MAX_GROUPS} groups" in text and "DROP TABLE" in text  # named, not run


def test_disjoint_groups_equal_the_field_grouping(default_db):
    """Two cohorts defined as groups by hand give the same counts, log-rank and hazard ratio
    as grouping the two cohorts' selection by cohort."""
    spec = SurvivalSpec()
    a, b = "pgep-mibg-211", "stage4-unselected-50"
    gs = GroupSet(
        (
            DefinedGroup("Cohort A", Filters(cohorts=(a,))),
            DefinedGroup("Cohort B", Filters(cohorts=(b,))),
        )
    )
    cmp = compare_survival(gs, spec, default_db, mode=Mode.EXACT)
    assert not cmp.refused and not cmp.overlapping
    both = Filters(cohorts=(a, b))
    by = analyse(both, SurvivalSpec(by="cohort_id"), default_db, mode=Mode.EXACT)
    assert cmp.analysis.logrank.chi2 == pytest.approx(by.logrank.chi2, rel=1e-12)
    sizes = {g.label: g.n for g in by.groups}
    assert [g.n for g in cmp.analysis.groups] == [sizes[a], sizes[b]]
    hr_by = hazard_ratios(both, SurvivalSpec(by="cohort_id"), a, default_db, mode=Mode.EXACT)
    (row,) = hr_by.rows if len(hr_by.rows) == 1 else [r for r in hr_by.rows if r.label == b]
    (mine,) = cmp.hazard_ratios
    assert mine.hr == pytest.approx(row.hr, rel=1e-9)
    assert mine.lower == pytest.approx(row.lower, rel=1e-9)
    assert mine.upper == pytest.approx(row.upper, rel=1e-9)


def test_overlapping_groups_show_the_overlap_and_refuse_tests(default_db):
    gs = GroupSet(
        (
            DefinedGroup("Everyone", Filters()),
            DefinedGroup("Grade 1", Filters(grade=("G1",))),
        )
    )
    cmp = compare_survival(gs, SurvivalSpec(), default_db, mode=Mode.EXACT)
    assert cmp.overlapping
    (ov,) = cmp.overlaps
    n_g1 = analyse(Filters(grade=("G1",)), SurvivalSpec(), default_db, mode=Mode.EXACT)
    assert ov.n == n_g1.n_selected and ov.shown == str(ov.n)
    assert cmp.analysis.logrank is None and cmp.hazard_ratios == ()
    assert any("more than one group" in n for n in cmp.notes)
    assert [g.label for g in cmp.analysis.groups] == ["Everyone", "Grade 1"]


def test_one_group_is_not_a_comparison(default_db):
    cmp = compare_survival(
        GroupSet((DefinedGroup("a", Filters()),)), SurvivalSpec(), default_db, mode=Mode.EXACT
    )
    assert cmp.refused and "two groups" in cmp.refusal


def test_protected_small_overlap_and_small_group_are_not_shown(tmp_path):
    """The attack: define two real-cohort groups whose overlap is a handful of patients and read
    the overlap count; or a group of a handful. Protected mode shows neither; exact mode does."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    men = DefinedGroup("Men", Filters(cohorts=(REAL,), sex=("male",)))
    g2 = DefinedGroup("Grade 2-3", Filters(cohorts=(REAL,), grade=("G2", "G3")))
    gs = GroupSet((men, g2))
    exact = compare_survival(gs, SurvivalSpec(), path, mode=Mode.EXACT)
    (ov,) = exact.overlaps
    assert ov.n > 0  # men with grade 2-3 exist
    prot = compare_survival(gs, SurvivalSpec(), path, mode=Mode.PROTECTED)
    if not prot.refused:
        (pov,) = prot.overlaps
        if ov.n < 11:
            assert pov.shown in ("<11", "not shown (disclosure control)")
        assert str(ov.n) != pov.shown or ov.n >= 11
    tiny = GroupSet((men, DefinedGroup("GX", Filters(cohorts=(REAL,), grade=("GX",)))))
    prot_tiny = compare_survival(tiny, SurvivalSpec(), path, mode=Mode.PROTECTED)
    assert prot_tiny.refused and "'GX'" in prot_tiny.refusal
    exact_tiny = compare_survival(tiny, SurvivalSpec(), path, mode=Mode.EXACT)
    assert [g.n for g in exact_tiny.analysis.groups][1] == 2
    assert not math.isnan(exact_tiny.analysis.groups[1].km.surv[0])
