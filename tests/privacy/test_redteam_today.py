"""Red team against the outputs added today (Table 1 tests, subgroup forest, user-defined
groups, the analysis data set for R, the multiplicity ledger), in protected mode on imported
cohorts, each attack with an exact-mode control that finds the planted count.

Besides ``real-60`` of tests/privacy/cohort.py, a second imported cohort ``real-lo`` (built by
code from the same generator, fixed seed) plants what the shared fixture lacks:

- 120 patients (two draws of the real-60 generator: 72 small bowel, 40 pancreas, 8 lung);
- 12 patients without a diagnosis day: 11 pancreas primaries and **1** small-bowel primary
  (from diagnosis, 12 are left out in all: the total passes the left-out rule, the
  small-bowel arm loses exactly 1);
- **3** patients without an age.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.analyses.disclosure import Mode
from core.data.db import close_all
from core.data.filters import Filters
from core.vocab.methods import Origin
from tests.privacy.cohort import REAL, SMALL, real_cohort, write_csv
from tests.privacy.collect import run_cli

SYN = "synth-120"
LO = "real-lo"
LO2 = "real-lo2"
T = 11


def _lo_frame():
    import pandas as pd

    df = pd.concat([real_cohort(seed=4242), real_cohort(seed=4243)], ignore_index=True)
    df["patient_id"] = [f"lo{i:03d}" for i in range(len(df))]
    df["dx_to_index_days"] = [int(400 + 13 * i) for i in range(len(df))]
    pa = df.index[df["primary_site"] == "pancreas"][:11]
    sb = df.index[df["primary_site"] == "small_bowel"][:1]
    df.loc[list(sb) + list(pa), "dx_to_index_days"] = None
    nob = df.index[(df["primary_site"] == "pancreas")][15:18]
    df.loc[nob, "age"] = None
    return df


def _lo2_frame():
    """real-lo2: 240 patients (four draws); left out from diagnosis: 1 small-bowel patient
    with prior surgery, 11 small-bowel without, 11 pancreas with: every arm and every level of
    prior surgery loses 0 or at least 11, the small-bowel arm among those with surgery loses 1."""
    import pandas as pd

    df = pd.concat([real_cohort(seed=s) for s in (71, 72, 73, 74)], ignore_index=True)
    df["patient_id"] = [f"lp{i:03d}" for i in range(len(df))]
    df["dx_to_index_days"] = [int(400 + 13 * i) for i in range(len(df))]
    site, surg = df["primary_site"], df["prior_surgery"]
    pick = [
        *df.index[(site == "small_bowel") & (surg == "yes")][:1],
        *df.index[(site == "small_bowel") & (surg == "no")][:11],
        *df.index[(site == "pancreas") & (surg == "yes")][:11],
    ]
    df.loc[pick, "dx_to_index_days"] = None
    return df


@pytest.fixture(scope="module")
def lo_db(tmp_path_factory) -> Path:
    """The privacy database's cohorts plus ``real-lo``, in a database of its own."""
    from core.data.build import build_synthetic

    folder = tmp_path_factory.mktemp("redteam")
    db = folder / "cohorts.duckdb"
    build_synthetic(120, db, seed=3)
    for cid, frame in ((REAL, real_cohort()), (LO, _lo_frame()), (LO2, _lo2_frame())):
        csv = write_csv(frame, folder / f"{cid}.csv")
        rc, out, err = run_cli(["import", str(csv), "--cohort", cid, "--db", str(db)])
        assert rc == 0, f"import {cid} failed: {out}\n{err}"
    close_all()
    return db


def _small(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool) and 0 < int(v) < T


# ============================================================== 1. Table 1 tests and SMDs
def test_t1_continuous_with_few_missing_withholds_the_test(lo_db):
    """Age is missing for 3 pancreas patients of real-lo: split by cohort (real-lo vs the
    synthetic cohort), the age test and SMD are withheld (the test's sample size beside the
    column n would give the 3 back); exact mode shows them."""
    from core.analyses.table1 import NOT_SHOWN, baseline_table

    f = Filters(cohorts=(SYN, LO))
    prot = baseline_table(f, "cohort_id", path=lo_db)
    exact = baseline_table(f, "cohort_id", mode=Mode.EXACT, path=lo_db)
    assert exact.test_for("age").p is not None
    assert exact.group_n[LO] - exact.cell("age", LO).n == 3
    v = prot.test_for("age")
    assert (v.p, v.smd, v.note) == (None, None, NOT_SHOWN)


