"""Red team, second round: the four findings left open by ``test_redteam_today.py``, each
written as an attack that succeeds in exact mode (the control finds the planted count) and must
find nothing in protected mode on imported cohorts (threshold 11).

Besides ``real-60`` of tests/privacy/cohort.py and the synthetic ``synth-120``, an imported
cohort ``real-fx`` (built by code from two draws of the real-60 generator, fixed seeds) plants:

- 120 patients (72 small bowel, 40 pancreas, 8 lung);
- 14 pancreas patients without a diagnosis day, **3** of whom died (11 censored), and 13
  small-bowel patients without one, 11 of whom died (**2** censored): from diagnosis 27 are left
  out in all (14 deaths, 13 censored: nothing small), but the pancreas selection leaves out 14
  (passes the left-out rule on patients) with 3 deaths, and the small-bowel selection 13 with 2
  censored;
- grade G3 for exactly 15 patients (all with a diagnosis day), **4** of whom died.

1. Deaths among left-out patients: survival (or Cox) from the index date minus the same from
   diagnosis gives the deaths among the patients without a diagnosis day.
2. Synthetic + real selections: the size and one-filter rules passed on the synthetic patients'
   numbers, and the synthetic part is shown exactly on its own: the real part by subtraction.
3. Hazard ratios (Survival page, user-defined groups) for a group of 11+ with 1-10 events.
4. ``table1 --csv`` states its mode in the CSV itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analyses.disclosure import Mode
from core.data.db import close_all
from core.data.filters import Filters
from core.vocab.methods import Origin
from tests.privacy.cohort import REAL, SMALL, real_cohort, write_csv
from tests.privacy.collect import run_cli

SYN = "synth-120"
FX = "real-fx"
T = 11
PAN_LEFT, PAN_LEFT_DEATHS = 14, 3
SB_LEFT, SB_LEFT_DEATHS = 13, 11
G3_N, G3_DEATHS = 15, 4


def _fx_frame():
    import pandas as pd

    df = pd.concat([real_cohort(seed=5151), real_cohort(seed=5152)], ignore_index=True)
    df["patient_id"] = [f"fx{i:03d}" for i in range(len(df))]
    df["dx_to_index_days"] = [int(300 + 11 * i) for i in range(len(df))]
    df["os_days"] = df["os_days"].astype(int).clip(lower=120)  # nobody near a landmark
    site = df["primary_site"]
    pan = list(df.index[site == "pancreas"][:PAN_LEFT])
    sb = list(df.index[site == "small_bowel"][:SB_LEFT])
    df.loc[pan + sb, "dx_to_index_days"] = None
    df.loc[pan, "os_event"] = [1] * PAN_LEFT_DEATHS + [0] * (PAN_LEFT - PAN_LEFT_DEATHS)
    df.loc[sb, "os_event"] = [1] * SB_LEFT_DEATHS + [0] * (SB_LEFT - SB_LEFT_DEATHS)
    rest = list(df.index[site == "pancreas"][PAN_LEFT:])  # 26: 14 deaths, 12 censored
    df.loc[rest, "os_event"] = [1] * 14 + [0] * (len(rest) - 14)
    # grade: 15 G3 (4 died) among patients with a diagnosis day; the rest G1 / G2
    df["grade"] = ["G1" if i % 2 else "G2" for i in range(len(df))]
    g3 = list(df.index[df["dx_to_index_days"].notna() & (site == "small_bowel")][:G3_N])
    df.loc[g3, "grade"] = "G3"
    df.loc[g3, "os_event"] = [1] * G3_DEATHS + [0] * (G3_N - G3_DEATHS)
    df["pfs_imaging_event"] = df[["pfs_imaging_event", "os_event"]].max(axis=1)
    return df


@pytest.fixture(scope="module")
def fx_db(tmp_path_factory) -> Path:
    from core.data.build import build_synthetic

    folder = tmp_path_factory.mktemp("redteam-fixes")
    db = folder / "cohorts.duckdb"
    build_synthetic(120, db, seed=3)
    for cid, frame in ((REAL, real_cohort()), (FX, _fx_frame())):
        csv = write_csv(frame, folder / f"{cid}.csv")
        rc, out, err = run_cli(["import", str(csv), "--cohort", cid, "--db", str(db)])
        assert rc == 0, f"import {cid} failed: {out}\n{err}"
    close_all()
    return db


def _small(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v < T


def _int(v: object) -> int | None:
    """A count as shown (int, or text of digits); None when hidden or absent."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    s = str(v).strip()
    return int(s) if s.isdigit() else None


