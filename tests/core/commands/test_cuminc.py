"""Tests for ``python -m core cuminc`` (core/commands/cuminc.py)."""

from __future__ import annotations

import json

import pytest

from core.cli import main


def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape(default_db, capsys):
    code, out, err = _run(capsys, "cuminc", "--db", str(default_db), "--cohort",
                          "pgep-mibg-211", "--by", "sex", "--times", "12,24",
                          "--json")  # fmt: skip
    assert code == 0 and err == ""
    d = json.loads(out)
    assert [g["label"] for g in d["groups"]] == ["Female", "Male"]
    at = d["groups"][0]["causes"]["net_related"]["at"]
    assert [a["time"] for a in at] == [12, 24]
    assert 0 < at[0]["cif"] < at[1]["cif"] < 1 and at[0]["ci"][0] < at[0]["cif"] < at[0]["ci"][1]
    for cause in ("net_related", "other", "unknown"):
        assert set(d["tests"][cause]) >= {"chi2", "df", "p"} and d["tests"][cause]["df"] == 1
    fg = d["fine_gray"]["net_related"]
    assert fg["reference"] == "Female" and fg["terms"][0]["hr"] > 0
    rt = d["groups"][0]["risk_table"]
    assert [r["time"] for r in rt] == [0, 12, 24] and rt[0]["at_risk"] == d["groups"][0]["n"]
    assert set(d["methods"]) == {"cif", "variance", "ci", "test", "model"}
    assert d["disclosure"] == {"mode": "protected", "threshold": None, "real_data": False}


def test_days_are_exact(default_db, capsys):
    code, out, _ = _run(capsys, "cuminc", "--db", str(default_db), "--cohort", "pgep-mibg-211",
                        "--times", "365,730", "--time-unit", "days", "--json")  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert [a["time"] for a in d["groups"][0]["causes"]["other"]["at"]] == [365, 730]
    assert d["time_unit"] == "days"


def test_text_output_names_methods(default_db, capsys):
    code, out, _ = _run(capsys, "cuminc", "--db", str(default_db), "--cohort",
                        "pgep-mibg-211", "--by", "sex")  # fmt: skip
    assert code == 0
    assert "Risk table" in out and "Gray's test" in out and "cmprsk::crr" in out
    assert "log(-log)" in out and "warning: Causes of death are synthetic" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--times", "-1"], "--times"),
        (["--by", "nope"], "invalid choice"),
        (["--cohort", "nope"], "no such cohort"),
    ],
)
def test_bad_input_exit_2(default_db, capsys, args, message):
    base = ["cuminc", "--db", str(default_db)]
    if "--cohort" not in args:
        base += ["--cohort", "pgep-mibg-211"]
    try:
        code, _out, err = _run(capsys, *base, *args)
    except SystemExit as exc:  # argparse
        code, err = exc.code, capsys.readouterr().err
    assert code == 2 and message in err
