"""Exact mode shows the exact small counts (so the suite cannot pass by showing nothing), every
output states its mode, the mode never leaks across viewers, and protected statistics equal
exact ones (only presentation differs)."""

from __future__ import annotations

import json
import math

import pytest

from tests.privacy.attacks import count, header_n
from tests.privacy.cohort import REAL, SMALL, TINY
from tests.privacy.collect import (
    disclosure_env,
    leaks,
    page_tables,
    page_texts,
    run_page,
    text_table_leaks,
)
from tests.privacy.outputs import PAGE_CASES, REPORT_CASES, cli_case_ids

MONTH = 30.4375


def _group(js, label):
    return next((g for g in js.get("groups", []) if g.get("label") == label), None)


# ------------------------------------------------------------------------------ exact mode
def test_exact_flag_shows_the_small_groups(outputs):
    argv = ["survival", "--cohort", REAL, "--by", "sex", "--json", "--disclosure", "exact"]
    rc, out, err = outputs.cli("exact flag survival --by sex", argv=argv)
    assert rc == 0, err[-1500:]
    js = json.loads(out)
    male = _group(js, "Male")
    assert male is not None and count(male["n"]) == SMALL["male"]
    assert count(male["events"]) == SMALL["male_deaths"]
    assert js.get("disclosure", {}).get("mode") == "exact"
    assert leaks(out), "the scanner must see the small counts exact mode shows"


def test_exact_environment_shows_the_small_groups(outputs):
    js = outputs.cli_json("survival --by primary_site --json", mode="exact")
    lung = _group(js, "Lung")
    assert lung is not None and count(lung["n"]) == SMALL["lung"]
    assert count(lung["events"]) == SMALL["lung_deaths"]
    assert js.get("disclosure", {}).get("mode") == "exact"


def test_exact_table1_and_cohorts(outputs):
    rc, out, _ = outputs.cli("table1 --by sex", mode="exact")
    assert rc == 0
    assert f"Male (n={SMALL['male']})" in out
    rc, out, _ = outputs.cli("cohorts --json", mode="exact")
    rows = json.loads(out)
    tiny = next(
        r
        for r in (rows if isinstance(rows, list) else rows.get("cohorts", []))
        if r.get("cohort_id") == TINY
    )
    assert count(tiny.get("n_patients")) == 8


def test_exact_responses_and_landmark_notes(outputs):
    js = outputs.cli_json("responses --json", mode="exact")
    overall = js.get("overall") or (js.get("groups") or [{}])[0]
    assert count(overall["categories"]["CR"]["n"]) == SMALL["cr"]
    js = outputs.cli_json("cox prior_ssa --landmark 3 --json", mode="exact")
    assert count(js.get("n_landmark_excluded")) == SMALL["early"]


def test_exact_page_shows_small_groups_and_says_so(outputs):
    run = outputs.page("survival by=sex", mode="exact")
    summary = next(t for t in run.tables if "Group" in t.columns and "n" in t.columns)
    ns = dict(zip(summary["Group"], summary["n"], strict=True))
    assert count(ns.get("Male")) == SMALL["male"]
    text = " ".join(t for _, t in run.texts)
    assert "Exact figures: not for sharing" in text


def test_exact_report_states_its_mode(outputs):
    rc, log, files = outputs.report("report --by primary_site", mode="exact")
    assert rc == 0, log[-1500:]
    manifest = json.loads(dict(files)["manifest.json"])
    assert manifest.get("disclosure", {}).get("mode") == "exact"
    assert any("Exact figures: not for sharing" in t for n, t in files if n.endswith(".svg"))


EXACT_SEES = [
    "survival --by sex --json",
    "survival --by primary_site",
    "table1 --by sex",
    "responses --json",
    "cox sex,prior_ssa --json",
    "compare cr --json",
    "survival --landmark 3",
    "cohorts",
]


@pytest.mark.parametrize("case", EXACT_SEES)
def test_exact_mode_output_shows_small_counts_and_states_its_mode(outputs, case):
    """The same scanner finds the planted small counts in exact mode: the protected scans
    cannot pass because the scanner is blind."""
    rc, out, err = outputs.cli(case, mode="exact")
    assert rc == 0, f"{case}: exit {rc}: {err[-1500:]}"
    assert leaks(out) + text_table_leaks(out), f"{case} in exact mode shows no small count"
    if case.endswith("--json"):
        d = json.loads(out).get("disclosure", {})
        assert d.get("mode") == "exact", d


# ------------------------------------------------------------------------------ stated mode
NO_FIGURES = ("import (log of imports)", "dictionary", "benchmarks all cohorts")
"""Pages that show no real patients' figures (no banner needed; the Benchmarks page's own view
defaults to a synthetic cohort)."""
JSON_CASES = [c for c in cli_case_ids() if c.endswith("--json") and not c.startswith("cohorts")]


