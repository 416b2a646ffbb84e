"""Tests for core/benchmarks.py: the literature registry, comparability warnings, benchmark
curves and the one-sample tests of a cohort against a published figure.

Reference values were frozen from R 4.2.2 (stats) with survival 3.5.3 on this project's
development machine; the R call behind each table is in the docstring of the test using it.
Tolerances are stated next to each comparison and must not be loosened.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from core.literature.registry import (
    COLUMNS,
    REGISTRY_PATH,
    TIME_TO_EVENT,
    WEIBULL_SHAPE_RANGE,
    Benchmark,
    BenchmarkEndpoint,
    CohortView,
    Comparison,
    CurveKind,
    LineOfTherapy,
    OneSampleTest,
    RateTest,
    Severity,
    Statistic,
    TestMethod,
    TimeOrigin,
    WarningCategory,
    WarningCode,
    benchmark_warnings,
    binomial_test,
    comparability,
    compare_rate,
    compare_time_to_event,
    curve_for_benchmark,
    exponential_from_median,
    exponential_from_point,
    find_landmark_partner,
    load_benchmarks,
    load_registry,
    normalise_citation,
    one_sample_logrank,
    overlapping,
    parse_citation,
    poisson_ratio_ci,
    validate_registry,
    validate_user_benchmark,
    weibull_from_two_points,
)
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin
from core.vocab.schema import BENCHMARK_COLUMNS, TABLES

PMID_OR_DOI = re.compile(r"^(PMID \d{1,9}|DOI 10\.\d{4,9}/\S+)$")


@pytest.fixture(scope="module")
def raw_registry() -> pd.DataFrame:
    return pd.read_csv(REGISTRY_PATH, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def registry() -> list[Benchmark]:
    return load_benchmarks()


@pytest.fixture(scope="module")
def by_id(registry) -> dict[str, Benchmark]:
    return {b.id: b for b in registry}


def codes(warnings) -> set[WarningCode]:
    return {w.code for w in warnings}


# --------------------------------------------------------------------------------------------
# The registry file
# --------------------------------------------------------------------------------------------


def test_registry_has_exactly_the_agreed_columns(raw_registry):
    assert tuple(raw_registry.columns) == COLUMNS


def test_the_schema_declares_the_registry_columns_for_user_added_figures():
    assert COLUMNS == BENCHMARK_COLUMNS
    assert TABLES["user_benchmarks"] == (*BENCHMARK_COLUMNS, "added_at")


def test_registry_passes_validation(raw_registry):
    assert validate_registry(raw_registry) == []


def test_registry_ids_are_unique(raw_registry):
    assert raw_registry["id"].is_unique


def test_every_row_cites_a_pmid_or_doi(raw_registry):
    for ident, citation in zip(raw_registry["id"], raw_registry["citation"], strict=True):
        parts = [p.strip() for p in citation.split(";")]
        assert parts and all(PMID_OR_DOI.match(p) for p in parts), (ident, citation)


def test_every_row_names_where_the_figure_was_read(raw_registry):
    assert (raw_registry["source"].str.strip() != "").all()


@pytest.mark.parametrize(
    "study_pattern",
    [
        r"^NETTER-1 \(",
        r"^NETTER-1 final OS",
        r"^NETTER-2",
        r"^PROMID",
        r"^CLARINET",
        r"^RADIANT-3",
        r"^RADIANT-4",
        r"^Sunitinib",
        r"Kwekkeboom 2008",
        r"Kane 2018",
        r"Safford 2004",
    ],
)
def test_required_studies_are_present(registry, study_pattern):
    assert any(re.search(study_pattern, b.study) for b in registry), study_pattern


@pytest.mark.parametrize(
    ("study_pattern", "endpoint", "statistic"),
    [
        (r"^NETTER-1 \(", BenchmarkEndpoint.PFS, Statistic.MEDIAN),
        (r"^NETTER-1 \(", BenchmarkEndpoint.ORR, Statistic.RATE),
        (r"^NETTER-1 final OS", BenchmarkEndpoint.OS, Statistic.MEDIAN),
        (r"^NETTER-2", BenchmarkEndpoint.PFS, Statistic.MEDIAN),
        (r"^PROMID", BenchmarkEndpoint.TTP, Statistic.MEDIAN),
        (r"^CLARINET", BenchmarkEndpoint.PFS, Statistic.RATE),
        (r"^RADIANT-3", BenchmarkEndpoint.PFS, Statistic.MEDIAN),
        (r"^RADIANT-4", BenchmarkEndpoint.PFS, Statistic.MEDIAN),
        (r"^Sunitinib", BenchmarkEndpoint.PFS, Statistic.MEDIAN),
        (r"Kwekkeboom", BenchmarkEndpoint.ORR, Statistic.RATE),
    ],
)
def test_required_figures_are_present(registry, study_pattern, endpoint, statistic):
    assert any(
        re.search(study_pattern, b.study) and b.endpoint is endpoint and b.statistic is statistic
        for b in registry
    )


def test_several_independent_mibg_series_are_present(registry):
    mibg_studies = {b.study for b in registry if b.therapy_class.value == "mibg"}
    assert len(mibg_studies) >= 8


def test_not_reached_medians_have_no_value(registry):
    nr = [b for b in registry if b.value_not_reached]
    assert {b.id for b in nr} >= {
        "netter1-lu177-pfs-median",
        "clarinet-lan-pfs-median",
        "netter1-lu177-os-median-2016",
    }
    for b in nr:
        assert b.value is None and b.statistic is Statistic.MEDIAN and b.ci_upper is None


def test_not_reached_medians_load_as_nan_not_numbers():
    df = load_registry()
    nr = df[df["value_not_reached"]]
    assert len(nr) >= 3
    assert nr["value"].isna().all()
    assert df.loc[~df["value_not_reached"], "value"].notna().all()


def test_both_netter1_hazard_ratios_are_present_and_labelled_by_data_cut(registry):
    hrs = {
        b.value: b
        for b in registry
        if b.study.startswith("NETTER-1 (")
        and b.statistic is Statistic.HR
        and b.endpoint is BenchmarkEndpoint.PFS
    }
    assert set(hrs) == {0.21, 0.18}
    assert (hrs[0.21].ci_lower, hrs[0.21].ci_upper) == (0.13, 0.33)
    assert (hrs[0.18].ci_lower, hrs[0.18].ci_upper) == (0.11, 0.29)
    for b in hrs.values():
        assert "data cut" in b.arm and "data cut" in b.note.lower()
    assert hrs[0.21].arm != hrs[0.18].arm


def test_duke_2004_and_2018_series_are_flagged_as_overlapping(registry, by_id):
    duke = [b for b in registry if "Safford 2004" in b.study or "Kane 2018" in b.study]
    assert len(duke) > 10
    for b in duke:
        assert "never pool" in b.note, b.id
    assert overlapping(by_id["safford-os-median"], by_id["kane-os-median"])
    assert not overlapping(by_id["kane-os-median"], by_id["kane-pfs-median"])
    assert not overlapping(by_id["kane-os-median"], by_id["kwekkeboom-os-median"])


def test_the_mean_survival_series_is_marked_as_mean(registry):
    means = [b for b in registry if b.statistic is Statistic.MEAN]
    assert [b.id for b in means] == ["ho-os-mean"]
    assert means[0].value == 41.8


@pytest.mark.parametrize(
    ("ident", "value", "n"),
    [
        # seed 002 (Kane 2018 manuscript): years converted x12 (= 365.25 / 30.4375)
        ("kane-os-median", 29.0, 211),
        ("kane-pfs-median", 1.7 * 12, 143),
        ("kane-pfs-symptomatic-median", 1.4 * 12, 158),
        ("kane-pfs-biochemical-median", 2.5 * 12, 62),
        ("kane-symptomatic-response", 71.0, 158),
        ("kane-cr", 2.0, 125),
        ("kane-pr", 18.0, 125),
        ("kane-sd", 60.0, 125),
        ("kane-pd", 20.0, 125),
        ("kane-orr", 20.0, 125),
        ("kane-biochem-response", 34.0, 62),
        ("kane-biochem-stable", 48.0, 62),
        ("kane-biochem-progression", 18.0, 62),
    ],
)
def test_seed_002_figures_are_carried_over(by_id, ident, value, n):
    b = by_id[ident]
    assert b.value == pytest.approx(value, abs=1e-9)
    assert b.n == n
    assert b.citation == "DOI 10.2967/jnumed.117.202150"


def test_seed_002_time_to_event_figures_are_from_first_treatment(by_id):
    for ident in ("kane-os-median", "kane-pfs-median", "kane-pfs-symptomatic-median"):
        assert by_id[ident].time_origin is TimeOrigin.TREATMENT_START


def test_imaging_response_categories_of_seed_002_sum_to_100(by_id):
    total = sum(by_id[f"kane-{c}"].value for c in ("cr", "pr", "sd", "pd"))
    assert total == 100.0


def test_responder_split_rows_are_detected_and_baseline_splits_are_not(by_id):
    assert by_id["kane-symp-responders-os-median"].is_post_baseline_subgroup
    assert by_id["kane-imaging-progression-os-median"].is_post_baseline_subgroup
    assert by_id["kane-multiple-treatments-os-median"].is_post_baseline_subgroup
    assert by_id["navalkissoor-symp-responders-os-median"].is_post_baseline_subgroup
    assert not by_id["safford-dose-high-os-median"].is_post_baseline_subgroup
    assert not by_id["kane-os-median"].is_post_baseline_subgroup


def test_load_registry_types():
    df = load_registry()
    assert str(df["n"].dtype) == "Int64"
    assert str(df["progression_required"].dtype) == "boolean"
    assert df["value"].dtype == float
    assert not df["user_added"].any()


def test_recalled_pmids_are_not_linked(by_id):
    b = by_id["netter1-ctrl-pfs-median"]  # DOI verified, PMID recalled
    assert b.links() == ["https://doi.org/10.1056/NEJMoa1607427"]
    assert b.links(verified_only=False) == [
        "https://pubmed.ncbi.nlm.nih.gov/28076709/",
        "https://doi.org/10.1056/NEJMoa1607427",
    ]


# --------------------------------------------------------------------------------------------
# Row validation
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_row(raw_registry) -> dict[str, str]:
    row = raw_registry.set_index("id").loc["netter1-ctrl-pfs-median"].to_dict()
    row["id"] = "netter1-ctrl-pfs-median"
    return row


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"citation": ""}, "citation is missing"),
        ({"citation": "Strosberg 2017"}, "is not 'PMID <digits>' or 'DOI 10.xxxx/...'"),
        ({"citation": "PMID 1; PMID 2", "citation_confidence": "verified"}, "more than one"),
        ({"citation_confidence": "DOI verified"}, "no status for PMID"),
        ({"endpoint": "survival"}, "unknown endpoint code 'survival'"),
        ({"time_origin": "surgery"}, "unknown time_origin code 'surgery'"),
        ({"therapy_class": "radiation"}, "unknown therapy_class code 'radiation'"),
        ({"population_sites": "midgut;colon"}, "unknown population_sites code 'colon'"),
        ({"population_grades": "G4"}, "unknown population_grades code 'G4'"),
        ({"ci_lower": "9.0", "ci_upper": "12.0"}, "CI lower limit 9 is above the value 8.4"),
        ({"ci_lower": "5.0", "ci_upper": "8.0"}, "CI upper limit 8 is below the value 8.4"),
        ({"value_not_reached": "true"}, "must have no value"),
        ({"value": ""}, "value is missing"),
        ({"unit": "%"}, "does not fit statistic 'median'"),
        ({"statistic": "rate", "unit": "%"}, "needs landmark_months"),
        ({"landmark_months": "12"}, "landmark_months applies only to rates"),
        ({"endpoint": "orr"}, "statistic must be 'rate'"),
        ({"value": "-3"}, "outside (0, 600]"),
        ({"progression_required": "maybe"}, "must be true, false or unknown"),
        ({"n": "12.5"}, "positive whole number"),
        ({"id": "NETTER 1"}, "lower-case slug"),
        ({"source": ""}, "source is missing"),
    ],
)
def test_validation_reports_each_problem(good_row, changes, expected):
    df = pd.DataFrame([{**good_row, **changes}])
    problems = validate_registry(df)
    assert any(expected in p for p in problems), problems


def test_validation_of_an_unchanged_row_is_clean(good_row):
    assert validate_registry(pd.DataFrame([good_row])) == []


def test_validation_reports_duplicate_ids(good_row):
    problems = validate_registry(pd.DataFrame([good_row, good_row]))
    assert any("duplicate id" in p for p in problems)


def test_validation_reports_missing_columns(good_row):
    df = pd.DataFrame([good_row]).drop(columns=["citation"])
    assert validate_registry(df) == ["missing column(s): citation"]


def test_rate_value_above_100_percent_is_rejected(good_row):
    row = {**good_row, "statistic": "rate", "unit": "%", "landmark_months": "20", "value": "108"}
    assert any("outside [0, 100]" in p for p in validate_registry(pd.DataFrame([row])))


# --------------------------------------------------------------------------------------------
# Citations and user-added figures
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("28076709", "PMID 28076709"),
        ("PMID: 28076709", "PMID 28076709"),
        ("pmid 28076709", "PMID 28076709"),
        ("https://pubmed.ncbi.nlm.nih.gov/28076709/", "PMID 28076709"),
        ("10.1056/NEJMoa1607427", "DOI 10.1056/NEJMoa1607427"),
        ("doi:10.1056/NEJMoa1607427", "DOI 10.1056/NEJMoa1607427"),
        ("https://doi.org/10.1056/NEJMoa1607427", "DOI 10.1056/NEJMoa1607427"),
        ("DOI 10.1016/S1470-2045(21)00572-6.", "DOI 10.1016/S1470-2045(21)00572-6"),
        (
            "10.1056/NEJMoa1607427; PMID 28076709",
            "PMID 28076709; DOI 10.1056/NEJMoa1607427",
        ),
    ],
)
def test_normalise_citation(typed, normalised):
    assert normalise_citation(typed) == normalised
    assert [k for k, _ in parse_citation(normalised)] == [
        p.split()[0] for p in normalised.split("; ")
    ]


@pytest.mark.parametrize(
    "typed", ["", "Strosberg et al. NEJM 2017", "11.1056/x", "PMID 1; PMID 2", "doi:10.12/x"]
)
def test_normalise_citation_rejects_non_identifiers(typed):
    with pytest.raises(ValueError):
        normalise_citation(typed)


USER_FIELDS = {
    "study": "Example MIBG series (Doe 2020)",
    "arm": "131I-MIBG",
    "therapy_class": "mibg",
    "agent": "131I-MIBG",
    "n": "40",
    "design": "retrospective",
    "endpoint": "os",
    "time_origin": "treatment_start",
    "statistic": "median",
    "value": "31",
    "unit": "months",
    "citation": "doi:10.1000/example.123",
}


def test_valid_user_benchmark_is_normalised_and_marked():
    bench, errors = validate_user_benchmark(USER_FIELDS)
    assert errors == []
    assert bench is not None
    assert bench.user_added is True
    assert bench.citation == "DOI 10.1000/example.123"
    assert bench.citation_confidence == "unchecked"
    assert bench.id.startswith("user-")
    assert bench.value == 31.0 and bench.n == 40
    assert WarningCode.USER_ADDED in codes(benchmark_warnings(bench))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"citation": ""}, "a citation is required"),
        ({"citation": "Doe J, personal communication"}, "is not a PMID"),
        ({"value": "150", "statistic": "rate", "endpoint": "orr", "unit": "%"}, "outside [0, 100]"),
        ({"endpoint": "orr", "statistic": "rate", "unit": "months"}, "does not fit statistic"),
        ({"endpoint": "orr"}, "statistic must be 'rate'"),
        ({"value": "0"}, "outside (0, 600]"),
        ({"colour": "red"}, "unknown field(s): colour"),
    ],
)
def test_invalid_user_benchmarks_are_refused(changes, expected):
    bench, errors = validate_user_benchmark({**USER_FIELDS, **changes})
    assert bench is None
    assert any(expected in e for e in errors), errors


# --------------------------------------------------------------------------------------------
# Benchmark curves
# --------------------------------------------------------------------------------------------


def test_exponential_from_median_halves_at_the_median():
    curve = exponential_from_median(29.0)
    assert curve.kind is CurveKind.EXPONENTIAL
    assert curve.param("rate") == pytest.approx(math.log(2) / 29.0, rel=1e-15)
    assert curve.survival(29.0) == pytest.approx(0.5, abs=1e-15)
    assert curve.median() == pytest.approx(29.0, rel=1e-14)
    assert "median 29 months" in curve.construction


def test_exponential_from_point_passes_through_it():
    curve = exponential_from_point(60.0, 0.27)
    assert curve.survival(60.0) == pytest.approx(0.27, abs=1e-15)
    assert curve.cumhaz(0.0) == 0.0 and curve.cumhaz(-5.0) == 0.0


def test_weibull_survival_matches_r_pweibull():
    """R: pweibull(c(5, 20, 60), shape = 1.3447, scale = 12, lower.tail = FALSE)."""
    curve = weibull_from_two_points((12.0, math.exp(-1.0)), (24.0, math.exp(-(2.0**1.3447))))
    assert curve.param("shape") == pytest.approx(1.3447, rel=1e-12)
    assert curve.param("scale") == pytest.approx(12.0, rel=1e-12)
    got = curve.survival(np.array([5.0, 20.0, 60.0]))
    want = [0.734821891828841, 0.137029516462552, 0.000165303032416789]
    np.testing.assert_allclose(got, want, rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    t1=st.floats(0.5, 100.0),
    gap=st.floats(0.5, 100.0),
    s1=st.floats(0.02, 0.98),
    drop=st.floats(0.01, 0.95),
)
def test_weibull_through_two_points_reproduces_both(t1, gap, s1, drop):
    """Any falling pair of points is reproduced to relative 1e-9, unless the implied shape
    (computed here from the log-log line) is outside WEIBULL_SHAPE_RANGE, which is refused."""
    t2 = t1 + gap
    s2 = s1 * (1.0 - drop)
    implied = math.log(math.log(s2) / math.log(s1)) / math.log(t2 / t1)
    if not WEIBULL_SHAPE_RANGE[0] <= implied <= WEIBULL_SHAPE_RANGE[1]:
        with pytest.raises(ValueError, match="shape"):
            weibull_from_two_points((t1, s1), (t2, s2))
        return
    curve = weibull_from_two_points((t1, s1), (t2, s2))
    assert curve.survival(t1) == pytest.approx(s1, rel=1e-9)
    assert curve.survival(t2) == pytest.approx(s2, rel=1e-9)
    assert curve.param("shape") == pytest.approx(implied, rel=1e-9)


@pytest.mark.parametrize(
    ("p1", "p2"),
    [
        ((10.0, 0.5), (10.0, 0.3)),  # same time
        ((10.0, 0.5), (20.0, 0.6)),  # survival rising
        ((10.0, 0.0), (20.0, 0.3)),  # survival 0
        ((10.0, 0.5), (20.0, 1.0)),  # survival 1
        ((0.0, 0.5), (20.0, 0.3)),  # time 0
    ],
)
def test_weibull_rejects_impossible_points(p1, p2):
    with pytest.raises(ValueError):
        weibull_from_two_points(p1, p2)


def test_netter1_control_curve_uses_median_and_20_month_rate(registry, by_id):
    median = by_id["netter1-ctrl-pfs-median"]
    landmark = find_landmark_partner(median, registry)
    assert landmark is not None and landmark.id == "netter1-ctrl-pfs-rate-20m"
    curve = curve_for_benchmark(median, landmark)
    assert curve.kind is CurveKind.WEIBULL
    assert curve.survival(8.4) == pytest.approx(0.5, rel=1e-12)
    assert curve.survival(20.0) == pytest.approx(0.108, rel=1e-12)


@pytest.mark.parametrize(
    "ident",
    ["netter1-lu177-pfs-median", "ho-os-mean", "netter1-pfs-hr-primary", "kane-orr"],
)
def test_no_curve_from_not_reached_mean_hr_or_response(by_id, ident):
    with pytest.raises(ValueError):
        curve_for_benchmark(by_id[ident])


# --------------------------------------------------------------------------------------------
# One-sample log-rank test
# --------------------------------------------------------------------------------------------

# (O, E, R poisson.test(O, E)$conf.int[1], [2], poisson.test(O, E)$p.value,
#  pchisq((O - E)^2 / E, 1, lower.tail = FALSE))
POISSON_R = [
    (0, 2.5, 0.0, 1.47555178164557, 0.190906979709748, 0.113846298006658),
    (3, 7.2, 0.0859266837355002, 1.21767681524199, 0.134822951657176, 0.117524868096639),
    (12, 12.0, 0.516714592393518, 1.74679875401475, 1.0, 1.0),
    (25, 18.37, 0.880712131073997, 2.0089783177752, 0.12761706775472, 0.121890186602114),
    (40, 55.6, 0.513967382046564, 0.979651923812663, 0.0372006343241888, 0.0364275191033139),
    (100, 80.25, 1.01388151091493, 1.51559867654114, 0.0335994141657603, 0.0274769079411005),
    (7, 1.3, 2.16489465501528, 11.094365662848, 0.000403578586805707, 5.75594985195439e-07),
    (1, 9.75, 0.00259669825479896, 0.571450604198861, 0.00113249405076841, 0.00507486809794025),
]


@pytest.mark.parametrize(("o", "e", "lo", "hi", "p_exact", "p_chisq"), POISSON_R)
def test_one_sample_logrank_matches_r_poisson_test(o, e, lo, hi, p_exact, p_chisq):
    """Frozen from R 4.2.2: ``poisson.test(O, E)`` (conf.int, p.value) and
    ``pchisq((O - E)^2 / E, 1, lower.tail = FALSE)``.

    The cohort is built so that E is exact: n patients each followed E/n time units under a
    unit-hazard exponential curve (H(t) = t), the first O of them with an event.
    Tolerances: CI and p relative 1e-9.
    """
    n = max(o, 1) + 3
    time = np.full(n, e / n)
    event = np.zeros(n, dtype=int)
    event[:o] = 1
    unit_hazard = exponential_from_median(math.log(2.0))
    result = one_sample_logrank(time, event, unit_hazard)
    assert isinstance(result, OneSampleTest)
    assert result.method is TestMethod.ONE_SAMPLE_LOGRANK
    assert result.observed == o
    assert result.expected == pytest.approx(e, rel=1e-12)
    assert result.ratio == pytest.approx(o / e, rel=1e-12)
    assert result.ratio_lower == pytest.approx(lo, rel=1e-9, abs=1e-300)
    assert result.ratio_upper == pytest.approx(hi, rel=1e-9)
    assert result.p_exact == pytest.approx(p_exact, rel=1e-9)
    assert result.p == pytest.approx(p_chisq, rel=1e-9)
    assert result.statistic == pytest.approx((o - e) ** 2 / e, rel=1e-12)
    assert poisson_ratio_ci(o, e) == pytest.approx((lo, hi), rel=1e-9)


def test_one_sample_logrank_on_r_lung_data_against_exponential(r_dataset):
    """R 4.2.2 on survival::lung (tests/data/r_datasets/lung.csv):

        O <- sum(lung$status == 2); rate <- log(2) / 300
        E <- sum(-pexp(lung$time, rate, lower.tail = FALSE, log.p = TRUE))
        poisson.test(O, E); pchisq((O - E)^2 / E, 1, lower.tail = FALSE)

    gave O = 165, E = 160.793972455694, CI 0.875554691890281-1.19523000567503,
    exact p 0.7226229969159, chi-square p 0.74012055411424. Tolerance relative 1e-9.
    """
    lung = r_dataset("lung")
    result = one_sample_logrank(
        lung["time"].to_numpy(), (lung["status"] == 2).to_numpy(), exponential_from_median(300)
    )
    assert result.observed == 165
    assert result.expected == pytest.approx(160.793972455694, rel=1e-9)
    assert result.ratio_lower == pytest.approx(0.875554691890281, rel=1e-9)
    assert result.ratio_upper == pytest.approx(1.19523000567503, rel=1e-9)
    assert result.p_exact == pytest.approx(0.7226229969159, rel=1e-9)
    assert result.p == pytest.approx(0.74012055411424, rel=1e-9)


def test_one_sample_logrank_with_delayed_entry_against_weibull(r_dataset):
    """R 4.2.2 on survival::lung with delayed entry ``entry <- pmin(30, lung$time / 2)``:

        H <- function(t) -pweibull(t, shape = 1.3, scale = 400, lower.tail = FALSE, log.p = TRUE)
        E <- sum(H(lung$time) - H(entry)); poisson.test(165, E)

    gave E = 166.987311604416, CI 0.843081523132542-1.1509005011471, exact p
    0.938286325941155, chi-square p 0.877776398026133. Tolerance relative 1e-9.
    """
    lung = r_dataset("lung")
    time = lung["time"].to_numpy(dtype=float)
    entry = np.minimum(30.0, time / 2.0)
    curve = weibull_from_two_points(
        (400.0, math.exp(-1.0)), (800.0, math.exp(-(2.0**1.3)))
    )  # shape 1.3, scale 400
    result = one_sample_logrank(time, (lung["status"] == 2).to_numpy(), curve, entry=entry)
    assert result.expected == pytest.approx(166.987311604416, rel=1e-9)
    assert result.ratio_lower == pytest.approx(0.843081523132542, rel=1e-9)
    assert result.ratio_upper == pytest.approx(1.1509005011471, rel=1e-9)
    assert result.p_exact == pytest.approx(0.938286325941155, rel=1e-9)
    assert result.p == pytest.approx(0.877776398026133, rel=1e-9)


@pytest.mark.parametrize(
    ("time", "event", "entry"),
    [
        ([1.0, 2.0], [1], None),  # length mismatch
        ([1.0, -2.0], [1, 0], None),  # negative time
        ([1.0, 2.0], [1, 2], None),  # event not 0/1
        ([1.0, 2.0], [1, 0], [0.5, 3.0]),  # entry after exit
        ([], [], None),  # empty
        ([0.0, 0.0], [0, 0], None),  # no follow-up, E = 0
    ],
)
def test_one_sample_logrank_rejects_bad_input(time, event, entry):
    with pytest.raises(ValueError):
        one_sample_logrank(time, event, exponential_from_median(10.0), entry=entry)


def _simulate_pvalues(rng, hazard_ratio: float, replicates: int = 400, n: int = 150):
    """Exponential cohorts with hazard ratio x the benchmark hazard, random exponential
    censoring (about 30% censored under the null) plus administrative censoring at 60 months."""
    curve = exponential_from_median(29.0)  # seed 002's OS median, months
    rate = curve.param("rate")
    ps = np.empty(replicates)
    for i in range(replicates):
        t_event = rng.exponential(1.0 / (rate * hazard_ratio), n)
        t_cens = np.minimum(rng.exponential(1.0 / (0.35 * rate), n), 60.0)
        time = np.minimum(t_event, t_cens)
        event = (t_event <= t_cens).astype(int)
        ps[i] = one_sample_logrank(time, event, curve).p
    return ps


def test_one_sample_logrank_pvalues_are_uniform_under_the_benchmark():
    """400 cohorts of 150 drawn from the benchmark's own hazard (seed 20240601): the
    rejection rate at 0.05 must lie in [0.02, 0.09] and a KS test against U(0, 1) must not
    reject at 0.01."""
    ps = _simulate_pvalues(np.random.default_rng(20240601), hazard_ratio=1.0)
    assert 0.02 <= np.mean(ps < 0.05) <= 0.09
    assert stats.kstest(ps, "uniform").pvalue > 0.01


def test_one_sample_logrank_detects_a_hazard_ratio_of_1_5():
    """400 cohorts of 150 with 1.5 times the benchmark hazard (seed 20240602): more than 80%
    must be rejected at 0.05."""
    ps = _simulate_pvalues(np.random.default_rng(20240602), hazard_ratio=1.5)
    assert np.mean(ps < 0.05) > 0.80


# --------------------------------------------------------------------------------------------
# Exact binomial test
# --------------------------------------------------------------------------------------------

# (x, n, p0, R binom.test(x, n, p0)$p.value, $conf.int[1], $conf.int[2])
BINOM_R = [
    (112, 158, 0.71, 1.0, 0.63138835227631, 0.778314668794434),
    (25, 125, 0.18, 0.560444310213484, 0.133809214653876, 0.280921593095241),
    (0, 20, 0.1, 0.254529978024905, 0.0, 0.168433470983085),
    (20, 20, 0.9, 0.254529978024904, 0.831566529016915, 1.0),
    (13, 62, 0.34, 0.0316297079867409, 0.116638965778102, 0.331820834289895),
    (45, 100, 0.5, 0.368201617326697, 0.350320229239672, 0.552719811226064),
    (3, 86, 0.093, 0.0630627364363126, 0.00725245642830306, 0.0985761639885322),
    (0, 85, 0.0, 1.0, 0.0, 0.0424703399112492),
    (5, 40, 0.0, 0.0, 0.0418596261386167, 0.26803291736172),
    (7, 10, 1.0, 0.0, 0.347547149940003, 0.933260488822266),
    (1, 1000, 0.0005, 0.393545177159938, 2.53174874912941e-05, 0.00555892427982663),
    (150, 211, 0.5, 7.77339169740561e-10, 0.644685690996631, 0.771080806946831),
]


@pytest.mark.parametrize(("x", "n", "p0", "p", "lo", "hi"), BINOM_R)
def test_binomial_test_matches_r_binom_test(x, n, p0, p, lo, hi):
    """Frozen from R 4.2.2: ``binom.test(x, n, p0)`` two-sided p.value and conf.int
    (Clopper-Pearson). Tolerances: p absolute 1e-10; CI relative 1e-9."""
    result = binomial_test(x, n, p0)
    assert isinstance(result, RateTest)
    assert result.method is TestMethod.EXACT_BINOMIAL
    assert result.p == pytest.approx(p, abs=1e-10)
    assert result.ci == pytest.approx((lo, hi), rel=1e-9, abs=1e-300)
    assert result.rate == x / n


@pytest.mark.parametrize(
    ("x", "n", "p0"), [(-1, 10, 0.5), (11, 10, 0.5), (3, 0, 0.5), (3, 10, 1.2)]
)
def test_binomial_test_rejects_bad_input(x, n, p0):
    with pytest.raises(ValueError):
        binomial_test(x, n, p0)


# --------------------------------------------------------------------------------------------
# Comparability warnings
# --------------------------------------------------------------------------------------------

MIBG_PFS_VIEW = CohortView(
    endpoint=Endpoint.PFS_IMAGING,
    time_origin=Origin.INDEX,
    primary_sites=("small_bowel", "unknown", "lung", "pancreas"),
    grades=("G1", "G2", "G3", "GX"),
    line_of_therapy=LineOfTherapy.LATER_LINE,
    agent="i131_mibg",
    route="IV",
)


def test_netter1_control_vs_imaging_pfs_view_warns_on_endpoint_origin_population(by_id):
    warnings = comparability(by_id["netter1-ctrl-pfs-median"], MIBG_PFS_VIEW)
    categories = {w.category for w in warnings}
    assert {WarningCategory.ENDPOINT, WarningCategory.ORIGIN, WarningCategory.POPULATION} <= (
        categories
    )
    found = codes(warnings)
    assert {
        WarningCode.ASCERTAINMENT,
        WarningCode.ORIGIN_MISMATCH,
        WarningCode.SITES,
        WarningCode.GRADES,
        WarningCode.LINE,
        WarningCode.THERAPY,
    } <= found
    sites = next(w for w in warnings if w.code is WarningCode.SITES)
    assert sites.severity is Severity.CAUTION and "lung" in sites.message
    grades = [w for w in warnings if w.code is WarningCode.GRADES]
    assert any("G3" in w.message and w.severity is Severity.CAUTION for w in grades)
    for w in warnings:
        assert w.message.endswith(".") and len(w.message) > 40


def test_os_from_treatment_view_vs_seed_002_median_has_no_endpoint_or_origin_warning(by_id):
    view = CohortView(endpoint=Endpoint.OS, time_origin=Origin.INDEX, agent="i131_mibg")
    warnings = comparability(by_id["kane-os-median"], view)
    assert not [
        w for w in warnings if w.category in (WarningCategory.ENDPOINT, WarningCategory.ORIGIN)
    ]
    assert all(w.severity is not Severity.SERIOUS for w in warnings)


def test_cohort_built_from_seed_002_is_told_it_is_a_consistency_check(by_id):
    view = CohortView(endpoint="os", citation="https://doi.org/10.2967/jnumed.117.202150")
    assert WarningCode.SAME_SOURCE in codes(comparability(by_id["kane-os-median"], view))
    overlap = comparability(by_id["safford-os-median"], view)
    assert WarningCode.OVERLAP in codes(overlap)
    assert WarningCode.OVERLAP not in codes(comparability(by_id["kwekkeboom-os-median"], view))


@pytest.mark.parametrize(
    ("view_endpoint", "bench_id", "code", "severity"),
    [
        ("pfs", "promid-oct-ttp-median", WarningCode.PFS_VS_TTP, Severity.CAUTION),
        ("ttp", "netter1-ctrl-pfs-median", WarningCode.PFS_VS_TTP, Severity.CAUTION),
        ("os", "netter1-ctrl-pfs-median", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
        ("pfs", "kane-os-median", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
        ("pfs_symptomatic", "kane-pfs-median", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
        ("dcr", "netter1-lu177-orr", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
        ("orr", "nwosu-tumour-shrinkage", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
        ("orr", "kane-symptomatic-response", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
        (
            "symptomatic_response",
            "nwosu-symptomatic-response",
            WarningCode.RESPONSE_DEFINITION,
            Severity.CAUTION,
        ),
        ("orr", "bomanji-tumour-response-who", WarningCode.ENDPOINT_MISMATCH, Severity.SERIOUS),
    ],
)
def test_endpoint_warnings(by_id, view_endpoint, bench_id, code, severity):
    view = CohortView(endpoint=view_endpoint, scheduled_assessment=True)
    endpoint_warnings = [
        w for w in comparability(by_id[bench_id], view) if w.category is WarningCategory.ENDPOINT
    ]
    assert [(w.code, w.severity) for w in endpoint_warnings] == [(code, severity)]


def test_orr_vs_dcr_message_explains_stable_disease(by_id):
    view = CohortView(endpoint="dcr", scheduled_assessment=True)
    (w,) = [
        w for w in comparability(by_id["netter1-lu177-orr"], view) if w.category.value == "endpoint"
    ]
    assert "stable disease" in w.message


def test_matching_endpoint_from_a_series_gives_no_endpoint_warning(by_id):
    view = CohortView(endpoint="pfs")
    assert not [
        w
        for w in comparability(by_id["kane-pfs-median"], view)
        if w.category is WarningCategory.ENDPOINT
    ]


@pytest.mark.parametrize(
    ("view_origin", "bench_id", "severity"),
    [
        (Origin.INDEX, "netter1-ctrl-os-median-final", Severity.INFO),  # randomisation
        (Origin.DIAGNOSIS, "kane-os-median", Severity.SERIOUS),
        (Origin.INDEX, "kwekkeboom-os-median-dx", Severity.SERIOUS),
        (Origin.METASTATIC, "kwekkeboom-os-median-dx", Severity.CAUTION),
        (Origin.INDEX, "bomanji-os-median-last", Severity.SERIOUS),
        (Origin.INDEX, "bomanji-os-median-met", Severity.SERIOUS),
    ],
)
def test_origin_mismatch_warnings(by_id, view_origin, bench_id, severity):
    view = CohortView(endpoint=Endpoint.OS, time_origin=view_origin)
    origin = [
        w for w in comparability(by_id[bench_id], view) if w.category is WarningCategory.ORIGIN
    ]
    assert [(w.code, w.severity) for w in origin] == [(WarningCode.ORIGIN_MISMATCH, severity)]


def test_from_diagnosis_warning_quotes_the_size_of_the_difference(by_id):
    view = CohortView(endpoint=Endpoint.OS, time_origin=Origin.DIAGNOSIS)
    (w,) = [
        w for w in comparability(by_id["kane-os-median"], view) if w.code.value == "origin-mismatch"
    ]
    assert "2-4 times longer" in w.message


def test_origin_not_stated_is_flagged_whatever_the_view(by_id):
    assert WarningCode.ORIGIN_NOT_STATED in codes(benchmark_warnings(by_id["azedra-os-median"]))
    assert WarningCode.ORIGIN_NOT_STATED not in codes(benchmark_warnings(by_id["azedra-dcr"]))


@pytest.mark.parametrize(
    ("bench_id", "code", "severity"),
    [
        ("ho-os-mean", WarningCode.MEAN_NOT_MEDIAN, Severity.SERIOUS),
        ("netter1-lu177-pfs-median", WarningCode.NOT_REACHED, Severity.CAUTION),
        ("netter1-pfs-hr-primary", WarningCode.HAZARD_RATIO, Severity.SERIOUS),
        ("kane-symp-responders-os-median", WarningCode.GUARANTEE_TIME, Severity.SERIOUS),
        ("kane-multiple-treatments-os-median", WarningCode.GUARANTEE_TIME, Severity.SERIOUS),
        ("clarinet-pbo-pfs-median", WarningCode.CITATION_RECALLED, Severity.INFO),
    ],
)
def test_benchmark_intrinsic_warnings(by_id, bench_id, code, severity):
    found = [w for w in benchmark_warnings(by_id[bench_id]) if w.code is code]
    assert [w.severity for w in found] == [severity]
    view = CohortView(endpoint=by_id[bench_id].endpoint)
    assert code in codes(comparability(by_id[bench_id], view))


def test_not_reached_message_calls_it_a_lower_bound(by_id):
    (w,) = [
        w
        for w in benchmark_warnings(by_id["clarinet-lan-pfs-median"])
        if w.code.value == "not-reached"
    ]
    assert "lower bound" in w.message


def test_responder_split_view_warns_of_guarantee_time_bias(by_id):
    view = CohortView(endpoint="os", responder_split=True)
    assert WarningCode.GUARANTEE_TIME in codes(comparability(by_id["kane-os-median"], view))


def test_first_line_trial_against_refractory_cohort_warns(by_id):
    view = CohortView(endpoint="pfs", line_of_therapy="later_line", progression_required=True)
    warnings = comparability(by_id["netter2-ctrl-pfs-median"], view)
    line = [w for w in warnings if w.code is WarningCode.LINE]
    assert [w.severity for w in line] == [Severity.CAUTION]
    assert "first line" in line[0].message


def test_progression_requirement_mismatch_warns(by_id):
    view = CohortView(endpoint="pfs", progression_required=True)
    warnings = comparability(by_id["clarinet-pbo-pfs-median"], view)  # no progression needed
    found = [w for w in warnings if w.code is WarningCode.PROGRESSION_REQUIRED]
    assert [w.severity for w in found] == [Severity.CAUTION]


def test_phaeochromocytoma_benchmark_is_a_different_disease(by_id):
    view = CohortView(endpoint="os", primary_sites=("small_bowel",), agent="i131_mibg")
    warnings = comparability(by_id["azedra-os-median"], view)
    non_net = [w for w in warnings if w.code is WarningCode.NON_NET]
    assert [w.severity for w in non_net] == [Severity.SERIOUS]
    partial = comparability(by_id["bomanji-os-median-met"], view)
    assert [w.severity for w in partial if w.code is WarningCode.NON_NET] == [Severity.CAUTION]


def test_intra_arterial_route_is_flagged_for_systemic_radionuclide_benchmarks(by_id):
    view = CohortView(endpoint="os", agent="i131_mibg", route="IA")
    assert WarningCode.ROUTE in codes(comparability(by_id["kane-os-median"], view))
    assert WarningCode.ROUTE not in codes(
        comparability(by_id["kane-os-median"], CohortView(endpoint="os", route="IV"))
    )


def test_site_groups_match_patient_level_codes(by_id):
    midgut_view = CohortView(endpoint="pfs", primary_sites=("small_bowel", "appendix", "cecum"))
    warnings = comparability(by_id["netter1-ctrl-pfs-median"], midgut_view)
    assert not [w for w in warnings if w.code is WarningCode.SITES]


def test_cohort_view_rejects_unknown_codes():
    with pytest.raises(ValueError):
        CohortView(endpoint="survival")
    with pytest.raises(ValueError):
        CohortView(endpoint="os", primary_sites=("liver",))
    with pytest.raises(ValueError):
        CohortView(endpoint="os", grades=("G4",))


def test_cohort_view_maps_dashboard_enums():
    view = CohortView(endpoint=Endpoint.PFS_SYMPTOM, time_origin=Origin.METASTATIC)
    assert view.endpoint is BenchmarkEndpoint.PFS_SYMPTOMATIC
    assert view.time_origin is TimeOrigin.METASTATIC_DIAGNOSIS


def test_every_dashboard_endpoint_is_a_time_to_event_registry_endpoint():
    for endpoint in Endpoint:
        assert CohortView(endpoint=endpoint).endpoint in TIME_TO_EVENT


# --------------------------------------------------------------------------------------------
# Comparisons and their JSON form
# --------------------------------------------------------------------------------------------

JSON_KEYS = {"benchmark", "cohort_value", "cohort_ci", "benchmark_value", "test", "warnings"}
TEST_KEYS = {"method", "observed", "expected", "ratio", "ratio_ci", "p"}


def test_compare_time_to_event_converts_days_and_matches_the_months_test(by_id):
    rng = np.random.default_rng(7)
    months = rng.exponential(30.0, 80)
    event = (rng.random(80) < 0.7).astype(int)
    bench = by_id["kane-os-median"]
    comparison = compare_time_to_event(
        bench,
        months * DAYS_PER_MONTH,
        event,
        view=CohortView(endpoint="os"),
        cohort_value=27.5,
        cohort_ci=(22.0, 33.1),
    )
    direct = one_sample_logrank(months, event, exponential_from_median(29.0))
    assert isinstance(comparison, Comparison)
    assert comparison.test.expected == pytest.approx(direct.expected, rel=1e-12)
    assert comparison.test.p == pytest.approx(direct.p, rel=1e-12)
    assert comparison.benchmark_value == 29.0
    data = comparison.to_json_dict()
    assert set(data) == JSON_KEYS
    assert set(data["test"]) == TEST_KEYS
    assert data["test"]["method"] == "one-sample-logrank"
    assert data["test"]["ratio_ci"] == [direct.ratio_lower, direct.ratio_upper]
    assert data["cohort_value"] == 27.5 and data["cohort_ci"] == [22.0, 33.1]
    assert data["benchmark"]["id"] == "kane-os-median"
    json.dumps(data, allow_nan=False)


def test_compare_time_to_event_uses_weibull_when_given_a_landmark(registry, by_id):
    median = by_id["netter1-ctrl-pfs-median"]
    comparison = compare_time_to_event(
        median,
        [3.0, 9.0, 12.0, 25.0],
        [1, 1, 0, 1],
        time_unit="months",
        landmark=find_landmark_partner(median, registry),
    )
    assert comparison.curve is not None and comparison.curve.kind is CurveKind.WEIBULL
    expected = float(np.sum(comparison.curve.cumhaz(np.array([3.0, 9.0, 12.0, 25.0]))))
    assert comparison.test.expected == pytest.approx(expected, rel=1e-12)


def test_not_reached_benchmark_gives_no_test_but_a_warning(by_id):
    comparison = compare_time_to_event(by_id["clarinet-lan-pfs-median"], [100.0], [1])
    assert comparison.test is None and comparison.curve is None
    assert comparison.benchmark_value is None
    data = comparison.to_json_dict()
    assert set(data) == JSON_KEYS and data["test"] is None
    assert "not-reached" in {w["code"] for w in data["warnings"]}
    json.dumps(data, allow_nan=False)


@pytest.mark.parametrize("bench_id", ["netter1-pfs-hr-primary", "kane-orr"])
def test_compare_time_to_event_refuses_hazard_ratios_and_response_rates(by_id, bench_id):
    with pytest.raises(ValueError):
        compare_time_to_event(by_id[bench_id], [10.0], [1])


def test_compare_rate_against_seed_002_symptomatic_response(by_id):
    bench = by_id["kane-symptomatic-response"]
    comparison = compare_rate(bench, 30, 50, view=CohortView(endpoint="symptomatic_response"))
    reference = binomial_test(30, 50, 0.71)
    assert comparison.test == reference
    assert comparison.cohort_value == pytest.approx(60.0)
    assert comparison.cohort_ci == pytest.approx((100 * reference.ci[0], 100 * reference.ci[1]))
    data = comparison.to_json_dict()
    assert set(data) == JSON_KEYS and set(data["test"]) == TEST_KEYS
    assert data["test"]["observed"] == 30
    assert data["test"]["expected"] == pytest.approx(50 * 0.71)
    assert data["test"]["ratio"] == pytest.approx(30 / (50 * 0.71))
    assert data["test"]["p"] == reference.p
    assert "response-definition" in {w["code"] for w in data["warnings"]}
    json.dumps(data, allow_nan=False)


@pytest.mark.parametrize("bench_id", ["kane-os-rate-60m", "kane-os-median"])
def test_compare_rate_refuses_time_to_event_rows(by_id, bench_id):
    with pytest.raises(ValueError):
        compare_rate(by_id[bench_id], 10, 20)


def test_compare_rate_against_a_zero_benchmark_rate_has_no_ratio(by_id):
    data = compare_rate(by_id["sunitinib-pbo-orr"], 0, 30).to_json_dict()
    assert data["test"]["ratio"] is None and data["test"]["p"] == 1.0
