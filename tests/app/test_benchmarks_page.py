"""AppTest: the Benchmarks page (table, forest plots, comparison panel, add-a-figure form)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from core.analyses.disclosure import MODE_ENV
from core.cohorts.generator import generate_pgep
from core.data.build import _write, insert_cohort
from core.data.db import DB_ENV, close_all
from tests.app.conftest import run_page

PAGE = "pages/benchmarks.py"


def _text(elements) -> str:
    return " ".join(e.value for e in elements)


def _charts(at) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


@pytest.fixture
def private_db(app_db, tmp_path, monkeypatch):
    """A copy of the app database for tests that add a benchmark."""
    path = tmp_path / "cohorts.duckdb"
    shutil.copy2(app_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    yield path
    close_all()


def test_default_view_table_forests_and_consistent_os_comparison():
    at = run_page(PAGE)
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Endpoint"]) == {"Overall survival"}
    assert "kane-os-median" in set(table["ID"])
    # links only for identifiers seen in a source
    links = table["Link"].dropna()
    assert len(links) and all(
        u.startswith(("https://pubmed.ncbi.nlm.nih.gov/", "https://doi.org/")) for u in links
    )
    # forest plots: one per measure, each with a caption naming the selection and method
    assert _charts(at) >= 2
    md = _text(at.markdown)
    assert "median, months" in md and "at 60 months, %" in md
    specs = [e.proto.spec for e in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]
    # the view's row stands out: by a colour condition, or as "this view" beside the
    # benchmarks of another population (issue 19 item 11)
    assert all(
        "datum.label === '\\u25b6 This view: pgep-mibg-211" in s
        or ('"this view"' in s and "\\u25b6 This view: pgep-mibg-211" in s)
        for s in specs
    )
    assert all("(n=" in s for s in specs)
    captions = _text(at.caption)
    assert captions.count("pgep-mibg-211 · n=211") >= _charts(at)
    assert "Synthetic data" in _text(at.warning)
    # comparison with seed 002's 29 months: consistent, no endpoint or origin warning
    assert "**This view** (n = 211): " in md and " months (95% CI " in md
    assert "**Benchmark** (n = 211): 29 months" in md
    assert "One-sample log-rank test" in md and "Weibull" in md
    warnings = _text(at.warning)
    assert "Endpoint:" not in warnings and "Time origin:" not in warnings


def test_imaging_pfs_against_netter1_control_shows_endpoint_and_origin_warnings():
    at = run_page(PAGE, {"bench": "netter1-ctrl-pfs-median", "bendpoint": "pfs"})
    assert not at.exception
    warnings = _text(at.warning)
    assert "Endpoint: The benchmark's progression was assessed on a trial schedule" in warnings
    assert "Time origin: Benchmark times start at randomisation" in warnings
    md = _text(at.markdown)
    assert "Imaging progression-free survival" in _text(at.caption)
    assert "O/E = 0." in md and "p < 0.001" in md  # the synthetic PFS is longer than 8.4 months


def test_rate_comparison_and_therapy_filter():
    at = run_page(PAGE, {"bench": "kane-orr", "bendpoint": "orr", "therapy": "mibg"})
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Therapy"]) == {"I-131 MIBG therapy"}
    assert "Exact binomial test: 25 of 125 evaluable patients" in _text(at.markdown)
    assert _charts(at) == 1


def test_hazard_ratio_cannot_be_compared_and_says_why():
    at = run_page(PAGE, {"bench": "netter1-pfs-hr-primary", "bendpoint": "pfs"})
    assert not at.exception
    assert "hazard ratio" in _text(at.info)


def test_empty_selection_keeps_the_table_and_explains():
    at = run_page(PAGE, {"cohort": "ia-hepatic-6", "primary_site": "pancreas"})
    assert not at.exception
    assert len(at.dataframe[0].value) > 0
    assert any("No patients match" in i.value for i in at.info)
    assert _charts(at) == 0


def test_recalled_citation_is_text_with_a_note_not_a_link():
    at = run_page(PAGE, {"bendpoint": "pfs"})
    table = at.dataframe[0].value.set_index("ID")
    row = table.loc["netter1-ctrl-pfs-median"]
    assert "PMID recalled" in row["Citation"]
    assert "pubmed" not in (row["Link"] or "")


def test_bad_url_values_are_dropped_with_a_notice():
    at = run_page(PAGE, {"bench": "no-such-row", "therapy": "magic"})
    assert not at.exception
    notes = _text(at.warning)
    assert "bench='no-such-row'" in notes and "therapy='magic'" in notes


def _fill(at, **values):
    for key, value in values.items():
        widget = at.text_input(key=f"nb_{key}")
        widget.set_value(value)


FIGURE = {
    "study": "Local audit (Smith 2020)",
    "arm": "131I-MIBG",
    "n": "40",
    "value": "31.5",
    "ci_lower": "24",
    "ci_upper": "40",
}


def test_add_benchmark_rejects_an_invalid_citation(private_db):
    at = run_page(PAGE)
    n_rows = len(at.dataframe[0].value)
    _fill(at, **FIGURE, citation="Smith et al., personal communication")
    at.button[0].click().run()
    assert not at.exception
    assert "not a PMID" in _text(at.error)
    assert len(at.dataframe[0].value) == n_rows


def test_add_benchmark_appears_as_user_added(private_db):
    at = run_page(PAGE)
    n_rows = len(at.dataframe[0].value)
    _fill(at, **FIGURE, citation="doi:10.1000/xyz123")
    at.button[0].click().run()
    assert not at.exception
    assert not at.error
    table = at.dataframe[0].value
    assert len(table) == n_rows + 1
    row = table[table["Study"] == "Local audit (Smith 2020)"].iloc[0]
    assert row["Added"] == "user-added"
    assert row["Citation"].startswith("DOI 10.1000/xyz123")
    assert "user-added" in _text(at.success)


# ------------------------------------------------------------------ disclosure (imported data)
REAL_N, REAL_DEATHS = 60, 6
SMALL = re.compile(r"(?<![\d.])(10|[1-9])(?![\d.%])")


@pytest.fixture
def real_db(tmp_path, monkeypatch):
    """An imported cohort built by code: 6 deaths of 60, ORR 7 of 60, 52 with symptom data."""
    frames = generate_pgep(n=REAL_N, seed=5)
    p = frames.patients
    p["os_event"] = np.array([1] * REAL_DEATHS + [0] * (REAL_N - REAL_DEATHS))
    p["imaging_response"] = np.array(["CR"] * 3 + ["PR"] * 4 + ["SD"] * 48 + ["PD"] * 5, object)
    p["symptomatic_response"] = np.array(["improved"] * 30 + ["stable"] * 22 + [None] * 8, object)
    path = tmp_path / "real.duckdb"
    meta = {"cohort_id": "real-60", "title": "real", "provenance": "imported"}
    _write(
        path, lambda con: insert_cohort(con, {**meta, "description": "", "citation": ""}, frames)
    )
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.delenv(MODE_ENV, raising=False)
    yield path
    close_all()


def _shown(at) -> str:
    """Everything the page sends: text elements and chart specs with their data."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "success")
        for e in getattr(at, kind)
    ]
    parts += [e.proto.spec for e in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("bench", "bendpoint"),
    [
        ("kane-os-median", "os"),
        ("kane-orr", "orr"),
        ("kane-symptomatic-response", "symptomatic_response"),
    ],
)
def test_attack_protected_page_shows_no_small_count(real_db, bench, bendpoint):
    at = run_page(PAGE, {"cohort": "real-60", "bench": bench, "bendpoint": bendpoint})
    assert not at.exception
    text = _shown(at)
    assert "Small-cell protection" in _text(at.info)  # the disclosure banner
    for rx in (
        rf"O = {SMALL.pattern}",
        rf"{SMALL.pattern} of \d+",
        rf"n ?= ?{SMALL.pattern}",
        r"\b52 evaluable",
        r"n=52",
        r"n = 52",
    ):
        assert not re.search(rx, text), (rx, re.search(rx, text).group(0))
    assert "Test not shown under disclosure control" in _text(at.markdown)