@pytest.mark.parametrize("case", JSON_CASES)
def test_every_json_output_states_protected_mode(outputs, case):
    rc, out, err = outputs.cli(case)
    if rc != 0:
        pytest.skip(f"{case}: exit {rc} (a refusal or error; scanned elsewhere)")
    js = json.loads(out)
    d = js.get("disclosure") if isinstance(js, dict) else None
    assert isinstance(d, dict), f'{case}: no "disclosure" member'
    assert d.get("mode") == "protected" and d.get("threshold") == 11, d


@pytest.mark.parametrize("case", list(REPORT_CASES)[:1])
def test_report_states_protected_mode_everywhere(outputs, case):
    rc, log, files = outputs.report(case)
    assert rc == 0, log[-1500:]
    texts = dict(files)
    manifest = json.loads(texts["manifest.json"])
    assert manifest.get("disclosure", {}).get("mode") == "protected"
    missing = [
        name
        for name, text in files
        if name.endswith((".csv", ".svg")) and "Protected figures" not in text
    ]
    assert not missing, f"no 'Protected figures' stamp/provenance in {missing}"
    assert "disclosure control" in texts.get("results.txt", "") + texts.get("methods.txt", "")


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in PAGE_CASES
        if c != "overview (all cohorts)" and "tiny" not in c and c not in NO_FIGURES
    ],
)
def test_every_page_with_real_data_shows_the_protected_banner(outputs, case):
    run = outputs.page(case)
    text = " ".join(t for _, t in run.texts)
    assert "Small-cell protection" in text or "Protected figures" in text, (
        f"page {case}: no disclosure banner"
    )
    assert "Exact figures" not in text


def _male_count_shown(tables) -> bool:
    """Any table row naming 'Male' with n = 8 (the exact size of the men's group)."""
    for t in tables:
        if "n" not in t.columns:
            continue
        for _, row in t.iterrows():
            if (
                any(str(v).strip() == "Male" for v in row.values)
                and count(row["n"]) == SMALL["male"]
            ):
                return True
    return False


def test_mode_does_not_leak_through_the_page_cache(privacy_db):
    """A data owner's exact view must not be served from cache to the next (protected) viewer."""
    page, query = PAGE_CASES["survival by=sex"]
    with disclosure_env("exact"):
        at = run_page(page, query)
    assert _male_count_shown(page_tables(at)), "exact viewer should see the 8 men"
    with disclosure_env(None):
        at = run_page(page, query)
    assert not _male_count_shown(page_tables(at)), "protected viewer got the cached exact table"
    assert not any("Exact figures" in t for _, t in page_texts(at))


def test_url_cannot_ask_for_exact(privacy_db):
    page, query = PAGE_CASES["survival by=sex"]
    at = run_page(page, {**query, "disclosure": "exact", "mode": "exact"})
    assert not _male_count_shown(page_tables(at))
    assert not any("Exact figures" in t for _, t in page_texts(at))


# ------------------------------------------------------------------------------ same statistics
def test_protected_statistics_equal_exact(outputs):
    prot = outputs.cli_json("survival --by primary_site --json")
    exact = outputs.cli_json("survival --by primary_site --json", mode="exact")
    sb_p, sb_e = _group(prot, "Small bowel"), _group(exact, "Small bowel")
    assert sb_p and sb_e
    for a, b in zip(sb_p["at"], sb_e["at"], strict=True):
        if a.get("survival") is not None:
            assert a["survival"] == pytest.approx(b["survival"], abs=1e-12)
    if isinstance(sb_p.get("median"), float) and isinstance(sb_e.get("median"), float):
        unit_is_months = prot.get("time_unit", "months") == "months"
        want = round(sb_e["median"]) if unit_is_months else sb_e["median"]
        assert sb_p["median"] == pytest.approx(want, abs=1e-9)
    cp = outputs.cli_json("cox prior_ssa,age --json")
    ce = outputs.cli_json("cox prior_ssa,age --json", mode="exact")
    exact_terms = {t["term"]: t for t in ce["terms"]}
    shown = [t for t in cp["terms"] if isinstance(t.get("hr"), float)]
    assert shown, "protected Cox model shows no term"
    for t in shown:
        assert t["hr"] == pytest.approx(exact_terms[t["term"]]["hr"], rel=1e-12)
    assert cp["lr_test"]["chi2"] == pytest.approx(ce["lr_test"]["chi2"], rel=1e-12)


def test_protected_output_is_not_empty(outputs):
    """Protection must not pass by withholding everything: the 60-patient view is shown."""
    js = outputs.cli_json("survival --json")
    g = js["groups"][0]
    assert count(g["n"]) is not None and count(g["n"]) >= 55
    assert isinstance(g.get("median"), int | float) and math.isfinite(g["median"])
    rc, out, _ = outputs.cli("table1 --by sex")
    assert header_n(out.splitlines()[0]) in (60, None) or "60" in out
