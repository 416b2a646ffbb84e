"""The DuckDB fast path equals the patient-level computation for every origin and option."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.analyses.survival import GROUPINGS, NOT_ASSESSED, SurvivalSpec, analyse, hazard_ratios
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.stats.survival import counts_from_arrays, kaplan_meier, logrank_test
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin

PGEP = Filters(cohorts=("pgep-mibg-211",))


def _reference(df, spec: SurvivalSpec):
    """Independent patient-level construction of the same analysis (pandas, no SQL tricks)."""
    days_col, ev_col = {
        Endpoint.OS: ("os_days", "os_event"),
        Endpoint.PFS_IMAGING: ("pfs_imaging_days", "pfs_imaging_event"),
        Endpoint.PFS_SYMPTOM: ("pfs_symptom_days", "pfs_symptom_event"),
        Endpoint.PFS_BIOCHEM: ("pfs_biochem_days", "pfs_biochem_event"),
    }[spec.endpoint]
    off_col = {
        Origin.INDEX: None,
        Origin.DIAGNOSIS: "dx_to_index_days",
        Origin.METASTATIC: "met_to_index_days",
    }[spec.origin]
    d = df[df[days_col].notna() & df[ev_col].notna()].copy()
    d["off"] = 0.0 if off_col is None else d[off_col]
    d = d[d["off"].notna()]
    if off_col and spec.left_truncation:
        d = d[d[days_col] > 0]
    L = spec.landmark_days
    excluded = 0
    if L is not None:
        excluded = int((d[days_col] <= L).sum())
        d = d[d[days_col] > L]
    d["exit"] = d[days_col].astype(float) + d["off"].astype(float)
    d["entry"] = d["off"].astype(float) if (off_col and spec.left_truncation) else 0.0
    if L is not None:
        if off_col:
            d["entry"] = d["off"] + L if spec.left_truncation else 0.0
        else:
            d["exit"] = d[days_col] - L
    label = GROUPINGS[spec.by].labels if spec.by else (lambda _v: "All")
    values = d[GROUPINGS[spec.by].column].astype(object) if spec.by else pd.Series([None] * len(d))
    day = GROUPINGS[spec.by].known_day if spec.by else None
    if L is not None and day:  # the status known at the landmark (issue 19, item 4)
        values = values.where(d[day].astype(float).to_numpy() <= L, None)
    d["g"] = [label(None if v is None or v != v else v) for v in values]
    out = {}
    for g, sub in d.groupby("g"):
        entry = sub["entry"].to_numpy() if (sub["entry"] > 0).any() else None
        if entry is not None:
            # zero entries mean "at risk from the start"
            c = _counts_mixed(sub["exit"].to_numpy(), sub[ev_col].astype(int).to_numpy(), entry)
        else:
            c = counts_from_arrays(sub["exit"], sub[ev_col].astype(int))
        out[g] = c
    return out, excluded


def _counts_mixed(exit_, ev, entry):
    """Patients with entry 0 are at risk from the start; others enter at their entry time."""
    from core.stats.survival import SurvivalCounts

    times = np.unique(np.concatenate([exit_, entry[entry > 0]]))
    d = np.array([ev[exit_ == t].sum() for t in times])
    tot = np.array([(exit_ == t).sum() for t in times])
    e = np.array([((entry == t) & (entry > 0)).sum() for t in times])
    return SurvivalCounts(times, d, tot - d, e)


SPECS = [
    SurvivalSpec(),
    SurvivalSpec(by="treatments"),
    SurvivalSpec(by="imaging_response", landmark_months=3),
    SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, by="grade"),
    SurvivalSpec(endpoint=Endpoint.PFS_BIOCHEM),
    SurvivalSpec(endpoint=Endpoint.PFS_SYMPTOM, by="sex"),
    SurvivalSpec(origin=Origin.DIAGNOSIS, by="primary_site"),
    SurvivalSpec(origin=Origin.DIAGNOSIS, left_truncation=False),
    SurvivalSpec(origin=Origin.METASTATIC, by="biochem_response", landmark_months=6),
    SurvivalSpec(by="age_65"),
    SurvivalSpec(by="prior_ssa"),
]


@pytest.mark.parametrize(
    "spec",
    SPECS,
    ids=lambda s: f"{s.endpoint}-{s.origin}-{s.by}-{s.landmark_months}-{s.left_truncation}",
)
@pytest.mark.parametrize("perfect_hash", [False, True], ids=["hash", "perfect-hash"])
def test_fast_path_equals_patient_level(default_db, spec, perfect_hash, monkeypatch):
    if perfect_hash:  # the large-selection path (DuckDB perfect-hash GROUP BY), forced here
        monkeypatch.setattr("core.analyses.survival.LARGE", 0)
    df = patients_frame(PGEP, path=default_db)
    ref, excluded = _reference(df, spec)
    a = analyse(PGEP, spec, default_db)
    assert {g.label for g in a.groups} == set(ref)
    assert a.n_landmark_excluded == excluded
    for g in a.groups:
        r = ref[g.label]
        np.testing.assert_array_equal(g.counts.time, r.time)
        np.testing.assert_array_equal(g.counts.n_event, r.n_event)
        np.testing.assert_array_equal(g.counts.n_censor, r.n_censor)
        np.testing.assert_array_equal(g.counts.n_enter, r.n_enter)
        np.testing.assert_allclose(g.km.surv, kaplan_meier(r).surv, rtol=0, atol=1e-12)
    if len(ref) > 1:
        lr = logrank_test(list(ref[g.label] for g in a.groups))
        assert a.logrank.chi2 == pytest.approx(lr.chi2, abs=1e-9)


def test_landmark_exclusions_are_split_into_events_and_censored(default_db):
    df = patients_frame(PGEP, path=default_db)
    L = 6 * DAYS_PER_MONTH
    a = analyse(PGEP, SurvivalSpec(landmark_months=6), default_db)
    early = df[df.os_days <= L]
    assert a.n_landmark_excluded == len(early) > 0
    assert a.n_landmark_excluded_events == int(early.os_event.sum())
    assert a.n_analysed == 211 - len(early)


def test_missing_times_are_counted_not_analysed(default_db):
    a = analyse(PGEP, SurvivalSpec(endpoint=Endpoint.PFS_BIOCHEM), default_db)
    assert a.n_missing_time == 211 - 62
    assert a.n_analysed == 62


def test_post_baseline_grouping_warns_until_landmark(default_db):
    assert any(
        "immortal-time" in w
        for w in analyse(PGEP, SurvivalSpec(by="treatments"), default_db).warnings
    )
    at_landmark = analyse(PGEP, SurvivalSpec(by="treatments", landmark_months=3), default_db)
    assert not any("Turn on the landmark" in w for w in at_landmark.warnings)
    # the number of treatments has no recorded day: the landmark cannot date it (issue 19)
    assert any("not recorded" in w for w in at_landmark.warnings)


def test_without_delayed_entry_from_diagnosis_warns_and_is_higher(default_db):
    on = analyse(PGEP, SurvivalSpec(origin=Origin.DIAGNOSIS), default_db)
    off = analyse(PGEP, SurvivalSpec(origin=Origin.DIAGNOSIS, left_truncation=False), default_db)
    assert any("biased upward" in w for w in off.warnings)
    assert not any("biased upward" in w for w in on.warnings)
    # counting untreated time as event-free pushes the early curve up
    t = 24 * DAYS_PER_MONTH
    s_on = on.groups[0].at[1].surv
    s_off = off.groups[0].at[1].surv
    assert s_off >= s_on and t > 0


def test_not_assessed_group_can_be_hidden(default_db):
    shown = analyse(PGEP, SurvivalSpec(by="imaging_response"), default_db)
    hidden = analyse(
        PGEP, SurvivalSpec(by="imaging_response", include_not_assessed=False), default_db
    )
    assert NOT_ASSESSED in [g.label for g in shown.groups]
    assert [g.label for g in hidden.groups] == ["CR/PR/SD", "PD"]
    assert [g.n for g in hidden.groups] == [100, 25]


def test_cli_json_shape(default_db):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "survival",
            "--cohort",
            "pgep-mibg-211",
            "--db",
            str(default_db),
            "--by",
            "treatments",
            "--times",
            "12,24",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    obj = json.loads(out.stdout)
    assert set(obj) == {
        "cohort",
        "description",
        "endpoint",
        "origin",
        "time_unit",
        "conf_type",
        "groups",
        "logrank",
        "rmst_horizon",
        "median_followup",
        "notes",
        "warnings",
        "notices",
        "refusal",
        "disclosure",
        "survival_difference",
        "rmst_difference",
    }
    assert set(obj["median_followup"]) == {"value", "ci", "beyond"}
    # a synthetic cohort: exempt, and said so
    assert obj["disclosure"] == {"mode": "protected", "threshold": None, "real_data": False}
    assert obj["refusal"] is None
    assert [g["label"] for g in obj["groups"]] == ["Single", "Multiple"]
    assert [g["n"] for g in obj["groups"]] == [171, 40]
    g0 = obj["groups"][0]
    assert set(g0) == {
        "label", "n", "events", "median", "median_ci", "median_beyond", "rmst", "in_tests", "note",
        "at",
    }  # fmt: skip
    assert [a["time"] for a in g0["at"]] == [12.0, 24.0]
    assert set(g0["at"][0]) == {"time", "survival", "ci", "at_risk", "events", "censored"}
    assert set(obj["logrank"]) == {"chi2", "df", "p"} and obj["logrank"]["df"] == 1


def test_cli_rejects_bad_filter_with_exit_2(default_db):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "survival",
            "--cohort",
            "pgep-mibg-211",
            "--db",
            str(default_db),
            "--filter",
            "grade=G9",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "grade='G9'" in out.stderr


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("delayed", [False, True])
def test_bincount_and_sorted_counting_agree(seed, delayed):
    """The two ways of counting events per (group, day) give identical SurvivalCounts."""
    from core.analyses.survival import _counts_by_label_bincount, _counts_by_label_sorted

    rng = np.random.default_rng(seed)
    m = 5000
    labels = rng.integers(0, 3, size=m)
    entry = rng.integers(0, 50, size=m).astype(float) if delayed else np.zeros(m)
    exit_ = entry + rng.integers(1, 400, size=m)
    n = rng.integers(1, 5, size=m)
    names = ("a", "b", "c")
    d = rng.integers(0, n + 1)  # events among the n patients of a row
    dense = _counts_by_label_bincount(labels, exit_, d, entry, n, names)
    ordered = _counts_by_label_sorted(labels, exit_, d, entry, n, names)
    assert dense.keys() == ordered.keys() == set(names)
    for k in names:
        for field in ("time", "n_event", "n_censor", "n_enter"):
            np.testing.assert_array_equal(getattr(dense[k], field), getattr(ordered[k], field))


def test_large_selections_use_the_perfect_hash_aggregate(default_db):
    """The setting raised for large selections really changes DuckDB's plan for the survival
    aggregate (a DuckDB upgrade that ignored it would fail here, not silently slow down)."""
    from core.analyses.survival import _raw_sql
    from core.data.db import PERFECT_HASH_BITS, cursor

    sql, params = _raw_sql(PGEP, SurvivalSpec(by="imaging_response"))
    cur = cursor(default_db)
    try:
        plain = cur.execute("EXPLAIN " + sql, params).fetchall()[0][1]
        cur.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}").fetchall()
        raised = cur.execute("EXPLAIN " + sql, params).fetchall()[0][1]
    finally:
        cur.close()
    assert "perfect" not in plain.lower()
    assert "perfect" in raised.lower()
    other = cursor(default_db)  # a local setting: other cursors keep DuckDB's default
    try:
        assert other.execute("SELECT current_setting('perfect_ht_threshold')").fetchone()[0] == 12
    finally:
        other.close()


# ------------------------------------------------------------------ imported (real) data
# R's lung, imported as a real cohort built by code. Grades and sites are assigned so that the
# cohort has small groups (G3: 8, GX: 6 patients) and a tiny site (pancreas: 6 patients).

T = 11
LUNG = Filters(cohorts=("lung-real",))
N_G3, N_GX, N_PANCREAS, N_NO_PFS = 8, 6, 6, 5


def lung_frames(r_dataset):
    """CohortFrames of R's lung (228 patients) with the delayed entry of the R tests.

    ``os_days`` = time - entry and ``dx_to_index_days`` = entry, so from diagnosis with delayed
    entry the analysis is R's ``Surv(entry, time, status)``; from the index date (entry 0 for
    two thirds, see below) it is ``Surv(time - entry, status)``. To compare with R's plain
    ``Surv(time, status)`` use :data:`LUNG_PLAIN` (entry 0 for everyone).
    """
    from core.cohorts.generator import generate_pgep

    lung = r_dataset("lung")
    n = len(lung)
    frames = generate_pgep(n=n, seed=3)
    p = frames.patients
    rownum = np.arange(1, n + 1)
    entry = np.where(rownum % 3 == 0, np.floor(lung["time"] * 0.3), 0).astype(int)
    p["os_days"] = pd.array(lung["time"].to_numpy() - entry, dtype="Int64")
    p["os_event"] = pd.array((lung["status"] == 2).astype(int), dtype="Int64")
    p["dx_to_index_days"] = pd.array(entry, dtype="Int64")
    p["met_to_index_days"] = pd.array(np.zeros(n, dtype=int), dtype="Int64")
    p["sex"] = np.where(lung["sex"] == 1, "male", "female").astype(object)
    p["age"] = pd.array(lung["age"], dtype="Int64")
    grade = np.array(["G1"] * n, dtype=object)
    grade[:N_G3] = "G3"
    grade[N_G3 : N_G3 + N_GX] = "GX"
    grade[N_G3 + N_GX :: 3] = "G2"
    p["grade"] = grade
    site = np.array(["small_bowel"] * n, dtype=object)
    site[20 : 20 + N_PANCREAS] = "pancreas"
    p["primary_site"] = site
    pfs = p["os_days"].copy()
    pfs[100 : 100 + N_NO_PFS] = pd.NA
    p["pfs_imaging_days"] = pfs
    p["pfs_imaging_event"] = p["os_event"].where(pfs.notna(), pd.NA)
    return frames


def build_imported_lung(path, r_dataset, *, plain: bool = False):
    """A database with R's lung as an imported cohort ``lung-real`` (``plain``: no entry)."""
    from core.data.build import _write, insert_cohort

    frames = lung_frames(r_dataset)
    if plain:
        p = frames.patients
        p["os_days"] = pd.array(r_dataset("lung")["time"], dtype="Int64")
        p["dx_to_index_days"] = pd.array(np.zeros(len(p), dtype=int), dtype="Int64")

    def fill(con):
        meta = {"cohort_id": "lung-real", "title": "lung", "provenance": "imported"}
        insert_cohort(con, meta, frames)

    _write(path, fill)
    return path


