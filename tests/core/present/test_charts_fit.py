"""Every chart can follow the width of its page column; exports keep a fixed width (issue 19 #16).

Vega-Lite sizes only single and layered views to a container ("fit-x"), so every figure is one
(layered) view. Each is rendered here, with the autosize the page asks for, at the width of
Streamlit's main column in an 800 px window with the sidebar open (468 px) and at the widest
column (704 px): the figure must be exactly that wide. Exports render the spec as built: a
fixed plotting width, whatever the page's width.
"""

from __future__ import annotations

import json
import re

import altair as alt
import jsonschema
import pandas as pd
import pytest
import vl_convert as vlc

from core.analyses import cox as cx
from core.analyses.arms import compare_arm
from core.analyses.competing import CompetingSpec
from core.analyses.competing import analyse as competing_analyse
from core.analyses.disclosure import Mode
from core.analyses.responses import ResponseSpec, load_inputs, swimmer
from core.analyses.responses import analyse as response_analyse
from core.analyses.survival import SurvivalSpec, analyse
from core.data.filters import Filters
from core.literature.arms import shipped_arms
from core.present import export
from core.present.charts import (
    FIT_CONTAINER,
    SCREEN_WRAP_WIDTHS,
    forest_chart,
    km_chart,
    residual_chart,
)
from core.present.charts_arms import arm_chart
from core.present.charts_cif import cif_chart
from core.present.charts_forest import hr_forest
from core.present.charts_response import response_chart, swimmer_chart
from core.vocab.methods import TimeUnit

PGEP = Filters(cohorts=("pgep-mibg-211",))
NARROW, WIDE = 468, 704
VEGA_LITE_SCHEMA = alt.vegalite.v6.schema.core.load_schema()


def _svg_size(spec: dict) -> tuple[float, float]:
    svg = vlc.vegalite_to_svg(spec)
    tag = re.search(r"<svg[^>]*>", svg).group(0)
    return float(re.search(r'width="([\d.]+)"', tag).group(1)), float(
        re.search(r'height="([\d.]+)"', tag).group(1)
    )


def _on_page(chart, width: int) -> dict:
    """The spec as a page shows it: Streamlit's width="stretch" sets the column's width."""
    if hasattr(chart, "streamlit_spec"):  # the Kaplan-Meier figure: its own page layout
        spec = {**json.loads(json.dumps(chart.screen)), "datasets": chart.to_dict()["datasets"]}
    else:
        spec = chart.properties(autosize="fit-x").to_dict()
    return {**spec, "width": width, "padding": spec.get("padding", {})}  # Streamlit's padding


@pytest.fixture(scope="module")
def charts(default_db) -> dict:
    by_grade = analyse(PGEP, SurvivalSpec(by="grade"), default_db)
    overlay = pd.DataFrame(
        {
            "label": ["NETTER-1 control arm, octreotide LAR 60 mg every 4 weeks (approx.)"] * 2,
            "time": [0.0, 8.4],
            "surv": [1.0, 0.5],
        }
    )
    model = cx.analyse(PGEP, cx.spec_from_text("sex,grade,age"), default_db, mode=Mode.EXACT)
    rows, _ = cx.forest_frame(model)
    resid, level, _ = cx.residual_frame(model, cx.zph_terms(model)[0])
    resp = response_analyse(PGEP, ResponseSpec(by="grade"), default_db)
    arm = next(a for a in shipped_arms() if a.id == "radiant4-placebo-pfs")
    bench = pd.DataFrame(
        {
            "label": ["This view: pgep-mibg-211 · n=211", "NETTER-1 (Strosberg 2017) · control"],
            "value": [29.0, 27.4],
            "lower": [25.0, 21.0],
            "upper": [33.0, 33.0],
        }
    )
    return {
        "km": km_chart(
            by_grade,
            title="Overall survival · n = 211",
            synthetic=("pgep-mibg-211",),
            show_median=True,
            overlays=overlay,
            overlay_note="Not on the same basis: read the difference with care.",
        ),
        "hr_forest": hr_forest(rows, title="OS: hazard ratios", synthetic=("pgep-mibg-211",)),
        "residuals": residual_chart(resid, x_title="Months", y_title="beta(t)", ref_value=level),
        "response": response_chart(resp.table, resp.protection, synthetic=("pgep-mibg-211",)),
        "swimmer": swimmer_chart(
            swimmer(load_inputs(Filters(cohorts=("ia-hepatic-6",)), default_db))
        ),
        "forest": forest_chart(
            bench, x_title="Median, months", ref_line=None, log_scale=False, highlight=None
        ),
        "cif": cif_chart(competing_analyse(PGEP, CompetingSpec(), default_db), TimeUnit.MONTHS),
        "arm": arm_chart(compare_arm(PGEP, arm, path=default_db, mode=Mode.EXACT)),
    }


NAMES = ["km", "hr_forest", "residuals", "response", "swimmer", "forest", "cif", "arm"]


@pytest.mark.parametrize("name", NAMES)
def test_every_chart_is_one_view(charts, name):
    """Concatenated views cannot follow a container's width in Vega-Lite."""
    chart = charts[name]
    spec = chart.screen if name == "km" else chart.to_dict()
    assert not {"vconcat", "hconcat", "concat", "facet", "repeat"} & set(spec)
    assert "layer" in spec or "mark" in spec


@pytest.mark.parametrize("width", [NARROW, WIDE])
@pytest.mark.parametrize("name", NAMES)
def test_every_chart_is_exactly_as_wide_as_the_page_column(charts, name, width):
    got, height = _svg_size(_on_page(charts[name], width))
    assert got == width
    assert height > 60


