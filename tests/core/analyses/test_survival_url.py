"""The Survival page's URL contract (core/analyses/survival_url.py): one definition for the
page's controls and the report's share link."""

from __future__ import annotations

import pytest

from core.analyses import survival_url as url
from core.analyses.survival import SurvivalSpec
from core.commands.report import share_params
from core.data.filters import Filters
from core.vocab.methods import ConfType, Endpoint, Origin

SPECS = [
    SurvivalSpec(),
    SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, by="sex", conf_type=ConfType.PLAIN),
    SurvivalSpec(origin=Origin.DIAGNOSIS, left_truncation=False, times_months=(6.0, 18.5)),
    SurvivalSpec(by="imaging_response", landmark_months=6.0, include_not_assessed=False),
    SurvivalSpec(landmark_months=3.0, rmst_months=36.0),
]


@pytest.mark.parametrize("spec", SPECS)
def test_round_trip(spec):
    params = url.to_query_params(spec)
    back, notices = url.from_query_params(params)
    assert back == spec and notices == []


def test_defaults_leave_the_link_empty():
    assert url.to_query_params(SurvivalSpec()) == {}


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"endpoint": "overall"}, "endpoint"),
        ({"by": "patient_id"}, "by"),
        ({"lm": "1", "lm_months": "999"}, "lm_months"),
        ({"times": "12,abc"}, "times"),
        ({"times": "nan"}, "times"),
        ({"rmst": "-5"}, "rmst"),
    ],
)
def test_untrusted_values_are_dropped_with_a_notice(params, key):
    spec, notices = url.from_query_params(params)
    assert len(notices) == 1 and notices[0].startswith(f"Ignored {key}=")
    assert url.to_query_params(spec).get(key) is None


def test_the_report_link_uses_the_contract():
    f = Filters(cohorts=("pgep-mibg-211",), sex=("female",))
    spec = SPECS[3]
    assert share_params(f, spec) == {**f.to_query_params(), **url.to_query_params(spec)}