@pytest.fixture(scope="module")
def lung_db(tmp_path_factory, r_dataset):
    from core.data.db import close_all

    path = build_imported_lung(tmp_path_factory.mktemp("lung") / "lung.duckdb", r_dataset)
    yield path
    close_all()


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory, r_dataset):
    from core.data.db import close_all

    path = tmp_path_factory.mktemp("plain") / "lung.duckdb"
    yield build_imported_lung(path, r_dataset, plain=True)
    close_all()


def _counts_in(text: str) -> list[int]:
    """Every number a sentence gives as a count of patients or events."""
    pats = [
        r"n ?= ?(\d+)",
        r"(\d+) (?:selected )?patients?\b",
        r"(\d+) with an event",
        r"(\d+) censored",
        r"(\d+) of (\d+)",
        r"(\d+) events?\b",
        r"(\d+) deaths?\b",
    ]
    out = []
    for pat in pats:
        for m in re.finditer(pat, text):
            out += [int(g) for g in m.groups()]
    return out


def _small(value) -> bool:
    """A shown count of 1 .. T-1 (what protected mode must never show)."""
    try:
        v = int(value)
    except (TypeError, ValueError):
        return False
    return 0 < v < T


def _json_counts(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("n", "events", "at_risk"):
                yield v
            yield from _json_counts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _json_counts(v)


def _chart_tables(spec: dict) -> list[list[dict]]:
    tables = list(spec.get("datasets", {}).values())

    def walk(node):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and "values" in data:
                tables.append(data["values"])
            for k, v in node.items():
                if k != "datasets":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return tables


def _scan(a, unit=None) -> list[str]:
    """Every shown count of a protected analysis that is 1 .. T-1: frames, JSON, notes, title,
    chart data (and tooltips that would carry per-step counts). Empty when nothing leaks."""
    from core.analyses.survival import (
        exclusion_notes,
        summary_frame,
        survival_at_frame,
        to_json_dict,
    )
    from core.present.charts import km_chart
    from core.vocab.methods import TimeUnit

    unit = unit or TimeUnit.MONTHS
    leaks = []
    if a.groups:
        frame = summary_frame(a, unit)
        leaks += [f"summary {v}" for c in ("n", "Events") for v in frame[c] if _small(v)]
        at = survival_at_frame(a)
        if len(at):
            leaks += [f"at risk {v}" for v in at["At risk"] if _small(v)]
    obj = json.loads(json.dumps(to_json_dict(a, unit, "lung-real")))
    leaks += [f"json {v}" for v in _json_counts(obj) if _small(v)]
    texts = [a.describe(), obj["description"], *exclusion_notes(a), *a.warnings]
    for text in texts:
        text = re.sub(r"Landmark at [\d.]+ months", "", text)
        leaks += [f"text {text!r}" for v in _counts_in(text) if _small(v)]
    if a.groups and not all(g.suppressed for g in a.groups):
        spec = km_chart(a, unit).to_dict()
        for rows in _chart_tables(spec):
            for row in rows:
                leaks += [f"chart field {k}" for k in ("n_risk", "n_censor") if k in row]
                if _small(row.get("n")):
                    leaks.append(f"chart risk {row}")
                if "group" in row:
                    leaks += [
                        f"legend {row['group']}" for v in _counts_in(row["group"]) if _small(v)
                    ]
        blob = json.dumps(spec)
        assert '"At risk"' not in blob and '"Censored"' not in blob
    return leaks


def test_attack_small_groups_leave_no_count_below_the_threshold(lung_db):
    """Attack: group by grade (two groups under 11) and read every output for their sizes."""
    from core.analyses.disclosure import Mode

    a = analyse(LUNG, SurvivalSpec(by="grade", times_months=(6, 12, 24)), lung_db)
    assert a.disclosure.active and a.disclosure.threshold == T
    hidden = {g.label for g in a.groups if g.suppressed}
    assert hidden == {"G3", "GX (not assessed)"}
    assert _scan(a) == []
    for g in a.groups:
        if g.suppressed:
            assert g.km is None and g.display is None and g.at == () and g.quantiles == ()
    # the hidden groups together are not a small count either (total minus shown sizes)
    shown = sum(g.n for g in a.groups if not g.suppressed)
    assert a.n_analysed - shown >= T
    # the same view in exact mode shows them
    e = analyse(LUNG, SurvivalSpec(by="grade"), lung_db, mode=Mode.EXACT)
    assert {g.label: g.n for g in e.groups}["G3"] == N_G3 and not any(
        g.suppressed for g in e.groups
    )


def test_attack_logrank_and_pairwise_exclude_suppressed_groups(lung_db):
    """The log-rank over all four grades would carry G3 and GX; protected mode compares the
    shown groups only, and equals exact mode restricted to them by a filter."""
    from core.analyses.disclosure import Mode
    from core.stats.survival import logrank_test

    spec = SurvivalSpec(by="grade")
    a = analyse(LUNG, spec, lung_db)
    shown = [g for g in a.groups if not g.suppressed]
    assert [g.label for g in shown] == ["G1", "G2"]
    assert a.logrank.df == 1
    assert a.logrank.chi2 == pytest.approx(logrank_test([g.counts for g in shown]).chi2, abs=0)
    assert all({p.a, p.b} <= {"G1", "G2"} for p in a.pairwise)
    assert all({lbl, ref} <= {"G1", "G2"} for lbl, ref, _ in a.rmst_differences)
    everyone = analyse(LUNG, spec, lung_db, mode=Mode.EXACT)
    assert everyone.logrank.df == 3  # exact mode: all four groups
    assert any("G3" in (p.a, p.b) for p in everyone.pairwise)
    only = analyse(replace(LUNG, grade=("G1", "G2")), spec, lung_db, mode=Mode.EXACT)
    assert a.logrank.chi2 == pytest.approx(only.logrank.chi2, rel=1e-12)
    assert a.logrank.p == pytest.approx(only.logrank.p, rel=1e-12)
    hrs = hazard_ratios(LUNG, spec, "G1", lung_db)
    assert [r.label for r in hrs.rows] == ["G2"]
    assert "G3" in hrs.note and "fewer than 5" not in hrs.note
    assert not [v for v in _counts_in(hrs.note) if _small(v)]  # no count in the note
    hr_only = hazard_ratios(replace(LUNG, grade=("G1", "G2")), spec, "G1", lung_db, mode=Mode.EXACT)
    assert hrs.rows[0].hr == pytest.approx(hr_only.rows[0].hr, rel=1e-12)


@pytest.mark.parametrize(
    "filters",
    [
        replace(LUNG, grade=("G3",)),  # a tiny selection (8 patients)
        replace(LUNG, primary_site=("small_bowel",)),  # all but a tiny site (6 left out)
    ],
    ids=["tiny-selection", "all-but-a-tiny-site"],
)
def test_attack_query_set_refusal(lung_db, filters):
    from core.analyses.disclosure import Mode
    from core.analyses.survival import to_json_dict
    from core.vocab.methods import TimeUnit

    a = analyse(filters, SurvivalSpec(by="sex"), lung_db)
    assert a.refused and a.groups == () and a.logrank is None
    assert "fewer than 11" in a.refusal
    obj = to_json_dict(a, TimeUnit.MONTHS, "lung-real")
    assert obj["groups"] == [] and obj["refusal"] == a.refusal
    assert "n=" not in obj["description"]
    assert _scan(a) == []
    hrs = hazard_ratios(filters, SurvivalSpec(by="sex"), "Female", lung_db)
    assert hrs.rows == () and hrs.refusal
    # the data owner sees it
    e = analyse(filters, SurvivalSpec(by="sex"), lung_db, mode=Mode.EXACT)
    assert not e.refused and e.n_analysed in (N_G3, 228 - N_PANCREAS)


def test_attack_landmark_and_missing_notes_do_not_give_small_counts(lung_db):
    """'4 patients excluded (1 with an event ...)' and '5 of 228 ... have no data'."""
    from core.analyses.disclosure import Mode
    from core.analyses.survival import exclusion_notes

    spec = SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, landmark_months=1)
    e = analyse(LUNG, spec, lung_db, mode=Mode.EXACT)
    assert e.n_missing_time == N_NO_PFS and 0 < e.n_landmark_excluded < T
    exact_notes = " ".join(exclusion_notes(e))
    assert f"{N_NO_PFS} of 228" in exact_notes  # the owner's view is exact
    a = analyse(LUNG, spec, lung_db)
    # the landmark leaves out a few patients, 1 with an event: the view beside the same one
    # without the landmark would give that event back (the left-out rule on events)
    assert a.refused and a.groups == () and _scan(a) == [] and exclusion_notes(a) == []
    assert "fewer than 11" in a.refusal
    # the notes' wording under protection, on the exact result as a protected viewer's
    from dataclasses import replace as _replace

    notes = exclusion_notes(_replace(e, disclosure=a.disclosure))
    assert len(notes) == 2
    assert "Fewer than 11 selected patients" in notes[0] and " of 228" not in notes[0]
    assert "fewer than 11 patients excluded" in notes[1] and "with an event" not in notes[1]


