"""AppTest: the Cox model page (forest plot, model table, PH check, refusals, URL binding)."""

from __future__ import annotations

import json
import re

import pytest

from core.data.filters import Filters
from core.data.queries import patients_frame
from core.vocab.schema import PATIENTS
from tests.app.conftest import ROOT, run_page

PAGE = "pages/cox.py"
_WRAPPER = f"""
import streamlit as st
from pages import _ui
page = st.navigation([st.Page({str(ROOT / PAGE)!r}, title="Cox model", url_path="cox")])
if _ui.database_guard():
    page.run()
"""


def run(query: dict | None = None):
    """The page through app.py once it is registered there, else through a bare navigation."""
    if PAGE in (ROOT / "pages" / "_shell.py").read_text():
        return run_page(PAGE, query)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(_WRAPPER, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at


def _text(elements) -> str:
    return " ".join(e.value for e in elements)


def _model_table(at):
    return next(d.value for d in at.dataframe if "HR (95% CI)" in d.value.columns)


def test_default_model_shows_forest_table_tests_and_ph_check():
    at = run()
    assert not at.exception
    table = _model_table(at)
    assert list(table.columns) == [
        "Term", "Coefficient", "SE", "HR (95% CI)", "p (Wald)", "n", "Events",
    ]  # fmt: skip
    assert "Sex: Male" in list(table["Term"])
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(charts) == 2  # forest plot and residual plot
    # as wide as the page's column ("fit-x": the labels and the plot share it), height kept
    assert [c["autosize"] for c in charts] == ["fit-x", "fit-x"]
    forest = charts[0]["layer"]  # the forest and its "HR (95% CI)" column, one view
    text = next(ly for ly in forest if ly["encoding"].get("text", {}).get("field") == "text")
    scale = forest[0]["encoding"]["x"]["scale"]
    assert scale["type"] == "log"
    assert forest[0]["mark"]["type"] == "rule"  # the reference line at HR = 1
    # the axis fits the estimates: its domain holds every CI limit and 1, with a margin
    cis = [re.fullmatch(r"[\d.]+ \(([\d.]+)–([\d.]+)\)", v) for v in table["HR (95% CI)"]]
    low = min([1.0] + [float(m.group(1)) for m in cis])
    high = max([1.0] + [float(m.group(2)) for m in cis])
    lo, hi = scale["domain"]
    assert lo < low * 1.01 and hi > high * 0.99  # every CI limit (to 2 decimals) and 1
    assert lo > low / 1.5 and hi < high * 1.5  # with a margin, not a default 0.01-100 axis
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "text"
    md = _text(at.markdown)
    for name in ("Likelihood ratio test", "Score (log-rank) test", "Wald test", "Concordance"):
        assert name in md
    assert any("Cox proportional hazards, Efron ties, Wald CI" in c.value for c in at.caption)
    zph = next(d.value for d in at.dataframe if "Chi-square" in d.value.columns)
    assert list(zph["Term"])[-1] == "Global"
    assert not at.error


def test_forest_plot_marks_the_reference_levels():
    at = run({"covariates": "sex,grade=G2"})
    assert not at.exception
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "reference; n=" in spec and "Grade: G2 (reference" in spec
    assert "Grade: G2" not in list(_model_table(at)["Term"])


def test_too_few_events_is_a_message_not_a_traceback():
    at = run({"cohort": "ia-hepatic-6", "covariates": "sex"})
    assert not at.exception
    assert "Too few events: 3 events among the 6 patients" in _text(at.error)
    assert not at.get("vega_lite_chart")


def test_one_level_covariate_is_named():
    at = run({"cohort": "pgep-mibg-211", "covariates": "sex,route"})
    assert not at.exception
    assert "Route has only one level (Intravenous)" in _text(at.error)


def test_separation_is_flagged_and_the_term_left_out_of_the_plot(app_db):
    """A primary site whose patients have no event has an infinite log-HR (separation)."""
    df = patients_frame(Filters(cohorts=("pgep-mibg-211",)), ["primary_site", "os_event"], app_db)
    events = df.groupby("primary_site")["os_event"].sum()
    no_event = [PATIENTS["primary_site"].label_of(s) for s in events[events == 0].index]
    assert no_event, "the test needs a primary site without deaths in pgep-mibg-211"
    at = run({"cohort": "pgep-mibg-211", "covariates": "primary_site"})
    assert not at.exception
    assert "may be infinite" in _text(at.warning)
    drawn = at.get("vega_lite_chart")[0].proto.spec
    for site in no_event:
        assert f"Primary site: {site}" in _text(at.caption)
        assert f"Primary site: {site} (n=" not in drawn


def test_post_baseline_covariate_warns_and_counts_dropped_patients(app_db):
    df = patients_frame(Filters(cohorts=("pgep-mibg-211",)), ["imaging_response"], app_db)
    missing = int((~df["imaging_response"].isin(["CR", "PR", "SD", "PD"])).sum())
    at = run({"covariates": "imaging_response,sex"})
    assert not at.exception
    assert "immortal-time" in _text(at.warning)
    assert f"{missing} of {len(df)} selected patients are not in the model" in _text(at.info)
    at = run({"covariates": "imaging_response,sex", "lm": "1"})
    assert not at.exception
    assert "immortal-time" not in _text(at.warning)


def test_continuous_covariates_state_their_unit():
    at = run({"covariates": "age=10,first_activity_mbq,sex"})
    assert not at.exception
    terms = list(_model_table(at)["Term"])
    assert "Age (per 10 years)" in terms and "First activity (per 1000 MBq)" in terms
    assert "patient rows" in _text(at.caption)


def test_events_per_parameter_warning(app_db):
    df = patients_frame(Filters(cohorts=("pgep-mibg-211",), primary_site=("lung",)), None, app_db)
    params = df["sex"].nunique() - 1 + df["grade"].nunique() - 1
    epv = df["os_event"].sum() / params
    assert epv < 10, "the test needs a selection with fewer than 10 events per parameter"
    at = run({"cohort": "pgep-mibg-211", "primary_site": "lung", "covariates": "sex,grade"})
    assert not at.exception
    assert f"EPV = {epv:.1f} < 10" in _text(at.warning)


def test_strata_and_interaction_from_the_link():
    at = run({"covariates": "sex,grade,sex*grade", "strata": "prior_ssa", "ties": "breslow"})
    assert not at.exception
    assert "Sex: Male × Grade: G2" in list(_model_table(at)["Term"])
    caption = _text(at.caption)
    assert "Breslow ties" in caption and "stratified by prior somatostatin" in caption


def test_strata_also_a_covariate_is_refused_clearly():
    at = run({"covariates": "sex,grade", "strata": "sex"})
    assert not at.exception
    assert "both a covariate and the stratification field" in _text(at.info)


def test_widgets_write_the_model_to_the_url():
    at = run()
    at.multiselect(key="cox_covs").set_value(["sex", "age"]).run()
    assert not at.exception
    assert at.query_params["covariates"] == "sex,age"
    at.toggle(key="cox_age10").set_value(True).run()
    assert at.query_params["covariates"] == "sex,age=10"
    at.selectbox(key="cox_ref_sex").set_value("Male").run()
    assert at.query_params["covariates"] == "sex=Male,age=10"
    assert "Sex: Female" in list(_model_table(at)["Term"])


def test_bad_link_value_is_dropped_with_a_notice():
    at = run({"covariates": "sex,nonsense"})
    assert not at.exception
    assert "Ignored covariates='sex,nonsense'" in _text(at.warning)
    assert "Sex: Male" in list(_model_table(at)["Term"])  # default model


@pytest.mark.parametrize("origin", ["diagnosis", "metastatic"])
def test_diagnosis_origins_use_delayed_entry(origin):
    at = run({"origin": origin})
    assert not at.exception
    assert "delayed entry at first treatment" in _text(at.caption)


def test_reference_level_by_stored_code_in_the_link():
    at = run({"covariates": "sex=male,grade"})
    assert not at.exception
    assert at.selectbox(key="cox_ref_sex").value == "Male"
    assert "Sex: Female" in list(_model_table(at)["Term"])
    assert at.query_params["covariates"] == "sex=Male,grade"


def test_no_covariates_asks_for_one_and_keeps_the_empty_model_in_the_link():
    at = run()
    at.multiselect(key="cox_covs").set_value([]).run()
    assert not at.exception
    assert "Choose at least one covariate" in _text(at.info)
    assert at.query_params["covariates"] == ""
    at = run({"covariates": ""})
    assert not at.exception and "Choose at least one covariate" in _text(at.info)


# ------------------------------------------------------------------ disclosure (imported data)
@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    from core.data.db import close_all
    from tests.core.analyses.test_cox import build_imported_cox

    yield build_imported_cox(tmp_path_factory.mktemp("realcoxpage") / "db.duckdb")
    close_all()


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for e in at.get(kind)]  # fmt: skip
    parts += [json.dumps(json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")]
    return " ".join(parts)


def _frame_counts(at) -> list:
    return [v for d in at.dataframe for col in ("n", "Events") if col in d.value.columns
            for v in d.value[col]]  # fmt: skip


def test_protected_page_on_imported_data_shows_no_small_count(real_db, monkeypatch):
    """Attacks: residual points (one per death, exact day, sign of the sex residual), a hidden
    level from the total, hazard ratios and PH tests of suppressed levels, n in titles."""
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(real_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    at = run({"cohort": "real-cox", "covariates": "sex,grade,prior_ssa"})
    assert not at.exception
    text = _texts(at)
    assert "Small-cell protection" in text  # the banner
    assert "Residual plot not shown under disclosure control" in text
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1  # the forest plot only: no residual points
    assert list(_model_table(at)["Term"]) == ["Prior somatostatin analogue (octreotide): Yes"]
    zph = next(d.value for d in at.dataframe if "Chi-square" in d.value.columns)
    assert list(zph["Term"]) == ["Prior somatostatin analogue (octreotide)", "Global"]
    assert "no hazard ratio is shown for Sex; Grade: G2, G3, GX" in text
    for v in _frame_counts(at):
        assert v in ("<11", "suppressed") or int(v) == 0 or int(v) >= 11, v
    for m in re.finditer(r"n ?= ?(\d+)|(?<![\d.])(\d+) events", text):
        assert int(m.group(1) or m.group(2)) >= 11, m.group(0)
    assert "Female (reference" not in text and "Sex: Female" not in text


def test_protected_page_withholds_a_model_that_would_reveal_left_out_patients(real_db, monkeypatch):
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(real_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    at = run({"cohort": "real-cox", "covariates": "prior_ssa,prior_chemo"})
    assert not at.exception
    assert "Fewer than 11 of the selected patients are left out" in _text(at.info)
    assert not at.get("vega_lite_chart") and not at.dataframe
    at = run({"cohort": "real-cox", "grade": "GX", "covariates": "prior_ssa"})  # 5 patients
    assert not at.exception
    assert "fewer than 11 patients" in _text(at.info)
    assert not at.get("vega_lite_chart") and not at.dataframe and not at.error


def test_exact_mode_page_shows_every_figure_and_says_so(real_db, monkeypatch):
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(real_db))
    monkeypatch.setenv("NET_EXPLORER_DISCLOSURE", "exact")
    at = run({"cohort": "real-cox", "covariates": "sex,grade,prior_ssa"})
    assert not at.exception
    assert "Exact figures: not for sharing" in _text(at.warning)
    assert len(at.get("vega_lite_chart")) == 2  # forest and residual plots
    table = _model_table(at)
    assert {"Sex: Female", "Grade: G3"} <= set(table["Term"])
    assert 8 in list(table["n"])


def test_landmark_uses_the_status_known_at_the_landmark():
    """Issue 19 item 4: at the landmark the imaging response is the status known then, and the
    page says so."""
    at = run({"covariates": "imaging_response", "lm": "1"})
    assert not at.exception
    assert any("known at the landmark" in w.value for w in at.warning)
    assert not any("Turn on the landmark" in w.value for w in at.warning)


# ------------------------------------------------------------------ issue 19 item 13, issue 17 item 5
def test_age_per_year_shows_its_n():
    at = run({"cohort": "pgep-mibg-211", "covariates": "sex,age"})
    assert not at.exception
    spec = at.get("vega_lite_chart")[0].proto.spec
    m = re.search(r"Age \(per year\) \(n=(\d+), \d+ events\)", spec)
    assert m  # the patients with a known age: every patient in the model
    table = _model_table(at)
    age = table[table["Term"] == "Age (per year)"].iloc[0]
    assert int(age["n"]) == int(m.group(1)) > int(table["n"].min())


def test_cox_page_has_the_exports_of_the_other_pages():
    at = run({"cohort": "pgep-mibg-211", "covariates": "sex,grade"})
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels[:4] == [
        "Figure (SVG)", "Figure (PNG, 300 dpi)", "Cox model (CSV)", "Proportional-hazards test (CSV)",
    ]  # fmt: skip
    code = " ".join(c.value for c in at.code)
    assert "covariates=sex,grade" in code  # the share link
    assert "In a Cox model of overall survival" in code  # the results paragraph
    assert "synthetic data" in code  # pgep-mibg-211 is synthetic: the paragraph says so
    assert "R survival coxph" in code  # the methods paragraph


def _subgroups(at, field: str, arm: list[str], by: list[str] | None = None):
    next(s for s in at.selectbox if s.label == "Compare").set_value(field)
    at.run()
    next(m for m in at.multiselect if m.label == "Comparison arm").set_value(arm)
    if by is not None:
        next(m for m in at.multiselect if m.label == "Subgroups by").set_value(by)
    at.run()
    return at


def test_subgroup_forest_on_the_cox_page():
    at = run({"cohort": "pgep-mibg-211", "covariates": "sex"})
    assert not at.exception
    assert not any("Subgroup hazard ratios" in b.label for b in at.get("download_button"))
    _subgroups(at, "treatments", ["Multiple"], ["sex", "grade", "primary_site"])
    assert not at.exception
    table = next(d.value for d in at.dataframe if "p (interaction, LR)" in d.value.columns)
    assert list(table["Subgroup"][:3]) == ["All patients", "Sex", "Sex"]
    cecum = table[table["Level"] == "Cecum"].iloc[0]
    assert cecum["HR (95% CI)"].startswith("not estimable: no patients in the comparison arm")
    assert re.fullmatch(r"0\.\d+", table["p (interaction, LR)"].iloc[1])
    # issue 17 item 5: the ORR difference per subgroup (CLI: python -m core subgroups)
    assert table["ORR difference (95% CI)"].iloc[0] == "+7.6 pp (-7.9 to +27.4); 25.9% vs 18.4%"
    spec = at.get("vega_lite_chart")[-1].proto.spec
    assert '"All patients (n=211, 174 events)", "Sex", "   Female' in spec  # rows, headers
    assert any(b.label == "Subgroup hazard ratios (CSV)" for b in at.get("download_button"))
    assert at.query_params["sg"] == "treatments=Multiple;by=sex,grade,primary_site"
    assert "hindsight" in _text(at.warning)  # treatments is post-baseline


def test_subgroup_forest_protected_on_imported_data(real_db, monkeypatch):
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(real_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    at = run({"cohort": "real-cox", "covariates": "prior_ssa"})
    _subgroups(at, "prior_ssa", ["Yes"], ["sex", "grade"])
    assert not at.exception
    text = _texts(at)
    for m in re.finditer(r"n ?= ?(\d+)|(?<![\d.])(\d+) events", text):
        assert int(m.group(1) or m.group(2)) >= 11, m.group(0)
    for v in _frame_counts(at):
        assert v in ("<11", "suppressed") or int(v) == 0 or int(v) >= 11, v
    table = next(d.value for d in at.dataframe if "p (interaction, LR)" in d.value.columns)
    arms = [c for c in table.columns if c.startswith("n / events")]
    assert len(arms) == 2
    assert (table["HR (95% CI)"] == "0.89 (0.61–1.29)").iloc[0]  # the overall HR is shown
    female = table[table["Level"] == "Female"].iloc[0]
    assert female["n"] == "<11" and "disclosure control" in female["HR (95% CI)"]
    for v in (x for c in arms for cell in table[c] for x in cell.split(" / ")):
        assert v in ("<11", "suppressed") or int(v) == 0 or int(v) >= 11, v
