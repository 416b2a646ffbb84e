"""Chart builders: long curves are drawn from the exact step values and stay exportable."""

from __future__ import annotations

import json

import altair as alt
import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from core.analyses.survival import GroupResult, SurvivalAnalysis, SurvivalSpec, exact_curve
from core.data.filters import Filters
from core.present.charts import _display_rows, km_chart
from core.stats.survival import counts_from_arrays, kaplan_meier
from core.vocab.methods import TimeUnit


def _analysis(n_groups: int, n: int) -> SurvivalAnalysis:
    rng = np.random.default_rng(5)
    groups = []
    for i in range(n_groups):
        t = rng.integers(1, 5000, size=n)
        c = counts_from_arrays(t, rng.random(n) < 0.7)
        km = kaplan_meier(c)
        groups.append(GroupResult(f"g{i}", c, km, display=exact_curve(km)))
    return SurvivalAnalysis(SurvivalSpec(), Filters(), tuple(groups), None)


def test_display_rows_are_exact_step_values():
    t = np.arange(10_000, dtype=float)
    rows = _display_rows(t, 1000)
    assert rows[0] == 0 and rows[-1] == t.size - 1 and len(rows) <= 1002
    assert np.all(np.diff(rows) > 0)


def test_short_curves_are_drawn_whole():
    assert list(_display_rows(np.arange(5.0), 1000)) == [0, 1, 2, 3, 4]


def test_many_long_curves_stay_under_5000_rows():
    """All curves share one table; it stays small enough for the browser to draw at once."""
    spec = km_chart(_analysis(14, 8000), TimeUnit.MONTHS).to_dict()
    sizes = [len(v) for v in spec["datasets"].values()]
    assert max(sizes) <= 5000


VEGA_LITE_SCHEMA = alt.vegalite.v6.schema.core.load_schema()


def _default_analysis(default_db, **spec):
    from core.analyses.survival import analyse

    return analyse(Filters(cohorts=("pgep-mibg-211",)), SurvivalSpec(**spec), default_db)


@pytest.mark.parametrize("show_ci", [True, False])
@pytest.mark.parametrize("show_median", [True, False])
@pytest.mark.parametrize("by", [None, "grade"])
@pytest.mark.parametrize("overlay", [False, True])
def test_km_chart_is_valid_vega_lite(default_db, show_ci, show_median, by, overlay):
    """The Kaplan-Meier spec is written as a dict (no Altair validation at page run): every
    variant validates against the Vega-Lite schema Altair ships, and is valid JSON."""
    overlays = (
        pd.DataFrame({"label": ["NETTER-1 control"] * 2, "time": [0.0, 8.4], "surv": [1.0, 0.5]})
        if overlay
        else None
    )
    chart = km_chart(
        _default_analysis(default_db, by=by),
        TimeUnit.MONTHS,
        show_ci=show_ci,
        show_median=show_median,
        overlays=overlays,
        title="Overall survival · n = 211",
    )
    spec = json.loads(chart.to_json())
    jsonschema.validate(spec, VEGA_LITE_SCHEMA)
    marks = [
        layer["mark"]["type"]
        for layer in spec["vconcat"][0]["layer"]
        if not layer.get("name", "").startswith("legend_")  # the figure's own legend
    ]
    assert marks.count("area") == int(show_ci)
    assert ("rule" in marks) == show_median
    assert marks.count("line") == 1 + int(overlay)
    for layer in spec["vconcat"][0]["layer"] + spec["vconcat"][1:]:
        data = layer["data"]  # every layer's table is there: inline or named
        assert data["values"] if "values" in data else data["name"] in spec["datasets"]


def test_km_chart_axes_carry_units_and_the_table_counts_patients(default_db):
    a = _default_analysis(default_db, by="grade")
    spec = km_chart(a, TimeUnit.MONTHS).to_dict()
    curve, table, _counts = spec["vconcat"]
    line = next(layer for layer in curve["layer"] if layer["mark"]["type"] == "line")
    assert line["encoding"]["x"]["title"] == "Time from first radionuclide treatment (months)"
    assert line["encoding"]["y"]["axis"]["format"] == "%"
    risk = table["data"]["values"]  # a short table: inline
    at_zero = {r["short"]: int(r["n"]) for r in risk if r["time"] == 0.0}
    assert at_zero == {g.label: g.n for g in a.groups}
    legend = line["encoding"]["color"]["scale"]["domain"]
    assert all(f"n={g.n}" in text for g, text in zip(a.groups, legend, strict=True))