def test_t1_p_inversion_finds_nothing_in_protected_mode(privacy_db):
    """Attack: for every shown p of Table 1 by cohort, enumerate the tables consistent with
    the shown cells (each hidden cell 0..10) and keep those reproducing the p. In protected
    mode every shown p belongs to a family with no hidden cell (nothing to enumerate); the
    same enumeration on the exact grade table recovers the 3 G3 (control)."""
    from core.analyses.table1 import baseline_table
    from core.stats.tests import categorical_test

    f = Filters(cohorts=(SYN, REAL))
    prot = baseline_table(f, "cohort_id", path=privacy_db)
    for v in prot.tests:
        if v.p is None:
            continue
        rows = [r for r in prot.rows if r.family == v.family and r.kind != "sub"]
        hidden = [(r.key, g) for r in rows for g in prot.compared if r.cells[g].hidden]
        assert hidden == [], (v.family, hidden)
    exact = baseline_table(f, "cohort_id", mode=Mode.EXACT, path=privacy_db)
    lv = [r for r in exact.rows if r.family == "grade" and r.kind == "level"]
    tab = np.array([[r.cells[g].n for r in lv] for g in exact.compared])
    i = exact.compared.index(REAL)
    g3 = [r.key for r in lv].index("grade=G3")
    g1 = [r.key for r in lv].index("grade=G1")
    hits = []
    for k in range(0, 11):
        t = tab.copy()
        t[i, g1] += t[i, g3] - k
        t[i, g3] = k
        if abs(categorical_test(t).p - exact.test_for("grade").p) < 1e-12:
            hits.append(k)
    assert hits == [SMALL["g3"]]


def test_t1_smd_inversion_for_a_flag_row(privacy_db):
    """Attack: a yes/no SMD with shown n gives the yes count back. real-60 by sex (8 men):
    no SMD is shown in protected mode; in exact mode the SMD of met_liver plus the group sizes
    pins the men's count with liver metastases down uniquely (control)."""
    from core.analyses.table1 import baseline_table
    from core.stats.tests import smd_numeric

    f = Filters(cohorts=(REAL,))
    prot = baseline_table(f, "sex", path=privacy_db)
    assert all(v.smd is None and v.p is None for v in prot.tests)
    exact = baseline_table(f, "sex", mode=Mode.EXACT, path=privacy_db)
    smd = exact.test_for("met_liver").smd
    fem, male = exact.compared
    nf, nm = exact.group_n[fem], exact.group_n[male]
    yf = exact.cell("met_liver", fem).n
    sols = [
        k
        for k in range(0, nm + 1)
        if abs(smd_numeric(np.r_[np.ones(yf), np.zeros(nf - yf)], np.r_[np.ones(k), np.zeros(nm - k)]) - smd) < 1e-12
    ]  # fmt: skip
    assert sols == [exact.cell("met_liver", male).n]


