"""AppTest: the Response page for every domain and grouping, the swimmer plot, adverse events,
the empty selection, URL controls and exports."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.analyses.responses import RESPONSE_GROUPINGS
from core.vocab.methods import BinomialCI, Denominator, ResponseDomain
from tests.app.conftest import ROOT, run_page

PAGE = "pages/response.py"

# Until app.py registers the page, run it alone under st.navigation (same page furniture).
_ALONE = f"""
import streamlit as st
st.navigation([st.Page({str(ROOT / PAGE)!r}, title="Response", url_path="response")]).run()
"""


def _run(query: dict | None = None) -> AppTest:
    if PAGE in (ROOT / "pages" / "_shell.py").read_text():
        return run_page(PAGE, query)
    at = AppTest.from_string(_ALONE, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at


def _charts(at) -> list[str]:
    """Vega-Lite specs of the page's charts, in page order."""
    return [c.proto.spec for c in at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart")]


def _swimmer_shown(at) -> bool:
    return any("Months from first treatment" in spec for spec in _charts(at))


def _infos(at) -> str:
    return " ".join(i.value for i in at.info)


def _table(at):
    return at.dataframe[0].value


def test_default_view_reproduces_the_seed_imaging_table():
    at = _run()
    assert not at.exception
    row = _table(at).set_index("Group").loc["All"]
    assert (row["Patients"], row["Evaluable"]) == (211, 125)
    assert row["Denominator (evaluable patients)"] == 125
    assert row["Not evaluable (NE)"] == 18 and row["Missing"] == 68
    assert row["Complete response, n (%; 95% CI)"] == "3 (2.4%; 0.5–6.9)"
    assert row["Partial response, n (%; 95% CI)"].startswith("22 (17.6%; ")
    assert row["Stable disease, n (%; 95% CI)"].startswith("75 (60.0%; ")
    assert row["Progressive disease, n (%; 95% CI)"].startswith("25 (20.0%; ")
    assert row["Objective response rate (CR + PR), n (%; 95% CI)"].startswith("25 (20.0%; ")
    caption = at.caption[0].value
    assert caption.startswith("pgep-mibg-211 · n=211 · data pgep-mibg-211 v")
    assert BinomialCI.CLOPPER_PEARSON.label in caption and "Synthetic" in caption
    assert "Patients (% of evaluable patients)" in _charts(at)[0]


@pytest.mark.parametrize(
    ("domain", "column", "expected"),
    [
        ("symptomatic", "Improved, n (%; 95% CI)", "112 (70.9%; "),
        ("biochemical", "Response, n (%; 95% CI)", "21 (33.9%; "),
        ("biochemical", "Stable, n (%; 95% CI)", "30 (48.4%; "),
        ("biochemical", "Progression, n (%; 95% CI)", "11 (17.7%; "),
    ],
)
def test_symptomatic_and_biochemical_seed_rates_on_the_page(domain, column, expected):
    at = _run({"domain": domain})
    assert not at.exception
    row = _table(at).iloc[0]
    assert row[column].startswith(expected)
    assert row["Evaluable"] == {"symptomatic": 158, "biochemical": 62}[domain]


@pytest.mark.parametrize("by", list(RESPONSE_GROUPINGS))
def test_every_grouping_in_every_domain(by):
    at = _run({"rby": by, "cohort": "pgep-mibg-211,stage4-unselected-50"})
    assert not at.exception
    for domain in ResponseDomain.codes():
        at.selectbox(key="ctl_domain").set_value(domain).run()
        assert not at.exception, (by, domain)
        table = _table(at)
        assert table["Group"].iloc[-1] == "All"
        assert table["Patients"].iloc[-1] == 261
        assert table["Patients"].iloc[:-1].sum() <= 261
        assert len(_charts(at)) >= 1
        # either the test is named or the page says why there is none
        comparison = " ".join(m.value for m in at.markdown if "Group comparison" in m.value)
        assert ("Fisher" in comparison or "chi-square" in comparison) or (
            "Fewer than two groups" in comparison
        )
        # the default stays out of the URL, any other choice is written to it
        assert at.query_params.get("domain") == (None if domain == "imaging" else domain)


@pytest.mark.parametrize("denominator", Denominator.codes())
@pytest.mark.parametrize("ci", BinomialCI.codes())
def test_denominator_and_interval_controls(denominator, ci):
    at = _run({"denominator": denominator, "ci_method": ci})
    assert not at.exception
    table = _table(at)
    column = f"Denominator ({Denominator.parse(denominator).label})"
    assert table[column].iloc[0] == (125 if denominator == "evaluable" else 211)
    assert BinomialCI.parse(ci).label in at.caption[0].value


def test_empty_selection_says_so():
    at = _run({"cohort": "ia-hepatic-6", "primary_site": "pancreas"})
    assert not at.exception
    assert "No patients match this selection" in _infos(at)
    assert not at.dataframe and not _charts(at)


def test_swimmer_for_the_published_cases_with_notes_and_unknown_days():
    at = _run({"cohort": "ia-hepatic-6"})
    assert not at.exception
    assert _swimmer_shown(at)
    captions = " ".join(c.value for c in at.caption)
    assert "Administrations with an unknown day (not drawn): ia-01: cycle 2" in captions
    spec = next(s for s in _charts(at) if "Months from first treatment" in s)
    assert "Published case note" in spec  # tooltip present only where notes exist


def test_swimmer_for_a_small_synthetic_cohort():
    at = _run({"cohort": "nguyen-2004"})
    assert not at.exception
    assert _swimmer_shown(at)
    spec = next(s for s in _charts(at) if "Months from first treatment" in s)
    assert "Published case note" not in spec  # synthetic patients have no case notes


def test_large_selection_explains_instead_of_drawing_lanes():
    at = _run({"cohort": "pgep-mibg-211"})
    assert not at.exception
    assert not _swimmer_shown(at)
    assert "shown for up to 100 patients; this selection has 211" in _infos(at)


def test_adverse_event_table_on_the_published_cases():
    at = _run({"cohort": "ia-hepatic-6"})
    ae = at.dataframe[1].value.set_index("Term")
    assert ae.loc["Platelet count decreased", "Any grade, n (%; 95% CI)"].startswith("3 (50.0%; ")
    assert ae.loc["Nausea", "Any grade, n (%; 95% CI)"].startswith("1 (16.7%; ")
    assert ae.loc["Platelet count decreased", "Grade ≥3, n (%; 95% CI)"].startswith("1 (16.7%")


def test_cohort_without_adverse_event_data_gets_a_message():
    at = _run({"cohort": "pgep-mibg-211"})
    assert "No adverse-event data: pgep-mibg-211" in _infos(at)
    assert len(at.dataframe) == 1  # the response table only


def test_invalid_url_values_are_reported_and_defaults_used():
    at = _run({"domain": "tumour", "rby": "imaging_response"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Ignored domain='tumour'" in warnings and "Ignored rby='imaging_response'" in warnings
    assert _table(at)["Evaluable"].iloc[0] == 125


def test_controls_write_the_url():
    at = _run()
    at.selectbox(key="ctl_rby").set_value("sex").run()
    at.selectbox(key="ctl_ci_method").set_value("jeffreys").run()
    assert not at.exception
    assert at.query_params["rby"] == "sex" and at.query_params["ci_method"] == "jeffreys"
    assert list(_table(at)["Group"]) == ["Female", "Male", "All"]


def test_exports_carry_the_page_numbers():
    at = _run({"rby": "sex"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:2] == ["Figure (SVG)", "Figure (PNG, 300 dpi)"]
    assert "Response table (CSV)" in labels
    link, results, methods = [c.value for c in at.code][-3:]
    assert "rby=sex" in link and "/response" in link
    assert "125 of the 211 selected patients were evaluable" in results
    assert "Clopper-Pearson exact 95% confidence intervals" in methods


# ------------------------------------------------------------------ imported data
import re  # noqa: E402

from tests.core.analyses import _small_cohort as sc  # noqa: E402

SMALL_COUNT = re.compile(r"(?<![\w.,])([1-9]|10)(?: \(|/\d| of \d)|\bn ?= ?([1-9]|10)\b")


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    return sc.build(tmp_path_factory.mktemp("resppage") / "small.duckdb")


@pytest.fixture
def on_small_db(small_db, monkeypatch):
    from core.data.db import DB_ENV, close_all

    close_all()
    monkeypatch.setenv(DB_ENV, str(small_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    yield small_db
    close_all()


def _page_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "code") for e in
             getattr(at, kind)]  # fmt: skip
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += _charts(at)
    return "\n".join(str(p) for p in parts)


def test_protected_page_shows_no_small_count_and_no_swimmer_lanes(on_small_db):
    at = _run({"cohort": sc.REAL, "rby": "sex"})
    assert not at.exception
    assert not _swimmer_shown(at)
    assert "not drawn when imported" in _infos(at)
    assert "counts below 11" in _infos(at)  # the disclosure banner
    row = _table(at).set_index("Group").loc["All"]
    assert row["Complete response, n (%; 95% CI)"] == "<11"
    ae = at.dataframe[1].value.set_index("Term")
    assert ae.loc["Nausea", "Any grade, n (%; 95% CI)"] == "<11"
    assert SMALL_COUNT.findall(_page_text(at)) == []


def test_a_small_imported_selection_shows_only_why(on_small_db):
    at = _run({"cohort": sc.TINY})
    assert not at.exception
    assert not at.dataframe and not _charts(at)
    assert "fewer than 11 patients" in _infos(at)
    assert "n=8" not in _page_text(at)


def test_exact_mode_shows_every_count_and_says_so(on_small_db, monkeypatch):
    monkeypatch.setenv("NET_EXPLORER_DISCLOSURE", "exact")
    at = _run({"cohort": sc.REAL})
    assert not at.exception
    assert any("Exact figures: not for sharing" in w.value for w in at.warning)
    assert _table(at).iloc[0]["Complete response, n (%; 95% CI)"].startswith("3 (4.4%; ")
    assert _swimmer_shown(at)
