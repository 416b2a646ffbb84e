"""User-defined groups on the Response page: from a link, and carried over from Survival."""

from __future__ import annotations

from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_responses
from core.analyses.disclosure import Mode
from core.analyses.responses import ResponseSpec
from core.data.filters import Filters
from tests.app.conftest import run_page

PAGE = "pages/response.py"
C = "pgep-mibg-211"
GROUPS = GroupSet(
    (
        DefinedGroup("G1", Filters(cohorts=(C,), grade=("G1",))),
        DefinedGroup("G2-3", Filters(cohorts=(C,), grade=("G2", "G3"))),
    )
)
LINK = {"cohort": C, **GROUPS.to_query_params()}


def _table(at):
    (frame,) = [d.value for d in at.dataframe if "Group" in d.value.columns]
    return frame


def test_a_link_with_groups_renders_the_per_group_table(app_db):
    at = run_page(PAGE, LINK)
    assert not at.exception
    assert "Your groups" in [s.value for s in at.subheader]
    assert "Response rates" not in [s.value for s in at.subheader]  # instead of the page's own
    cmp = compare_responses(GROUPS, ResponseSpec(), app_db, mode=Mode.PROTECTED)
    frame = _table(at)
    assert list(frame["Group"]) == ["G1", "G2-3"]
    assert list(frame["ORR, % (95% CI)"]) == list(cmp.frame()["ORR, % (95% CI)"])
    assert cmp.test is not None
    assert any("Fisher" in m.value and "Group comparison" in m.value for m in at.markdown)
    ledger = at.session_state["_multiplicity_ledger"]
    assert any("across your groups" in t.hypothesis for t in ledger.tests)


def test_groups_built_on_survival_carry_over_to_response():
    at = run_page("pages/survival.py", {"cohort": C, "grade": "G1"})
    at.text_input(key="_grp_name").set_value("Grade 1").run()
    next(b for b in at.button if b.label == "Add the sidebar's selection").click().run()
    at.multiselect(key="flt_grade").set_value(["G2"]).run()
    at.text_input(key="_grp_name").set_value("Grade 2").run()
    next(b for b in at.button if b.label == "Add the sidebar's selection").click().run()
    assert [s.value for s in at.subheader][0] == "Your groups"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "Your groups" in [s.value for s in at.subheader]
    assert list(_table(at)["Group"]) == ["Grade 1", "Grade 2"]
    assert at.query_params["grp2.grade"] == "G2"  # the Response page's link keeps them
