"""AppTest: the Survival page's export panel (downloads, share link, abstract text)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from core.analyses.survival import SurvivalSpec
from core.commands.report import share_params
from core.data.filters import Filters
from core.present import export
from core.present.paragraphs import method_line
from core.vocab.methods import ConfType, Endpoint, Origin
from tests.app.conftest import run_page

PAGE = "pages/survival.py"


def _labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def _code(at) -> list[str]:
    return [c.value for c in at.code]


def test_export_panel_shows_downloads_link_and_paragraphs(deferred):
    at = run_page(PAGE, {"by": "treatments"})
    assert not at.exception
    labels = _labels(at)
    assert {"Figure (SVG)", "Figure (PNG, 300 dpi)", "Everything (ZIP)"} <= set(labels)
    assert {"Summary (CSV)", "Survival at times (CSV)", "Hazard ratios (CSV)"} <= set(labels)
    # synthetic cohorts: the R script and its patient rows (issue 17 #9)
    assert {"R script reproducing this view", "Analysis data for R (CSV)"} <= set(labels)
    assert "Text for an abstract" in [e.label for e in at.expander]
    link, results, methods = _code(at)[-3:]
    assert link == export.link_with_query(
        "http://localhost:8501/survival", {k: str(v) for k, v in at.query_params.items()}
    )
    assert "by=treatments" in link and "cohort=pgep-mibg-211" in link
    # the pasted paragraph says the data are synthetic (issue 19 #9)
    assert results.startswith(
        "These results are from synthetic data generated to match published aggregates, not "
        "real patients (pgep-mibg-211)."
    )
    # the paragraph states the page's own numbers
    summary = next(d.value for d in at.dataframe if "Median, months (95% CI)" in d.value.columns)
    for _, row in summary.iterrows():
        est, lo, hi = re.fullmatch(
            r"(\S+) \((\S+)–(\S+)\)", row["Median, months (95% CI)"]
        ).groups()
        assert f"{est} months (95% CI {lo}–{hi}) for {row['Group']}" in results
        assert f"{row['Group']} (n = {row['n']}; {row['Events']} deaths)" in results
    assert "Cox proportional-hazards" in methods and "data version" in methods
    assert "Streamlit" in methods
    # the page's caption and the stamped figure use the same method wording
    assert any(method_line(SurvivalSpec(by="treatments")) in c.value for c in at.caption)


def test_deferred_figures_render_with_the_caption(deferred):
    at = run_page(PAGE, {"endpoint": "pfs_imaging"})
    assert not at.exception
    link = _code(at)[-3]
    svg_name = next(n for n in deferred if n.endswith(".svg"))
    png_name = next(n for n in deferred if n.endswith(".png"))
    assert svg_name == "km_pfs_imaging.svg"
    svg = deferred[svg_name]().decode("utf-8")
    texts = ["".join(e.itertext()) for e in ET.fromstring(svg).iter() if e.tag.endswith("tspan")]
    assert any(t.startswith("Selection: pgep-mibg-211 · n=") for t in texts)
    assert any("Synthetic" in t for t in texts)
    joined = " ".join(" ".join(t.split()) for t in texts)  # undo the wrapping
    assert method_line(SurvivalSpec(endpoint=Endpoint.PFS_IMAGING)) in joined
    png = deferred[png_name]()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert export.png_dpi(png) == pytest.approx(300, abs=0.5)
    meta = export.png_text(png)
    assert meta["Source"] == link
    assert f"Link: {link}" in meta["Description"]


@pytest.mark.parametrize(
    ("query", "filters", "spec"),
    [
        ({}, Filters(cohorts=("pgep-mibg-211",)), SurvivalSpec()),
        (
            {
                "cohort": "pgep-mibg-211,stage4-unselected-50",
                "endpoint": "pfs_imaging",
                "origin": "diagnosis",
                "lt": "0",
                "ci": "plain",
                "times": "6,18",
            },
            Filters(cohorts=("pgep-mibg-211", "stage4-unselected-50")),
            SurvivalSpec(
                endpoint=Endpoint.PFS_IMAGING,
                origin=Origin.DIAGNOSIS,
                left_truncation=False,
                conf_type=ConfType.PLAIN,
                times_months=(6.0, 18.0),
            ),
        ),
        (
            {"by": "imaging_response", "lm": "1", "lm_months": "6", "grade": "G1"},
            Filters(cohorts=("pgep-mibg-211",), grade=("G1",)),
            SurvivalSpec(by="imaging_response", landmark_months=6.0),
        ),
    ],
)
def test_the_report_link_is_the_page_url_for_the_same_view(query, filters, spec):
    at = run_page(PAGE, query)
    assert not at.exception
    page = {k: (",".join(v) if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert share_params(filters, spec) == page


def _timeless(data: bytes) -> list[bytes]:
    """A file's lines without the export-time provenance line, the link's query parameters
    sorted (the page and the report may list the same parameters in another order)."""
    from urllib.parse import parse_qsl, urlsplit

    out = []
    for ln in data.split(b"\n"):
        bare = ln.lstrip(b"\xef\xbb\xbf")
        if bare.startswith(b"# Exp"):
            continue
        if bare.startswith(b"# Link: "):
            url = urlsplit(bare[len(b"# Link: ") :].decode().strip())
            ln = f"# Link: {url.path} {sorted(parse_qsl(url.query))}".encode()
        out.append(ln)
    return out


def test_the_page_offers_the_report_bundle(deferred, app_db, tmp_path):
    import io
    import json
    import zipfile

    from core.cli import main

    at = run_page(PAGE, {"by": "treatments"})
    assert not at.exception
    assert "Everything (ZIP)" in _labels(at)
    out = tmp_path / "report"
    argv = ["report", "--db", str(app_db), "--cohort", "pgep-mibg-211", "--by", "treatments"]
    assert main([*argv, "--out", str(out)]) == 0
    csvs = [n for n in deferred if n.endswith(".csv")]
    assert {"summary.csv", "survival_at.csv", "hazard_ratios.csv"} <= set(csvs)
    for name in csvs:  # the same bytes as the report's files (but for the export time)
        assert _timeless(deferred[name]()) == _timeless((out / name).read_bytes()), name
    with zipfile.ZipFile(io.BytesIO(deferred["survival_os.zip"]())) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"km_os.svg", "km_os.png", "results.txt", "methods.txt", "manifest.json"} <= names
    assert manifest["disclosure"] == {"mode": "protected", "threshold": None, "real_data": False}
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json"}


@pytest.fixture
def imported(tmp_path, monkeypatch):
    """The app on a database holding only an imported cohort with small groups."""
    import numpy as np

    from core.cohorts.generator import generate_pgep
    from core.data.build import _write, insert_cohort
    from core.data.db import DB_ENV

    frames = generate_pgep(n=60, seed=7)
    frames.patients["grade"] = np.array(["G1"] * 25 + ["G2"] * 20 + ["G3"] * 9 + ["GX"] * 6)
    path = tmp_path / "imported.duckdb"
    meta = {"title": "Imported", "provenance": "imported", "description": "", "citation": ""}
    _write(path, lambda con: insert_cohort(con, {"cohort_id": "real-60", **meta}, frames))
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    return path


def test_protected_page_exports_show_no_small_count_and_state_the_mode(deferred, imported):
    from core.analyses.disclosure import Disclosure, Mode
    from tests.core.commands.test_report import small_counts_in_table, small_counts_in_text

    at = run_page(PAGE, {"cohort": "real-60", "by": "grade"})
    assert not at.exception
    d = Disclosure(11, Mode.PROTECTED, True)
    link, results, methods = _code(at)[-3:]
    assert {"summary.csv", "km_os.svg"} <= set(deferred)
    assert "analysis_data.csv" not in deferred  # no patient rows under protection (rule 10)
    for text in (results, methods):
        assert text.endswith(d.sentence()) and not small_counts_in_text(text)
    for name, make in deferred.items():
        data = make()
        if name.endswith(".csv"):
            provenance, frame = export.read_csv_bytes(data, dtype=str, keep_default_na=False)
            assert d.stamp() in provenance, name
            assert not small_counts_in_table(frame), name
            assert not small_counts_in_text(data.decode("utf-8-sig")), name
        elif name.endswith(".svg"):
            texts = [
                "".join(e.itertext()) for e in ET.fromstring(data).iter() if e.tag.endswith("tspan")
            ]
            assert d.stamp() in texts, name
            assert not small_counts_in_text("\n".join(texts)), name
    if "hazard_ratios.csv" in deferred:  # (none here: G1, the reference, has 1-10 non-events)
        hr = deferred["hazard_ratios.csv"]().decode("utf-8-sig")
        assert "G3" not in hr and "GX" not in hr  # no row for a withheld group
