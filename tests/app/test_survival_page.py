"""AppTest: the Survival page for every endpoint, origin and grouping, and its URL controls."""

from __future__ import annotations

import json

import pytest

from core.analyses.survival import GROUPINGS
from core.vocab.methods import Endpoint, Origin
from tests.app.conftest import run_page

PAGE = "pages/survival.py"


def _md(at) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("endpoint", Endpoint.codes())
@pytest.mark.parametrize("origin", Origin.codes())
def test_every_endpoint_and_origin(endpoint, origin):
    at = run_page(PAGE, {"endpoint": endpoint, "origin": origin})
    assert not at.exception
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) >= 1 or any(
        "No patient" in i.value for i in at.info
    )


@pytest.mark.parametrize("by", list(GROUPINGS))
def test_every_grouping(by):
    at = run_page(PAGE, {"by": by, "cohort": "pgep-mibg-211,stage4-unselected-50"})
    assert not at.exception
    summary = at.dataframe[0].value
    assert summary["n"].sum() <= 261


def test_grouping_gives_logrank_and_hr():
    at = run_page(PAGE, {"by": "treatments"})
    assert not at.exception
    assert "Log-rank test" in _md(at)
    assert "Hazard ratios against **Single**" in _md(at)
    assert any("immortal-time" in w.value for w in at.warning)


def test_landmark_removes_the_warning_and_counts_exclusions():
    at = run_page(PAGE, {"by": "imaging_response", "lm": "1"})
    assert not at.exception
    assert not any("immortal-time" in w.value for w in at.warning)
    assert any("Landmark at 3 months" in i.value for i in at.info)


def test_empty_selection_and_one_patient_group():
    at = run_page(PAGE, {"cohort": "ia-hepatic-6", "primary_site": "pancreas"})
    assert not at.exception
    assert any("No patients match" in i.value for i in at.info)
    at = run_page(PAGE, {"cohort": "ia-hepatic-6", "by": "primary_site"})
    assert not at.exception
    notes = list(at.dataframe[0].value["Note"])
    assert any("One patient" in n for n in notes)


def test_no_data_for_endpoint_gives_a_message():
    at = run_page(PAGE, {"cohort": "ia-hepatic-6", "endpoint": "pfs_biochem"})
    assert not at.exception
    assert any("no " in i.value.lower() for i in at.info)


def test_bad_url_values_are_dropped_with_notice():
    at = run_page(PAGE, {"endpoint": "dfs", "lm_months": "999"})
    assert not at.exception
    notes = " ".join(w.value for w in at.warning)
    assert "endpoint='dfs'" in notes and "lm_months='999'" in notes


def test_widget_change_writes_url_and_changes_numbers():
    at = run_page(PAGE)
    n_all = at.dataframe[0].value["n"].iloc[0]
    at.selectbox(key="ctl_by").set_value("treatments").run()
    assert at.query_params["by"] == "treatments"
    assert list(at.dataframe[0].value["n"]) == [171, 40] or sum(at.dataframe[0].value["n"]) == n_all


def test_benchmark_overlay_is_drawn_and_labelled():
    from core.analyses.comparison import overlay_options
    from core.vocab.methods import Endpoint, Origin

    bid = next(
        b.id
        for b in overlay_options(Endpoint.OS, Origin.INDEX)
        if "Kane" in b.study or "Duke" in b.study
    )
    at = run_page(PAGE, {"overlay": bid})
    assert not at.exception
    assert at.multiselect(key="ctl_overlay").value == [bid]
    chart = at.get("vega_lite_chart")[0] if at.get("vega_lite_chart") else None
    spec = chart.proto.spec if chart is not None else ""
    assert "Benchmarks (approximation from published summary)" in spec


def test_unknown_overlay_id_is_dropped_with_notice():
    at = run_page(PAGE, {"overlay": "no-such-benchmark"})
    assert not at.exception
    assert any("overlay='no-such-benchmark'" in w.value for w in at.warning)


# ------------------------------------------------------------------ imported (real) data
@pytest.fixture(scope="module")
def lung_db(tmp_path_factory, r_dataset):
    """R's lung as an imported cohort with small grade groups (see tests/core/analyses)."""
    from tests.core.analyses.test_survival import build_imported_lung

    return build_imported_lung(tmp_path_factory.mktemp("lungapp") / "lung.duckdb", r_dataset)


def _texts(at) -> list[str]:
    return [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "title", "subheader")
        for e in getattr(at, kind)
    ]


def _chart(at) -> dict:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return json.loads(charts[0].proto.spec)


