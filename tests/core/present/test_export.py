"""core.present.export: stamped figures open, have publication resolution and carry their caption."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import altair as alt
import pandas as pd
import pytest

from core.analyses.survival import SurvivalSpec, analyse
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.present import export
from core.present.charts import km_chart
from core.vocab.methods import Provenance

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
LINK = "http://localhost:8501/survival?cohort=pgep-mibg-211&by=treatments"


@pytest.fixture(scope="module")
def figure(default_db):
    """One KM chart, its caption lines, and its stamped SVG and PNG (rendered once)."""
    filters = Filters(cohorts=("pgep-mibg-211",))
    analysis = analyse(filters, SurvivalSpec(by="treatments"), default_db)
    chart = km_chart(analysis)
    infos = [c for c in list_cohorts(default_db) if c.cohort_id == "pgep-mibg-211"]
    lines = export.caption_lines(
        filters.describe(analysis.n_analysed), infos, "Kaplan-Meier", link=LINK, when=WHEN
    )
    stamped = export.stamp(chart, lines)
    meta = export.png_metadata(lines, LINK, WHEN)
    return {
        "chart": chart,
        "lines": lines,
        "infos": infos,
        "svg": export.to_svg(stamped),
        "png": export.to_png(stamped, metadata=meta),
        "png_plain": export.to_png(chart),
    }


def _svg_text(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    out = []
    for el in root.iter():
        if el.tag.endswith("tspan") or (el.tag.endswith("text") and len(el) == 0):
            out.append("".join(el.itertext()))
    return out


def test_caption_lines_name_selection_data_version_provenance_date_and_link(figure):
    lines = figure["lines"]
    info = figure["infos"][0]
    text = "\n".join(lines)
    assert lines[0] == "Selection: pgep-mibg-211 · n=211"
    assert f"pgep-mibg-211 version {info.data_version}" in text
    assert Provenance.SYNTHETIC.label in text  # synthetic cohorts say so
    assert "Method: Kaplan-Meier" in text
    assert "Exported 2026-03-04 (UTC)" in text
    assert lines[-1] == f"Link: {LINK}"


def test_svg_parses_and_carries_every_caption_line(figure):
    texts = _svg_text(figure["svg"])
    assert any(t.startswith("Link: http") for t in texts)
    for line in export.wrap_lines(figure["lines"], export.caption_width(figure["chart"])):
        assert line in texts, line
    assert "Number at risk" in texts


def test_png_opens_at_300_dpi_about_7_inches_and_is_taller_with_the_caption(figure):
    png = figure["png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = export.png_size(png)
    dpi = export.png_dpi(png)
    assert dpi == pytest.approx(300, abs=0.5)
    assert 6.0 <= width / dpi <= 8.0  # a ~7-inch-wide figure
    svg_width = float(ET.fromstring(figure["svg"]).get("width"))
    assert width == pytest.approx(3 * svg_width, abs=3)  # scale 3 of the layout
    plain_w, plain_h = export.png_size(figure["png_plain"])
    assert height > plain_h + 3 * 12 * len(figure["lines"]) * 0.8  # the caption adds rows


def test_png_metadata_carries_caption_link_and_time(figure):
    meta = export.png_text(figure["png"])
    assert meta["Description"] == "\n".join(figure["lines"])
    assert meta["Source"] == LINK
    assert meta["Creation Time"] == "2026-03-04T05:06:07Z"
    assert meta["Software"].startswith("NET Outcomes Explorer ")


def test_stamp_leaves_the_original_alone_and_keeps_an_existing_title():
    base = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")
    titled = base.properties(title="My title", width=300).configure(font="Arial")
    out = export.stamp(titled, ["first line", "second line"])
    assert titled.to_dict()["title"] == "My title"
    d = out.to_dict()
    assert d["title"]["text"] == ["first line", "second line"]
    assert d["title"]["orient"] == "bottom"
    assert d["vconcat"][0]["title"] == "My title"  # nested, own title kept
    assert d["config"]["font"] == "Arial"
    with pytest.raises(ValueError):
        export.stamp(base, [])


def test_wrap_keeps_every_character_of_a_long_link():
    link = "http://example.org/survival?" + "&".join(f"k{i}=v{i}" for i in range(40))
    wrapped = export.wrap_lines([f"Link: {link}"], 60)
    assert len(wrapped) > 1 and all(len(w) <= 60 for w in wrapped)
    assert all(w.startswith("  ") for w in wrapped[1:])
    assert wrapped[0] + "".join(w[2:] for w in wrapped[1:]) == f"Link: {link}"


def test_link_with_query_keeps_commas_and_replaces_an_old_query():
    link = export.link_with_query(
        "http://h/survival?old=1", {"cohort": "a,b", "times": "6,12", "by": "x y"}
    )
    assert link == "http://h/survival?cohort=a,b&times=6,12&by=x+y"
    assert export.link_with_query("http://h/survival", {}) == "http://h/survival"


def test_csv_round_trips_with_a_bom_for_excel():
    df = pd.DataFrame({"Group": ["Single", "Multiple"], "Median (95% CI)": ["1.0 (0.5–2.0)", "–"]})
    data = export.to_csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    pd.testing.assert_frame_equal(back, df)
    assert data.count(b"\r\n") == 3  # RFC 4180 rows


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_would_run_as_formulas_get_an_apostrophe(lead):
    # an imported cohort id or a label is text the user chose: '=HYPERLINK(...)' must not run
    cell = f'{lead}HYPERLINK("http://x","y")'
    df = pd.DataFrame({"Group": [cell, "G1"], f"{lead}col": ["a", "b"], "n": [-3, 12]})
    provenance, back = export.read_csv_bytes(export.to_csv_bytes(df), dtype=str)
    assert provenance == []
    assert list(back["Group"]) == ["'" + cell, "G1"]
    assert list(back.columns) == ["Group", f"'{lead}col", "n"]
    assert list(back["n"]) == ["-3", "12"]  # numbers stay numbers, negative ones too
    assert list(df["Group"]) == [cell, "G1"]  # the frame itself is left alone
    text = export.to_csv_bytes(df).decode("utf-8-sig")
    for line in text.split("\r\n"):
        for field in line.split(","):
            assert not field.lstrip('"').startswith(("=", "+", "@", "\t", "\r")), line


def test_csv_keeps_text_that_only_looks_like_a_formula_after_the_first_character():
    df = pd.DataFrame({"a": ["1 (2.0)", "–", "<11", "a=b", "x-y"]})
    _, back = export.read_csv_bytes(export.to_csv_bytes(df), dtype=str)
    assert list(back["a"]) == list(df["a"])


def test_csv_opens_with_its_provenance_lines():
    df = pd.DataFrame({"Group": ["All"], "n": [60]})
    lines = ["Selection: real · n=60", "Protected figures: counts below 11 withheld", ""]
    data = export.to_csv_bytes(df, lines)
    assert data.decode("utf-8-sig").startswith("# Selection: real · n=60\r\n# Protected")
    provenance, back = export.read_csv_bytes(data)
    assert provenance == lines[:2]
    pd.testing.assert_frame_equal(back, df)


def test_caption_lines_carry_the_disclosure_stamp():
    from core.analyses.disclosure import EXEMPT, Disclosure, Mode

    protected = Disclosure(11, Mode.PROTECTED, True)
    exact = Disclosure(None, Mode.EXACT, True)
    for d in (protected, exact):
        lines = export.caption_lines("x · n=60", [], "KM", when=WHEN, disclosure=d)
        assert d.stamp() and d.stamp() in lines
        assert lines.index(d.stamp()) == len(lines) - 2  # just before the export line
    plain = export.caption_lines("x", [], "KM", when=WHEN, disclosure=EXEMPT)
    assert plain == export.caption_lines("x", [], "KM", when=WHEN)


def test_png_text_round_trips_unicode():
    png = export.to_png(alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x"), scale=1)
    tagged = export.add_png_text(png, {"Description": "n=3 · 24.1–33.5 · ≥65 y"})
    assert export.png_text(tagged) == {"Description": "n=3 · 24.1–33.5 · ≥65 y"}
    assert export.png_size(tagged) == export.png_size(png)
    assert export.png_dpi(png) == pytest.approx(100, abs=0.5)  # scale 1 = 100 dpi
    with pytest.raises(ValueError):
        export.add_png_text(b"GIF89a", {"a": "b"})


def test_software_versions_come_from_metadata_and_pyproject():
    import tomllib

    v = export.software_versions()
    with (export.ROOT / "pyproject.toml").open("rb") as fh:
        assert v["net-outcomes-explorer"] == tomllib.load(fh)["project"]["version"]
    assert v["python"].count(".") == 2
    for name in ("duckdb", "pandas", "numpy", "scipy", "lifelines"):
        assert v[name][0].isdigit(), name
    assert "no-such-distribution" not in export.software_versions(["no-such-distribution"])


def test_iso_utc_and_cohort_line():
    assert export.iso_utc(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "2026-01-02T03:04:05Z"
    assert export.cohort_line([]) == "Data: no cohort"