# ============================================================== 1. deaths among the left out
def _survival_counts(filters: Filters, origin: Origin, db, mode=Mode.PROTECTED):
    """(n, events) of a one-group survival view as shown; None when refused or hidden."""
    from core.analyses.survival import SurvivalSpec, analyse

    a = analyse(filters, SurvivalSpec(origin=origin), db, mode=mode)
    if a.refused or not a.groups:
        return None
    (g,) = a.groups
    n, ev = _int(a.cell(g.n, g)), _int(a.cell(g.events, g))
    return None if n is None or ev is None else (n, ev)


@pytest.mark.parametrize(
    "site,left,deaths",
    [("pancreas", PAN_LEFT, PAN_LEFT_DEATHS), ("small_bowel", SB_LEFT, SB_LEFT_DEATHS)],
)
def test_survival_index_minus_diagnosis_gives_no_left_out_deaths(fx_db, site, left, deaths):
    """Attack: events from the index date minus events from diagnosis = deaths among the
    patients without a diagnosis day (and patients minus deaths = those censored). Exact mode
    finds the planted 3 deaths (pancreas) and 2 censored (small bowel); protected mode refuses
    the view from diagnosis with the left-out refusal."""
    from core.analyses.disclosure import Disclosure
    from core.analyses.left_out import left_out_refusal
    from core.analyses.survival import SurvivalSpec, analyse

    f = Filters(cohorts=(FX,), primary_site=(site,))
    ex_idx = _survival_counts(f, Origin.INDEX, fx_db, Mode.EXACT)
    ex_dx = _survival_counts(f, Origin.DIAGNOSIS, fx_db, Mode.EXACT)
    assert ex_idx[0] - ex_dx[0] == left >= T  # the left-out rule on patients passes
    assert ex_idx[1] - ex_dx[1] == deaths  # control: deaths among the left out
    assert (ex_idx[0] - ex_dx[0]) - (ex_idx[1] - ex_dx[1]) == left - deaths
    assert _small(deaths) or _small(left - deaths)
    idx = _survival_counts(f, Origin.INDEX, fx_db)
    dx = _survival_counts(f, Origin.DIAGNOSIS, fx_db)
    assert idx is not None  # from the index date nothing is left out: shown
    if dx is not None:
        assert not _small(idx[1] - dx[1]), "deaths among the left out"
        assert not _small((idx[0] - dx[0]) - (idx[1] - dx[1])), "censored among the left out"
    a = analyse(f, SurvivalSpec(origin=Origin.DIAGNOSIS), fx_db)
    assert a.refused and not a.groups
    assert a.refusal == left_out_refusal(Disclosure(T, Mode.PROTECTED, True), left, left, deaths)
    assert f"fewer than {T}" in a.refusal
    assert not [x for x in range(1, T) if f" {x} " in a.refusal]


def test_survival_whole_cohort_from_diagnosis_is_still_shown(fx_db):
    """Control against over-refusal: the whole cohort leaves out 27 from diagnosis, 14 of
    whom died and 13 censored (nothing small): shown, with its exact statistics."""
    f = Filters(cohorts=(FX,))
    dx = _survival_counts(f, Origin.DIAGNOSIS, fx_db)
    ex = _survival_counts(f, Origin.DIAGNOSIS, fx_db, Mode.EXACT)
    assert dx is not None and dx == ex
    idx = _survival_counts(f, Origin.INDEX, fx_db)
    assert idx[1] - dx[1] == PAN_LEFT_DEATHS + SB_LEFT_DEATHS >= T