def test_exact_mode_equals_r_on_imported_data(plain_db):
    """Exact mode on R's lung imported as a real cohort equals R to 1e-9. R::

    f <- survfit(Surv(time, status) ~ 1, data=lung, conf.type="log-log")
    sc(summary(f)$table[c("median","0.95LCL","0.95UCL")])   # 310 284 361
    sc(quantile(f, c(.25,.5,.75))$quantile)                 # 170 310 550
    s <- summary(f, times=c(12, 24) * 30.4375)
    sc(s$surv); sc(s$lower); sc(s$upper); s$n.risk
    sc(survdiff(Surv(time, status) ~ sex, data=lung)$chisq)  # 10.3267419548856
    fs <- survfit(Surv(time, status) ~ sex, data=lung, conf.type="log-log")
    sc(summary(fs)$table[, "median"])                        # 270 (male) 426 (female)
    c <- coxph(Surv(time, status) ~ relevel(factor(sex), "2"), data=lung, ties="efron")
    sc(exp(coef(c))); sc(summary(c)$conf.int[, 3:4]); sc(summary(c)$coefficients[, 5])
    """
    from core.analyses.disclosure import Mode

    a = analyse(LUNG, SurvivalSpec(times_months=(12, 24)), plain_db, mode=Mode.EXACT)
    assert a.disclosure.exact and a.disclosure.real_data and not a.disclosure.active
    g = a.groups[0]
    assert g.n == 228 and g.events == 165
    q = {x.p: x for x in g.quantiles}
    assert (q[0.5].estimate, q[0.5].lower, q[0.5].upper) == (310, 284, 361)
    assert (q[0.25].estimate, q[0.75].estimate) == (170, 550)
    np.testing.assert_allclose(
        [x.surv for x in g.at], [0.409241624460064, 0.115693098344539], rtol=1e-9
    )
    np.testing.assert_allclose(
        [x.lower for x in g.at], [0.338714269088323, 0.0676321514888291], rtol=1e-9
    )
    np.testing.assert_allclose(
        [x.upper for x in g.at], [0.478380767646914, 0.177825199700288], rtol=1e-9
    )
    assert [x.n_risk for x in g.at] == [65, 13]
    by_sex = analyse(LUNG, SurvivalSpec(by="sex"), plain_db, mode=Mode.EXACT)
    assert by_sex.logrank.chi2 == pytest.approx(10.3267419548856, rel=1e-9)
    assert {x.label: x.median.estimate for x in by_sex.groups} == {"Female": 426, "Male": 270}
    hrs = hazard_ratios(LUNG, SurvivalSpec(by="sex"), "Female", plain_db, mode=Mode.EXACT)
    (male,) = hrs.rows
    np.testing.assert_allclose(
        [male.hr, male.lower, male.upper, male.p],
        [1.70067211997872, 1.22551300448034, 2.36006117364647, 0.0014912292048808],
        rtol=1e-9,
    )


