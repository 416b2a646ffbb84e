"""AppTest: field provenance, the synthetic-data banner, icons, /overview, pages without picker
(issue 19 items 8, 9 and 16)."""

from __future__ import annotations

import pytest

from core.analyses.cohorts import cohort_cards
from core.data.db import list_cohorts
from pages._shell import PAGE_SPECS
from tests.app.conftest import run_page

PGEP = "pgep-mibg-211"


def _labels(at) -> dict[str, str]:
    return {w.key: w.label for w in at.sidebar.multiselect}


def test_the_grade_filter_says_it_is_synthetic_in_pgep():
    at = run_page("pages/overview.py", {"cohort": PGEP})
    assert not at.exception
    labels = _labels(at)
    assert labels["flt_grade"] == f"Grade (synthetic in {PGEP})"
    assert labels["flt_primary_site"] == "Primary site"  # Table 2 reports it
    at = run_page("pages/overview.py", {"cohort": "ia-hepatic-6"})
    assert _labels(at)["flt_grade"] == "Grade"  # the poster's (missing) grades, as reported


def test_the_cox_grade_covariate_says_it_is_synthetic_and_warns():
    at = run_page("pages/cox.py", {"cohort": PGEP})
    assert not at.exception
    covs = at.multiselect(key="cox_covs")
    assert f"Grade (synthetic in {PGEP})" in covs.options
    assert "Sex" in covs.options  # derived from the published percentages, not synthetic
    warnings = " ".join(w.value for w in at.warning)
    assert f"Grade in {PGEP}" in warnings and "not evidence" in warnings
    assert any(f"Grade in {PGEP}" in c.value for c in at.caption)  # the figure's caption
    covs.set_value(["sex"]).run()
    assert "not evidence" not in " ".join(w.value for w in at.warning)
    assert not any("not evidence" in c.value for c in at.caption)


def test_grouping_response_by_grade_warns_that_grades_are_synthetic():
    at = run_page("pages/response.py", {"cohort": PGEP, "rby": "grade"})
    assert not at.exception
    assert f"Grade in {PGEP}" in " ".join(w.value for w in at.warning)
    assert any(f"Grade in {PGEP}" in c.value for c in at.caption)  # caption and CSV lines


def test_cohort_cards_carry_field_provenance(app_db):
    cards = {c.info.cohort_id: c for c in cohort_cards(list_cohorts(app_db))}
    assert cards[PGEP].json()["field_provenance"]["grade"] == "synthetic"
    at = run_page("pages/dictionary.py")
    assert not at.exception
    frame = at.dataframe[0].value
    grade = frame[frame["Field"] == "grade"]["Source by cohort"].iloc[0]
    assert f"{PGEP}: synthetic" in grade


@pytest.mark.parametrize(
    "page", ["pages/overview.py", "pages/response.py", "pages/cox.py", "pages/benchmarks.py"]
)
def test_every_analysis_page_has_the_synthetic_banner(page):
    at = run_page(page, {"cohort": f"{PGEP},ia-hepatic-6"})
    assert not at.exception
    banner = [w.value for w in at.main.warning if "Synthetic data" in w.value]
    assert len(banner) == 1 and "not real patients" in banner[0] and PGEP in banner[0]
    assert "ia-hepatic-6" not in banner[0]  # published cases are not synthetic


def test_no_banner_without_synthetic_cohorts():
    at = run_page("pages/response.py", {"cohort": "ia-hepatic-6"})
    assert not at.exception
    assert not [w for w in at.warning if "Synthetic data" in w.value]


def test_navigation_and_badges_use_material_icons():
    assert all(icon.startswith(":material/") for _, _, icon, _, _ in PAGE_SPECS)
    at = run_page("pages/overview.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert ":material/science:" in text and ":material/menu_book:" in text  # badges


def test_slash_overview_opens_the_overview():
    """The default page is served at the root and has no path of its own: ``/overview`` was
    'Page not found'. A hidden page with that path runs the Overview."""
    at = run_page("pages/overview.py")
    paths = {i["url_pathname"]: i["script_path"] for i in at._registered_pages.values()}
    assert paths.get("overview", "").endswith("pages/overview.py")
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert at.title[0].value == "NET Outcomes Explorer"


@pytest.mark.parametrize("page", ["pages/validation.py", "pages/dictionary.py"])
def test_pages_the_selection_does_not_apply_to_have_no_cohort_picker(page):
    at = run_page("pages/overview.py", {"cohort": "stage4-unselected-50"})
    at.switch_page(page).run()
    assert not at.exception
    assert not [w for w in at.sidebar.multiselect if w.key == "flt_cohorts"]
    at.switch_page("pages/dictionary.py" if "valid" in page else "pages/validation.py").run()
    at.switch_page("pages/survival.py").run()  # the selection is kept for the next page
    assert not at.exception
    assert at.multiselect(key="flt_cohorts").value == ["stage4-unselected-50"]
