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
from core.vocab.formatting import fmt_num
from core.vocab.methods import Provenance

ALWAYS = {
    "km.svg",
    "km.png",
    "summary.csv",
    "survival_at.csv",
    "responses_imaging.csv",
    "responses_symptomatic.csv",
    "responses_biochemical.csv",
    "table1.csv",
    "results.txt",
    "methods.txt",
    "manifest.json",
    "reproduce.R",  # the R script (issue 17 #9)
    "analysis_data.csv",  # its patient rows: synthetic cohorts (never for protected real data)
}


def _csv(path, **kwargs) -> pd.DataFrame:
    return export.read_csv_bytes(path.read_bytes(), **kwargs)[1]


def _timeless(data: bytes) -> list[bytes]:
    """A file's lines without the export-time provenance line (the only one that differs)."""
    return [ln for ln in data.split(b"\n") if not ln.lstrip(b"\xef\xbb\xbf").startswith(b"# Exp")]


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
    assert on_disk == ALWAYS | {"pairwise.csv", "hazard_ratios.csv", "effects.csv"}
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
    summary = _csv(out / "summary.csv")
    assert set(summary["unit"]) == {"months"}

    def limit(v: float) -> str:
        return fmt_num(None if pd.isna(v) else float(v), 1, "NR")

    for _, row in summary.iterrows():
        phrase = (
            f"not reached for {row['group']}"
            if pd.isna(row["median"])
            else f"{fmt_num(float(row['median']))} months (95% CI {limit(row['median_lower'])}–"
            f"{limit(row['median_upper'])}) for {row['group']}"
        )
        assert phrase in results
        assert f"{row['group']} (n = {row['n']}; {row['events']} " in results
    imaging = _csv(out / "responses_imaging.csv")  # numeric (issue 19 item 12)
    orr = imaging[(imaging["group"] == "All") & (imaging["code"] == "orr")].iloc[0]
    assert orr["ci_method"] == "clopper-pearson" and orr["unit"] == "%"
    est, lo, hi = (fmt_num(float(orr[c])) for c in ("estimate", "lower", "upper"))
    assert f"{est}% (95% CI {lo}–{hi}; " in results
    methods = (out / "methods.txt").read_text(encoding="utf-8")
    assert "Holm-adjusted pairwise log-rank" in methods and "Efron" in methods


def test_the_recorded_command_reproduces_the_tables(grouped, tmp_path):
    out, manifest = grouped
    argv = shlex.split(manifest["command"])[3:]  # drop "python -m core"
    argv[argv.index("--out") + 1] = str(tmp_path / "again")
    assert main(argv) == 0
    for name in ("summary.csv", "survival_at.csv", "pairwise.csv", "results.txt", "methods.txt"):
        again, first = (tmp_path / "again" / name).read_bytes(), (out / name).read_bytes()
        assert _timeless(again) == _timeless(first), name


def test_ungrouped_report_has_no_comparison_files(default_db, tmp_path):
    out = tmp_path / "r"
    argv = ["report", "--db", str(default_db), "--cohort", "ia-hepatic-6", "--out", str(out)]
    assert main(argv) == 0
    assert {p.name for p in out.iterdir()} == ALWAYS
    summary = _csv(out / "summary.csv")
    assert list(summary["group"]) == ["All"]
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
    provenance, frame = export.read_csv_bytes(data)
    assert list(frame.columns) == [
        "group", "time", "unit", "survival", "lower", "upper", "at_risk", "events", "censored"
    ]  # fmt: skip
    numeric = ("time", "survival", "at_risk", "events", "censored")
    assert all(pd.api.types.is_numeric_dtype(frame[c]) for c in numeric)
    assert provenance[0].startswith("Selection: pgep-mibg-211")
    assert any(line.startswith("Data: pgep-mibg-211 version") for line in provenance)


# ------------------------------------------------------------------ disclosure (imported data)
T = 11
REAL = "real-60"


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory):
    """An imported (real) cohort of 60 built by code: sex 52/8, grade 25/20/9/6, and the
    generator's own small response categories."""
    import numpy as np

    from core.cohorts.generator import generate_pgep
    from core.data.build import _write, insert_cohort
    from core.data.db import close_all

    frames = generate_pgep(n=60, seed=7)
    p = frames.patients
    p["sex"] = np.array(["male"] * 52 + ["female"] * 8, dtype=object)
    p["grade"] = np.array(["G1"] * 25 + ["G2"] * 20 + ["G3"] * 9 + ["GX"] * 6, dtype=object)
    path = tmp_path_factory.mktemp("imported") / "imported.duckdb"
    meta = {"title": "Imported", "provenance": "imported", "description": "", "citation": ""}
    _write(path, lambda con: insert_cohort(con, {"cohort_id": REAL, **meta}, frames))
    yield path
    close_all()


def _report(db, out, *extra) -> int:
    return main(["report", "--db", str(db), "--cohort", REAL, *extra, "--out", str(out)])


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8-sig").replace("\r\n", "\n").split("\n")