def test_survival_tallies_count_left_out_events_on_both_query_paths(fx_db):
    """The left-out event tallies agree between the per-(days, offset) aggregate and the
    split aggregate (exits and entries counted apart)."""
    from core.analyses.survival import SurvivalSpec, _columns, counts_from_raw, counts_from_split
    from core.data.survival_sql import split_rows, survival_rows

    f = Filters(cohorts=(FX,), primary_site=("pancreas",))
    spec = SurvivalSpec(origin=Origin.DIAGNOSIS)
    _, split = counts_from_split(split_rows(f, _columns(spec), fx_db), spec)
    _, raw = counts_from_raw(survival_rows(f, _columns(spec), fx_db), spec)
    assert split == raw
    assert (split["n_missing"], split["n_missing_known"], split["n_missing_ev"]) == (
        PAN_LEFT,
        PAN_LEFT,
        PAN_LEFT_DEATHS,
    )


def test_cox_index_minus_diagnosis_gives_no_left_out_deaths(fx_db):
    """The same attack on the Cox page's model counts (age as the covariate): exact mode finds
    the 3 deaths, protected mode withholds the model from diagnosis."""
    from core.analyses.cox import CoxSpec, analyse

    f = Filters(cohorts=(FX,), primary_site=("pancreas",))

    def counts(origin: Origin, mode: Mode):
        a = analyse(f, CoxSpec(("age",), origin=origin), fx_db, mode=mode)
        if a.withheld or a.fit is None:
            return None
        return _int(a.count("n")), _int(a.count("events"))

    ex_idx, ex_dx = counts(Origin.INDEX, Mode.EXACT), counts(Origin.DIAGNOSIS, Mode.EXACT)
    assert ex_idx[0] - ex_dx[0] == PAN_LEFT and ex_idx[1] - ex_dx[1] == PAN_LEFT_DEATHS
    idx, dx = counts(Origin.INDEX, Mode.PROTECTED), counts(Origin.DIAGNOSIS, Mode.PROTECTED)
    assert idx is not None and None not in idx
    assert dx is None or not _small(idx[1] - dx[1])
    whole = analyse(Filters(cohorts=(FX,)), CoxSpec(("age",), origin=Origin.DIAGNOSIS), fx_db)
    assert not whole.withheld, whole.withheld  # 27 left out, 14 deaths: shown


def test_subgroups_index_minus_diagnosis_gives_no_left_out_deaths(fx_db):
    """The subgroup forest from diagnosis (pancreas vs the other sites) leaves out 14 + 13
    patients, 3 + 11 deaths: the pancreas arm's deaths among its left out are 3."""
    from core.analyses.subgroups import SubgroupSpec, analyse

    f = Filters(cohorts=(FX,))

    def arm_events(origin: Origin, mode: Mode):
        spec = SubgroupSpec("primary_site", ("pancreas",), by=("sex",), origin=origin)
        a = analyse(f, spec, fx_db, mode=mode)
        if a.overall is None:
            return None
        return a.overall.hr.events[1]

    assert arm_events(Origin.INDEX, Mode.EXACT) - arm_events(Origin.DIAGNOSIS, Mode.EXACT) == 3
    idx, dx = arm_events(Origin.INDEX, Mode.PROTECTED), arm_events(Origin.DIAGNOSIS, Mode.PROTECTED)
    assert idx is not None
    assert dx is None or not _small(idx - dx)


# ============================================================== 2. synthetic + real selections
def _n_shown(filters: Filters, db, mode=Mode.PROTECTED) -> int | None:
    from core.analyses.survival import SurvivalSpec, analyse

    a = analyse(filters, SurvivalSpec(), db, mode=mode)
    return None if a.refused else _int(a.n_shown)


