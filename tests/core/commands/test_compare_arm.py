"""Tests for ``python -m core compare-arm`` (core/commands/compare_arm.py)."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.literature.arms import LABEL


def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_names_the_arm_as_reconstructed_with_both_citations(default_db, capsys):
    code, out, err = _run(capsys, "compare-arm", "--db", str(default_db), "--cohort",
                          "pgep-mibg-211", "--arm", "radiant4-everolimus-pfs", "--times",
                          "6,12", "--rmst-horizon", "18", "--json")  # fmt: skip
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["arm"]["label"] == LABEL and "Guyot" in " ".join(data["arm"]["reconstruction"])
    assert "Lancet 2016;387:968-77" in data["provenance"]
    assert data["rmst_difference"]["horizon_months"] == 18
    assert [d["months"] for d in data["survival_differences"]] == [6, 12]
    assert data["logrank"]["method"] and data["hazard_ratio"]["ci"][0] > 0
    assert {w["code"] for w in data["warnings"]} >= {"not-randomised", "reconstructed-data"}
    assert data["disclosure"]["mode"] == "protected"


def test_text_output_lists_tests_and_warnings(default_db, capsys):
    code, out, _ = _run(capsys, "compare-arm", "--db", str(default_db), "--cohort",
                        "pgep-mibg-211", "--arm", "radiant4-placebo-os",
                        "--disclosure", "exact")  # fmt: skip
    assert code == 0 and LABEL in out and "Log-rank" in out and "warning [serious" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arm", "nope"), "no reconstructed arm 'nope'"),
        (("--arm", "radiant4-everolimus-pfs", "--filter", "bogus=1"), "--filter"),
    ],
)
def test_bad_input_exits_2_with_a_message(default_db, capsys, args, message):
    code, out, err = _run(capsys, "compare-arm", "--db", str(default_db), "--cohort",
                          "pgep-mibg-211", *args)  # fmt: skip
    assert code == 2 and out == "" and message in err


def test_bad_times_are_refused_by_the_parser(default_db, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compare-arm", "--db", str(default_db), "--cohort", "pgep-mibg-211", "--arm",
              "radiant4-everolimus-pfs", "--times", "6,-1"])  # fmt: skip
    assert exc.value.code == 2 and "positive" in capsys.readouterr().err
