"""User-defined groups on the Cox page: a link with grp1/grp2 shows the groups' hazard ratio."""

from __future__ import annotations

from core.analyses import cox as cd
from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_cox
from core.analyses.disclosure import Mode
from core.data.filters import Filters
from tests.app.conftest import run_page

PAGE = "pages/cox.py"
A, B = "pgep-mibg-211", "ia-hepatic-6"
GROUPS = GroupSet(
    (
        DefinedGroup("Synthetic", Filters(cohorts=(A,))),
        DefinedGroup("IA", Filters(cohorts=(B,))),
    )
)
LINK = {"cohort": A, **GROUPS.to_query_params()}


def test_a_link_with_groups_shows_the_group_hr(app_db):
    at = run_page(PAGE, LINK)
    assert not at.exception
    assert "Your groups" in [s.value for s in at.subheader]
    cmp = compare_cox(
        GROUPS, cd.CoxSpec(covariates=("sex", "grade", "prior_ssa")), app_db, mode=Mode.PROTECTED
    )
    (h,) = cmp.hazard_ratios
    hr = f"{h.hr:.2f} ({h.lower:.2f}–{h.upper:.2f})"
    shown = [str(v) for d in at.dataframe for v in d.value.get("HR (95% CI)", [])]
    assert hr in shown
    assert any("Efron" in m.value for m in at.markdown)
    assert dict(at.query_params)["grp2.cohort"] == B  # kept for a copied link


def test_without_groups_the_page_shows_no_group_view():
    at = run_page(PAGE, {"cohort": A})
    assert not at.exception
    assert "Your groups" not in [s.value for s in at.subheader]
