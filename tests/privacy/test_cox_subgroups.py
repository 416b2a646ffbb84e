"""Red team for the subgroup forest (core.analyses.subgroups, ``python -m core subgroups``).

``real-60`` (tests/privacy/cohort.py) holds 8 men, 4 lung primaries, 3 G3 and 2 missing
grades and 6 patients with multiple treatments. In protected mode none of these counts (nor
their events) may be shown or derived from the shown ones (the overall minus the others), and
no hazard ratio is given for a subgroup whose arm counts are hidden; exact mode shows them.
"""

from __future__ import annotations

import json

from core.analyses.disclosure import Mode
from core.analyses.subgroups import SUPPRESSED, SubgroupSpec, analyse, export_frame, table_frame
from core.data.filters import Filters
from core.vocab.methods import Origin
from tests.privacy.cohort import REAL, SMALL
from tests.privacy.collect import run_cli

SYN = "synth-120"  # the exempt synthetic cohort of the privacy database
BOTH = Filters(cohorts=(REAL, SYN))
SPEC = SubgroupSpec("cohort_id", (REAL,), by=("sex", "primary_site", "grade"))
ARGV = ["subgroups", "--cohort", f"{REAL},{SYN}", "--compare", f"cohort_id={REAL}"]
ARGV += ["--by", "sex,primary_site,grade", "--json"]


def _level(js: dict, field: str, level: str) -> dict:
    sub = next(s for s in js["subgroups"] if s["field"] == field)
    return next(r for r in sub["levels"] if r["level"] == level)


def _counts(row: dict) -> list:
    return [row[k] for k in ("n", "events", "n_ref", "events_ref", "n_cmp", "events_cmp")]


def _derivable(js: dict, field: str) -> list[int]:
    """Every count a reader can compute for a field: shown cells, overall minus the others
    per column, and the level total minus one shown arm."""
    sub = next(s for s in js["subgroups"] if s["field"] == field)
    out: list[int] = []
    for key in ("n", "events", "n_ref", "events_ref", "n_cmp", "events_cmp"):
        shown = [r[key] for r in sub["levels"] if isinstance(r[key], int)]
        out += shown
        if len(shown) == len(sub["levels"]) - 1:
            out.append(js["overall"][key] - sum(shown))
    for r in sub["levels"]:
        for tot, a, b in (("n", "n_ref", "n_cmp"), ("events", "events_ref", "events_cmp")):
            vals = [r[tot], r[a], r[b]]
            if sum(isinstance(v, int) for v in vals) == 2:
                if isinstance(r[tot], int):
                    out.append(r[tot] - (r[a] if isinstance(r[a], int) else r[b]))
                else:
                    out.append(r[a] + r[b])
        if isinstance(r["n"], int) and isinstance(r["events"], int):
            out.append(r["n"] - r["events"])
    return out


def test_exact_mode_shows_the_small_subgroups():
    rc, out, err = run_cli([*ARGV, "--disclosure", "exact"])
    assert rc == 0, err[-1500:]
    js = json.loads(out)
    assert js["disclosure"]["mode"] == "exact"
    assert _level(js, "sex", "Male")["n_cmp"] == SMALL["male"]
    assert _level(js, "sex", "Male")["events_cmp"] == SMALL["male_deaths"]
    assert _level(js, "primary_site", "Lung")["n_cmp"] == SMALL["lung"]
    assert _level(js, "grade", "G3")["n_cmp"] == SMALL["g3"]


def test_protected_cli_shows_and_derives_no_small_count():
    rc, out, err = run_cli(ARGV)
    assert rc == 0, err[-1500:]
    js = json.loads(out)
    assert js["disclosure"] == {"mode": "protected", "threshold": 11, "real_data": True}
    for field in ("sex", "primary_site", "grade"):
        small = [v for v in _derivable(js, field) if 0 < v < 11]
        assert small == [], (field, small)
    male = _level(js, "sex", "Male")
    assert male["hr"] is None and male["hr_ci"] is None
    assert "disclosure control" in male["reason"]
    assert male["n_cmp"] == "<11" and male["events_cmp"] == "<11"
    lung = _level(js, "primary_site", "Lung")
    assert lung["hr"] is None and lung["n_cmp"] == "<11"
    # the women of real-60 would give the men as the arm's total minus the women
    female = _level(js, "sex", "Female")
    assert female["n_cmp"] == SUPPRESSED and female["hr"] is None
    sex = next(s for s in js["subgroups"] if s["field"] == "sex")
    assert sex["interaction"].get("withheld") is True and "p" not in sex["interaction"]


def test_protected_tables_and_csv_hide_the_small_counts():
    a = analyse(BOTH, SPEC, mode=Mode.PROTECTED)
    table = table_frame(a)
    male = table[(table["Subgroup"] == "Sex") & (table["Level"] == "Male")].iloc[0]
    assert (
        male[f"n / events: {REAL}"] == "<11 / <11" and "disclosure control" in male["HR (95% CI)"]
    )
    csv = export_frame(a)
    cols = ("n", "events", "n_ref", "events_ref", "n_cmp", "events_cmp")
    assert not any(0 < v < 11 for c in cols for v in csv[c].dropna())
    exact = analyse(BOTH, SPEC, mode=Mode.EXACT)
    assert SMALL["male"] in set(export_frame(exact)["n_cmp"])
    # the statistics are the same in both modes: only what is shown differs
    assert a.overall.hr.hr == exact.overall.hr.hr


def test_an_arm_below_the_threshold_withholds_everything():
    """6 patients had multiple treatments: no subgroup forest, and no count in the message."""
    argv = ["subgroups", "--cohort", REAL, "--compare", "treatments=Multiple", "--json"]
    rc, out, err = run_cli(argv)
    assert rc == 2
    js = json.loads(out)
    assert js["withheld"] is True and "subgroups" not in js
    assert str(SMALL["multiple"]) not in js["error"]
    rc, out, _ = run_cli([*argv, "--disclosure", "exact"])
    assert rc == 0 and json.loads(out)["overall"]["n_cmp"] == SMALL["multiple"]


def test_left_out_patients_below_the_threshold_withhold_everything():
    """From diagnosis, the 2 patients of real-60 without a diagnosis day are left out."""
    spec = SubgroupSpec("cohort_id", (REAL,), by=("sex",), origin=Origin.DIAGNOSIS)
    a = analyse(BOTH, spec)
    assert a.withheld and a.overall is None and "left out" in a.withheld
    exact = analyse(BOTH, spec, mode=Mode.EXACT)
    assert exact.n_selected - exact.n == SMALL["dx_missing"]
