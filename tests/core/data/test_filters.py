"""Filters: SQL with bound values only, English descriptions, URL round trip, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data.filters import URL_KEYS, Filters
from core.data.queries import count_patients


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), "all cohorts"),
        (Filters(cohorts=("pgep-mibg-211",)), "pgep-mibg-211"),
        (
            Filters(
                cohorts=("pgep-mibg-211",),
                primary_site=("small_bowel",),
                grade=("G1", "G2"),
                route=("IV",),
            ),
            "pgep-mibg-211 · small bowel · G1-G2 · IV · n=67",
        ),
        (Filters(grade=("G1", "G3")), "all cohorts · G1/G3"),
        (Filters(age_min=50, age_max=70), "all cohorts · age 50-70 y"),
        (Filters(treatments_min=2), "all cohorts · treatments ≥2"),
        (
            Filters(prior_yes=("surgery",), prior_no=("chemo",)),
            "all cohorts · prior surgery · no prior chemo",
        ),
    ],
)
def test_describe(filters, expected):
    n = 67 if "n=67" in expected else None
    assert filters.describe(n) == expected


def test_where_binds_every_value():
    f = Filters(cohorts=("a", "b"), grade=("G1",), age_min=40, prior_no=("ssa",))
    sql, params = f.where()
    assert sql.count("?") == len(params) == 5
    # coded fields compare their ENUM positions: G1 is code 0 of the grade field
    assert params == ["a", "b", 0, 40, False]
    for value in ("G1", "40"):
        assert value not in sql


@pytest.mark.parametrize(
    ("query", "kept", "n_notices"),
    [
        ({"grade": "G9", "primary_site": "lung' OR 1=1"}, Filters(), 2),
        ({"grade": "G1,G9"}, Filters(grade=("G1",)), 1),
        ({"grade": ["G1", "G2"]}, Filters(grade=("G1", "G2")), 0),
        ({"age_min": "abc"}, Filters(), 1),
        ({"age_min": "-5"}, Filters(), 1),
        ({"age_min": "70", "age_max": "40"}, Filters(), 1),
        ({"age_max": "99999999999999999999"}, Filters(), 1),
        ({"cohort": "nope"}, Filters(), 1),
        ({"cohort": "pgep-mibg-211"}, Filters(cohorts=("pgep-mibg-211",)), 0),
        ({"prior": "surgery", "no_prior": "surgery"}, Filters(), 1),
        ({"prior": "dialysis"}, Filters(), 1),
    ],
)
def test_from_query_params_drops_untrusted_values(query, kept, n_notices):
    filters, notices = Filters.from_query_params(query, ["pgep-mibg-211"])
    assert filters == kept
    assert len(notices) == n_notices


def test_url_round_trip():
    f = Filters(
        cohorts=("pgep-mibg-211",),
        grade=("G1", "G2"),
        sex=("female",),
        age_min=30,
        treatments_max=3,
        prior_yes=("surgery", "ssa"),
    )
    back, notices = Filters.from_query_params(f.to_query_params(), ["pgep-mibg-211"])
    assert back == f and notices == []


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(URL_KEYS) + ["x", "grade "]),
        st.one_of(st.text(max_size=30), st.lists(st.text(max_size=10), max_size=3)),
        max_size=6,
    )
)
def test_any_query_parses_without_exception_into_bound_sql(query):
    filters, notices = Filters.from_query_params(query, ["pgep-mibg-211"])
    sql, params = filters.where()
    assert sql.count("?") == len(params)
    assert "'" not in sql and ";" not in sql
    assert isinstance(notices, list)


@pytest.mark.parametrize(
    ("filters", "n"),
    [
        (Filters(cohorts=("pgep-mibg-211",)), 211),
        (Filters(cohorts=("pgep-mibg-211",), primary_site=("small_bowel",)), 67),
        (Filters(cohorts=("pgep-mibg-211",), treatments_min=2), 40),
        (Filters(cohorts=("pgep-mibg-211",), prior_yes=("surgery",)), 133),
        (Filters(cohorts=("ia-hepatic-6",), route=("IA",)), 6),
        (Filters(cohorts=("nguyen-2004",), agent=("none",)), 12),
        (Filters(), 211 + 50 + 32 + 6),
    ],
)
def test_counts_in_the_default_database(default_db, filters, n):
    assert count_patients(filters, default_db) == n
