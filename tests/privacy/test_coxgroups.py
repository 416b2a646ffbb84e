"""Red team for ``responses --group`` and ``table1 --group`` (user-defined groups on the command
line): on the imported ``real-60``, protected mode prints no count of 1..10 for a group (and no
rate or interval computed from a withheld count); exact mode prints them."""

from __future__ import annotations

import json

from tests.privacy.cohort import REAL
from tests.privacy.collect import run_cli


def _argv(db, command: str) -> list[str]:
    return [
        command, "--db", str(db), "--cohort", REAL, "--json",
        "--group", "G1:grade=G1", "--group", "G2:grade=G2",
    ]  # fmt: skip


def _small(v: object) -> bool:
    return isinstance(v, int) and 0 < v < 11


def test_responses_groups_protected_hide_small_counts(privacy_db):
    rc, out, err = run_cli(_argv(privacy_db, "responses"), mode="protected")
    assert rc == 0, err[-1500:]
    js = json.loads(out)
    assert js["disclosure"]["mode"] == "protected" and js["disclosure"]["real_data"]
    for g in js["groups"]:
        for k in ("n", "evaluable", "responders"):
            assert not _small(g[k]), (g["name"], k, g[k])
        for r in g["rates"]:
            assert not _small(r["responders"]) and not _small(r["denominator"]), r
            if r["responders"] is None:
                assert r["pct"] is None and r["ci"] is None
    rc, out, _ = run_cli(_argv(privacy_db, "responses"), mode="exact")
    exact = json.loads(out)
    assert exact["disclosure"]["mode"] == "exact"
    assert any(_small(g["responders"]) for g in exact["groups"])  # the planted small counts


def test_table1_groups_protected_hide_small_cells(privacy_db):
    rc, out, err = run_cli(_argv(privacy_db, "table1"), mode="protected")
    assert rc == 0, err[-1500:]
    js = json.loads(out)
    assert js["disclosure"]["mode"] == "protected"
    cells = [c for r in js["rows"] for c in r["cells"].values()]
    assert cells and not any(_small(c["n"]) for c in cells)
    rc, out, _ = run_cli(_argv(privacy_db, "table1"), mode="exact")
    cells = [c for r in json.loads(out)["rows"] for c in r["cells"].values()]
    assert any(_small(c["n"]) for c in cells)