def test_exact_mode_equals_r_with_delayed_entry(lung_db):
    """From diagnosis with delayed entry (entry = floor(0.3 time) for every third patient),
    as R's counting-process fit. R::

        lung$entry <- ifelse(seq_len(nrow(lung)) %% 3 == 0, floor(lung$time * 0.3), 0)
        fe <- survfit(Surv(entry, time, status) ~ 1, data=lung, conf.type="log-log")
        sc(summary(fe)$table[c("median","0.95LCL","0.95UCL")])  # 291 239 348
        sc(summary(fe, times=365.25)$surv)                        # 0.381034195960236
    """
    from core.analyses.disclosure import Mode

    spec = SurvivalSpec(origin=Origin.DIAGNOSIS, times_months=(12,))
    a = analyse(LUNG, spec, lung_db, mode=Mode.EXACT)
    g = a.groups[0]
    assert (g.median.estimate, g.median.lower, g.median.upper) == (291, 239, 348)
    assert g.at[0].surv == pytest.approx(0.381034195960236, rel=1e-9)


@pytest.mark.parametrize(
    "spec",
    [
        SurvivalSpec(by="sex"),
        SurvivalSpec(by="grade"),
        SurvivalSpec(origin=Origin.DIAGNOSIS, by="sex"),
        SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, landmark_months=2),
    ],
    ids=["sex", "grade", "diagnosis-sex", "pfs-landmark"],
)
def test_protected_statistics_equal_exact_statistics(lung_db, spec):
    """Only presentation differs: the exact estimate, RMST and tests of every shown group are
    the exact mode's; medians are the exact ones to whole months."""
    from core.analyses.disclosure import Mode, round_median_months

    a = analyse(LUNG, spec, lung_db)
    e = analyse(LUNG, spec, lung_db, mode=Mode.EXACT)
    exact = {g.label: g for g in e.groups}
    assert a.n_analysed == e.n_analysed
    for g in a.groups:
        x = exact[g.label]
        np.testing.assert_array_equal(g.counts.time, x.counts.time)
        if g.suppressed:
            continue
        for f in ("time", "surv", "lower", "upper", "n_risk"):
            np.testing.assert_array_equal(getattr(g.km, f), getattr(x.km, f))
        assert g.rmst == x.rmst
        end = g.display.time[-1]  # the shown curve: nothing is located past its end
        for shown, q in zip(g.quantiles, x.quantiles, strict=True):
            if shown.estimate is None and shown.beyond is not None:
                assert q.estimate is None or q.estimate > end
                continue
            assert shown.estimate == round_median_months(q.estimate)
            assert shown.lower == round_median_months(q.lower)
            if shown.upper is None and shown.beyond is not None:
                assert q.upper is None or q.upper > end
            else:
                assert shown.upper == round_median_months(q.upper)
    if not any(g.suppressed for g in a.groups) and e.logrank is not None:
        assert (a.logrank.chi2, a.logrank.p) == (e.logrank.chi2, e.logrank.p)
        assert [(p.a, p.b, p.chi2) for p in a.pairwise] == [(p.a, p.b, p.chi2) for p in e.pairwise]


