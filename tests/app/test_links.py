"""A view set by URL parameters gives the same numbers as the same view set by widgets."""

from __future__ import annotations

import pandas as pd

from tests.app.conftest import run_page


def _frames(at) -> list[pd.DataFrame]:
    return [d.value.reset_index(drop=True) for d in at.dataframe]


def test_survival_view_from_link_equals_view_from_widgets():
    query = {
        "cohort": "pgep-mibg-211",
        "grade": "G1,G2",
        "endpoint": "pfs_imaging",
        "by": "treatments",
        "ci": "log",
    }
    by_link = run_page("pages/survival.py", query)
    assert not by_link.exception

    by_widgets = run_page("pages/survival.py")
    by_widgets.multiselect(key="flt_grade").set_value(["G1", "G2"]).run()
    by_widgets.selectbox(key="ctl_endpoint").set_value("pfs_imaging").run()
    by_widgets.selectbox(key="ctl_by").set_value("treatments").run()
    by_widgets.selectbox(key="ctl_ci").set_value("log").run()
    assert not by_widgets.exception

    link_frames, widget_frames = _frames(by_link), _frames(by_widgets)
    assert len(link_frames) == len(widget_frames) >= 3
    for a, b in zip(link_frames, widget_frames, strict=True):
        pd.testing.assert_frame_equal(a, b)
    # and the widgets wrote the same link back
    for key, value in query.items():
        assert by_widgets.query_params[key] == value


def test_response_view_from_link_equals_view_from_widgets():
    query = {"cohort": "pgep-mibg-211", "domain": "biochemical", "rby": "sex"}
    by_link = run_page("pages/response.py", query)
    by_widgets = run_page("pages/response.py")
    by_widgets.selectbox(key="ctl_domain").set_value("biochemical").run()
    by_widgets.selectbox(key="ctl_rby").set_value("sex").run()
    assert not by_link.exception and not by_widgets.exception
    for a, b in zip(_frames(by_link), _frames(by_widgets), strict=True):
        pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------ stale and foreign links
def test_link_to_a_deleted_cohort_shows_an_error_not_another_cohorts_numbers():
    """The attack (issue 18): a link naming a cohort that no longer exists showed the first
    cohort's numbers, with the 'ignored' notice below the fold in the sidebar."""
    at = run_page("pages/survival.py", {"cohort": "deleted-cohort", "grade": "G1"})
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "deleted-cohort" in errors and "not in this database" in errors
    assert not at.dataframe, "no figures may be shown for a link whose cohort is gone"
    assert not at.metric


def test_link_with_one_deleted_cohort_of_two_shows_no_figures():
    at = run_page("pages/overview.py", {"cohort": "nguyen-2004,gone-cohort"})
    assert not at.exception
    assert "gone-cohort" in " ".join(e.value for e in at.error)
    assert not at.dataframe


def test_choosing_a_cohort_after_a_stale_link_shows_its_figures():
    at = run_page("pages/overview.py", {"cohort": "deleted-cohort"})
    assert at.error
    at.multiselect(key="flt_cohorts").set_value(["nguyen-2004"]).run()
    assert not at.exception
    assert not at.error
    assert at.dataframe
    assert at.query_params["cohort"] == "nguyen-2004"


def test_share_link_drops_unknown_keys():
    at = run_page(
        "pages/survival.py",
        {"cohort": "nguyen-2004", "utm_source": "mail", "ZQevil": "1", "v_widget": "x"},
    )
    assert not at.exception
    shown = " ".join(w.value for w in at.warning)
    assert "Ignored unknown link parameter 'utm_source'" in shown
    assert "utm_source" not in at.query_params and "ZQevil" not in at.query_params
    assert at.query_params["cohort"] == "nguyen-2004"


def test_hostile_link_key_is_not_markdown():
    at = run_page("pages/overview.py", {"![x](http://evil.example/p.png)": "1"})
    assert not at.exception
    for w in at.warning:
        assert "](http" not in w.value and "![" not in w.value, w.value
