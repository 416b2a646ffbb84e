"""``python -m core report``: every file written, hashes in the manifest, exit 2 on bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shlex
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from core.cli import main
from core.data.db import list_cohorts
from core.present import export
from core.vocab.methods import Provenance

ALWAYS = {
    "km.svg",
    "km.png",
    "summary.csv",
    "survival_at.csv",
    "responses_imaging.csv",
    "responses_symptomatic.csv",
    "responses_biochemical.csv",
    "results.txt",
    "methods.txt",
    "manifest.json",
}


@pytest.fixture(scope="module")
def grouped(default_db, tmp_path_factory):
    """A report with more than two groups (so pairwise.csv and hazard_ratios.csv exist)."""
    out = tmp_path_factory.mktemp("report") / "by_site"
    argv = [
        "report",
        "--db",
        str(default_db),
        "--cohort",
        "pgep-mibg-211",
        "--filter",
        "primary_site=small_bowel,lung,pancreas",
        "--by",
        "primary_site",
        "--base-url",
        "https://net.example.org",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_every_file_is_written_and_listed_with_its_hash(grouped):
    out, manifest = grouped
    on_disk = {p.name for p in out.iterdir()}
    assert on_disk == ALWAYS | {"pairwise.csv", "hazard_ratios.csv"}
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == on_disk - {"manifest.json"}
    for name, entry in listed.items():
        data = (out / name).read_bytes()
        assert entry["bytes"] == len(data), name
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name


def test_manifest_records_selection_cohorts_command_time_and_software(grouped, default_db):
    out, manifest = grouped
    info = next(c for c in list_cohorts(default_db) if c.cohort_id == "pgep-mibg-211")
    assert manifest["cohorts"] == [
        {
            "cohort_id": info.cohort_id,
            "title": info.title,
            "data_version": info.data_version,
            "provenance": info.provenance,
            "provenance_label": Provenance.parse(info.provenance).label,
            "citation": info.citation,
        }
    ]
    sel = manifest["selection"]
    assert sel["filters"] == {
        "cohort": "pgep-mibg-211",
        "primary_site": "small_bowel,lung,pancreas",
    }
    assert sel["by"] == "primary_site" and sel["endpoint"] == "os"
    assert sel["description"].endswith(f"n={sel['n_analysed']}")
    created = dt.datetime.fromisoformat(manifest["created_utc"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 3600
    assert manifest["command"].startswith("python -m core report ")
    assert manifest["software"]["python"] and manifest["software"]["duckdb"]
    assert manifest["share_link"] == (
        "https://net.example.org/survival?cohort=pgep-mibg-211"
        "&primary_site=small_bowel,lung,pancreas&by=primary_site"
    )
    assert manifest["figure"]["png_dpi"] == 300
    assert 6.0 <= manifest["figure"]["png_inches"][0] <= 8.0


def test_figures_open_and_carry_the_caption(grouped):
    out, manifest = grouped
    svg = (out / "km.svg").read_text(encoding="utf-8")
    texts = [
        "".join(el.itertext())
        for el in ET.fromstring(svg).iter()
        if el.tag.endswith("tspan") or (el.tag.endswith("text") and len(el) == 0)
    ]
    caption = manifest["figure"]["caption"]
    assert caption[0] in texts  # "Selection: ..."
    assert any("version " + manifest["cohorts"][0]["data_version"] in t for t in texts)
    assert any(t.startswith("Link: https://net.example.org/survival?") for t in texts)
    png = (out / "km.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(export.png_size(png)) == manifest["figure"]["png_pixels"]
    assert export.png_text(png)["Description"] == "\n".join(caption)


def test_paragraphs_state_the_numbers_of_the_csv_tables(grouped):
    out, _ = grouped
    results = (out / "results.txt").read_text(encoding="utf-8")
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig", dtype=str)
    for _, row in summary.iterrows():
        cell = row["Median, months (95% CI)"]
        m = re.fullmatch(r"(\S+) \((\S+)–(\S+)\)", cell)
        phrase = (
            f"{m[1]} months (95% CI {m[2]}–{m[3]}) for {row['Group']}"
            if m
            else f"not reached for {row['Group']}"
        )
        assert phrase in results
        assert f"{row['Group']} (n = {row['n']}; {row['Events']} " in results
    imaging = pd.read_csv(out / "responses_imaging.csv", encoding="utf-8-sig", dtype=str)
    orr_col = next(c for c in imaging.columns if c.startswith("Objective response rate"))
    all_row = imaging[imaging["Group"] == "All"].iloc[0]
    est, ci = re.fullmatch(r"(\S+) \((\S+)\)", all_row[orr_col]).groups()
    assert "Clopper-Pearson exact" in orr_col
    assert f"{est}% (95% CI {ci}; " in results
    methods = (out / "methods.txt").read_text(encoding="utf-8")
    assert "Holm-adjusted pairwise log-rank" in methods and "Efron" in methods


def test_the_recorded_command_reproduces_the_tables(grouped, tmp_path):
    out, manifest = grouped
    argv = shlex.split(manifest["command"])[3:]  # drop "python -m core"
    argv[argv.index("--out") + 1] = str(tmp_path / "again")
    assert main(argv) == 0
    for name in ("summary.csv", "survival_at.csv", "pairwise.csv", "results.txt", "methods.txt"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name


def test_ungrouped_report_has_no_comparison_files(default_db, tmp_path):
    out = tmp_path / "r"
    argv = ["report", "--db", str(default_db), "--cohort", "ia-hepatic-6", "--out", str(out)]
    assert main(argv) == 0
    assert {p.name for p in out.iterdir()} == ALWAYS
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert list(summary["Group"]) == ["All"]
    text = (out / "results.txt").read_text(encoding="utf-8")
    assert "log-rank" not in text and "hazard ratio" not in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cohort", "no-such-cohort"], "no such cohort"),
        (["--cohort", "pgep-mibg-211", "--filter", "colour=blue"], "expected FIELD=V1,V2"),
        (["--cohort", "pgep-mibg-211", "--filter", "grade=G9"], "grade"),
        (["--cohort", "pgep-mibg-211", "--landmark", "0"], "--landmark"),
        (["--cohort", "pgep-mibg-211", "--times", "12,abc"], "--times"),
        (["--cohort", "pgep-mibg-211", "--times", "999"], "--times"),
        (["--cohort", "ia-hepatic-6", "--filter", "primary_site=pancreas"], "no patient"),
    ],
)
def test_invalid_input_exits_2_with_a_message_and_writes_nothing(
    extra, message, default_db, tmp_path, capsys
):
    out = tmp_path / "out"
    assert main(["report", "--db", str(default_db), *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()


def test_out_must_not_be_a_file(default_db, tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    argv = ["report", "--db", str(default_db), "--cohort", "ia-hepatic-6", "--out", str(target)]
    assert main(argv) == 2
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_csv_files_are_utf8_with_bom(grouped):
    out, _ = grouped
    data = (out / "survival_at.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(frame.columns) == ["Group", "Time, months", "Survival, %", "95% CI, %", "At risk"]
