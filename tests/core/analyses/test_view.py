"""The one disclosure decision: viewer modes, the query-set-size restriction, age bands."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.analyses.disclosure import (
    MODE_ENV,
    Disclosure,
    Mode,
    band_age_bounds,
    configured_mode,
    query_set_refusal,
    suppress_table,
    viewer_mode,
)
from core.analyses.view import open_view
from core.cohorts.generator import generate_pgep
from core.data.build import _write, insert_cohort
from core.data.db import close_all
from core.data.filters import Filters

HOSTING = {"disclosure": {"mode": "exact", "analysts": ["Owner@Hospital.org"]}}


def _cohort(cid: str, provenance: str) -> dict:
    return {
        "cohort_id": cid,
        "title": cid,
        "provenance": provenance,
        "description": "",
        "citation": "",
    }


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """An imported cohort of 60 with one 4-patient primary site and one patient aged 67."""
    frames = generate_pgep(n=60, seed=5)
    p = frames.patients
    p["primary_site"] = np.array(["small_bowel"] * 56 + ["lung"] * 4, dtype=object)
    ages = np.array([50 + (i % 15) for i in range(60)])  # 50..64
    ages[7] = 67
    ages[:20] = np.where(np.arange(20) == 7, 67, 72)  # 19 aged 72, one 67
    p["age"] = ages
    path = tmp_path_factory.mktemp("view") / "v.duckdb"

    def fill(con):
        insert_cohort(con, _cohort("real-60", "imported"), frames)
        insert_cohort(con, _cohort("synth", "synthetic"), generate_pgep(n=30, seed=2))

    _write(path, fill)
    yield path
    close_all()


# ------------------------------------------------------------------ who sees what
def test_open_instance_follows_the_environment_then_the_hosting_setting():
    assert configured_mode({}, None) is Mode.PROTECTED
    assert configured_mode({}, HOSTING) is Mode.EXACT
    assert configured_mode({MODE_ENV: "protected"}, HOSTING) is Mode.PROTECTED
    assert configured_mode({MODE_ENV: "EXACT"}, None) is Mode.EXACT


def test_unknown_mode_text_fails_closed():
    assert configured_mode({MODE_ENV: "exactly"}, None) is Mode.PROTECTED
    assert configured_mode({}, {"disclosure": {"mode": "all"}}) is Mode.PROTECTED


def test_with_login_only_verified_analysts_get_exact_whatever_the_instance_says():
    env = {MODE_ENV: "exact"}
    kw = {"login_required": True, "hosting": HOSTING, "env": env}
    assert viewer_mode(email="owner@hospital.org", **kw) is Mode.EXACT
    assert viewer_mode(email="owner@hospital.org", email_verified=False, **kw) is Mode.PROTECTED
    assert viewer_mode(email="someone@hospital.org", **kw) is Mode.PROTECTED
    assert viewer_mode(email=None, **kw) is Mode.PROTECTED
    domain = {"disclosure": {"analyst_domains": ["@hospital.org"]}}
    assert viewer_mode(login_required=True, email="a@hospital.org", hosting=domain) is Mode.EXACT
    assert viewer_mode(login_required=True, email="a@evil.org", hosting=domain) is Mode.PROTECTED


def test_without_login_the_instance_mode_applies_to_everyone():
    assert viewer_mode(login_required=False, env={}, hosting=None) is Mode.PROTECTED
    assert viewer_mode(login_required=False, env={MODE_ENV: "exact"}) is Mode.EXACT


# ------------------------------------------------------------------ rules
def test_query_set_size_restriction():
    d = Disclosure(11)
    assert query_set_refusal(60, 60, d) == ""  # no filter: complement empty
    assert query_set_refusal(20, 60, d) == ""
    assert "fewer than 11 patients" in query_set_refusal(10, 60, d)
    assert "leaves out fewer than 11" in query_set_refusal(56, 60, d)
    assert query_set_refusal(3, 60, Disclosure(None, Mode.EXACT, True)) == ""


def test_age_bounds_move_to_five_year_bands():
    assert band_age_bounds(67, None) == band_age_bounds(68, None) == (65, None)
    assert band_age_bounds(None, 72) == (None, 74)
    assert band_age_bounds(3, 95) == (None, None)


def test_table_suppression_protects_rows_and_columns():
    counts = np.array([[30, 4, 26], [25, 20, 15]])
    mask = suppress_table(counts, Disclosure(11))
    assert mask[0, 1]
    for line in (*mask, *mask.T):  # no row or column with exactly one hidden cell
        assert line.sum() != 1
    hidden_sums = [counts[0][mask[0]].sum(), counts[:, 1][mask[:, 1]].sum()]
    assert all(s >= 11 for s in hidden_sums)


# ------------------------------------------------------------------ open_view on a database
def test_tiny_selection_and_its_complement_are_refused_in_protected_mode(db):
    lung = open_view(Filters(cohorts=("real-60",), primary_site=("lung",)), path=db)
    assert lung.refused and lung.n_selected == 4  # computed exactly, not shown
    rest = open_view(Filters(cohorts=("real-60",), primary_site=("small_bowel",)), path=db)
    assert rest.refused and "leaves out" in rest.refusal
    whole = open_view(Filters(cohorts=("real-60",)), path=db)
    assert not whole.refused and whole.disclosure.active


def test_exact_mode_refuses_nothing_and_suppresses_nothing(db):
    v = open_view(Filters(cohorts=("real-60",), primary_site=("lung",)), Mode.EXACT, db)
    assert not v.refused and not v.disclosure.active and v.disclosure.real_data
    assert v.disclosure.show(4) == "4"
    assert v.disclosure.stamp() == "Exact figures: not for sharing"


def test_one_year_of_age_cannot_isolate_a_patient(db):
    """age_min=67 vs 68 differ by one patient (aged 67); banded, they are the same view."""
    a = open_view(Filters(cohorts=("real-60",), age_min=67), path=db)
    b = open_view(Filters(cohorts=("real-60",), age_min=68), path=db)
    exact_a = open_view(Filters(cohorts=("real-60",), age_min=67), Mode.EXACT, db)
    exact_b = open_view(Filters(cohorts=("real-60",), age_min=68), Mode.EXACT, db)
    assert exact_a.n_selected - exact_b.n_selected == 1  # the attack works on exact figures
    assert a.filters == b.filters and a.n_selected == b.n_selected
    assert a.notices and "5-year bands" in a.notices[0]


def test_synthetic_cohorts_are_exempt(db):
    v = open_view(Filters(cohorts=("synth",), primary_site=("lung",)), path=db)
    assert not v.disclosure.active and not v.refused


def test_neighbouring_age_bands_cannot_be_differenced(db):
    """age_min=65 vs 70: ages 65-69 hold one patient; bounds snap to bands holding >= 11."""
    real = ("real-60",)
    e65 = open_view(Filters(cohorts=real, age_min=65), Mode.EXACT, db).n_selected
    e70 = open_view(Filters(cohorts=real, age_min=70), Mode.EXACT, db).n_selected
    assert 0 < e65 - e70 < 11  # the attack works on exact figures
    a = open_view(Filters(cohorts=real, age_min=65), path=db)
    b = open_view(Filters(cohorts=real, age_min=70), path=db)
    shown = [v for v in (a, b) if not v.refused]
    assert len({v.n_selected for v in shown}) <= 1


def test_a_small_category_chosen_with_others_is_refused(db):
    """small_bowel+lung vs small_bowel would give the 4 lung patients."""
    both = open_view(Filters(cohorts=("real-60",), primary_site=("small_bowel", "lung")), path=db)
    assert both.refused and "values holds fewer than 11" in both.refusal
    exact = open_view(
        Filters(cohorts=("real-60",), primary_site=("small_bowel", "lung")), Mode.EXACT, db
    )
    assert not exact.refused


def test_a_filter_that_removes_a_few_patients_is_refused(db):
    """With another filter in place, dropping the 4 lung patients must not be a shown view."""
    base = Filters(cohorts=("real-60",), age_max=64)
    with_site = replace(base, primary_site=("small_bowel",))
    ex_base = open_view(base, Mode.EXACT, db).n_selected
    ex_site = open_view(with_site, Mode.EXACT, db).n_selected
    if 0 < ex_base - ex_site < 11:
        v = open_view(with_site, path=db)
        assert v.refused and "filter leaves out fewer than 11" in v.refusal
