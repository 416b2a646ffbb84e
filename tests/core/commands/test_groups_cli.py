"""``--group NAME:FILTERS`` on ``responses`` and ``table1`` (parsed in core.commands._common)."""

from __future__ import annotations

import json

import pytest

from core.cli import main

C = "pgep-mibg-211"


def _json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_responses_groups_json(default_db, capsys):
    data = _json(
        capsys, "responses", "--db", str(default_db), "--cohort", C,
        "--group", "G1:grade=G1", "--group", "G2:grade=G2",
    )  # fmt: skip
    assert [g["name"] for g in data["groups"]] == ["G1", "G2"]
    g1 = data["groups"][0]
    assert g1["n"] > 0 and 0 < g1["evaluable"] <= g1["n"]
    assert g1["rate"] == pytest.approx(100 * g1["responders"] / g1["evaluable"], abs=1e-12)
    assert g1["ci"][0] <= g1["rate"] <= g1["ci"][1]
    assert data["overlaps"] == [{"a": "G1", "b": "G2", "n": "0"}]
    assert data["test"]["method"] == "fisher-2x2" and 0 <= data["test"]["p"] <= 1
    assert data["disclosure"]["mode"] in ("exempt", "protected", "exact")


def test_responses_overlap_withholds_the_test(default_db, capsys):
    data = _json(
        capsys, "responses", "--db", str(default_db), "--cohort", C,
        "--group", "Everyone:", "--group", "G1:grade=G1",
    )  # fmt: skip
    (ov,) = data["overlaps"]
    assert int(ov["n"]) > 0 and data["test"] is None
    assert any("more than one group" in n for n in data["notes"])


def test_table1_groups_json(default_db, capsys):
    data = _json(
        capsys, "table1", "--db", str(default_db), "--cohort", C,
        "--group", "G1:grade=G1", "--group", "G2:grade=G2",
    )  # fmt: skip
    assert [g["label"] for g in data["groups"]] == ["G1", "G2"]
    assert [g["name"] for g in data["groups_defined"]] == ["G1", "G2"]
    assert data["overlaps"] == [{"a": "G1", "b": "G2", "n": "0"}]
    assert data["tests"] and all(t["variable"] != "grade" for t in data["tests"])
    assert set(data["rows"][0]["cells"]) == {"G1", "G2"}


def test_table1_overlap_withholds_the_tests(default_db, capsys):
    data = _json(
        capsys, "table1", "--db", str(default_db), "--cohort", C,
        "--group", "Everyone:", "--group", "G1:grade=G1",
    )  # fmt: skip
    assert int(data["overlaps"][0]["n"]) > 0
    assert all(t["p"] is None for t in data["tests"])


@pytest.mark.parametrize("command", ["responses", "table1"])
def test_bad_group_and_by_with_group_exit_2(default_db, capsys, command):
    code = main(
        [command, "--db", str(default_db), "--cohort", C,
         "--group", "A:route=XX", "--group", "B:route=IV"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "'XX'" in err and "not a route code" in err
    code = main([command, "--db", str(default_db), "--cohort", C, "--group", "nocolon"])
    assert code == 2 and "NAME:FILTERS" in capsys.readouterr().err
    code = main(
        [command, "--db", str(default_db), "--cohort", C, "--by", "grade",
         "--group", "A:route=IA", "--group", "B:route=IV"]
    )  # fmt: skip
    assert code == 2 and "either --by or --group" in capsys.readouterr().err