@pytest.mark.parametrize("name", NAMES)
def test_exports_keep_their_fixed_width(charts, name):
    """Exports render the figure as built: fixed plotting widths, never the container's."""
    chart = charts[name]
    spec = chart.to_dict()
    assert '"width": "container"' not in json.dumps(spec)
    assert spec.get("autosize", {}).get("type", "pad") == "pad"
    assert re.search(r'"width": \d+', json.dumps(spec))  # the fixed plotting width
    svg = export.to_svg(chart)
    width = float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1))
    assert width == _svg_size(spec)[0]  # as built, whatever a page's width


def test_the_page_layout_of_kaplan_meier_fits_its_container_and_validates(charts):
    km = charts["km"]
    screen = km.screen
    assert screen["width"] == "container" and screen["autosize"] == FIT_CONTAINER
    jsonschema.validate(
        {**json.loads(json.dumps(screen)), "datasets": km.to_dict()["datasets"]},
        VEGA_LITE_SCHEMA,
    )
    assert screen["description"] == km.to_dict()["description"]
    assert screen["title"]["subtitle"].startswith("SYNTHETIC DATA")
    sent = km.streamlit_spec()
    assert sent["width"] == "container" and "vconcat" not in sent
    # the export keeps its fixed-width panels
    assert [p["width"] for p in km.to_dict()["vconcat"]] == [520, 520, 520]


def _inline_rows(spec: dict, key: str) -> list[dict]:
    out = []
    for layer in spec["layer"]:
        values = layer.get("data", {}).get("values") or []
        out += [r for r in values if key in r]
    return out


def test_the_page_layout_shows_the_same_risk_tables_as_the_export(charts):
    km = charts["km"]
    export_spec = km.to_dict()
    shown = {
        (r["short"], r["time"], r["n"])
        for r in _inline_rows(km.screen, "py")
        if "n" in r and "time" in r
    }
    exported = {
        (r["short"], r["time"], r["n"])
        for panel in export_spec["vconcat"][1:]
        for r in panel["data"]["values"]
    }
    assert shown == exported and len(shown) > 10
    names = {r["short"] for r in _inline_rows(km.screen, "py") if "n" not in r}
    assert names == {"G1", "G2", "G3", "GX (not assessed)"}


def test_the_page_legend_is_wrapped_for_every_width_and_keeps_every_label(charts):
    km = charts["km"]
    labels = [ly for ly in km.screen["layer"] if ly.get("name", "").startswith("legend_label")]
    swatches = [ly for ly in km.screen["layer"] if ly.get("name", "").startswith("legend_swatch")]
    assert len(swatches) == 4 + 1  # the groups and the benchmark, each with its line style
    assert {tuple(s["mark"]["strokeDash"]) for s in swatches[:4]} == {
        (1, 0),
        (8, 4),
        (2, 3),
        (12, 3, 3, 3),
    }
    benchmark = next(ly for ly in labels if "NETTER-1" in json.dumps(ly))
    expr = benchmark["encoding"]["text"]["value"]["expr"]
    for w in SCREEN_WRAP_WIDTHS[1:]:
        assert f"width >= {w}" in expr
    words = [
        "NETTER-1",
        "control",
        "arm,",
        "octreotide",
        "LAR",
        "60",
        "mg",
        "every",
        "4",
        "weeks",
        "(approx.)",
    ]
    # every wrapping holds every word, in order
    for wrapping in re.findall(r"\[[^\]]*\]", expr):
        assert " ".join(json.loads(wrapping)).split() == words
    medians = " ".join(json.dumps(ly) for ly in labels)
    assert "median" in medians and "months" in medians


def test_the_page_legend_and_tables_render_with_every_label(charts):
    km = charts["km"]
    svg = vlc.vegalite_to_svg(_on_page(km, NARROW))
    text = re.sub(r"<[^>]+>", " ", svg)
    for piece in ("Number at risk", "Events / censored (cumulative)", "GX (not assessed)"):
        assert piece in text
    assert "median 32.4 months" in re.sub(r"\s+", " ", text)


def test_hazard_ratio_text_sits_beside_the_plot_at_any_width(charts):
    spec = charts["hr_forest"].to_dict()
    column = [ly for ly in spec["layer"] if ly["mark"].get("x") == {"expr": "width + 8"}]
    assert len(column) == 2  # the numbers and their header
    assert any(ly["encoding"]["text"]["field"] == "text" for ly in column)
    limit = spec["layer"][1]["encoding"]["y"]["axis"]["labelLimit"]
    assert "containerSize()" in limit["expr"]


def test_response_rows_keep_their_names_counts_and_intervals(charts):
    spec = json.dumps(charts["response"].to_dict())
    for piece in (
        "G1 (n = 59 evaluable): 13/59 = 22.0% (12.3\\u201334.7)",
        "'n = ' + datum.n_bar",
        "Patients (% of evaluable patients)",
        "% of evaluable patients",
    ):
        assert piece in spec, piece


def test_duration_of_response_keeps_its_clock_on_the_page(default_db):
    from core.analyses.duration import duration_of_response
    from core.present.charts_duration import dor_chart

    chart = dor_chart(duration_of_response(PGEP, path=default_db, mode=Mode.EXACT))
    for spec in (chart.to_dict(), chart.streamlit_spec()):
        text = json.dumps(spec, default=str)
        assert "Time from response (months)" in text
        assert "Time from first radionuclide treatment" not in text
    assert _svg_size(_on_page(chart, NARROW))[0] == NARROW
