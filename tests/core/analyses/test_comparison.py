"""Tests for core/analyses/comparison.py: the cohort view against the registry, overlays, user
benchmarks, and the `benchmarks` / `compare` commands."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace

import duckdb
import numpy as np
import pytest

from core.analyses.comparison import (
    APPROXIMATION,
    NotComparable,
    add_user_benchmark,
    all_benchmarks,
    citation_ids,
    cohort_label,
    cohort_measure,
    cohort_view,
    compare,
    describe_test,
    forest_frame,
    forest_groups,
    measure_of,
    overlay_frame,
    overlay_options,
    table_frame,
    user_benchmarks,
)
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, analyse
from core.cli import main
from core.cohorts.generator import generate_pgep
from core.data import comparison_sql
from core.data.build import _write, insert_cohort
from core.data.db import close_all
from core.data.filters import Filters
from core.literature.registry import (
    COLUMNS,
    BenchmarkEndpoint,
    CurveKind,
    Statistic,
    TestMethod,
    WarningCategory,
    WarningCode,
    load_benchmarks,
)
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin
from core.vocab.schema import TABLES

PGEP = Filters(cohorts=("pgep-mibg-211",))


@pytest.fixture(scope="module")
def registry():
    return load_benchmarks()


@pytest.fixture(scope="module")
def by_id(registry):
    return {b.id: b for b in registry}


@pytest.fixture
def db_copy(default_db, tmp_path):
    """A private copy of the default database for tests that write to it."""
    path = tmp_path / "cohorts.duckdb"
    shutil.copy2(default_db, path)
    yield path
    close_all()


def _codes(comparison) -> set[WarningCode]:
    return {w.code for w in comparison.warnings}


# --------------------------------------------------------------------------------------------
# Done-when: imaging PFS against NETTER-1's control arm; OS against seed 002's 29 months
# --------------------------------------------------------------------------------------------


def test_imaging_pfs_against_netter1_control_warns_about_endpoint_and_origin(
    default_db, by_id, registry
):
    result = compare(PGEP, by_id["netter1-ctrl-pfs-median"], pool=registry, path=default_db)
    c = result.comparison
    categories = {w.category for w in c.warnings}
    assert WarningCategory.ENDPOINT in categories and WarningCategory.ORIGIN in categories
    assert {WarningCode.ASCERTAINMENT, WarningCode.ORIGIN_MISMATCH} <= _codes(c)
    assert result.endpoint is Endpoint.PFS_IMAGING and result.origin is Origin.INDEX
    assert c.test.method is TestMethod.ONE_SAMPLE_LOGRANK
    # the landmark rate of the same arm makes the curve a Weibull through both figures
    assert c.curve.kind is CurveKind.WEIBULL and "S(20 months) = 0.108" in c.curve.construction


def test_os_against_kane_29_months_is_consistent(default_db, by_id, registry):
    result = compare(PGEP, by_id["kane-os-median"], pool=registry, path=default_db)
    c = result.comparison
    cats = {w.category for w in c.warnings}
    assert WarningCategory.ENDPOINT not in cats and WarningCategory.ORIGIN not in cats
    t = c.test
    # what the synthetic data give: O/E 0.99 (0.85-1.15), p 0.92 (Weibull benchmark curve)
    assert t.ratio_lower < 1.0 < t.ratio_upper
    assert t.p > 0.05 and t.p_exact > 0.05
    assert c.cohort_ci[0] < 29.0 < c.cohort_ci[1]
    assert c.benchmark_value == 29.0


def test_cohort_median_matches_the_survival_engine(default_db, by_id):
    own = cohort_measure(PGEP, measure_of(by_id["kane-os-median"]), default_db)
    g = analyse(PGEP, SurvivalSpec(), default_db).groups[0]
    assert own.n == g.n == 211 and own.count == g.events
    assert own.value == pytest.approx(g.median.estimate / DAYS_PER_MONTH)


def test_landmark_rate_is_km_survival_at_the_landmark(default_db, by_id):
    own = cohort_measure(PGEP, measure_of(by_id["kane-os-rate-60m"]), default_db)
    spec = SurvivalSpec(times_months=(60.0,))
    at = analyse(PGEP, spec, default_db).groups[0].at[0]
    assert own.value == pytest.approx(100 * at.surv)
    assert own.lower < own.value < own.upper


@pytest.mark.parametrize("bench_id", ["kane-os-rate-60m-dx", "kane-os-rate-60m-met"])
def test_from_diagnosis_figures_are_compared_on_the_published_basis(default_db, by_id, bench_id):
    """Issue 19 item 11: Kane 2018's 60% at 5 years from diagnosis counts every patient from
    diagnosis (no delayed entry). The view's figure is computed on that basis (the survival
    engine with delayed entry off), not with delayed entry (about 25% before the fix), and
    says so; the test runs on the same rows (no entry times)."""
    m = measure_of(by_id[bench_id])
    assert not m.left_truncation and "no delayed entry" in m.title()
    own = cohort_measure(PGEP, m, default_db)
    spec = SurvivalSpec(
        endpoint=m.cohort_endpoint, origin=m.origin, times_months=(60.0,), left_truncation=False
    )
    g = analyse(PGEP, spec, default_db).groups[0]
    assert (own.n, own.count) == (g.n, g.events)
    assert own.value == pytest.approx(100 * g.at[0].surv, abs=1e-12)
    assert own.lower == pytest.approx(100 * g.at[0].lower, abs=1e-12)
    assert "no delayed entry" in own.description
    delayed = analyse(PGEP, replace(spec, left_truncation=True), default_db).groups[0].at[0]
    assert 100 * delayed.surv < own.value - 10  # the two bases differ a lot here
    if bench_id.endswith("-dx"):
        assert abs(own.value - by_id[bench_id].value) < 5  # 59.9% against the published 60%
    vc = compare(PGEP, by_id[bench_id], path=default_db, mode=Mode.EXACT)
    assert vc.comparison.cohort_value == pytest.approx(own.value)


def test_response_rate_uses_evaluable_patients_and_the_binomial_test(default_db, by_id):
    result = compare(PGEP, by_id["kane-orr"], path=default_db)
    t = result.comparison.test
    # seed 002: 3 CR + 22 PR of 125 evaluable
    assert (t.x, t.n) == (25, 125)
    assert t.method is TestMethod.EXACT_BINOMIAL
    assert result.comparison.cohort_value == pytest.approx(20.0)
    assert "Exact binomial test: 25 of 125" in describe_test(result.comparison)


def test_hazard_ratio_and_unrecorded_endpoints_are_not_comparable(default_db, by_id, registry):
    with pytest.raises(NotComparable, match="hazard ratio"):
        compare(PGEP, by_id["netter1-pfs-hr-primary"], path=default_db)
    other = next(b for b in registry if b.endpoint is BenchmarkEndpoint.MINOR_RESPONSE)
    with pytest.raises(NotComparable, match="record no"):
        compare(PGEP, other, path=default_db)
    with pytest.raises(NotComparable, match="time-to-event"):
        compare(PGEP, by_id["kane-orr"], endpoint=Endpoint.OS, path=default_db)


def test_not_reached_median_gives_no_test_but_says_why(default_db, by_id):
    c = compare(PGEP, by_id["netter1-lu177-pfs-median"], path=default_db).comparison
    assert c.test is None and WarningCode.NOT_REACHED in _codes(c)
    assert "No test" in describe_test(c)


def test_from_diagnosis_benchmark_is_measured_from_diagnosis(default_db, by_id):
    result = compare(PGEP, by_id["kane-os-rate-60m-dx"], path=default_db)
    assert result.origin is Origin.DIAGNOSIS
    assert WarningCode.ORIGIN_MISMATCH not in _codes(result.comparison)
    forced = compare(PGEP, by_id["kane-os-rate-60m-dx"], origin=Origin.INDEX, path=default_db)
    assert WarningCode.ORIGIN_MISMATCH in _codes(forced.comparison)


def test_cohort_view_describes_the_selection(default_db):
    view = cohort_view(PGEP, Endpoint.OS, Origin.INDEX, default_db)
    assert view.agent == "i131_mibg" and view.route == "IV"
    assert "small_bowel" in view.primary_sites and "GX" in view.grades
    mixed = cohort_view(Filters(cohorts=("nguyen-2004",)), Endpoint.OS, Origin.INDEX, default_db)
    assert mixed.agent is None  # three agents in view
    assert mixed.citation == "PMID 15471830"


def test_citation_ids_needs_exactly_one_publication():
    assert citation_ids(["J Nucl Med. 2004. PMID 15471830 (seed 004)."]) == "PMID 15471830"
    assert citation_ids(["see doi:10.2967/jnumed.117.202150."]) == "DOI 10.2967/jnumed.117.202150"
    assert citation_ids(["PMID 1", "PMID 2"]) == ""
    assert citation_ids(["manuscript, seed 002"]) == ""


# --------------------------------------------------------------------------------------------
# Overlays
# --------------------------------------------------------------------------------------------


def test_overlay_frame_returns_a_labelled_curve(by_id, registry):
    frame = overlay_frame(["kane-os-median"], "months")
    assert list(frame.columns) == ["label", "time", "surv"]
    label = frame["label"].iloc[0]
    b = by_id["kane-os-median"]
    assert b.study in label and b.arm in label and APPROXIMATION in label
    assert frame["surv"].iloc[0] == 1.0
    assert np.all(np.diff(frame["surv"]) <= 0)
    # the curve passes through the published median and the 60-month rate
    at = dict(zip(frame["time"], frame["surv"], strict=True))
    assert at[60.0] == pytest.approx(0.27)
    s29 = np.interp(29.0, frame["time"], frame["surv"])
    assert s29 == pytest.approx(0.5, abs=0.01)


def test_overlay_frame_converts_units():
    years = overlay_frame(["kane-os-median"], "years", max_time=10.0, points=11)
    months = overlay_frame(["kane-os-median"], "months", max_time=120.0, points=11)
    assert years["time"].iloc[-1] == pytest.approx(10.0)
    assert np.allclose(years["surv"], months["surv"])


def test_overlay_frame_rejects_unknown_and_undrawable_ids():
    with pytest.raises(ValueError, match="unknown benchmark"):
        overlay_frame(["no-such-row"], "months")
    with pytest.raises(ValueError, match="hazard ratio"):
        overlay_frame(["netter1-pfs-hr-primary"], "months")


def test_overlay_options_match_endpoint_and_origin(registry):
    opts = {b.id for b in overlay_options(Endpoint.OS, Origin.INDEX, registry)}
    assert "kane-os-median" in opts
    assert "kane-os-rate-60m-dx" not in opts  # from diagnosis
    assert "kane-symp-responders-os-median" not in opts  # post-baseline subgroup
    assert "netter1-lu177-os-median-2016" not in opts  # not reached: no curve
    pfs = {b.id for b in overlay_options(Endpoint.PFS_IMAGING, Origin.INDEX, registry)}
    assert "netter1-ctrl-pfs-median" in pfs and "kane-os-median" not in pfs


# --------------------------------------------------------------------------------------------
# Tables and forest plots
# --------------------------------------------------------------------------------------------


def test_table_links_only_verified_identifiers(by_id):
    frame = table_frame(
        [by_id["netter1-ctrl-pfs-median"], by_id["kane-os-median"], by_id["ho-os-mean"]]
    ).set_index("ID")
    # PMID recalled, DOI verified: link to the DOI, note on the PMID
    assert frame.loc["netter1-ctrl-pfs-median", "Link"] == "https://doi.org/10.1056/NEJMoa1607427"
    assert "PMID recalled" in frame.loc["netter1-ctrl-pfs-median", "Citation"]
    assert frame.loc["kane-os-median", "Link"] == "https://doi.org/10.2967/jnumed.117.202150"
    fully_recalled = next(b for b in load_benchmarks() if b.citation_confidence == "recalled")
    row = table_frame([fully_recalled]).iloc[0]
    assert row["Link"] is None and "recalled" in row["Citation"]


def test_forest_groups_separate_clocks_and_landmarks(registry, default_db):
    os_rows = [b for b in registry if b.endpoint is BenchmarkEndpoint.OS]
    groups = forest_groups(os_rows)
    keys = [(g.measure.statistic, g.measure.origin, g.measure.landmark_months) for g in groups]
    assert len(keys) == len(set(keys))
    assert groups[0].measure.statistic is Statistic.MEDIAN
    assert groups[0].measure.origin is Origin.INDEX
    plotted = {b.id for g in groups for b in g.benchmarks}
    assert "ho-os-mean" not in plotted and "netter1-os-hr-final" not in plotted
    assert "netter1-lu177-os-median-2016" not in plotted  # not reached
    own = cohort_measure(PGEP, groups[0].measure, default_db)
    frame = forest_frame(groups[0], own, "this view")
    assert frame["label"].iloc[0] == "this view"
    assert frame["label"].is_unique
    assert all(lab.startswith("(n=") for lab in frame["label"].iloc[1:])  # never cut off
    assert frame["value"].iloc[0] == pytest.approx(own.value)


# --------------------------------------------------------------------------------------------
# User-added benchmarks
# --------------------------------------------------------------------------------------------

USER_FIELDS = {
    "study": "Local audit (Smith 2020)",
    "arm": "131I-MIBG",
    "therapy_class": "mibg",
    "design": "retrospective",
    "n": "40",
    "endpoint": "os",
    "time_origin": "treatment_start",
    "statistic": "median",
    "value": "31.5",
    "ci_lower": "24",
    "ci_upper": "40",
    "unit": "months",
    "citation": "https://doi.org/10.1000/xyz123",
}


def test_user_benchmark_round_trip(db_copy):
    assert user_benchmarks(db_copy) == []  # none added yet
    bench, errors = add_user_benchmark(USER_FIELDS, db_copy)
    assert errors == [] and bench.user_added
    assert bench.citation == "DOI 10.1000/xyz123" and bench.value == 31.5 and bench.n == 40
    again, _ = add_user_benchmark(USER_FIELDS, db_copy)
    assert again.id == f"{bench.id}-2"
    # DuckDB's in-process instance cache keeps serving the replaced file to a new read-only
    # connection while the old one is open; drop the readers as pages._data.clear() does
    close_all()
    stored = user_benchmarks(db_copy)
    assert [b.id for b in stored] == [bench.id, again.id]
    assert stored[0] == bench
    pool = all_benchmarks(db_copy)
    assert len(pool) == len(load_benchmarks()) + 2
    assert table_frame(stored)["Added"].tolist() == ["user-added", "user-added"]


def test_user_benchmarks_is_declared_in_the_schema_and_built_with_the_database(db_copy):
    assert TABLES["user_benchmarks"] == (*COLUMNS, "added_at")
    assert comparison_sql.user_benchmarks_exist(db_copy)


def test_a_database_built_before_the_table_reads_none_and_creates_it_on_write(db_copy):
    con = duckdb.connect(str(db_copy))
    con.execute("DROP TABLE user_benchmarks")
    con.close()
    close_all()
    assert not comparison_sql.user_benchmarks_exist(db_copy) and user_benchmarks(db_copy) == []
    bench, errors = add_user_benchmark(USER_FIELDS, db_copy)
    close_all()
    assert errors == [] and [b.id for b in user_benchmarks(db_copy)] == [bench.id]


def test_invalid_user_benchmark_is_not_written(db_copy):
    bench, errors = add_user_benchmark({**USER_FIELDS, "citation": "Smith et al."}, db_copy)
    assert bench is None and any("PMID" in e for e in errors)
    assert user_benchmarks(db_copy) == []


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_benchmarks_lists_filtered_rows_with_ids(default_db, capsys):
    code, out, _ = _cli(
        capsys,
        "benchmarks",
        "--db",
        str(default_db),
        "--therapy",
        "mibg",
        "--endpoint",
        "os",
        "--json",
    )
    rows = json.loads(out)
    assert code == 0 and rows
    assert all(r["therapy_class"] == "mibg" and r["endpoint"] == "os" for r in rows)
    assert "kane-os-median" in {r["id"] for r in rows}


def test_cli_compare_json_shape(default_db, capsys):
    code, out, _ = _cli(
        capsys,
        "compare",
        "--db",
        str(default_db),
        "--cohort",
        "pgep-mibg-211",
        "--benchmark",
        "netter1-ctrl-pfs-median",
        "--json",
    )
    data = json.loads(out)
    assert code == 0
    assert set(data) == {
        "benchmark",
        "cohort_value",
        "cohort_ci",
        "benchmark_value",
        "test",
        "warnings",
        "cohort",
        "test_withheld",
        "notices",
        "disclosure",
    }
    # synthetic cohort: exempt, and so labelled; every count shown
    assert data["disclosure"] == {"mode": "protected", "threshold": None, "real_data": False}
    assert data["test_withheld"] is None and data["cohort"]["n"].isdigit()
    assert set(data["test"]) == {"method", "observed", "expected", "ratio", "ratio_ci", "p"}
    assert {"ascertainment", "origin-mismatch"} <= {w["code"] for w in data["warnings"]}


@pytest.mark.parametrize(
    ("bench_id", "message"),
    [("no-such-row", "no such benchmark"), ("netter1-pfs-hr-primary", "hazard ratio")],
)
def test_cli_compare_exits_2_with_a_clear_message(default_db, capsys, bench_id, message):
    code, out, err = _cli(
        capsys,
        "compare",
        "--db",
        str(default_db),
        "--cohort",
        "pgep-mibg-211",
        "--benchmark",
        bench_id,
        "--json",
    )
    assert code == 2 and out == "" and message in err


# --------------------------------------------------------------------------------------------
# Disclosure: attacks on an imported cohort with small counts (built by code); no count 1..10
# shown or derivable in protected mode, exact figures in exact mode
# --------------------------------------------------------------------------------------------

REAL = Filters(cohorts=("real-60",))
N = 60
DEATHS = 6  # "O = 6 observed events"
IMAGING = ["CR"] * 3 + ["PR"] * 4 + ["SD"] * 48 + ["PD"] * 5  # ORR 7 of 60, DCR 55 of 60
SYMPTOMS = ["improved"] * 30 + ["stable"] * 22 + [None] * 8  # 52 evaluable: 8 without data


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    frames = generate_pgep(n=N, seed=5)
    p = frames.patients
    p["os_event"] = np.array([1] * DEATHS + [0] * (N - DEATHS))
    p["imaging_response"] = np.array(IMAGING, dtype=object)
    p["symptomatic_response"] = np.array(SYMPTOMS, dtype=object)
    path = tmp_path_factory.mktemp("cmp") / "c.duckdb"
    meta = {
        "cohort_id": "real-60",
        "title": "real",
        "provenance": "imported",
        "description": "",
        "citation": "",
    }
    _write(path, lambda con: insert_cohort(con, meta, frames))
    yield path
    close_all()


SMALL = r"(?<![\d.])(10|[1-9])(?![\d.%])"
LEAKS = [
    re.compile(rf"\bO = {SMALL}"),
    re.compile(rf"{SMALL} of \d+"),
    re.compile(rf"\bn ?= ?{SMALL}"),
    re.compile(r"\b(52|53|55) (of|evaluable)"),
]


def _leaks(text: str) -> list[str]:
    return [m.group(0) for rx in LEAKS for m in rx.finditer(text)]


def _small_counts(obj, key="") -> list[str]:
    """Integers 1..10 under a count-like key anywhere in a JSON object."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _small_counts(v, k)
    elif isinstance(obj, list):
        for v in obj:
            out += _small_counts(v, key)
    elif key in {"observed", "n", "count", "x"} and str(obj).isdigit() and 0 < int(obj) < 11:
        out.append(f"{key}={obj}")
    return out


