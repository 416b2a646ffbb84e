"""AppTest, issue 19 (trust pass): the Benchmarks page's exports (item 13), its comparison box
following the page's endpoint and its population flags (item 11), the Survival page's benchmark
overlay warnings and basis note (item 11), and the synthetic-data marker on the charts (item 9)."""

from __future__ import annotations

import json

import pytest

from core.present.charts import synthetic_note
from tests.app.conftest import run_page

BENCH = "pages/benchmarks.py"
SURVIVAL = "pages/survival.py"
MARK = synthetic_note(("pgep-mibg-211",))


def _specs(at) -> list[str]:
    return [e.proto.spec for e in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]


def _labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_benchmarks_page_exports_figure_csv_paragraphs_and_link():
    at = run_page(BENCH, {"cohort": "pgep-mibg-211"})
    assert not at.exception
    labels = _labels(at)
    assert {
        "Figure (SVG)",
        "Figure (PNG, 300 dpi)",
        "Forest plots (CSV)",
        "Comparison (CSV)",
    } <= set(labels)
    codes = [c.value for c in at.code]
    assert any(c.startswith("http") and "benchmarks" in c for c in codes)  # the share link
    results = next(c for c in codes if "In this view (n = 211)" in c)
    assert "Kane 2018" in results and results.startswith("These results are from synthetic")
    assert any("Months are days / 30.4375" in c for c in codes)  # the methods paragraph
    button = next(b for b in at.get("download_button") if b.proto.label == "Forest plots (CSV)")
    assert button.proto.label  # written on click (deferred), like the Survival page's


def test_benchmark_forests_carry_the_synthetic_marker():
    at = run_page(BENCH, {"cohort": "pgep-mibg-211"})
    specs = _specs(at)
    assert specs and all(MARK in s for s in specs)


def test_comparison_box_follows_the_pages_endpoint():
    at = run_page(BENCH, {"cohort": "pgep-mibg-211", "bendpoint": "pfs"})
    assert not at.exception
    box = next(s for s in at.selectbox if s.label == "Benchmark")
    assert box.options and all("· PFS " in o for o in box.options)
    assert "kane-os-median" not in str(box.options)


def test_forests_mark_other_populations_for_a_small_bowel_selection():
    at = run_page(
        BENCH, {"cohort": "pgep-mibg-211", "primary_site": "small_bowel", "bendpoint": "pfs"}
    )
    assert not at.exception
    text = " ".join(_specs(at))
    assert "primary_site" in json.dumps(dict(at.query_params)) or "Small bowel" in text
    assert "other population: pancreas" in text
    assert "[other population: midgut" not in text  # NETTER-1 (midgut) is not flagged
    assert any("other population" in c.value or "primary sites" in c.value for c in at.caption)


def test_survival_overlay_shows_warnings_and_the_basis_on_the_plot():
    at = run_page(
        SURVIVAL,
        {"cohort": "pgep-mibg-211", "origin": "diagnosis", "overlay": "kane-os-rate-60m-dx"},
    )
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "no delayed entry" in warnings and "Kane 2018" in warnings
    spec = json.loads(_specs(at)[0])
    text = json.dumps(spec)
    assert "Not on the same basis: Kane 2018" in text
    assert spec["title"]["subtitle"] == MARK  # (the page's layout: one layered view)
    assert spec["description"].startswith("Overall survival")


@pytest.mark.parametrize(
    "page,query",
    [
        ("pages/response.py", {"cohort": "pgep-mibg-211", "rby": "sex"}),
        ("pages/cox.py", {"cohort": "pgep-mibg-211"}),
    ],
)
def test_response_and_cox_charts_carry_the_synthetic_marker(page, query):
    """Issue 19 #9: every analysis chart of synthetic data says so in its title."""
    at = run_page(page, query)
    assert not at.exception
    specs = _specs(at)
    assert specs and "SYNTHETIC DATA (pgep-mibg-211)" in specs[0]
