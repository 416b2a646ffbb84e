"""Issue 19 (trust pass), items 8, 9, 11, 12, 15 and 16: what a reader takes away from the
figures, CSVs and paragraphs. Each test failed before the change it names."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from core.analyses.comparison import (
    cohort_label,
    cohort_measure,
    filter_benchmarks,
    forest_frame,
    forest_groups,
    overlay_checks,
    overlay_frame,
    overlay_note,
    population_flags,
)
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, analyse
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.literature.registry import load_benchmarks
from core.present import bundle, export
from core.present.charts import (
    FIT_WIDTH,
    SYNTHETIC_COLOR,
    axis_end,
    forest_chart,
    km_chart,
    synthetic_note,
)
from core.present.paragraphs import results_paragraph
from core.vocab.methods import Origin, TimeUnit

PGEP = Filters(cohorts=("pgep-mibg-211",))
WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def infos(default_db):
    return [c for c in list_cohorts(default_db) if c.cohort_id == "pgep-mibg-211"]


@pytest.fixture(scope="module")
def by_grade(default_db):
    return analyse(PGEP, SurvivalSpec(by="grade"), default_db)


def _svg_width(chart) -> float:
    svg = export.to_svg(chart)
    return float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))


# ------------------------------------------------------------------ item 8: field provenance
def test_results_paragraph_says_a_synthetic_grouping_is_not_evidence(default_db, by_grade, infos):
    text = results_paragraph(by_grade, cohorts=infos)
    assert "Grade is synthetic in pgep-mibg-211" in text
    assert "grade differences are not evidence" in text
    # a reported field says nothing
    site = analyse(PGEP, SurvivalSpec(by="primary_site"), default_db)
    assert "is synthetic in" not in results_paragraph(site, cohorts=infos)


def test_results_paragraph_names_a_synthetic_filter(default_db, infos):
    a = analyse(replace(PGEP, grade=("G1", "G2")), SurvivalSpec(), default_db)
    text = results_paragraph(a, cohorts=infos)
    assert "Grade is synthetic in pgep-mibg-211" in text
    assert "the selection by grade rests on invented values" in text


def test_survival_export_carries_field_provenance_in_csv_and_json(by_grade, infos):
    b = bundle.survival_bundle(by_grade, cohorts=infos, when=WHEN)
    for f in b.tables():
        provenance, _ = export.read_csv_bytes(f.make())
        assert (
            "Field provenance: grade (grouping) is synthetic in pgep-mibg-211; not evidence"
            in provenance
        ), f.name
    manifest = json.loads(b.render()["manifest.json"])
    assert manifest["field_provenance"]["grade"] == {
        "role": "grouping",
        "cohorts": {"pgep-mibg-211": "synthetic"},
    }


# ------------------------------------------------------------------ item 9: synthetic marker
def test_every_chart_of_synthetic_data_says_so_in_its_title(default_db, by_grade):
    from core.analyses.responses import ResponseSpec
    from core.analyses.responses import analyse as response_analyse
    from core.present.charts_response import response_chart

    note = synthetic_note(("pgep-mibg-211",))
    km = km_chart(by_grade, title="OS", synthetic=("pgep-mibg-211",)).to_dict()
    title = km["vconcat"][0]["title"]
    assert title["subtitle"] == note and title["subtitleColor"] == SYNTHETIC_COLOR
    assert "subtitle" not in km_chart(by_grade, title="OS").to_dict()["vconcat"][0]["title"]
    r = response_analyse(PGEP, ResponseSpec(), default_db)
    resp = response_chart(r.table, r.protection, synthetic=("pgep-mibg-211",)).to_dict()
    assert resp["title"]["text"] == note
    frame = _forest(default_db)
    forest = forest_chart(
        frame, x_title="Median", ref_line=None, log_scale=False, synthetic=("pgep-mibg-211",)
    ).to_dict()
    assert note in json.dumps(forest["title"])
    assert note in export.to_svg(km_chart(by_grade, title="OS", synthetic=("pgep-mibg-211",)))


def test_the_report_figure_is_marked_synthetic(by_grade, infos):
    b = bundle.survival_bundle(by_grade, cohorts=infos, when=WHEN)
    svg = b.file("km.svg").make().decode()
    assert synthetic_note(("pgep-mibg-211",)) in svg
    assert b.results.startswith("These results are from synthetic data")


# ------------------------------------------------------------------ item 11: benchmarks
def _forest(default_db, filters=PGEP, endpoint="os"):
    rows = filter_benchmarks(load_benchmarks(), "all", endpoint)
    group = forest_groups(rows)[0]
    own = cohort_measure(filters, group.measure, default_db)
    ids = tuple(b.id for b in group.benchmarks)
    flags = dict(population_flags(filters, ids, default_db, mode=Mode.EXACT))
    return forest_frame(group, own, cohort_label(filters, own, "months"), flags)


def test_forests_flag_pancreatic_only_trials_beside_a_small_bowel_selection(default_db):
    small_bowel = replace(PGEP, primary_site=("small_bowel",))
    frame = _forest(default_db, small_bowel, "pfs")
    radiant3 = frame[frame["id"] == "radiant3-eve-pfs-median"].iloc[0]
    assert radiant3["population"] == "other population: pancreas"
    assert (
        radiant3["label"].startswith("⚠ ") and "[other population: pancreas]" in radiant3["label"]
    )
    netter = frame[frame["id"] == "netter1-ctrl-pfs-median"].iloc[0]  # midgut: same population
    assert netter["population"] == "" and not netter["label"].startswith("⚠")
    spec = forest_chart(
        frame, x_title="Median", ref_line=None, log_scale=False, highlight=frame["label"][0]
    ).to_dict()
    assert "other population" in json.dumps(spec)  # coloured and named in the legend


def test_survival_overlay_states_the_difference_of_basis(default_db):
    spec = SurvivalSpec(origin=Origin.DIAGNOSIS)  # delayed entry on: the page's default
    checks = overlay_checks(PGEP, spec, ("kane-os-rate-60m-dx",), default_db, mode=Mode.EXACT)
    (check,) = checks
    assert "no delayed entry" in check.basis and "Kane 2018" in check.basis
    assert any(w.code.value == "population-grades-not-reported" for w in check.warnings)
    note = overlay_note(checks)
    assert "Not on the same basis: Kane 2018" in note
    off = overlay_checks(
        PGEP, replace(spec, left_truncation=False), ("kane-os-rate-60m-dx",), default_db
    )
    assert off[0].basis == "" and overlay_note(off) == ""
    a = analyse(PGEP, spec, default_db)
    ov = overlay_frame(["kane-os-rate-60m-dx"], "months", max_time=200)
    chart = km_chart(a, overlays=ov, overlay_note=note)
    assert "Not on the same basis" in export.to_svg(chart)


# ------------------------------------------------------------------ item 12: numeric CSVs
def test_bundle_response_csvs_are_numeric_with_provenance(default_db, by_grade, infos):
    from core.analyses.responses import ResponseSpec
    from core.analyses.responses import analyse as response_analyse

    part = bundle.response_part(response_analyse(PGEP, ResponseSpec(), default_db))
    b = bundle.survival_bundle(by_grade, cohorts=infos, responses=[part], when=WHEN)
    data = b.file("responses_imaging.csv").make()
    provenance, frame = export.read_csv_bytes(data)
    assert {"estimate", "lower", "upper", "unit"} <= set(frame.columns)
    rates = frame[frame["kind"] == "rate"]
    assert rates["estimate"].dtype.kind == "f" and set(rates["unit"]) == {"%"}
    orr = rates[(rates["code"] == "orr") & (rates["group"] == "All")].iloc[0]
    assert orr["lower"] < orr["estimate"] < orr["upper"]
    assert not frame.astype(str).apply(lambda c: c.str.contains("–")).any().any()
    text = " ".join(provenance)
    assert "Response method: Imaging response" in text
    for f in b.tables():  # every CSV: selection, data version, mode, method, date, link
        lines = export.read_csv_bytes(f.make())[0]
        assert lines[0].startswith("Selection: ")
        assert any(ln.startswith("Data: pgep-mibg-211 version") for ln in lines)
        assert any(ln.startswith("Method: ") for ln in lines)
        assert any(ln.startswith("Disclosure mode: protected") for ln in lines), f.name
        assert any(ln.startswith("Exported 2026-03-04T05:06:07Z") for ln in lines)
        assert any(ln.startswith("Link: ") for ln in lines), f.name


# ------------------------------------------------------------------ item 15: figures
def test_legend_medians_carry_units(by_grade):
    spec = km_chart(by_grade, TimeUnit.MONTHS).to_dict()
    line = next(ly for ly in spec["vconcat"][0]["layer"] if ly["mark"]["type"] == "line")
    labels = line["encoding"]["color"]["scale"]["domain"]
    assert all(re.search(r"median (\d+\.\d months|not reached)\)$", t) for t in labels)


def test_first_and_last_at_risk_numbers_sit_inside_the_frame(by_grade):
    spec = km_chart(by_grade).to_dict()
    for panel in spec["vconcat"][1:]:
        aligns = {ly["mark"]["align"]: ly["transform"][0]["filter"] for ly in panel["layer"]}
        assert aligns["left"] == "datum.time < 1e-9"
        assert "right" in aligns  # the last column ends at the frame's right edge
    svg = export.to_svg(km_chart(by_grade))
    texts = re.findall(r'<text[^>]*text-anchor="(start|end)"[^>]*>(\d+)</text>', svg)
    assert ("start", "90") in texts  # G1's 90 at risk at time 0, left-aligned


def test_time_axis_ends_near_the_last_follow_up(by_grade):
    assert axis_end(130.0, TimeUnit.MONTHS) == 132.0  # not 144
    assert axis_end(213.4, TimeUnit.MONTHS) == 216.0
    spec = km_chart(by_grade).to_dict()
    line = next(ly for ly in spec["vconcat"][0]["layer"] if ly["mark"]["type"] == "line")
    end = line["encoding"]["x"]["scale"]["domain"][1]
    last = max(g.km.time[-1] for g in by_grade.groups) / 30.4375
    assert last <= end < last * 1.05


def test_clean_figure_keeps_its_provenance_in_png_text_and_a_sidecar(by_grade, infos):
    link = "http://h/survival?cohort=pgep-mibg-211&by=grade"
    b = bundle.survival_bundle(by_grade, cohorts=infos, when=WHEN, link=link, clean=True)
    files = b.render()
    png, side = files["km_clean.png"], json.loads(files["km_clean.json"])
    meta = export.png_text(png)
    assert meta["Source"] == link and meta["Description"] == "\n".join(b.caption)
    assert side["caption"] == list(b.caption) and side["share_link"] == link
    assert side["figure"] == "km_clean.png" and side["disclosure"]["mode"] == "protected"
    stamped = export.png_size(files["km.png"])
    clean = export.png_size(png)
    assert clean[1] < stamped[1]  # no caption drawn: a shorter image
    assert "km_clean.png" not in bundle.survival_bundle(by_grade, cohorts=infos).names


def test_benchmark_overlay_legend_is_not_cut_off(by_grade):
    ov = overlay_frame(["kane-os-median", "safford-os-median"], "months", max_time=200)
    chart = km_chart(by_grade, overlays=ov)
    svg = export.to_svg(chart)
    words = " ".join(re.findall(r">([^<>]+)</t", svg))
    for label in dict.fromkeys(ov["label"]):
        for word in label.split():
            assert word in words, word  # every word drawn (wrapped, never an ellipsis)
    assert "…" not in words
    assert _svg_width(chart) <= FIT_WIDTH


# ------------------------------------------------------------------ item 16: accessibility
def test_charts_have_an_accessible_description_and_fit_800_px(default_db, by_grade):
    from core.analyses.responses import ResponseSpec
    from core.analyses.responses import analyse as response_analyse
    from core.present.charts_response import response_chart

    km = km_chart(by_grade, title="OS")
    assert km.to_dict()["description"].startswith("OS Kaplan-Meier curves of overall survival")
    r = response_analyse(PGEP, ResponseSpec(by="primary_site"), default_db)
    resp = response_chart(r.table, r.protection, synthetic=("pgep-mibg-211",))
    assert "stacked bars" in resp.to_dict()["description"]
    forest = forest_chart(_forest(default_db), x_title="Median", ref_line=None, log_scale=False)
    assert forest.to_dict()["description"].startswith("Forest plot")
    for chart in (km, resp, forest):
        assert _svg_width(chart) <= FIT_WIDTH
    many = analyse(PGEP, SurvivalSpec(by="imaging_response"), default_db)
    assert _svg_width(km_chart(many, show_median=True)) <= FIT_WIDTH
    assert np.isfinite(FIT_WIDTH)