def test_attack_observed_events_under_the_threshold(real_db, by_id):
    vc = compare(REAL, by_id["kane-os-median"], path=real_db)
    exact = compare(REAL, by_id["kane-os-median"], path=real_db, mode=Mode.EXACT)
    assert exact.comparison.test.observed == DEATHS  # the attack target exists
    assert vc.disclosure.active and vc.comparison.test is None and vc.withheld
    text = vc.test_text() + vc.cohort.description + vc.cohort.count_text
    assert _leaks(text) == [] and "6" not in vc.cohort.count_text
    data = vc.json()
    assert _small_counts(data) == []
    assert data["disclosure"]["mode"] == "protected" and data["test"] is None


def test_attack_responders_of_evaluable(real_db, by_id):
    for bid in ("kane-orr", "kane-dcr"):  # 7 of 60; 55 of 60 (5 without a response)
        vc = compare(REAL, by_id[bid], path=real_db)
        assert vc.comparison.test is None and vc.comparison.cohort_value is None
        assert vc.cohort.value is None and vc.cohort.lower is None and vc.cohort.count is None
        blob = vc.test_text() + vc.cohort.text("%") + json.dumps(vc.json())
        assert _leaks(blob) == [] and _small_counts(vc.json()) == []
        assert "11.7" not in blob and "91.7" not in blob  # the rates give the counts back


