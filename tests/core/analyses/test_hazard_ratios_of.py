"""The page's hazard ratios from the cached analysis equal a fresh ``hazard_ratios`` call."""

from __future__ import annotations

import pytest

from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, analyse, hazard_ratios, hazard_ratios_of
from core.data.filters import Filters
from core.vocab.methods import Origin

SPECS = [
    SurvivalSpec(by="grade"),
    SurvivalSpec(by="primary_site"),
    SurvivalSpec(by="route", origin=Origin.DIAGNOSIS),
    SurvivalSpec(by="imaging_response", landmark_months=3.0, include_not_assessed=False),
    SurvivalSpec(by="sex", origin=Origin.DIAGNOSIS, landmark_months=3.0),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.by}-{s.origin}-{s.landmark_months}")
def test_equal_on_the_default_database(spec, default_db):
    a = analyse(Filters(), spec, default_db, mode=Mode.EXACT)
    shown = [g.label for g in a.groups if g.in_tests and not g.suppressed]
    for ref in shown[:2]:
        assert hazard_ratios_of(a, ref) == hazard_ratios(
            Filters(), spec, ref, default_db, mode=Mode.EXACT
        )


@pytest.mark.parametrize("by", ["sex", "grade", "imaging_response"])
@pytest.mark.parametrize("mode", [Mode.PROTECTED, Mode.EXACT])
def test_equal_on_an_imported_cohort_in_both_modes(by, mode, tmp_path):
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    f = Filters(cohorts=(REAL,))
    spec = SurvivalSpec(by=by)
    a = analyse(f, spec, path, mode=mode)
    refs = [g.label for g in a.groups] or ["none"]
    for ref in refs:
        assert hazard_ratios_of(a, ref) == hazard_ratios(f, spec, ref, path, mode=mode)