def test_mixed_selection_size_rule_counts_real_patients(fx_db):
    """Attack: women over real-60 + synth-120 pass the size rules on the synthetic patients'
    numbers (complement: 8 real men + 60 synthetic); the synthetic women are shown exactly on
    their own, real-60's 60 on its card: 60 - (mixed women - synthetic women) = the 8 men."""
    mixed = Filters(cohorts=(REAL, SYN), sex=("female",))
    syn = _n_shown(Filters(cohorts=(SYN,), sex=("female",)), fx_db)
    assert syn is not None  # synthetic only: exempt, exact
    ex = _n_shown(mixed, fx_db, Mode.EXACT)
    assert 60 - (ex - syn) == SMALL["male"]  # control
    got = _n_shown(mixed, fx_db)
    assert got is None or not _small(60 - (got - syn))


def test_mixed_selection_category_rule_counts_real_patients(fx_db):
    """Attack: small bowel + lung vs small bowel over real-60 + synth-120: the lung category
    holds 4 real + 12 synthetic (passes on 16), the synthetic lung patients are shown on their
    own: the difference minus them gives the 4 real lung patients."""
    both = (REAL, SYN)
    sb = _n_shown(Filters(cohorts=both, primary_site=("small_bowel",)), fx_db)
    syn_lung = _n_shown(Filters(cohorts=(SYN,), primary_site=("lung",)), fx_db)
    wide = Filters(cohorts=both, primary_site=("small_bowel", "lung"))
    ex_sb = _n_shown(Filters(cohorts=both, primary_site=("small_bowel",)), fx_db, Mode.EXACT)
    assert _n_shown(wide, fx_db, Mode.EXACT) - ex_sb - syn_lung == SMALL["lung"]  # control
    got = _n_shown(wide, fx_db)
    assert got is None or sb is None or not _small(got - sb - syn_lung)


def test_mixed_selection_age_sweep_real_part_moves_by_bands(fx_db):
    """Attack: sweep the age minimum over real-60 + synth-120; each shown count minus the
    synthetic patients of the same applied bounds (exact, exempt) is the real part; two
    consecutive real parts must never differ by 1-10 (the bands must hold 11 real patients)."""
    from core.analyses.view import open_view

    both = (REAL, SYN)
    real_parts: dict[tuple, int] = {}
    for lo in range(40, 90):
        v = open_view(Filters(cohorts=both, age_min=lo), Mode.PROTECTED, fx_db)
        got = _n_shown(Filters(cohorts=both, age_min=lo), fx_db)
        if got is None:
            continue
        eff = v.filters
        syn = _n_shown(Filters(cohorts=(SYN,), age_min=eff.age_min, age_max=eff.age_max), fx_db)
        real_parts[(eff.age_min, eff.age_max)] = got - syn
    parts = sorted(real_parts.values())
    gaps = [b - a for a, b in zip(parts, parts[1:], strict=False)]
    assert not [g for g in gaps if _small(g)], real_parts
    # control: exact mode (no bands) gives a one-year step of the real cohort
    ex = [_n_shown(Filters(cohorts=both, age_min=a), fx_db, Mode.EXACT) for a in (67, 68)]
    syn = [_n_shown(Filters(cohorts=(SYN,), age_min=a), fx_db) for a in (67, 68)]
    assert (ex[0] - syn[0]) - (ex[1] - syn[1]) == SMALL["age67"]


def test_synthetic_only_selection_is_unaffected(fx_db):
    """The synthetic cohort alone stays exempt: a selection of 3 is shown exactly."""
    from core.analyses.view import open_view

    v = open_view(Filters(cohorts=(SYN,), primary_site=("colon",)), Mode.PROTECTED, fx_db)
    assert not v.refused and v.n_selected == 3 and not v.disclosure.active