def test_attack_evaluable_n_against_the_selection(real_db, by_id):
    """52 evaluable of a shown 60: the 8 without data follow, so n and the rate are withheld."""
    vc = compare(REAL, by_id["kane-symptomatic-response"], path=real_db)
    assert vc.cohort.n is None and "52" not in vc.cohort.n_text
    blob = vc.test_text() + vc.cohort.description + json.dumps(vc.json())
    assert "52" not in blob and vc.comparison.test is None and vc.cohort.value is None


def test_attack_landmark_survival_gives_back_the_deaths(real_db, by_id):
    """S(60 months) with CI over 60 patients and 6 deaths narrows the deaths to a few values."""
    m = measure_of(by_id["kane-os-rate-60m"])
    exact = cohort_measure(REAL, m, real_db, mode=Mode.EXACT)
    assert exact.value is not None and exact.value < 100  # the attack target exists
    own = cohort_measure(REAL, m, real_db)
    assert own.value is None and own.lower is None and own.withheld
    vc = compare(REAL, by_id["kane-os-rate-60m"], path=real_db)
    assert vc.comparison.cohort_value is None and vc.comparison.test is None


def test_attack_forest_label_and_caption_counts(real_db, by_id):
    own = cohort_measure(REAL, measure_of(by_id["kane-symptomatic-response"]), real_db)
    label = cohort_label(REAL, own, "%")
    assert "52" not in label and "52" not in own.description


