"""The Survival page honours the URL contract of core/analyses/survival_url.py."""

from __future__ import annotations

import pytest

from core.analyses import survival_url as url
from tests.app.conftest import run_page
from tests.core.analyses.test_survival_url import SPECS


@pytest.mark.parametrize("spec", SPECS[1:])
def test_the_page_keeps_exactly_the_contract_s_parameters(spec):
    """A link written by the contract opens the same view: the page drops nothing and adds
    nothing (it writes back non-default values only, as the contract does)."""
    query = {"cohort": "pgep-mibg-211", **url.to_query_params(spec)}
    at = run_page("pages/survival.py", query)
    assert not at.exception
    kept = {k: v for k, v in at.query_params.items() if k in url.KEYS}
    assert {k: (v[0] if isinstance(v, list) else v) for k, v in kept.items()} == (
        url.to_query_params(spec)
    )