def test_streamlit_spec_sends_tables_as_frames_and_leaves_the_chart_alone(default_db):
    chart = km_chart(_default_analysis(default_db))
    before = chart.to_json()
    sent = chart.streamlit_spec()
    assert all(isinstance(df, pa.Table) for df in sent["datasets"].values())
    del sent["datasets"]  # what Streamlit does with the dict it is given
    sent["title"] = "changed"
    sent["layer"][0]["mark"] = "changed"
    assert chart.to_json() == before


def test_dataset_names_follow_the_content(default_db):
    one = km_chart(_default_analysis(default_db)).to_dict()
    same = km_chart(_default_analysis(default_db)).to_dict()
    other = km_chart(_default_analysis(default_db, by="grade")).to_dict()
    assert sorted(one["datasets"]) == sorted(same["datasets"])
    assert not set(one["datasets"]) & set(other["datasets"])


def test_streamlit_tables_are_compact_and_equal_to_display_precision(default_db):
    """What the browser receives: labels as categories, numbers in 32 bits, the same rows and
    values to 7 significant digits as the exported chart."""
    chart = km_chart(_default_analysis(default_db, by="grade"))
    sent = chart.streamlit_spec()["datasets"]
    assert sent.keys() == chart.datasets.keys()
    for name, table in sent.items():
        full = chart.datasets[name]
        assert table.column_names == list(full.columns) and table.num_rows == len(full)
        assert pa.types.is_dictionary(table.schema.field("group").type)
        assert table.column("group").to_pylist() == [str(v) for v in full["group"]]
        for col in ("time", "surv") if "surv" in full.columns else ("time",):
            assert table.schema.field(col).type == pa.float32()
            np.testing.assert_allclose(table.column(col).to_numpy(), full[col], rtol=1e-6)
        # what Streamlit does with it: Arrow IPC bytes the browser reads back
        from streamlit import dataframe_util

        back = pa.ipc.open_stream(dataframe_util.convert_anything_to_arrow_bytes(table)).read_all()
        assert back.equals(table)


def test_protected_chart_draws_what_the_analysis_gives(tmp_path, r_dataset):
    """On imported data (protected mode) the chart draws the whole-month display curves: no
    per-step numbers at risk in data or tooltips, no censor marks, the at-risk table at 0 and
    the chosen times only, as shown ('<11')."""
    from core.analyses.survival import analyse
    from core.data.db import close_all
    from tests.core.analyses.test_survival import build_imported_lung

    path = build_imported_lung(tmp_path / "lung.duckdb", r_dataset)
    try:
        spec = SurvivalSpec(by="grade", times_months=(6, 12, 60))
        a = analyse(Filters(cohorts=("lung-real",)), spec, path)
    finally:
        close_all()
    chart = km_chart(a, TimeUnit.MONTHS, show_median=True)
    d = chart.to_dict()
    jsonschema.validate(d, VEGA_LITE_SCHEMA)
    text = json.dumps(d)
    assert "n_risk" not in text and "n_censor" not in text and '"At risk"' not in text
    curve, table, counts = d["vconcat"]
    cells = (
        counts["data"]["values"]
        if "values" in counts["data"]
        else d["datasets"][counts["data"]["name"]]
    )
    shown = [v for r in cells for v in r["n"].split(" / ")]  # "events / censored"
    assert shown and all(
        v == "<11" or int(v) == 0 or (int(v) >= 11 and int(v) % 5 == 0) for v in shown
    )
    line = next(layer for layer in curve["layer"] if layer["mark"]["type"] == "line")
    rows = (
        line["data"]["values"] if "values" in line["data"] else d["datasets"][line["data"]["name"]]
    )
    months = np.array([r["time"] for r in rows])
    np.testing.assert_allclose(months, np.round(months), atol=1e-9)
    shown = [g for g in a.groups if not g.suppressed]
    assert {r["group"].split(" (")[0] for r in rows} == {g.label for g in shown}
    risk = table["data"]["values"]
    assert {0.0, 6.0, 12.0} <= {r["time"] for r in risk} <= {0.0, 6.0, 12.0, 60.0}
    assert all(r["n"] == "<11" or int(r["n"]) >= 11 or r["n"] == "0" for r in risk)


