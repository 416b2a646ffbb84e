"""User-defined groups on the Survival page: built from the sidebar, kept in the link."""

from __future__ import annotations

import pytest

from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_survival
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec
from core.data.filters import Filters
from tests.app.conftest import run_page

PAGE = "pages/survival.py"
C = "pgep-mibg-211"
LINK = {
    "cohort": C,
    **GroupSet(
        (
            DefinedGroup("G1", Filters(cohorts=(C,), grade=("G1",))),
            DefinedGroup("G2-3", Filters(cohorts=(C,), grade=("G2", "G3"))),
        )
    ).to_query_params(),
}


def test_a_link_with_groups_shows_their_comparison(app_db):
    at = run_page(PAGE, LINK)
    assert not at.exception
    assert [s.value for s in at.subheader][0] == "Your groups"
    cmp = compare_survival(
        GroupSet.from_query_params(LINK)[0], SurvivalSpec(), app_db, mode=Mode.PROTECTED
    )
    chi2 = f"χ² = {cmp.analysis.logrank.chi2:.2f}"
    assert any(chi2 in m.value for m in at.markdown)
    assert dict(at.query_params)["grp2.grade"] == "G2,G3"  # kept for a copied link


def test_groups_are_added_from_the_sidebar_and_written_to_the_link():
    at = run_page(PAGE, {"cohort": C, "grade": "G1"})
    at.text_input(key="_grp_name").set_value("Grade 1").run()
    next(b for b in at.button if b.label == "Add the sidebar's selection").click().run()
    assert at.query_params["grp1"] == "Grade 1" and at.query_params["grp1.grade"] == "G1"
    assert "Your groups" not in [s.value for s in at.subheader]  # one group: no comparison yet
    at.multiselect(key="flt_grade").set_value(["G2"]).run()
    at.text_input(key="_grp_name").set_value("Grade 2").run()
    next(b for b in at.button if b.label == "Add the sidebar's selection").click().run()
    assert not at.exception
    assert [s.value for s in at.subheader][0] == "Your groups"


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "<b>x</b>", ""])
def test_bad_group_names_are_refused(name):
    at = run_page(PAGE, {"cohort": C})
    at.text_input(key="_grp_name").set_value(name).run()
    next(b for b in at.button if b.label == "Add the sidebar's selection").click().run()
    assert "grp1" not in at.query_params
    assert at.warning


def test_overlapping_groups_are_shown_not_tested():
    link = {
        "cohort": C,
        **GroupSet(
            (
                DefinedGroup("All", Filters(cohorts=(C,))),
                DefinedGroup("G1", Filters(cohorts=(C,), grade=("G1",))),
            )
        ).to_query_params(),
    }
    at = run_page(PAGE, link)
    assert not at.exception
    assert any("more than one group" in w.value for w in at.warning)
    assert not any("Log-rank" in m.value for m in at.markdown)


def test_your_groups_have_the_page_exports_with_their_definitions(deferred):
    """Figure, CSVs whose provenance names each group's definition, link and results text."""
    at = run_page(PAGE, LINK)
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Figure (SVG)", "Figure (PNG, 300 dpi)", "Summary (CSV)"} <= set(labels)
    csv = next(v for k, v in deferred.items() if k.endswith(".csv") and "summary" in k.lower())
    text = csv().decode("utf-8-sig")
    assert "Your groups: G1: pgep-mibg-211 · G1; G2-3: pgep-mibg-211 · G2-G3" in text
    assert "Log-rank p" in " ".join(c.value for c in at.code)
