"""Red team for the subgroup forest's ORR difference (``orr_difference`` of
``python -m core subgroups --json``): in protected mode on the imported ``real-60`` no shown
evaluable or responder count, and no overall-minus-shown-levels, is 1..10; exact mode shows
the rows' counts."""

from __future__ import annotations

import json

from tests.privacy.collect import run_cli
from tests.privacy.test_cox_subgroups import ARGV

KEYS = ("n", "responders")


def _orr_rows(js: dict) -> list[tuple[str, dict]]:
    return [(s["field"], lv["orr_difference"]) for s in js["subgroups"] for lv in s["levels"]]


def test_protected_orr_counts_are_not_small_nor_derivable():
    rc, out, err = run_cli(ARGV)
    assert rc == 0, err[-1500:]
    js = json.loads(out)
    overall = js["overall"]["orr_difference"]
    assert "estimate" in overall  # 58 and 71 evaluable, 17 and 14 responders: shown
    female = next(o for f, o in _orr_rows(js) if f == "sex")  # 5 responders in one arm
    assert "estimate" not in female and female["reason"] == "not shown: small counts"
    for field, o in _orr_rows(js):
        if "estimate" not in o:
            assert o["reason"] and "ci" not in o
            continue
        for k in KEYS:
            assert all(v >= 11 for v in o[k].values()), (field, o)
    for s in js["subgroups"]:
        shown = [lv["orr_difference"] for lv in s["levels"] if "estimate" in lv["orr_difference"]]
        if "estimate" not in overall or not shown:
            continue
        for k in KEYS:
            for arm in ("comparison", "reference"):
                rest = overall[k][arm] - sum(o[k][arm] for o in shown)
                assert not 0 < rest < 11, (s["field"], k, arm, rest)


def test_exact_mode_shows_the_orr_counts():
    rc, out, err = run_cli([*ARGV, "--disclosure", "exact"])
    assert rc == 0, err[-1500:]
    rows = [o for _, o in _orr_rows(json.loads(out)) if "estimate" in o]
    assert rows and any(0 < v < 11 for o in rows for k in KEYS for v in o[k].values())