def test_protected_page_on_imported_data_shows_no_small_count(lung_db, monkeypatch):
    """Attack on the page: group an imported cohort by grade (G3: 8, GX: 6 patients) and read
    the page: tables, texts, the chart's data and tooltips."""
    from core.data.db import DB_ENV
    from tests.core.analyses.test_survival import _chart_tables, _counts_in, _small

    monkeypatch.setenv(DB_ENV, str(lung_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    at = run_page(PAGE, {"cohort": "lung-real", "by": "grade", "times": "6,12"})
    assert not at.exception
    assert any("Small-cell protection" in i.value for i in at.info)  # the banner
    for frame in (e.value for e in at.dataframe):
        for col in ("n", "Events", "At risk"):
            if col in frame.columns:
                assert not [v for v in frame[col] if _small(v)], (col, list(frame[col]))
    for text in _texts(at):
        assert not [v for v in _counts_in(text) if _small(v)], text
    spec = _chart(at)
    for rows in _chart_tables(spec):
        for row in rows:
            assert "n_risk" not in row and "n_censor" not in row
            assert not _small(row.get("n")), row
    assert '"At risk"' not in json.dumps(spec)
    md = _md(at)
    assert "Hazard ratios against **G1**" in md


def test_refused_selection_is_a_clear_empty_state(lung_db, monkeypatch):
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(lung_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    at = run_page(PAGE, {"cohort": "lung-real", "grade": "G3"})
    assert not at.exception
    assert any("fewer than 11 patients" in i.value for i in at.info)
    assert not at.dataframe and not (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))


def test_exact_mode_page_shows_exact_figures(lung_db, monkeypatch):
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(lung_db))
    monkeypatch.setenv("NET_EXPLORER_DISCLOSURE", "exact")
    at = run_page(PAGE, {"cohort": "lung-real", "by": "grade"})
    assert not at.exception
    assert any("Exact figures: not for sharing" in w.value for w in at.warning)
    ns = dict(zip(at.dataframe[0].value["Group"], at.dataframe[0].value["n"], strict=True))
    assert ns["G3"] == 8
    assert '"At risk"' in json.dumps(_chart(at))  # per-step tooltips for the owner


# ------------------------------------------------------------------ issue 19 (trust pass)
def test_rmst_horizon_is_chosen_on_the_page():
    """The RMST horizon control drives the summary (item 5): 24 months, not a fixed 60."""
    at = run_page(PAGE, {"rmst": "24"})
    assert not at.exception
    cols = list(at.dataframe[0].value.columns)
    assert "RMST to 24 months, months (95% CI)" in cols


def test_missing_grouping_value_is_a_labelled_extra_out_of_the_tests():
    """nguyen-2004 has 12 patients without a route: their curve is labelled, the log-rank
    compares the recorded routes only and the page says how many were left out (item 2)."""
    at = run_page(PAGE, {"by": "route", "cohort": "pgep-mibg-211,nguyen-2004"})
    assert not at.exception
    groups = list(at.dataframe[0].value["Group"])
    assert groups[-1] == "Missing (not in tests)"
    assert any("12 patients with no recorded route" in i.value for i in at.info)
    assert "df = 1" not in _md(at)  # one recorded route only: no test at all
    assert "Log-rank test" not in _md(at)


def test_route_across_cohorts_warns_that_groups_are_cohorts():
    """Item 10: route across the synthetic IV cohorts and the published IA cases."""
    at = run_page(PAGE, {"by": "route", "cohort": "pgep-mibg-211,ia-hepatic-6"})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("coincide with cohorts" in w for w in warnings)
    assert any("provenance" in w for w in warnings)


def test_page_hazard_ratios_are_coxph(tmp_path_factory, r_dataset, monkeypatch):
    """The page's hazard ratios (project Cox engine) printed to 2 decimals are R's
    ``coxph(Surv(time, status) ~ factor(pmin(ph.ecog, 2)), data=lung)``: 1.45 (0.98–2.13),
    2.54 (1.64–3.93); the 1e-9 comparison of the same function is in
    tests/core/analyses/test_survival_trust.py."""
    from core.data.db import DB_ENV
    from tests.core.analyses.test_survival_trust import build_ecog

    db = build_ecog(tmp_path_factory.mktemp("ecogapp"), r_dataset)[True]
    monkeypatch.setenv(DB_ENV, str(db))
    monkeypatch.setenv("NET_EXPLORER_DISCLOSURE", "exact")
    at = run_page(PAGE, {"cohort": "lung-real", "by": "grade"})
    assert not at.exception
    hr = next(d.value for d in at.dataframe if "Hazard ratio (95% CI)" in d.value.columns)
    assert list(hr["Group"]) == ["G2", "G3"]
    assert list(hr["Hazard ratio (95% CI)"]) == ["1.45 (0.98–2.13)", "2.54 (1.64–3.93)"]


def test_kmunicate_table_and_median_followup_are_shown():
    """Issue 17 items 2-3: under the figure, events and censored (cumulative) beside the
    number at risk; the median follow-up (reverse Kaplan-Meier) with the summary."""
    at = run_page(PAGE, {"by": "treatments"})
    assert not at.exception
    assert "Median follow-up" in _md(at) and "reverse Kaplan-Meier" in _md(at)
    charts = at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart")
    spec = json.loads(charts[0].proto.spec)
    # one layered view on the page (it follows the column's width): the tables' headers
    titles = [ly["mark"]["text"] for ly in spec["layer"] if ly.get("name", "").startswith("table")]
    assert titles == ["Number at risk", "Events / censored (cumulative)"]
    frames = [d.value for d in at.dataframe]
    times = next(f for f in frames if "Events (cumulative)" in f.columns)
    assert {"At risk", "Censored (cumulative)"} <= set(times.columns)
