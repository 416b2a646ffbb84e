"""AppTest: the Survival page compares an ungrouped view with a reconstructed trial arm
(issue 15, item 4): URL key ``arm``, the arm's own step curve with its risk table, the tests
with their methods, every warning, and a reason whenever no comparison is made."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from core.analyses.arms import add_user_arm, find_arm, remove_user_arm
from core.analyses.disclosure import MODE_ENV
from core.cohorts.generator import generate_pgep
from core.data.build import _write, insert_cohort
from core.data.db import DB_ENV, close_all
from core.literature.arms import LABEL
from core.stats.reconstruct import reconstruct
from tests.app.conftest import run_page

PAGE = "pages/survival.py"
PFS = {"cohort": "pgep-mibg-211", "endpoint": "pfs_imaging"}
ARM = "radiant4-everolimus-pfs"
KEY = "arm"


def _charts(at) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def _text(elements) -> str:
    return "\n".join(e.value for e in elements)


def test_choosing_an_arm_draws_it_and_names_every_method_and_warning():
    at = run_page(PAGE, {**PFS, KEY: ARM})
    assert not at.exception, [e.message for e in at.exception]
    assert _charts(at) == 2  # the page's figure and the comparison's
    md = _text(at.markdown)
    assert "Log-rank: chi-square" in md and "R survdiff" in md
    assert "Hazard ratio, view vs arm" in md and "R coxph" in md
    assert "RMST difference at 60 months" in md  # the page's horizon (Analysis options)
    assert "Survival at 12 months" in md
    warnings = _text(at.warning)
    assert "Not randomised" in warnings and "Reconstructed data" in warnings
    assert "Time origin" in warnings  # a registry comparability warning
    captions = _text(at.caption)
    assert "Lancet 2016" in captions and "Guyot" in captions  # both citations
    assert at.query_params[KEY] in (ARM, [ARM])
    assert LABEL in _text(at.markdown)


def test_no_arm_by_default_and_the_url_stays_clean():
    at = run_page(PAGE, PFS)
    assert not at.exception
    assert _charts(at) == 1
    assert KEY not in at.query_params
    assert at.selectbox(key="ctl_arm").value == ""


def test_choosing_the_arm_in_the_select_writes_the_url_and_draws_it():
    at = run_page(PAGE, PFS)
    at.selectbox(key="ctl_arm").set_value(ARM).run()
    assert not at.exception
    assert at.query_params[KEY] in (ARM, [ARM])
    assert _charts(at) == 2


def test_an_os_page_with_a_pfs_arm_compares_nothing_and_says_why():
    at = run_page(PAGE, {"cohort": "pgep-mibg-211", KEY: ARM})
    assert not at.exception
    assert _charts(at) == 1
    info = _text(at.info)
    assert "No comparison with" in info and "imaging progression-free survival" in info
    assert "Log-rank: chi-square" not in _text(at.markdown)
    # the link keeps the arm: choosing the PFS endpoint then compares
    at.selectbox(key="ctl_endpoint").set_value("pfs_imaging").run()
    assert not at.exception
    assert _charts(at) == 2


def test_an_endpoint_no_arm_measures_says_so():
    at = run_page(PAGE, {"cohort": "pgep-mibg-211", "endpoint": "pfs_symptom"})
    assert not at.exception
    assert "No reconstructed arm is measured on symptomatic" in _text(at.caption)


def test_a_bad_arm_in_the_url_is_dropped_with_a_notice():
    at = run_page(PAGE, {**PFS, KEY: "radiant4-nope"})
    assert not at.exception
    assert "Ignored arm='radiant4-nope'" in _text(at.warning)
    assert KEY not in at.query_params
    assert _charts(at) == 1


def test_a_grouped_view_is_not_compared():
    at = run_page(PAGE, {**PFS, "by": "treatments", KEY: ARM})
    assert not at.exception
    assert any("Choose 'No grouping' to compare" in i.value for i in at.info)
    assert _charts(at) == 1
    assert at.query_params[KEY] in (ARM, [ARM])  # kept for when the grouping is removed


def test_a_landmark_view_is_not_compared():
    at = run_page(PAGE, {**PFS, "lm": "1", KEY: ARM})
    assert not at.exception
    assert "turn off the landmark analysis" in _text(at.info)
    assert _charts(at) == 1


def test_the_arm_shown_is_the_registry_s():
    arm = find_arm(ARM)
    at = run_page(PAGE, {**PFS, KEY: ARM})
    assert f"n = {arm.n}" in _text(at.markdown)


# ------------------------------------------------------------------ protected mode, real data
REAL_N, REAL_DEATHS = 60, 6


@pytest.fixture
def real_db(tmp_path, monkeypatch):
    """An imported (real) cohort of 60 with 6 deaths, viewed in the default protected mode."""
    frames = generate_pgep(n=REAL_N, seed=5)
    frames.patients["os_event"] = np.array([1] * REAL_DEATHS + [0] * (REAL_N - REAL_DEATHS))
    path = tmp_path / "real.duckdb"
    meta = {"cohort_id": "real-60", "title": "real", "provenance": "imported"}
    _write(
        path, lambda con: insert_cohort(con, {**meta, "description": "", "citation": ""}, frames)
    )
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.delenv(MODE_ENV, raising=False)
    yield path
    close_all()


def test_attack_protected_comparison_gives_no_event_count_back(real_db):
    """6 deaths of 60: the log-rank O, the hazard ratio and the RMST would give them back."""
    at = run_page(PAGE, {"cohort": "real-60", KEY: "radiant4-everolimus-os"})
    assert not at.exception, [e.message for e in at.exception]
    md = _text(at.markdown)
    assert "This view" in md and "events <11" in md
    assert "observed/expected" not in md and "Hazard ratio, view vs arm" not in md
    assert "RMST difference at" not in md and "not shown" in md
    view_line = next(m.value for m in at.markdown if m.value.startswith("**This view**"))
    assert not re.search(rf"events {REAL_DEATHS}\b", view_line)
    assert "Not randomised" in _text(at.warning)


def test_attack_a_refused_selection_shows_only_the_refusal(real_db):
    # 6 patients with a lung primary: the query-set-size restriction applies
    at = run_page(
        PAGE, {"cohort": "real-60", "primary_site": "lung", KEY: "radiant4-everolimus-os"}
    )
    assert not at.exception
    assert "fewer than 11 patients" in _text(at.info)
    assert _charts(at) == 0
    assert "This view" not in _text(at.markdown) and "Log-rank" not in _text(at.markdown)


# ------------------------------------------------------------------ user-added arms
@pytest.fixture
def private_db(app_db, tmp_path, monkeypatch):
    """A copy of the app database for tests that add an arm."""
    path = tmp_path / "cohorts.duckdb"
    shutil.copy2(app_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    yield path
    close_all()


def test_a_user_added_arm_is_offered_and_its_removal_drops_it(private_db):
    rec = reconstruct([0, 2, 4, 6], [1, 0.8, 0.6, 0.5], [0, 3], [30, 20])
    fields = {"study": "Doe 2020", "arm": "Control", "therapy_class": "placebo",
              "design": "rct", "endpoint": "pfs", "time_origin": "randomisation",
              "citation": "PMID 123"}  # fmt: skip
    arm, errors = add_user_arm(fields, rec, "months", private_db)
    assert errors == []
    close_all()
    at = run_page(PAGE, {**PFS, KEY: arm.id})
    assert not at.exception, [e.message for e in at.exception]
    assert _charts(at) == 2 and "PMID 123" in _text(at.caption)
    assert remove_user_arm(arm.id, private_db)
    close_all()
    at.run()  # the same session, its arm gone: no arm, no exception
    assert not at.exception, [e.message for e in at.exception]
    assert _charts(at) == 1
    assert at.selectbox(key="ctl_arm").value == ""
