"""``survival --group``: user-defined groups on the command line; ``--r-code``: the R script."""

from __future__ import annotations

import json

from core.cli import main


def _json(capsys, *argv: str) -> dict:
    assert main(["survival", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_two_defined_cohort_groups(default_db, capsys):
    data = _json(
        capsys,
        "--db", str(default_db), "--cohort", "pgep-mibg-211",
        "--group", "Synthetic 211:cohort=pgep-mibg-211",
        "--group", "Published IA:cohort=ia-hepatic-6",
    )  # fmt: skip
    assert [g["name"] for g in data["groups_defined"]] == ["Synthetic 211", "Published IA"]
    assert data["overlaps"] == [{"a": "Synthetic 211", "b": "Published IA", "n": "0"}]
    assert data["logrank"]["chi2"] > 0
    assert [h["group"] for h in data["hazard_ratios_vs_first"]] == ["Published IA"]
    assert data["disclosure"]["mode"] in ("exempt", "protected", "exact")


def test_overlap_is_reported_and_tests_withheld(default_db, capsys):
    data = _json(
        capsys,
        "--db", str(default_db), "--cohort", "pgep-mibg-211",
        "--group", "Everyone:", "--group", "G1:grade=G1",
    )  # fmt: skip
    (ov,) = data["overlaps"]
    assert int(ov["n"]) > 0
    assert data["logrank"] is None and data["hazard_ratios_vs_first"] == []
    assert any("more than one group" in n for n in data["notes"])


def test_bad_group_exits_2_with_the_rule(default_db, capsys):
    code = main(
        ["survival", "--db", str(default_db), "--cohort", "pgep-mibg-211",
         "--group", "A:route=XX", "--group", "B:route=IV"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "'XX'" in err and "not a route code" in err
    code = main(
        ["survival", "--db", str(default_db), "--cohort", "pgep-mibg-211", "--by", "grade",
         "--group", "A:route=IA", "--group", "B:route=IV"]
    )  # fmt: skip
    assert code == 2 and "either --by or --group" in capsys.readouterr().err


def test_r_code_written_with_data_for_synthetic_cohorts(default_db, tmp_path, capsys):
    out = tmp_path / "r"
    code = main(
        ["survival", "--db", str(default_db), "--cohort", "pgep-mibg-211", "--by", "grade",
         "--r-code", str(out)]
    )  # fmt: skip
    assert code == 0
    script = (out / "reproduce.R").read_text()
    assert 'levels = c("G1", "G2", "G3", "GX (not assessed)")' in script
    rows = [ln for ln in (out / "analysis_data.csv").read_text().splitlines() if ln[:1] != "#"]
    assert rows[0] == "group,entry_days,exit_days,status" and len(rows) == 212