def test_exact_mode_page_states_it_and_shows_the_counts(real_db, monkeypatch):
    monkeypatch.setenv(MODE_ENV, "exact")
    at = run_page(PAGE, {"cohort": "real-60", "bench": "kane-orr", "bendpoint": "orr"})
    assert not at.exception
    assert "Exact figures: not for sharing" in _text(at.warning)
    assert "Exact binomial test: 7 of 60 evaluable patients" in _text(at.markdown)


def test_attack_a_small_selection_is_refused_with_no_figure(real_db):
    # 6 patients with a lung primary: the query-set-size restriction applies
    at = run_page(PAGE, {"cohort": "real-60", "primary_site": "lung", "bench": "kane-orr"})
    assert not at.exception
    assert "fewer than 11 patients" in _text(at.info)
    assert _charts(at) == 0 and "This view" not in _text(at.markdown)
    assert not re.search(r"n ?= ?6\b", _shown(at))


# ------------------------------------------------------------------ reconstructed trial arms
def _arms_table(at):
    return next(d.value for d in at.dataframe if "Events" in d.value.columns)


def _choose_arm(at, ident: str):
    at.selectbox(key="arm_choice").set_value(ident).run()
    assert not at.exception
    return at


def test_arms_are_listed_as_reconstructed_with_their_citations():
    at = run_page(PAGE)
    assert not at.exception
    table = _arms_table(at)
    assert {"radiant4-everolimus-pfs", "radiant4-placebo-pfs"} <= set(table["ID"])
    assert set(table["Source"]) == {"reconstructed from the published figure"}
    captions = _text(at.caption)
    assert "Lancet 2016;387:968-77" in captions and "Guyot" in captions and "kmdata" in captions


