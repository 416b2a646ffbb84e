"""The session ledger in the sidebar: the tests a page showed, adjusted over the session."""

from __future__ import annotations

from core.analyses.ledger import Ledger
from pages._ledger import KEY
from tests.app.conftest import run_page


def _ledger(at) -> Ledger:
    return at.session_state[KEY] if KEY in at.session_state else Ledger()


def test_a_grouped_response_view_records_its_test_and_the_export_says_so():
    at = run_page("pages/response.py", {"rby": "sex", "cohort": "pgep-mibg-211"})
    assert not at.exception
    led = _ledger(at)
    assert len(led) == 1 and led.tests[0].page == "Response"
    labels = [e.label for e in at.sidebar.expander]
    assert "Tests this session: 1" in labels
    # the same view again is the same test, not a new one
    at.run()
    assert len(_ledger(at)) == 1
    # a different grouping is another test: the session now holds two
    at.selectbox(key="ctl_rby").set_value("grade").run()
    assert len(_ledger(at)) == 2
    assert "Tests this session: 2" in [e.label for e in at.sidebar.expander]


def test_an_ungrouped_view_records_nothing():
    at = run_page("pages/response.py", {"cohort": "pgep-mibg-211"})
    assert not at.exception
    assert len(_ledger(at)) == 0
    assert "Tests this session: none yet" in [e.label for e in at.sidebar.expander]


def test_a_link_does_not_carry_the_ledger():
    """Two sessions opening the same link start with their own, empty, ledgers."""
    first = run_page("pages/response.py", {"rby": "sex", "cohort": "pgep-mibg-211"})
    assert len(_ledger(first)) == 1
    second = run_page("pages/overview.py", {"cohort": "pgep-mibg-211"})
    assert len(_ledger(second)) == 0