# ============================================================== 2. Cox subgroup forest
def test_subgroups_arm_minus_selection_gives_no_small_count(lo_db):
    """Attack: from diagnosis, real-lo leaves out 12 patients (passes the left-out rule), but
    only 1 of the small-bowel arm. Table 1 of the small-bowel selection shows its 72 patients;
    the forest's comparison-arm n beside it would give the 1 back (exact mode: 71)."""
    from core.analyses.subgroups import SubgroupSpec, analyse, to_json_dict
    from core.analyses.table1 import baseline_table

    f = Filters(cohorts=(LO,))
    spec = SubgroupSpec("primary_site", ("small_bowel",), by=("sex", "grade", "met_liver"),
                        origin=Origin.DIAGNOSIS)  # fmt: skip
    # the small-bowel selection's n, as Table 1 of that selection shows it
    sel = Filters(cohorts=(LO,), primary_site=("small_bowel",))
    sel_pan = baseline_table(sel, path=lo_db).group_n["All"]
    assert sel_pan == 72
    exact = analyse(f, spec, lo_db, mode=Mode.EXACT)
    assert exact.n_selected - exact.n == 12
    assert sel_pan - exact.overall.hr.n[1] == 1  # the planted 1
    js = to_json_dict(analyse(f, spec, lo_db))
    derived = []
    if "overall" in js:
        if isinstance(js["overall"]["n_cmp"], int):
            derived.append(sel_pan - js["overall"]["n_cmp"])
        for sub in js["subgroups"]:
            tcells = {r.key: r for r in baseline_table(sel, path=lo_db).rows}
            for lv in sub["levels"]:
                if isinstance(lv["n_cmp"], int):
                    key = next((k for k, r in tcells.items() if r.family == sub["field"]
                                and r.label == lv["level"]), None)  # fmt: skip
                    if key and tcells[key].cells["All"].n is not None:
                        derived.append(tcells[key].cells["All"].n - lv["n_cmp"])
    assert not [x for x in derived if _small(x)], derived


def test_subgroups_cell_left_out_within_level(lo_db):
    """Attack: the same per-arm difference within a level: real-lo2 leaves out 0 or at least
    11 of every arm and every level of prior surgery, but 1 of the small-bowel arm among those
    with prior surgery. Table 1 of the small-bowel selection shows its count with prior
    surgery; the forest's small-bowel arm in that level beside it would give the 1 back
    (exact mode: found)."""
    from core.analyses.subgroups import SubgroupSpec, analyse
    from core.analyses.table1 import baseline_table

    f = Filters(cohorts=(LO2,))
    spec = SubgroupSpec("primary_site", ("small_bowel",), by=("prior_surgery",),
                        origin=Origin.DIAGNOSIS)  # fmt: skip
    sb = baseline_table(Filters(cohorts=(LO2,), primary_site=("small_bowel",)), path=lo_db)
    yes = sb.cell("prior_surgery").n

    def derived(a) -> list[int]:
        out = []
        for fr in a.fields:
            for r in fr.rows:
                shown = a.row_cell(r, "n_cmp")
                if r.level == "Yes" and isinstance(shown, int) and yes is not None:
                    out.append(yes - shown)
        return out

    exact = analyse(f, spec, lo_db, mode=Mode.EXACT)
    assert derived(exact) == [1]  # control
    prot = analyse(f, spec, lo_db)
    # the view is allowed on patients; since the left-out rule on events (the small-bowel
    # arm's left-out deaths are small) it is withheld whole: nothing to derive either way
    assert prot.overall is not None or "fewer than" in prot.withheld, prot.withheld
    assert not [x for x in derived(prot) if _small(x)]


def test_subgroups_hr_ci_only_where_events_are_large(privacy_db):
    """Attack: an HR with CI in a level whose arm has few events bounds the events (var of
    log HR ~ 1/d1 + 1/d2). Every shown HR must have all its arm counts (n, events, n - events)
    shown and >= 11; exact mode shows an HR for the 8 men (control)."""
    from core.analyses.subgroups import SubgroupSpec, analyse

    f = Filters(cohorts=(REAL, SYN))
    spec = SubgroupSpec("cohort_id", (REAL,), by=("sex", "primary_site", "grade", "met_liver"))
    a = analyse(f, spec, privacy_db)
    for fr in a.fields:
        for r in fr.rows:
            if r.shows_estimate:
                for i in (0, 1):
                    assert r.hr.n[i] >= T and r.hr.events[i] >= T
                    assert r.hr.n[i] - r.hr.events[i] >= T, (fr.field, r.level)
    exact = analyse(f, spec, privacy_db, mode=Mode.EXACT)
    male = next(r for fr in exact.fields if fr.field == "sex" for r in fr.rows if r.level == "Male")
    assert male.shows_estimate and male.hr.n[1] == SMALL["male"]


# ============================================================== 3. user-defined groups
def _spec():
    from core.analyses.survival import SurvivalSpec

    return SurvivalSpec()


