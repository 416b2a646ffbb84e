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
