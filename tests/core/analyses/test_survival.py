"""The DuckDB fast path equals the patient-level computation for every origin and option."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from core.analyses.survival import GROUPINGS, NOT_ASSESSED, SurvivalSpec, analyse
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
    d["g"] = [
        label(None if v is None or v != v else v)
        for v in (d[GROUPINGS[spec.by].column] if spec.by else [None] * len(d))
    ]
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
    assert not analyse(PGEP, SurvivalSpec(by="treatments", landmark_months=3), default_db).warnings


def test_without_delayed_entry_from_diagnosis_warns_and_is_higher(default_db):
    on = analyse(PGEP, SurvivalSpec(origin=Origin.DIAGNOSIS), default_db)
    off = analyse(PGEP, SurvivalSpec(origin=Origin.DIAGNOSIS, left_truncation=False), default_db)
    assert any("biased upward" in w for w in off.warnings)
    assert not on.warnings
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
    }
    assert [g["label"] for g in obj["groups"]] == ["Single", "Multiple"]
    assert [g["n"] for g in obj["groups"]] == [171, 40]
    g0 = obj["groups"][0]
    assert set(g0) == {"label", "n", "events", "median", "median_ci", "at"}
    assert [a["time"] for a in g0["at"]] == [12.0, 24.0]
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