def test_groups_overlap_and_differences_give_no_small_count(privacy_db):
    """Attack: two groups that each pass the rules, their overlap shown, and the differences
    group minus overlap. real-60 + synthetic, prior SSA vs grade G1."""
    from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_survival

    both = (REAL, SYN)
    # (women over real + synthetic are refused since the size rules count real patients:
    # real-60's complement is its 8 men; prior SSA: 45 of 60 real)
    gs = GroupSet((DefinedGroup("SSA", Filters(cohorts=both, prior_yes=("ssa",))),
                   DefinedGroup("G1", Filters(cohorts=both, grade=("G1",)))))  # fmt: skip
    res = compare_survival(gs, _spec(), privacy_db)
    assert not res.refused, res.refusal
    assert res.overlapping
    ov = res.overlaps[0]
    assert not (ov.shown.isdigit() and _small(int(ov.shown)))
    sizes = {g.label: g.n for g in res.analysis.groups}
    if ov.shown.isdigit():
        for name in ("SSA", "G1"):
            assert not _small(sizes[name] - int(ov.shown))
    assert res.analysis.logrank is None and res.hazard_ratios == ()


def test_groups_range_overlap_is_not_missed_by_the_bands(privacy_db):
    """Attack: 'age <= 62' vs 'age >= 63' ask for disjoint groups, but protected mode moves
    both bounds outward to bands, so the groups analysed share patients; the comparison must
    see the overlap (no tests on patients counted twice) and not call it 0."""
    from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_survival

    gs = GroupSet((DefinedGroup("Younger", Filters(cohorts=(REAL,), age_max=62)),
                   DefinedGroup("Older", Filters(cohorts=(REAL,), age_min=63))))  # fmt: skip
    res = compare_survival(gs, _spec(), privacy_db)
    assert not res.refused, res.refusal
    fa = res.analysis  # the analysed groups' effective filters
    from core.analyses.view import open_view

    va = open_view(gs.groups[0].filters, Mode.PROTECTED, privacy_db)
    vb = open_view(gs.groups[1].filters, Mode.PROTECTED, privacy_db)
    lo_b, hi_a = vb.filters.age_min, va.filters.age_max
    assert fa is not None
    assert lo_b is None or hi_a is None or lo_b <= hi_a  # the banded groups do meet
    assert res.overlapping, (va.filters, vb.filters, res.overlaps)
    assert res.analysis.logrank is None and res.hazard_ratios == ()
    assert all(o.shown == "0" or not o.shown.isdigit() or int(o.shown) >= T for o in res.overlaps)
    exact = compare_survival(gs, _spec(), privacy_db, mode=Mode.EXACT)  # no bands: disjoint
    assert not exact.overlapping and exact.analysis.logrank is not None


def test_groups_left_out_within_one_group_refuses(lo_db):
    """From diagnosis, the small-bowel group of real-lo leaves out 1 patient: refused."""
    from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_survival
    from core.analyses.survival import SurvivalSpec

    spec = SurvivalSpec(origin=Origin.DIAGNOSIS)
    gs = GroupSet((DefinedGroup("SB", Filters(cohorts=(LO,), primary_site=("small_bowel",))),
                   DefinedGroup("Pan", Filters(cohorts=(LO,), primary_site=("pancreas",)))))  # fmt: skip
    res = compare_survival(gs, spec, lo_db)
    assert res.refused
    exact = compare_survival(gs, spec, lo_db, mode=Mode.EXACT)
    assert not exact.refused and exact.analysis.n_missing_time == 12


def test_groups_small_group_is_refused_and_names_are_checked(privacy_db):
    """A group of 4 lung primaries is refused without its size; group names from a link are
    checked (formula, markup, over-long) and a disclosure parameter in the link is ignored."""
    from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_survival

    gs = GroupSet((DefinedGroup("All", Filters(cohorts=(REAL,))),
                   DefinedGroup("Lung", Filters(cohorts=(REAL,), primary_site=("lung",)))))  # fmt: skip
    res = compare_survival(gs, _spec(), privacy_db)
    assert res.refused and str(SMALL["lung"]) not in res.refusal
    exact = compare_survival(gs, _spec(), privacy_db, mode=Mode.EXACT)
    assert {g.label: g.n for g in exact.analysis.groups}["Lung"] == SMALL["lung"]
    params = {
        "grp1": '=HYPERLINK("http://x")',
        "grp2": "<script>alert(1)</script>",
        "grp3": "x" * 41,
        "grp4": "ok",
        "grp4.cohort": REAL,
        "grp4.disclosure": "exact",
        "disclosure": "exact",
    }
    got, notes = GroupSet.from_query_params(params, [REAL, SYN])
    assert [g.name for g in got.groups] == ["ok"]
    assert len(notes) >= 3