def _table(data: bytes) -> pd.DataFrame:
    """A CSV of the report without its provenance lines."""
    body = "\n".join(ln for ln in _lines(data) if not ln.startswith("# "))
    return pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


def _svg_texts(svg: str) -> list[str]:
    return [
        "".join(el.itertext())
        for el in ET.fromstring(svg).iter()
        if el.tag.endswith("tspan") or (el.tag.endswith("text") and len(el) == 0)
    ]


COUNT_PATTERNS = [
    re.compile(r"\bn\s*=\s*(\d+)\b"),
    re.compile(r"(?<![\d.])(\d+)\s*/\s*(\d+)\b"),
    re.compile(r"(?<![\d.\-–])(\d+) \(\d"),
    re.compile(
        r"(?<![\d.\-–])(\d+) (?:of (?:the )?)?(\d+ )?(?:selected )?"
        r"(?:patients?|deaths?|events?)\b"
    ),
    re.compile(r"(?<![\d.\-–])(\d+) not evaluable"),
    re.compile(r"\((\d+)\)"),
    re.compile(r'"n(?:_\w+)?": "?(\d+)'),
]
COUNT_COLUMNS = re.compile(
    r"^(n|events|at[ _]risk|evaluable|not evaluable/missing|.*, n \(%\))$", re.IGNORECASE
)


def small_counts_in_text(text: str) -> list[str]:
    """Every count-like number from 1 to T-1 in running text, with its context."""
    found = []
    for pat in COUNT_PATTERNS:
        for m in pat.finditer(text):
            for g in m.groups():
                if g and g.strip().isdigit() and 0 < int(g) < T:
                    found.append(text[max(0, m.start() - 40) : m.end() + 10])
    return found


def small_counts_in_table(frame: pd.DataFrame) -> list[str]:
    found = []
    for col in frame.columns:
        if not COUNT_COLUMNS.match(col):
            continue
        for v in frame[col]:
            m = re.match(r"^(\d+)(?:\D|$)", str(v))
            if m and 0 < int(m[1]) < T:
                found.append(f"{col}: {v}")
    return found


def leaks(out) -> dict[str, list[str]]:
    """Small counts shown anywhere in a report folder (tables, paragraphs, figure, manifest)."""
    found: dict[str, list[str]] = {}
    for f in sorted(out.iterdir()):
        data = f.read_bytes()
        if f.suffix == ".csv":
            hits = small_counts_in_table(_table(data))
            hits += small_counts_in_text("\n".join(_lines(data)))
        elif f.suffix == ".svg":
            hits = small_counts_in_text("\n".join(_svg_texts(data.decode("utf-8"))))
        elif f.suffix in (".txt", ".json"):
            hits = small_counts_in_text(data.decode("utf-8"))
        else:
            continue
        if hits:
            found[f.name] = hits
    return found


def test_the_scanner_finds_the_counts_it_must(tmp_path):
    # the leaks the issue reports, as the files wrote them
    assert small_counts_in_text("was 20.0% (95% CI 8.4–36.9; 7/35)")
    assert small_counts_in_text("Female (n = 8; 5 deaths)")
    assert small_counts_in_text("Not estimable (fewer than 5 patients or no events): G3.")
    assert small_counts_in_text("real-60 · n=8")
    assert small_counts_in_table(pd.DataFrame({"Complete response, n (%)": ["1 (16.7)"]}))
    # the numeric survival CSVs' count columns
    assert small_counts_in_table(pd.DataFrame({"at_risk": ["5"]}))
    assert small_counts_in_table(pd.DataFrame({"events": ["3"]}))
    # and not numbers that are no counts
    assert not small_counts_in_text("Exported 2026-03-04 (UTC) from NET Outcomes Explorer 0.1.0")
    assert not small_counts_in_text("Median 29.0 months (95% CI 20.0–43.0); df = 1; at 6 months")
    assert not small_counts_in_text("Female (n = <11; <11 deaths) and Male (n = 52; 40 deaths)")


@pytest.mark.parametrize("by", [None, "sex", "grade", "primary_site"])
def test_protected_report_shows_no_count_below_the_threshold(imported_db, tmp_path, by):
    out = tmp_path / "r"
    assert _report(imported_db, out, *(["--by", by] if by else [])) == 0
    assert leaks(out) == {}


def test_response_counts_are_withheld_not_written_raw(imported_db, tmp_path):
    out = tmp_path / "r"
    assert _report(imported_db, out) == 0
    imaging = _table((out / "responses_imaging.csv").read_bytes())
    cr = imaging.loc[imaging["code"] == "CR", "n"].iloc[0]
    assert cr in ("<11", "suppressed") or float(cr) >= T
    results = (out / "results.txt").read_text(encoding="utf-8")
    assert not re.search(r"\b([1-9]|10)/\d+", results)