def test_chosen_arm_is_drawn_with_its_risk_table_tests_and_warnings():
    at = run_page(PAGE)
    charts = _charts(at)
    _choose_arm(at, "radiant4-everolimus-pfs")
    assert _charts(at) == charts + 1
    specs = " ".join(e.proto.spec for e in at.get("vega_lite_chart"))
    assert "step-after" in specs and '"value": "Numbers at risk"' in specs  # the table's header
    risk = next(d.value for d in at.dataframe if "Months" in d.value.columns)
    assert list(risk["Months"]) == ["0", "12", "24"]
    assert risk.iloc[0, 2] == 205
    md = _text(at.markdown)
    assert "R survdiff" in md and "R coxph" in md and "RMST difference at 24 months" in md
    warnings = _text(at.warning)
    assert "Not randomised" in warnings and "Reconstructed data" in warnings
    captions = _text(at.caption)
    assert "Guyot" in captions and "Lancet 2016;387:968-77" in captions


def test_user_added_arm_is_listed_and_removable(private_db):
    from core.analyses.arms import add_user_arm
    from core.stats.reconstruct import reconstruct

    rec = reconstruct([0, 2, 4, 6], [1, 0.8, 0.6, 0.5], [0, 3], [30, 20])
    fields = {"study": "Doe 2020", "arm": "Control", "therapy_class": "placebo",
              "design": "rct", "endpoint": "pfs", "time_origin": "randomisation",
              "citation": "PMID 123"}  # fmt: skip
    arm, errors = add_user_arm(fields, rec, "months", private_db)
    assert errors == []
    close_all()
    at = run_page(PAGE)
    table = _arms_table(at)
    assert arm.id in set(table["ID"])
    assert "user-added" in table[table["ID"] == arm.id]["Source"].iloc[0]
    at.button(key="arm_remove_btn").click().run()
    assert not at.exception
    assert arm.id not in set(_arms_table(at)["ID"])


def test_attack_protected_arm_comparison_shows_no_small_count(real_db):
    at = run_page(PAGE, {"cohort": "real-60"})
    _choose_arm(at, "radiant4-everolimus-os")
    text = _shown(at)
    assert "observed/expected" not in text and "Hazard ratio, view vs arm" not in text
    assert "events <11" in _text(at.markdown)
    assert "not shown" in _text(at.markdown)
    for rx in (rf"n ?= ?{SMALL.pattern}", rf"events {SMALL.pattern}"):
        assert not re.search(rx, text), (rx, re.search(rx, text).group(0))


CURVE = b"0,100\n2,80\n4,60\n6,50\n8,40\n"  # WebPlotDigitizer: x,y without a header, percent
RISK = b"time,at_risk\n0,30\n4,17\n"


def _upload(at, curve: bytes, risk: bytes):
    at.file_uploader(key="arm_curve").set_value(("wpd.csv", curve, "text/csv"))
    at.file_uploader(key="arm_risk").set_value(("risk.csv", risk, "text/csv"))
    at.run()
    assert not at.exception
    return at


def test_upload_previews_the_reconstruction_and_saves_a_user_arm(private_db):
    from core.analyses.arms import all_arms

    at = _upload(run_page(PAGE), CURVE, RISK)
    captions = _text(at.caption)
    assert "30 patients" in captions and "largest distance between a digitised point" in captions
    assert "survival read as percent" in captions
    at.text_input(key="arm_study").set_value("Doe 2020")
    at.text_input(key="arm_arm").set_value("Control")
    at.text_input(key="arm_citation").set_value("https://doi.org/10.1000/xyz123")
    at.multiselect(key="arm_sites").set_value(["midgut"])
    at.multiselect(key="arm_grades").set_value(["G1", "G2"])
    at.button(key="FormSubmitter:arm_form-Save arm").click().run()
    assert not at.exception and not at.error
    assert "user-added" in _text(at.success)
    table = _arms_table(at)  # listed at once
    row = table[table["Trial"] == "Doe 2020"].iloc[0]
    assert row["Patients"] == 30 and row["Citation"] == "DOI 10.1000/xyz123"
    arm = next(a for a in all_arms() if a.trial == "Doe 2020")
    assert [s.value for s in arm.profile.population_sites] == ["midgut"]


def test_bad_digitised_file_names_the_file_and_line(private_db):
    at = _upload(run_page(PAGE), b"0,1\n2,0.8\n4,abc\n", RISK)
    assert "wpd.csv, line 3: survival 'abc' is not a number" in _text(at.error)


def test_user_arm_without_a_citation_is_not_saved(private_db):
    at = _upload(run_page(PAGE), CURVE, RISK)
    at.text_input(key="arm_study").set_value("Doe 2020")
    at.text_input(key="arm_arm").set_value("Control")
    at.button(key="FormSubmitter:arm_form-Save arm").click().run()
    assert "The arm was not saved" in _text(at.error)
    assert "Doe 2020" not in set(_arms_table(at)["Trial"])