def test_protected_curves_are_the_exact_estimate_at_whole_months(lung_db):
    """The drawn curve: value at month m = exact S(m), only while at least 11 are at risk; no
    per-step counts, no censor marks, at-risk numbers only at the chosen times."""
    from core.stats.survival import survival_at
    from core.vocab.methods import DAYS_PER_MONTH

    a = analyse(LUNG, SurvivalSpec(by="sex", times_months=(6, 12)), lung_db)
    for g in a.groups:
        c = g.display
        assert c.whole_months and c.n_risk is None and c.censor_time is None
        months = c.time / DAYS_PER_MONTH
        np.testing.assert_allclose(months, np.round(months), atol=1e-9)
        risk = g.counts.n_risk_before(c.time)
        closed = risk[-1] < T  # a last point closing the last whole-month step
        body = c.time[:-1] if closed else c.time
        assert body.size > 3 and (risk[: body.size] >= T).all()
        exact = [x.surv for x in survival_at(g.km, body)]
        np.testing.assert_array_equal(c.surv[: body.size], exact)
        if closed:
            assert c.surv[-1] == c.surv[-2] and c.time[-1] - body[-1] == DAYS_PER_MONTH
        assert [t for t, _ in c.risk_table] == [0.0, 6 * DAYS_PER_MONTH, 12 * DAYS_PER_MONTH]
    # exact mode keeps every step, the numbers at risk and the censor marks
    from core.analyses.disclosure import Mode

    e = analyse(LUNG, SurvivalSpec(by="sex"), lung_db, mode=Mode.EXACT)
    for g in e.groups:
        assert g.display.n_risk is not None and g.display.censor_time.size > 0
        assert g.display.time.size == g.km.time.size + 1