def test_no_hazard_ratio_pairwise_row_or_note_for_a_suppressed_group(imported_db, tmp_path):
    out = tmp_path / "r"
    assert _report(imported_db, out, "--by", "grade") == 0
    summary = _table((out / "summary.csv").read_bytes())
    hidden = set(summary.loc[summary["n"].isin(["<11", "suppressed"]), "group"])
    shown = set(summary["group"]) - hidden
    assert hidden and len(shown) >= 2  # G3 (9) and GX (6) hidden; G1 and G2 compared
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    if (out / "hazard_ratios.csv").exists():
        hr = _table((out / "hazard_ratios.csv").read_bytes())
        assert set(hr["group"]) | set(hr["reference"]) <= shown and len(hr)
    else:  # G1 (25, 22 deaths: 3 without one) is the reference: no HR at all (rule 8)
        assert any("No hazard ratio under disclosure control" in n for n in manifest["notes"])
    if (out / "pairwise.csv").exists():
        pw = _table((out / "pairwise.csv").read_bytes())
        assert not (set(pw["group_a"]) | set(pw["group_b"])) & hidden
    results = (out / "results.txt").read_text(encoding="utf-8")
    hr_sentence = results[results.index("Compared with") :] if "Compared with" in results else ""
    for label in hidden:
        assert f"for {label}" not in hr_sentence
    assert not any("fewer than 5" in n for n in manifest["notes"])


def test_every_group_withheld_gives_a_figure_that_says_so(imported_db, tmp_path):
    out = tmp_path / "r"  # 52/8: the 8 is withheld, and the 52 with it (the total shows)
    assert _report(imported_db, out, "--by", "sex") == 0
    texts = " ".join(_svg_texts((out / "km.svg").read_text(encoding="utf-8")))
    assert "No curve shown" in texts
    png = (out / "km.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and min(export.png_size(png)) > 100
    assert leaks(out) == {}


def test_a_selection_below_the_threshold_is_refused_and_nothing_written(
    imported_db, tmp_path, capsys
):
    out = tmp_path / "r"
    assert _report(imported_db, out, "--filter", "sex=female") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"fewer than {T}" in err and "8" not in err
    assert not out.exists()


@pytest.mark.parametrize("mode", ["protected", "exact"])
def test_every_output_states_the_mode(imported_db, tmp_path, capsys, mode):
    from core.analyses.disclosure import Disclosure, Mode

    out = tmp_path / "r"
    assert _report(imported_db, out, "--by", "grade", "--disclosure", mode) == 0
    d = Disclosure(T if mode == "protected" else None, Mode(mode), True)
    assert d.stamp() in capsys.readouterr().out
    for name in ("results.txt", "methods.txt"):
        assert d.sentence() in (out / name).read_text(encoding="utf-8"), name
    for f in out.glob("*.csv"):
        assert f"# {d.stamp()}" in _lines(f.read_bytes()), f.name
    assert d.stamp() in " ".join(_svg_texts((out / "km.svg").read_text(encoding="utf-8")))
    assert d.stamp() in export.png_text((out / "km.png").read_bytes())["Description"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["disclosure"] == d.json()
    assert f"--disclosure {mode}" in manifest["command"]


def test_exact_mode_shows_the_exact_counts(imported_db, tmp_path):
    out = tmp_path / "r"
    assert _report(imported_db, out, "--by", "sex", "--disclosure", "exact") == 0
    summary = _table((out / "summary.csv").read_bytes())
    assert dict(zip(summary["group"], summary["n"], strict=True)) == {"Male": "52", "Female": "8"}
    assert "Female (n = 8; " in (out / "results.txt").read_text(encoding="utf-8")
    texts = " ".join(_svg_texts((out / "km.svg").read_text(encoding="utf-8")))
    assert "No curve shown" not in texts


def test_protected_survival_csvs_are_numeric_with_withheld_counts_as_text(imported_db, tmp_path):
    from core.analyses.disclosure import Disclosure, Mode
    from core.present.bundle import counts_note

    out = tmp_path / "r"
    assert _report(imported_db, out, "--by", "grade") == 0
    note = counts_note(Disclosure(T, Mode.PROTECTED, True))
    for f in out.glob("*.csv"):
        assert f"# {note}" in _lines(f.read_bytes()), f.name
    provenance, summary = export.read_csv_bytes((out / "summary.csv").read_bytes())
    assert set(summary.loc[summary["group"].isin(["G3", "GX"]), "n"]) <= {"<11", "suppressed"}
    for col in ("median", "median_lower", "median_upper", "median_beyond", "rmst"):
        assert pd.api.types.is_numeric_dtype(summary[col]), col
    shown = summary[~summary["n"].isin(["<11", "suppressed"])]
    assert len(shown) >= 2 and all(int(n) >= T for n in shown["n"])
    # protected medians are whole months
    medians = shown["median"].dropna()
    assert len(medians) and (medians == medians.round()).all()
    _, at = export.read_csv_bytes((out / "survival_at.csv").read_bytes())
    assert pd.api.types.is_numeric_dtype(at["survival"])
    assert not small_counts_in_table(at.astype(str)) and not small_counts_in_table(summary)