def test_groups_csv_export_of_names_cannot_run_a_formula(privacy_db):
    """A group name may start with '=' or '-' (the allowed punctuation): any export of the
    group labels must neutralise it; the name check refuses a leading formula character."""
    from core.analyses.defined_groups import name_problem

    for bad in ("=1+1", "+1+1", "-1+1", "@SUM(A1)"):
        assert name_problem(bad), bad


# ============================================================== 4. analysis data set for R
@pytest.mark.parametrize("cohorts", [(REAL,), (SYN, REAL), (), (REAL, "no-such-cohort")])
def test_rdata_refuses_rows_whenever_anything_is_protected(privacy_db, cohorts):
    from core.analyses.competing import CompetingSpec
    from core.analyses.rdata import analysis_data, competing_data

    f = Filters(cohorts=cohorts)
    a = analysis_data(f, _spec(), privacy_db)
    assert a.refused and len(a.frame) == 0
    c = competing_data(f, CompetingSpec(), privacy_db)
    assert c.refused and len(c.frame) == 0
    ex = analysis_data(f, _spec(), privacy_db, mode=Mode.EXACT)
    assert not ex.refused and len(ex.frame) >= 60


def test_rdata_synthetic_only_gives_rows(privacy_db):
    from core.analyses.rdata import analysis_data

    a = analysis_data(Filters(cohorts=(SYN,)), _spec(), privacy_db)
    assert not a.refused and len(a.frame) == 120


def test_rdata_refused_view_gives_no_rows_in_any_mode(privacy_db):
    from core.analyses.rdata import analysis_data

    f = Filters(cohorts=(REAL,), primary_site=("lung",))
    a = analysis_data(f, _spec(), privacy_db)
    assert a.refused and len(a.frame) == 0 and str(SMALL["lung"]) not in a.refusal


# ============================================================== 5. multiplicity ledger
@pytest.mark.parametrize(
    "text", ["=HYPERLINK(\"http://x\",\"y\")", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
             "\n=1+1", " =1+1", "＝1+1"],
)  # fmt: skip
def test_ledger_csv_injection(text):
    import csv
    import io

    from core.analyses.ledger import Entry, Ledger
    from core.present.ledger import csv as ledger_csv

    led = Ledger().record(Entry(text, text, text, 0.04))
    body = ledger_csv(led, "2026-01-01")
    data = [ln for ln in body.splitlines(keepends=True) if not ln.startswith("#")]
    rows = list(csv.reader(io.StringIO("".join(data))))
    for cell in rows[1]:
        assert not cell.lstrip(" \t\r\n").startswith(("=", "+", "@", "＝")) or cell.startswith(
            "'"
        ), repr(cell)
        assert not (cell.startswith("-") and not cell.replace(".", "").lstrip("-").isdigit()), cell


def test_ledger_csv_states_the_mode():
    from core.analyses.disclosure import Disclosure
    from core.analyses.ledger import Entry, Ledger
    from core.present.ledger import csv as ledger_csv

    led = Ledger().record(Entry("log-rank", "sex", "Survival", 0.04))
    for mode, word in ((Mode.PROTECTED, "protected"), (Mode.EXACT, "exact")):
        body = ledger_csv(led, "2026-01-01", mode)
        heads = [ln for ln in body.splitlines() if ln.startswith("# ")]
        assert any(f"Disclosure: {word}" in ln for ln in heads), body
    _ = Disclosure


def test_ledger_p_for_a_withheld_test_is_not_recorded():
    """A withheld test (p None) is not a test: nothing is recorded."""
    from core.analyses.ledger import Entry, Ledger

    led = Ledger().record(Entry("Fisher", "x", "Response", None))  # type: ignore[arg-type]
    assert len(led) == 0
    assert json.dumps([]) == "[]"
