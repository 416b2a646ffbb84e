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


def test_reference_is_the_first_group_that_can_have_a_hazard_ratio(tmp_path):
    """Protected mode: the first shown group (G1: 1-10 patients without an event) cannot be
    the reference, so the next one is, and the other groups get their hazard ratios; exact
    mode keeps G1."""
    from core.analyses.survival import reference_group
    from tests.core.analyses._small_cohort import REAL, build

    path = build(tmp_path / "small.duckdb")
    f = Filters(cohorts=(REAL,))
    spec = SurvivalSpec(by="sex")
    exact = analyse(f, spec, path, mode=Mode.EXACT)
    assert reference_group(exact) == next(g.label for g in exact.groups if g.in_tests)
    from core.analyses.survival import few_events

    for by in ("sex", "grade", "imaging_response", "prior_surgery"):
        prot = analyse(f, SurvivalSpec(by=by), path, mode=Mode.PROTECTED)
        ref = reference_group(prot)
        shown = [g for g in prot.groups if not g.suppressed and g.in_tests]
        eligible = [
            g.label
            for g in shown
            if g.events > 0 and g.n >= 5 and not few_events(g.n, g.events, prot.disclosure)
        ]
        if eligible:  # the first eligible group, never one the rule would refuse
            assert ref == eligible[0]
            assert "The reference group is among them" not in hazard_ratios_of(prot, ref).note
        else:
            assert ref == (shown[0].label if shown else None)
