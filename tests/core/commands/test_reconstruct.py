"""``python -m core reconstruct``: files in, patient rows out, row-named errors, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.stats.reconstruct import reconstruct

ROOT = Path(__file__).resolve().parents[3]

CURVE = "time,survival\n0,100\n2,95\n1.9,96\n4,80\n4,70\n8,60\n12,40\n"
AT_RISK = "time,at_risk\n0,50\n4,40\n8,25\n12,10\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path: Path, curve: str, at_risk: str, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "ipd.csv"
    code = main(
        [
            "reconstruct",
            "--curve",
            str(_write(tmp_path, "points.csv", curve)),
            "--at-risk",
            str(_write(tmp_path, "atrisk.csv", at_risk)),
            "--out",
            str(out),
            *extra,
        ]
    )
    return code, out


def test_writes_rows_and_prints_the_accuracy(tmp_path, capsys):
    code, out = _run(tmp_path, CURVE, AT_RISK)
    assert code == 0
    ipd = pd.read_csv(out)
    assert list(ipd.columns) == ["time", "event"]
    expected = reconstruct(
        [0, 2, 1.9, 4, 4, 8, 12], [100, 95, 96, 80, 70, 60, 40], [0, 4, 8, 12], [50, 40, 25, 10]
    )
    assert len(ipd) == expected.n == 50
    assert ipd["event"].sum() == expected.events
    np.testing.assert_allclose(np.sort(ipd["time"]), np.sort(expected.time), rtol=1e-9)
    text = capsys.readouterr().out
    assert "reconstructed 50 patients" in text
    assert "largest distance" in text
    assert "median: reconstructed" in text
    assert "percent" in text  # the cleaning notes are printed


def test_webplotdigitizer_headerless_export(tmp_path):
    """WebPlotDigitizer's CSV of one data set: two columns x,y without a header, any order."""
    wpd = "8.0012,59.87\n0.0,100.2\n4.0,79.6\n4.01,70.1\n1.95,95.5\n12,40.3\n"
    code, out = _run(tmp_path, wpd, AT_RISK)
    assert code == 0
    assert len(pd.read_csv(out)) == 50
    code, out = _run(tmp_path, "x,y\n" + wpd, AT_RISK)
    assert code == 0


def test_total_events(tmp_path, capsys):
    code, _ = _run(tmp_path, CURVE, AT_RISK, "--total-events", "20")
    assert code == 0
    assert "(given: 20)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("which", "text", "where", "words"),
    [
        ("curve", "time,survival\n0,100\n4,abc\n", "line 3", "not a number"),
        ("curve", "time,survival\n0,100\n\n4,\n", "line 4", "survival is empty"),
        ("curve", "time,survival\n0,100\n4,nan\n", "line 3", "not a finite number"),
        ("curve", "time,survival\n0,100\n-3,90\n8,60\n", "line 3", "negative"),
        ("curve", "time,survival\n0,1\n4,1.3\n8,0.6\n", "line 3", "outside"),
        ("curve", "time,survival\n0,1\n4,0.5\n8,0.9\n9,0.4\n", "line 4", "never rises"),
        ("curve", "time,surv\n0,1\n4,0.5\n", "line 1", "expected the header"),
        ("curve", "time,survival\n0,1,7\n", "line 2", "expected 2 values"),
        ("curve", "time,survival\n", "", "no data rows"),
        ("at-risk", "time,at_risk\n0,50\n4,40\n8,45\n", "line 4", "never increase"),
        ("at-risk", "time,at_risk\n4,40\n8,25\n", "", "time 0"),
        ("at-risk", "time,at_risk\n0,50\n4,39.5\n", "line 3", "whole number"),
        ("at-risk", "time,at_risk\n0,50\n\n4,40\n4,41\n", "line 5", "twice"),
    ],
)
def test_bad_files_name_file_line_and_rule(tmp_path, capsys, which, text, where, words):
    curve, at_risk = (text, AT_RISK) if which == "curve" else (CURVE, text)
    code, out = _run(tmp_path, curve, at_risk)
    err = capsys.readouterr().err
    assert code == 2
    name = "points.csv" if which == "curve" else "atrisk.csv"
    assert name in err
    assert where in err
    assert words in err
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_total_events_and_missing_file(tmp_path, capsys):
    code, _ = _run(tmp_path, CURVE, AT_RISK, "--total-events", "60")
    assert code == 2
    assert "--total-events" in capsys.readouterr().err
    code = main(
        [
            "reconstruct",
            "--curve",
            str(tmp_path / "nowhere.csv"),
            "--at-risk",
            str(_write(tmp_path, "atrisk.csv", AT_RISK)),
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    assert code == 2
    assert "no such file" in capsys.readouterr().err


def test_binary_file_and_unwritable_output(tmp_path, capsys):
    binary = tmp_path / "points.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00garbage")
    code = main(
        [
            "reconstruct",
            "--curve",
            str(binary),
            "--at-risk",
            str(_write(tmp_path, "atrisk.csv", AT_RISK)),
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    assert code == 2
    assert "UTF-8" in capsys.readouterr().err
    code, _ = _run(tmp_path, CURVE, AT_RISK)
    code = main(
        [
            "reconstruct",
            "--curve",
            str(tmp_path / "points.csv"),
            "--at-risk",
            str(tmp_path / "atrisk.csv"),
            "--out",
            str(tmp_path / "no" / "such" / "dir" / "ipd.csv"),
        ]
    )
    assert code == 2
    assert "cannot be written" in capsys.readouterr().err


@pytest.mark.slow
def test_no_traceback_from_the_real_entry_point(tmp_path):
    """The process itself: exit status 2 and one error line on stderr."""
    curve = _write(tmp_path, "points.csv", "time,survival\n0,100\n4,abc\n")
    at_risk = _write(tmp_path, "atrisk.csv", AT_RISK)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "reconstruct",
            "--curve",
            str(curve),
            "--at-risk",
            str(at_risk),
            "--out",
            str(tmp_path / "o.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [
        f"error: {curve}, line 3: survival 'abc' is not a number"
    ]