def test_protected_statistics_equal_exact_where_shown(real_db, by_id):
    b = by_id["kane-sd"]  # 48 of 60 SD: 12 others, both shown
    p, e = (compare(REAL, b, path=real_db, mode=m) for m in (Mode.PROTECTED, Mode.EXACT))
    assert p.comparison.test == e.comparison.test and (p.cohort.n, p.cohort.count) == (60, 48)
    assert e.disclosure.exact and not e.disclosure.active


def test_exact_mode_shows_every_count(real_db, by_id):
    vc = compare(REAL, by_id["kane-orr"], path=real_db, mode=Mode.EXACT)
    assert (vc.comparison.test.x, vc.comparison.test.n) == (7, 60)
    assert "7 of 60" in vc.test_text() and vc.json()["disclosure"]["mode"] == "exact"


def test_protected_median_is_shown_to_whole_months(real_db, by_id):
    m = measure_of(by_id["netter1-ctrl-pfs-median"])  # imaging PFS: a median is reached
    p = cohort_measure(REAL, m, real_db)
    e = cohort_measure(REAL, m, real_db, mode=Mode.EXACT)
    assert p.value is not None and p.lower is not None
    assert e.value != round(e.value)  # else the test proves nothing
    for shown, exact in ((p.value, e.value), (p.lower, e.lower), (p.upper, e.upper)):
        if exact is not None:
            assert shown == pytest.approx(round(exact)) and shown == round(shown)
    vc = compare(REAL, by_id["netter1-ctrl-pfs-median"], path=real_db)
    assert vc.comparison.cohort_value == p.value