def test_mixed_selection_with_no_real_patient_is_shown(fx_db):
    """A selection whose real part is empty (primary site unknown: 47 synthetic patients, no
    real one) discloses nothing real: it is still shown (zero real patients is zero)."""
    from core.analyses.view import open_view

    f = Filters(cohorts=(REAL, SYN), primary_site=("unknown",))
    v = open_view(f, Mode.PROTECTED, fx_db)
    assert not v.refused and v.n_selected == 47 and v.disclosure.active
    small = open_view(Filters(cohorts=(REAL, SYN), primary_site=("colon",)), Mode.PROTECTED, fx_db)
    assert small.refused  # 3 patients in all: the size rule on the whole view still holds


# ============================================================== 3. hazard ratios, few events
def test_survival_page_hr_withheld_for_a_group_with_few_events(fx_db):
    """Attack: an HR with CI for a group of 15 with 4 deaths bounds its events (Var log HR ~
    1/d1 + 1/d2). Protected: no G3 row, G3 named in the note without a count; the other rows
    are the exact ones. Exact: the G3 row is given (control)."""
    from core.analyses.survival import SurvivalSpec, hazard_ratios

    f = Filters(cohorts=(FX,))
    spec = SurvivalSpec(by="grade")
    ex = hazard_ratios(f, spec, "G1", fx_db, mode=Mode.EXACT)
    assert "G3" in [r.label for r in ex.rows]
    pr = hazard_ratios(f, spec, "G1", fx_db)
    assert "G3" not in [r.label for r in pr.rows]
    assert "G3" in pr.note and str(G3_DEATHS) not in pr.note and str(G3_N) not in pr.note
    assert {r.label: r.hr for r in pr.rows} == {r.label: r.hr for r in ex.rows if r.label != "G3"}
    ref = hazard_ratios(f, spec, "G3", fx_db)
    assert ref.rows == () and "G3" in ref.note
    assert hazard_ratios(f, spec, "G3", fx_db, mode=Mode.EXACT).rows  # control


def test_defined_groups_hr_withheld_for_a_group_with_few_events(fx_db):
    from core.analyses.defined_groups import DefinedGroup, GroupSet, compare_survival
    from core.analyses.survival import SurvivalSpec

    lo = DefinedGroup("Low grade", Filters(cohorts=(FX,), grade=("G1", "G2")))
    hi = DefinedGroup("High grade", Filters(cohorts=(FX,), grade=("G3",)))
    ex = compare_survival(GroupSet((lo, hi)), SurvivalSpec(), fx_db, mode=Mode.EXACT)
    assert [h.label for h in ex.hazard_ratios] == ["High grade"]  # control
    pr = compare_survival(GroupSet((lo, hi)), SurvivalSpec(), fx_db)
    assert not pr.refused, pr.refusal
    assert pr.hazard_ratios == () and pr.analysis.hazard_ratios == ()
    text = " ".join(pr.notes)
    assert "High grade" in text and str(G3_DEATHS) not in text
    rev = compare_survival(GroupSet((hi, lo)), SurvivalSpec(), fx_db)
    assert rev.hazard_ratios == () and "High grade" in " ".join(rev.notes)


# ============================================================== 4. table1 --csv states its mode
@pytest.mark.parametrize("mode,word", [(None, "protected"), ("exact", "exact")])
def test_table1_csv_states_the_mode_in_the_file(fx_db, mode, word):
    args = ["table1", "--cohort", REAL, "--db", str(fx_db), "--csv"]
    rc, out, _ = run_cli(args + (["--disclosure", mode] if mode else []))
    assert rc == 0
    heads = [ln for ln in out.splitlines() if ln.startswith("# ")]
    assert any(ln.startswith("# Disclosure: ") and word in ln for ln in heads), out[:400]
    from tests.privacy.attacks import csv_frame

    frame = csv_frame(out)  # still one table after the provenance lines
    assert not str(frame.columns[0]).startswith("#") and len(frame) > 3
