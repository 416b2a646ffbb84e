"""``python -m core subgroups``: JSON shape, exit codes, text output."""

from __future__ import annotations

import json

import pytest

from tests.privacy.collect import run_cli


@pytest.fixture(autouse=True)
def _db(default_db, monkeypatch):
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(default_db))


def _run(*argv: str) -> tuple[int, str, str]:
    return run_cli(["subgroups", *argv])


def test_json_shape_and_values():
    rc, out, err = _run("--cohort", "pgep-mibg-211", "--compare", "treatments=Multiple",
                        "--by", "sex", "--by", "grade", "--json")  # fmt: skip
    assert rc == 0, err
    js = json.loads(out)
    assert js["disclosure"] == {"mode": "protected", "threshold": None, "real_data": False}
    assert js["comparison"]["comparison_arm"] == "Multiple"
    assert js["comparison"]["reference_arm"] == "Single"
    o = js["overall"]
    assert (o["n"], o["events"], o["n_cmp"] + o["n_ref"]) == (211, 174, 211)
    assert o["hr_ci"][0] < o["hr"] < o["hr_ci"][1] and o["estimable"] is True
    assert [s["field"] for s in js["subgroups"]] == ["sex", "grade"]
    for s in js["subgroups"]:
        assert set(s["interaction"]) == {"chi2", "df", "p", "reason"}
        assert s["interaction"]["df"] == len(s["levels"]) - 1
        assert sum(r["n"] for r in s["levels"]) == o["n"]
    assert "likelihood-ratio" in js["method"] and "Efron" in js["method"]


def test_not_estimable_levels_carry_their_reason():
    rc, out, _ = _run("--cohort", "pgep-mibg-211", "--compare", "treatments=Multiple",
                      "--by", "primary_site", "--json")  # fmt: skip
    assert rc == 0
    levels = {r["level"]: r for r in json.loads(out)["subgroups"][0]["levels"]}
    assert levels["Cecum"]["estimable"] is False and levels["Cecum"]["hr"] is None
    assert "no patients in the comparison arm" in levels["Cecum"]["reason"]


def test_vs_several_cohorts_and_text_output():
    rc, out, err = _run("--cohort", "pgep-mibg-211,ia-hepatic-6", "--compare", "route=IA",
                        "--vs", "route=IV", "--by", "sex")  # fmt: skip
    assert rc == 0, err
    assert "comparison: Intra-arterial (hepatic) vs Intravenous (Route)" in out
    assert "HR (95% CI)" in out


@pytest.mark.parametrize(
    "argv,msg",
    [
        (["--compare", "treatments"], "expected FIELD=LEVEL"),
        (["--compare", "treatments=Triple"], "'Triple' is not an observed level"),
        (["--compare", "nope=1"], "unknown comparison field"),
        (["--compare", "sex=male", "--by", "sex"], "not a subgroup field"),
        (["--compare", "route=IA", "--vs", "sex=male"], "--vs names"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv, msg):
    rc, out, err = _run("--cohort", "pgep-mibg-211", *argv)
    assert rc == 2 and msg in err and "Traceback" not in err