def test_refused_selection_shows_nothing(real_db, by_id):
    # an age bound moves to a band of at least 11; a lone small site cannot move: refused
    from core.data.queries import value_counts

    sites = value_counts(Filters(cohorts=("real-60",)), "primary_site", real_db)
    small = [s for s, k in sites.items() if s is not None and 0 < k < 11]
    assert small
    f = Filters(cohorts=("real-60",), primary_site=(small[0],))
    vc = compare(f, by_id["kane-os-median"], path=real_db)
    assert vc.refusal and vc.comparison is None and vc.test_text() == vc.refusal
    assert set(vc.json()) == {"refusal", "notices", "disclosure"}


@pytest.mark.parametrize("bid", ["kane-os-median", "kane-orr", "kane-symptomatic-response"])
def test_attack_cli_compare_text_and_json(real_db, capsys, bid):
    base = ("compare", "--db", str(real_db), "--cohort", "real-60", "--benchmark", bid)
    code, out, _ = _cli(capsys, *base)
    assert code == 0 and _leaks(out) == [], out
    code, out, _ = _cli(capsys, *base, "--json")
    data = json.loads(out)
    assert code == 0 and _small_counts(data) == [] and data["disclosure"]["threshold"] == 11
    code, out, _ = _cli(capsys, *base, "--json", "--disclosure", "exact")
    assert json.loads(out)["disclosure"]["mode"] == "exact"
