"""AppTest: the Survival page's "Effect differences" table, the Response page's duration of
response, and the swimmer plot's downloads (issue 17 items 4 and 7, issue 19 item 13)."""

from __future__ import annotations

from tests.app.conftest import run_page

SURVIVAL = "pages/survival.py"
RESPONSE = "pages/response.py"


def _subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def _labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def _specs(at) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart")]


def test_grouped_survival_shows_effect_differences():
    at = run_page(SURVIVAL, {"cohort": "pgep-mibg-211", "by": "sex", "rmst": "24"})
    assert not at.exception
    assert "Effect differences" in _subheaders(at)
    frame = next(d.value for d in at.dataframe if "Measure" in d.value.columns)
    measures = list(frame["Measure"])
    assert "RMST difference to 24 months, months" in measures
    assert "RMST ratio to 24 months" in measures
    assert any(m.startswith("Survival difference at 12 months") for m in measures)
    assert set(frame["Reference"]) == {"Female"} and set(frame["Group"]) == {"Male"}
    assert any("Female" in m.value and "first group shown" in m.value for m in at.markdown)


def test_ungrouped_survival_has_no_effect_table():
    at = run_page(SURVIVAL, {"cohort": "pgep-mibg-211"})
    assert not at.exception and "Effect differences" not in _subheaders(at)


def test_horizon_past_follow_up_is_flagged_on_the_page():
    at = run_page(SURVIVAL, {"cohort": "pgep-mibg-211", "by": "treatments", "rmst": "240"})
    assert not at.exception
    frame = next(d.value for d in at.dataframe if "Measure" in d.value.columns)
    notes = " ".join(frame["Note"])
    assert "past the last follow-up" in notes and "survRM2" in notes


def test_response_page_duration_of_response():
    at = run_page(RESPONSE, {"cohort": "pgep-mibg-211"})
    assert not at.exception
    assert "Duration of response (imaging CR/PR)" in _subheaders(at)
    text = " ".join(m.value for m in at.markdown).replace("\\", "")  # markdown escapes
    assert "Duration of response: 25 responders, 25 analysed" in text
    assert "Time to response" in text
    assert any("Time from response (months)" in s for s in _specs(at))
    labels = _labels(at)
    assert "Duration of response (CSV)" in labels
    assert labels[:2] == ["Figure (SVG)", "Figure (PNG, 300 dpi)"]  # the page's own figure


def test_swimmer_plot_is_exportable():
    at = run_page(RESPONSE, {"cohort": "ia-hepatic-6"})
    assert not at.exception
    labels = _labels(at)
    assert {"Swimmer plot (SVG)", "Swimmer plot (PNG, 300 dpi)", "Swimmer plot (CSV)"} <= set(
        labels
    )
    big = run_page(RESPONSE, {"cohort": "pgep-mibg-211"})  # 211 patients: no plot, no export
    assert not any(label.startswith("Swimmer plot") for label in _labels(big))
