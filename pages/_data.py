"""The app's only cache layer (every st.cache_*). Keys: frozen core values (their repr), the
database file's identity (never stale after an import) and the viewer's disclosure mode."""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd
import streamlit as st

from core.analyses import cohorts as cohort_views
from core.analyses import comparison as benchmark_views
from core.analyses import responses as response_views
from core.analyses import survival as survival_data
from core.analyses import validation as validation_views
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalAnalysis, SurvivalSpec
from core.analyses.table1 import Table1
from core.analyses.view import selection_size
from core.data import db, queries
from core.data.filters import Filters
from core.vocab.schema import CohortInfo
from pages import _access

CACHE_TTL = 3600
MAX_ENTRIES = 256


def db_path() -> Path:
    return db.default_db_path()


def db_stamp() -> str:
    """Identity of the current database file: changes when it is rebuilt or imported into."""
    p = db_path()
    try:
        st_ = p.stat()
    except FileNotFoundError:
        return "missing"
    return f"{p}:{st_.st_mtime_ns}:{st_.st_size}"


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _cohorts(stamp: str) -> list[CohortInfo]:
    return db.list_cohorts()


def cohorts() -> list[CohortInfo]:
    return _cohorts(db_stamp())


def cohort_cards():
    """The cohorts as this viewer may see them (imported ones under the threshold as '<11')."""
    return cohort_views.cohort_cards(_cohorts(db_stamp()), _mode())


def key(*values: object) -> str:
    """Cache key of frozen core values (repr is deterministic), cheaper than hashing them."""
    return repr(values)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _count(stamp: str, k: str, _filters: Filters, mode: str) -> int:
    return selection_size(_filters, Mode(mode))


def count(filters: Filters) -> int:
    """Exact size of the selection as opened for this viewer (for empty states only)."""
    mode = _mode()
    return _count(db_stamp(), key(filters, mode), filters, mode.value)


# One cached entry point for analyses: ``name`` is "module:function" in core.analyses, called as
# function(*args, mode=Mode). Keyed on the database file, the arguments' repr and the viewer's mode.
@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _analysis(stamp: str, name: str, k: str, _args: tuple, mode: str):
    module, function = name.split(":")
    f = getattr(importlib.import_module(f"core.analyses.{module}"), function)
    return f(*_args, mode=Mode(mode))


def analysis(name: str, *args: object):
    """``core.analyses.<module>.<function>(*args, mode=<this viewer's mode>)``, cached."""
    m = _mode()
    return _analysis(db_stamp(), name, key(name, args, m), args, m.value)


def _mode() -> Mode:
    """The viewer's disclosure mode (pages._access): part of every patient-reading cache key."""
    return _access.mode()


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _codes(stamp: str, field: str, cohorts: tuple[str, ...]) -> list[str]:
    return queries.distinct_codes(field, cohorts)


def codes(field: str, cohorts: tuple[str, ...]) -> list[str]:
    return _codes(db_stamp(), field, cohorts)


def baseline_table(filters: Filters, split_by: str | None) -> Table1:
    return analysis("table1:baseline_table", filters, split_by)


# Frozen throughout (dataclasses, tuples, read-only arrays): shared safely, never unpickled.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _survival(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec, mode: str):
    return survival_data.analyse(_filters, _spec, mode=Mode(mode))


def survival(filters: Filters, spec: SurvivalSpec) -> SurvivalAnalysis:
    mode = _mode()
    return _survival(db_stamp(), key(filters, spec, mode), filters, spec, mode.value)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _hazard_ratios(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec, ref: str, mode: str):
    a = _survival(stamp, key(_filters, _spec, Mode(mode)), _filters, _spec, mode)
    return survival_data.hazard_ratios_of(a, ref)  # from the cached analysis's counts


def hazard_ratios(filters: Filters, spec: SurvivalSpec, reference: str):
    m = _mode()
    return _hazard_ratios(db_stamp(), key(filters, spec, m), filters, spec, reference, m.value)


def clear() -> None:
    """Drop every cached result (after a rebuild or an import)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    db.close_all()


@st.cache_resource(ttl=CACHE_TTL, max_entries=8, show_spinner=False)  # frozen rows, shared
def _benchmarks(stamp: str) -> tuple[benchmark_views.Benchmark, ...]:
    return tuple(benchmark_views.all_benchmarks())


def benchmarks() -> tuple[benchmark_views.Benchmark, ...]:
    """The literature registry followed by the user-added figures in the database."""
    return _benchmarks(db_stamp())


def cohort_measure(filters: Filters, measure: benchmark_views.Measure):
    """The view's figure for ``measure`` as this viewer may see it (mode in the cache key)."""
    return analysis("comparison:cohort_measure", filters, measure)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _benchmark_comparison(stamp: str, filters: Filters, benchmark_id: str, mode: str):
    pool = _benchmarks(stamp)
    bench = next(b for b in pool if b.id == benchmark_id)
    return benchmark_views.compare(filters, bench, pool=pool, mode=benchmark_views.Mode(mode))


def benchmark_comparison(filters: Filters, benchmark_id: str) -> benchmark_views.ViewComparison:
    """The view against one benchmark for this viewer; raises benchmark_views.NotComparable."""
    return _benchmark_comparison(db_stamp(), filters, benchmark_id, _mode().value)


def cox(filters: Filters, spec):
    return analysis("cox:analyse", filters, spec)


@st.cache_data(ttl=CACHE_TTL, max_entries=8, show_spinner=False)
def _validation(stamp: str, mode: str) -> pd.DataFrame:
    return validation_views.to_frame(validation_views.validate(db_path(), mode=Mode(mode)))


def validation() -> pd.DataFrame:
    """The published figures against the app's values, for this viewer's mode."""
    return _validation(db_stamp(), _mode().value)


# ------------------------------------------------------------------ responses
def response_inputs(filters: Filters):
    """The selection's rows for the Response page as this viewer may see them."""
    return analysis("responses:load_inputs", filters)


# ResponseResult holds read-only mappings (pickle cannot copy them); it is frozen: shared safely.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _response_table(stamp: str, filters: Filters, spec, mode: str):
    k = key("responses:load_inputs", (filters,), Mode(mode))
    inputs = _analysis(stamp, "responses:load_inputs", k, (filters,), mode)
    return response_views.response_result(inputs, spec)


def response_table(filters: Filters, spec):
    """The response view of ``spec`` (a ResponseSpec) for this viewer: ResponseResult."""
    return _response_table(db_stamp(), filters, spec, _mode().value)