def _srgb_to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _deuteranope(hex_colour: str) -> tuple[float, float, float]:
    """Linear RGB seen under deuteranopia (Machado, Oliveira and Fernandes 2009, severity 1)."""
    rgb = [_srgb_to_linear(int(hex_colour[i : i + 2], 16) / 255) for i in (1, 3, 5)]
    m = (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    )
    return tuple(sum(a * b for a, b in zip(row, rgb, strict=True)) for row in m)


def test_km_groups_have_okabe_ito_colours_and_a_line_style_each(default_db):
    """Issue 19 item 16: 3+ groups stay apart under deuteranopia (the old red #d1495b and green
    #2e8b57 became the same olive): Okabe-Ito colours plus a strokeDash per group, in the
    curve's encoding with the same domain as the colour (so the legend shows both)."""
    from core.present.charts import OKABE_ITO

    a = _default_analysis(default_db, by="grade")
    assert len(a.groups) >= 3
    spec = km_chart(a, TimeUnit.MONTHS).to_dict()
    curve = spec["vconcat"][0]
    line = next(layer for layer in curve["layer"] if layer["mark"]["type"] == "line")
    colour, dash = line["encoding"]["color"], line["encoding"]["strokeDash"]
    assert colour["field"] == dash["field"] == "group"
    n = len(a.groups)
    assert colour["scale"]["domain"] == dash["scale"]["domain"]
    assert colour["scale"]["range"] == OKABE_ITO[:n]
    dashes = [tuple(d) for d in dash["scale"]["range"]]
    assert len(set(dashes)) == n  # one line style per group
    seen = [_deuteranope(c) for c in colour["scale"]["range"]]
    for i in range(n):
        for j in range(i + 1, n):
            assert max(abs(x - y) for x, y in zip(seen[i], seen[j], strict=True)) > 0.05
    swatches = [ly["mark"] for ly in curve["layer"] if ly.get("name", "").startswith("legend_sw")]
    assert [(m["color"], m["strokeDash"]) for m in swatches] == list(
        zip(colour["scale"]["range"], dash["scale"]["range"], strict=True)
    )  # the legend shows each group's line: its colour and its style


def test_km_styles_stay_distinct_for_many_groups():
    from core.present.charts import km_group_styles

    colours, dashes = km_group_styles(20)
    pairs = {(c, tuple(d)) for c, d in zip(colours, dashes, strict=True)}
    assert len(pairs) == 20


def test_km_chart_has_a_kmunicate_table_of_cumulative_events_and_censored(default_db):
    """Issue 17 item 2: under the number at risk, events and censorings cumulative to each
    time of the at-risk row (exact: R's cumsum of summary(fit, times=)$n.event / n.censor)."""
    from core.stats.survival import survival_at

    a = _default_analysis(default_db, by="grade")
    spec = km_chart(a, TimeUnit.MONTHS).to_dict()
    _curve, table, counts = spec["vconcat"]
    assert counts["encoding"]["y"]["title"] == "Events / censored (cumulative)"
    rows = (
        counts["data"]["values"]
        if "values" in counts["data"]
        else spec["datasets"][counts["data"]["name"]]
    )
    risk = table["data"]["values"]
    g = a.groups[0]
    times = sorted({r["time"] for r in risk if r["short"] == g.label})
    want = survival_at(g.km, np.array(times) * 30.4375)
    pairs = [r["n"].split(" / ") for r in rows if r["short"] == g.label]  # "events / censored"
    got_ev = [int(e) for e, _ in pairs]
    got_c = [int(c) for _, c in pairs]
    assert got_ev == [w.events for w in want] and got_c == [w.censored for w in want]
    assert got_ev[-1] > 0
