"""Hostile input at the core: any link parameter, any filter value.

Properties (Hypothesis), over every filter key of a link (core.data.filters.URL_KEYS) with values
mixing valid codes, numbers, SQL fragments, markup, control characters and marked junk:

- ``Filters.from_query_params`` never raises, and every value it drops is named in a notice;
- the SQL of a selection depends only on its *shape* (which fields, how many values), never on
  the values, and binds every value: one ``?`` per parameter;
- every query the database sees while counting, listing and analysing such a selection (a spy
  on ``core.data.db.cursor``, under query_df/query_arrays/query_rows) carries no value from the link
  in its text, has exactly one ``?`` per parameter, and binds only allow-listed values;
- the number-list parser behind page controls (``pages._controls._parse_numbers``) never raises
  and returns only bounded, finite values.

``SqlSpy`` is shared with tests/app/test_faults.py (the same checks through the app).
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import core.data.db
from core.analyses import survival as survival_data
from core.analyses.survival import GROUPINGS, SurvivalSpec
from core.data import queries
from core.data.filters import CODE_FILTERS, PRIOR_CODES, URL_KEYS, Filters, _shown
from core.vocab.methods import Endpoint, Origin
from core.vocab.schema import PATIENTS, TABLES

COHORTS = ["pgep-mibg-211", "stage4-unselected-50", "nguyen-2004", "ia-hepatic-6"]
MARK = "ZQ"
"""Prefix of generated junk: it appears in no SQL the app writes, so finding it there is a leak."""

INJECTIONS = (
    "' OR 1=1 --",
    "G1'; DROP TABLE patients; --",
    'pancreas") OR ("1"="1',
    "small_bowel' UNION SELECT * FROM cohorts --",
    "?",
    "$1",
    "%s",
    "\x00",
    "<img src=x onerror=alert(1)>",
    "NaN",
    "1e309",
    "-0",
    "٣",  # an Arabic-Indic digit: Python's int() reads it as 3
    "1_0",
    "9" * 40,
)

LIST_KEYS = {"cohort", "prior", "no_prior", *CODE_FILTERS}
NUMBER_KEYS = {"age_min", "age_max", "treatments_min", "treatments_max"}
assert set(URL_KEYS) == LIST_KEYS | NUMBER_KEYS

_valid_tokens = st.sampled_from(
    sorted(
        set(COHORTS)
        | set(PRIOR_CODES)
        | {c for name in CODE_FILTERS for c in PATIENTS[name].codes}
        | {"0", "1", "2", "3", "18", "40", "65", "89", "90", "120", "121", "-1"}
    )
)
_junk_tokens = st.builds(
    lambda s: MARK + s, st.text(st.characters(blacklist_characters=","), max_size=12)
)
token = st.one_of(_valid_tokens, _valid_tokens, _junk_tokens, st.sampled_from(INJECTIONS))
raw_value = st.one_of(
    token,
    st.lists(token, min_size=1, max_size=4).map(",".join),
    st.lists(token, min_size=1, max_size=3),  # a key repeated in the link
    st.just(""),
    st.text(max_size=20),
)
url_params = st.dictionaries(st.sampled_from(sorted(URL_KEYS)), raw_value, max_size=7)


def tokens_of(value) -> list[str]:
    """The values a link parameter carries, as ``Filters.from_query_params`` splits them."""
    items = value if isinstance(value, list) else [value]
    return [p.strip() for item in items for p in str(item).split(",") if p.strip()]


def multi_valued_number(params) -> bool:
    """A number key given more than one value (``?age_min=40&age_min=50`` or ``40,50``): only
    the first is read and each extra value gets a notice (see
    test_extra_values_of_a_number_key_get_a_notice)."""
    return any(k in NUMBER_KEYS and len(tokens_of(v)) > 1 for k, v in params.items())


# ------------------------------------------------------------------ parsing
@settings(max_examples=300, deadline=None)
@given(url_params)
@example({"grade": "G1,G1,G9", "age_min": "70", "age_max": "40"})
@example({"prior": "surgery,chemo", "no_prior": "chemo,ZQ"})
@example({"cohort": "pgep-mibg-211,ZQ' OR 1=1 --", "sex": ["female", "ZQ"]})
def test_every_dropped_value_gets_a_notice(params):
    filters, notices = Filters.from_query_params(params, COHORTS)
    text = "\n".join(notices)
    for key, value in params.items():
        toks = tokens_of(value)
        if key in LIST_KEYS:
            name = next(f.name for f in fields(Filters) if _url_key(f.name) == key)
            kept = getattr(filters, name)
            for t in toks:
                if t in kept:
                    continue
                # dropped: named in a notice, either as an invalid value or as a contradiction
                # (a prior-therapy code asked both with and without)
                assert f"{key}={_shown(t)}" in text or (
                    key in ("prior", "no_prior") and "both with and without" in text and t in text
                ), (key, t, notices)
        else:
            name = next(f.name for f in fields(Filters) if _url_key(f.name) == key)
            if getattr(filters, name) is None:
                # invalid, out of range, or part of a reversed range: in a notice either way
                assert key in text or key.split("_")[0] in text, (key, value, notices)


@settings(max_examples=300, deadline=None)
@given(url_params)
def test_parsed_selection_holds_only_allowed_values(params):
    filters, notices = Filters.from_query_params(params, COHORTS)
    assert isinstance(notices, list) and all(isinstance(n, str) for n in notices)
    assert set(filters.cohorts) <= set(COHORTS)
    for name in CODE_FILTERS:
        assert set(getattr(filters, name)) <= set(PATIENTS[name].codes)
    assert set(filters.prior_yes) <= set(PRIOR_CODES) and set(filters.prior_no) <= set(PRIOR_CODES)
    assert not set(filters.prior_yes) & set(filters.prior_no)
    for lo, hi in (("age_min", "age_max"), ("treatments_min", "treatments_max")):
        a, b = getattr(filters, lo), getattr(filters, hi)
        assert a is None or type(a) is int
        assert b is None or type(b) is int
        assert a is None or b is None or a <= b
    for n in notices:
        assert len(n) < 400 and n.isprintable(), "a notice echoes a value cut short and printable"
    # the URL written back parses to the same selection without a notice
    again, more = Filters.from_query_params(filters.to_query_params(), COHORTS)
    assert again == filters and more == []


def _url_key(name: str) -> str:
    from core.data.filters import _URL_KEYS

    return _URL_KEYS[name]


@pytest.mark.parametrize("value", [["40", "50"], "40,ZQ"])
def test_extra_values_of_a_number_key_get_a_notice(value):
    filters, notices = Filters.from_query_params({"age_min": value}, COHORTS)
    assert filters.age_min == 40
    assert any("age_min" in n for n in notices), notices


# ------------------------------------------------------------------ SQL shape
def _placeholders(f: Filters) -> Filters:
    """The same selection shape with every bound value replaced by a different one."""
    swap = {"cohorts": tuple(f"v{i}" for i in range(len(f.cohorts)))}
    for name in CODE_FILTERS:  # coded values bind as ENUM positions: swap to other codes
        codes = PATIENTS[name].codes
        swap[name] = tuple(codes[-(i + 1)] for i in range(len(getattr(f, name))))
    for name in ("age_min", "age_max", "treatments_min", "treatments_max"):
        if getattr(f, name) is not None:
            swap[name] = 7
    return replace(f, **swap)


@settings(max_examples=300, deadline=None)
@given(url_params)
def test_sql_depends_only_on_the_shape_of_the_selection(params):
    filters, _ = Filters.from_query_params(params, COHORTS)
    sql, values = filters.where()
    sql2, values2 = _placeholders(filters).where()
    assert sql == sql2, "a value reached the SQL text"
    assert sql.count("?") == len(values) == len(values2)
    for v in values:
        assert (
            isinstance(v, bool | int)
            or v in COHORTS
            or any(v in PATIENTS[n].codes for n in CODE_FILTERS)
        )


# ------------------------------------------------------------------ the queries themselves
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")


class SqlSpy:
    """Wraps ``core.data.db.cursor`` so every statement is checked before DuckDB sees it.

    ``forbidden``: strings from the link that must never appear in SQL text (junk, injections).
    ``allowed``: the only string values a query may bind (cohort ids, codes, field names).
    """

    def __init__(self, monkeypatch, allowed: set[str]) -> None:
        self.allowed = set(allowed)
        self.forbidden: set[str] = set()
        self.statements: list[tuple[str, list]] = []
        self.problems: list[str] = []
        real = core.data.db.cursor
        spy = self

        class Cursor:
            def __init__(self, cur) -> None:
                self._cur = cur

            def execute(self, sql, params=None):
                spy.check(sql, list(params or []))
                return (
                    self._cur.execute(sql, params) if params is not None else self._cur.execute(sql)
                )

            def __getattr__(self, name):
                return getattr(self._cur, name)

        monkeypatch.setattr(core.data.db, "cursor", lambda path=None: Cursor(real(path)))

    def check(self, sql: str, params: list) -> None:
        self.statements.append((sql, params))
        outside = _SQL_LITERAL.sub("''", sql)
        if outside.count("?") != len(params):
            self.problems.append(f"{outside.count('?')} '?' for {len(params)} values: {sql}")
        for bad in self.forbidden:
            if bad and bad in sql:
                self.problems.append(f"link value {bad!r} in SQL: {sql}")
        if MARK in sql:
            self.problems.append(f"junk marker in SQL: {sql}")
        for p in params:
            if isinstance(p, str) and p not in self.allowed:
                self.problems.append(f"bound value {p!r} is not allow-listed")
            elif not isinstance(p, str | bool | int | float):
                self.problems.append(f"bound value of type {type(p).__name__}")

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems[:5]


def allowed_strings() -> set[str]:
    """Strings a query may bind: cohort ids, codes, and names from the schema allow-list
    (e.g. a table name looked up in information_schema)."""
    return (
        set(COHORTS)
        | {c for f in PATIENTS.values() for c in f.codes}
        | set(PRIOR_CODES)
        | set(PATIENTS)
        | set(TABLES)
        | {"user_benchmarks"}
    )


def forbidden_of(params) -> set[str]:
    """Link values that could only reach SQL text by a leak (not codes, names or keywords)."""
    out = set()
    for value in params.values():
        for t in tokens_of(value):
            if t.startswith(MARK) or t in INJECTIONS and len(t) > 3:
                out.add(t)
    return out


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=url_params,
    endpoint=st.sampled_from(list(Endpoint)),
    origin=st.sampled_from(list(Origin)),
    by=st.sampled_from([None, *GROUPINGS]),
)
def test_queries_bind_every_link_value(default_db, monkeypatch, params, endpoint, origin, by):
    with monkeypatch.context() as mp:
        spy = SqlSpy(mp, allowed_strings())
        spy.forbidden = forbidden_of(params)
        filters, _ = Filters.from_query_params(params, COHORTS)
        n = queries.count_patients(filters, default_db)
        frame = queries.patients_frame(filters, path=default_db)
        assert len(frame) == n
        for name in CODE_FILTERS:
            queries.distinct_codes(name, filters.cohorts or COHORTS, default_db)
        spec = SurvivalSpec(endpoint=endpoint, origin=origin, by=by)
        analysis = survival_data.analyse(filters, spec, default_db)
        assert analysis.n_selected == n
        if analysis.groups:
            survival_data.hazard_ratios(filters, spec, analysis.groups[0].label, default_db)
        # count, frame, one per code field, the survival aggregate (the cohort list behind the
        # small-cell rule is remembered per database file, so it may not be queried again)
        assert len(spy.statements) >= 3 + len(CODE_FILTERS)
        spy.assert_clean()


def test_the_spy_catches_a_leak(default_db, monkeypatch):
    """The spy is not vacuous: a value in the SQL text, a wrong '?' count, or a bound value
    that is not allow-listed is reported."""
    import duckdb

    spy = SqlSpy(monkeypatch, allowed_strings())
    spy.forbidden = {"ZQdrop"}
    core.data.db.query_rows("SELECT count(*) FROM patients WHERE sex = ?", ["female"], default_db)
    spy.assert_clean()
    core.data.db.query_rows("SELECT count(*) FROM patients WHERE sex = 'ZQdrop'", [], default_db)
    assert len(spy.problems) == 2  # a link value and the junk marker in the SQL text
    core.data.db.query_rows("SELECT count(*) FROM patients WHERE sex = ?", ["nonsense"], default_db)
    assert len(spy.problems) == 3
    with pytest.raises(duckdb.Error):
        core.data.db.query_rows(
            "SELECT count(*) FROM patients WHERE sex = ? AND age > ?", ["male"], default_db
        )
    assert len(spy.problems) == 4 and "2 '?' for 1 values" in spy.problems[-1]
    with pytest.raises(AssertionError):
        spy.assert_clean()


# ------------------------------------------------------------------ page-control parsing
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(token, max_size=14).map(",".join)))
@example("nan, inf, -inf")
@example("1e400")
@example("12;24;36")
@example(",".join(["1"] * 13))
def test_number_list_parser_never_raises(text):
    from pages._controls import _parse_numbers

    out = _parse_numbers(text, 0.5, 240)
    if out is not None:
        assert 1 <= len(out) <= 12
        assert list(out) == sorted(set(out))
        assert all(0.5 <= v <= 240 for v in out)
