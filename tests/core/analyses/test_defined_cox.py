"""User-defined groups on the Cox page: the group-only model of the groups (compare_cox)."""

from __future__ import annotations

import pytest

from core.analyses import cox as cd
from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_cox
from core.analyses.disclosure import Mode
from core.analyses.ledger import defined_cox_tests
from core.data.filters import Filters

A, B = "pgep-mibg-211", "ia-hepatic-6"
SPEC = cd.CoxSpec(covariates=("sex", "grade"))


def test_disjoint_cohort_groups_equal_cox_by_cohort(default_db):
    """The group HR equals the page's own Cox analysis with cohort_id as the only covariate
    over both cohorts (reference = the first), both Efron; the same partial likelihood, so
    agreement to 1e-9 (different code paths: aggregated counts vs patient rows)."""
    gs = GroupSet(
        (
            DefinedGroup("Synthetic", Filters(cohorts=(A,))),
            DefinedGroup("IA", Filters(cohorts=(B,))),
        )
    )
    cmp = compare_cox(gs, SPEC, default_db, mode=Mode.EXACT)
    assert not cmp.refused
    (h,) = cmp.hazard_ratios
    assert h.label == "IA"
    ref = cd.CoxSpec(covariates=("cohort_id",), references=(("cohort_id", A),))
    a = cd.analyse(Filters(cohorts=(A, B)), ref, default_db, mode=Mode.EXACT)
    (t,) = a.shown_terms()
    assert t.term == f"cohort_id={B}"
    assert h.hr == pytest.approx(t.hr, rel=1e-9)
    assert (h.lower, h.upper) == pytest.approx((t.hr_lower, t.hr_upper), rel=1e-9)
    assert h.p == pytest.approx(t.p, rel=1e-7)
    assert any("group alone" in n for n in cmp.notes)  # the page's covariates are not in it
    frame = cmp.frame()
    assert list(frame["Group"]) == ["Synthetic", "IA"]
    assert frame["HR (95% CI)"][0] == "1 (reference)" and frame["HR (95% CI)"][1].startswith("4.46")
    (e,) = defined_cox_tests(cmp)
    assert e.kind == "Cox Wald" and e.p == h.p and "IA vs Synthetic" in e.hypothesis


def test_overlap_refuses_the_model(default_db):
    gs = GroupSet(
        (
            DefinedGroup("Everyone", Filters(cohorts=(A,))),
            DefinedGroup("G1", Filters(cohorts=(A,), grade=("G1",))),
        )
    )
    cmp = compare_cox(gs, SPEC, default_db, mode=Mode.EXACT)
    assert cmp.overlaps[0].n > 0
    assert cmp.hazard_ratios == () and defined_cox_tests(cmp) == []
    assert any("more than one group" in n for n in cmp.notes)


def test_one_group_is_refused(default_db):
    cmp = compare_cox(GroupSet((DefinedGroup("a", Filters()),)), SPEC, default_db, mode=Mode.EXACT)
    assert cmp.refused and "two groups" in cmp.refusal


def test_protected_no_hr_for_a_group_with_few_events(tmp_path):
    """docs/PRIVACY.md rule 8: in a protected imported cohort a group with 1-10 events gets no
    hazard ratio (its HR and CI would bound the count); exact mode shows it."""
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    gs = GroupSet(
        (
            DefinedGroup("G1", Filters(cohorts=(REAL,), grade=("G1",))),
            DefinedGroup("G2", Filters(cohorts=(REAL,), grade=("G2",))),
        )
    )
    exact = compare_cox(gs, SPEC, path, mode=Mode.EXACT)
    g2 = exact.survival.analysis.groups[1]
    assert 1 <= g2.events <= 10 and [h.label for h in exact.hazard_ratios] == ["G2"]
    prot = compare_cox(gs, SPEC, path, mode=Mode.PROTECTED)
    assert prot.disclosure.active and prot.hazard_ratios == ()
    assert defined_cox_tests(prot) == []
    row = prot.frame().iloc[1]
    assert row["HR (95% CI)"] == "–" and row["Events"] == "<11"
    assert any("No hazard ratio under disclosure control" in n for n in prot.notes)