def test_cli_protected_and_exact(lung_db):
    """The CLI states its mode and passes it on: protected JSON has no small count."""

    def run(*extra):
        out = subprocess.run(
            [sys.executable, "-m", "core", "survival", "--cohort", "lung-real",
             "--db", str(lung_db), "--by", "grade", *extra],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return out.stdout

    obj = json.loads(run("--json"))
    assert obj["disclosure"] == {"mode": "protected", "threshold": T, "real_data": True}
    assert [v for v in _json_counts(obj) if _small(v)] == []
    text = run()
    assert "Protected figures" in text
    assert not [v for v in _counts_in(text) if _small(v)]
    exact = json.loads(run("--json", "--disclosure", "exact"))
    assert exact["disclosure"]["mode"] == "exact"
    assert {g["label"]: g["n"] for g in exact["groups"]}["G3"] == N_G3
    assert "Exact figures: not for sharing" in run("--disclosure", "exact")


def test_attack_analysed_n_against_the_selection_is_refused(lung_db):
    """PFS leaves out the 5 patients without PFS data: 228 selected vs 223 analysed would give
    them away, so protected mode refuses that analysis; the owner sees it."""
    from core.analyses.disclosure import Mode

    spec = SurvivalSpec(endpoint=Endpoint.PFS_IMAGING)
    exact = analyse(LUNG, spec, lung_db, mode=Mode.EXACT)
    assert exact.n_analysed == 228 - N_NO_PFS and not exact.refused
    protected = analyse(LUNG, spec, lung_db)
    assert protected.refused and "leaves out fewer than 11" in protected.refusal
    assert protected.groups == () and _scan(protected) == []


def test_attack_numbers_at_risk_cannot_be_subtracted(lung_db):
    """At-risk at consecutive times (and against n) would give events + censorings between
    them; protected mode rounds them up to a multiple of 5 (exact mode: R's numbers)."""
    from core.analyses.disclosure import Mode

    spec = SurvivalSpec(times_months=(1, 2, 3, 4, 12, 24))
    exact = analyse(LUNG, spec, lung_db, mode=Mode.EXACT).groups[0].at
    shown = analyse(LUNG, spec, lung_db).groups[0].at
    gaps = np.diff([a.n_risk for a in exact])
    assert any(0 < -g < T for g in gaps)  # the attack works on exact numbers
    for e, s in zip(exact, shown, strict=True):
        assert s.n_risk % 5 == 0 and e.n_risk <= s.n_risk < e.n_risk + 5
        assert s.surv == e.surv or e.n_risk < T  # survival itself is the exact estimate
