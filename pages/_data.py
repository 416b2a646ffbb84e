"""The app's only cache layer: every st.cache_* in the project lives in this module.

Keys are frozen core values (their repr, see :func:`key`) plus the database file's identity,
so a rebuilt or re-imported database is never stale.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.analyses import comparison as benchmark_views
from core.analyses import survival as survival_data
from core.analyses.disclosure import disclosure_for_selection
from core.analyses.survival import SurvivalAnalysis, SurvivalSpec
from core.analyses.table1 import Table1, table1
from core.data import db, queries
from core.data.filters import Filters
from core.vocab.schema import CohortInfo

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


def key(*values: object) -> str:
    """Cache key of frozen core values (repr is deterministic), cheaper than hashing them."""
    return repr(values)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _count(stamp: str, k: str, _filters: Filters) -> int:
    return queries.count_patients(_filters)


def count(filters: Filters) -> int:
    return _count(db_stamp(), key(filters), filters)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _codes(stamp: str, field: str, cohorts: tuple[str, ...]) -> list[str]:
    return queries.distinct_codes(field, cohorts)


def codes(field: str, cohorts: tuple[str, ...]) -> list[str]:
    return _codes(db_stamp(), field, cohorts)


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _patients(stamp: str, filters: Filters) -> pd.DataFrame:
    return queries.patients_frame(filters)


def patients(filters: Filters) -> pd.DataFrame:
    return _patients(db_stamp(), filters)


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _table1(stamp: str, filters: Filters, split_by: str | None) -> Table1:
    return table1(
        queries.patients_frame(filters), split_by, disclosure_for_selection(filters.cohorts)
    )


def baseline_table(filters: Filters, split_by: str | None) -> Table1:
    return _table1(db_stamp(), filters, split_by)


# Frozen throughout (dataclasses, tuples, read-only arrays): shared safely, never unpickled.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _survival(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec) -> SurvivalAnalysis:
    return survival_data.analyse(_filters, _spec)


def survival(filters: Filters, spec: SurvivalSpec) -> SurvivalAnalysis:
    return _survival(db_stamp(), key(filters, spec), filters, spec)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _hazard_ratios(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec, reference: str):
    return survival_data.hazard_ratios(_filters, _spec, reference)


def hazard_ratios(filters: Filters, spec: SurvivalSpec, reference: str):
    return _hazard_ratios(db_stamp(), key(filters, spec), filters, spec, reference)


def clear() -> None:
    """Drop every cached result (after a rebuild or an import)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    db.close_all()


# ------------------------------------------------------------------ benchmarks
@st.cache_resource(ttl=CACHE_TTL, max_entries=8, show_spinner=False)  # frozen rows, shared
def _benchmarks(stamp: str) -> tuple[benchmark_views.Benchmark, ...]:
    return tuple(benchmark_views.all_benchmarks())


def benchmarks() -> tuple[benchmark_views.Benchmark, ...]:
    """The literature registry followed by the user-added figures in the database."""
    return _benchmarks(db_stamp())


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _cohort_measure(stamp: str, filters: Filters, measure: benchmark_views.Measure):
    return benchmark_views.cohort_measure(filters, measure)


def cohort_measure(
    filters: Filters, measure: benchmark_views.Measure
) -> benchmark_views.CohortMeasure:
    return _cohort_measure(db_stamp(), filters, measure)


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _benchmark_comparison(stamp: str, filters: Filters, benchmark_id: str):
    pool = _benchmarks(stamp)
    bench = next(b for b in pool if b.id == benchmark_id)
    return benchmark_views.compare(filters, bench, pool=pool)


def benchmark_comparison(filters: Filters, benchmark_id: str) -> benchmark_views.ViewComparison:
    """The view against one benchmark; raises benchmark_views.NotComparable."""
    return _benchmark_comparison(db_stamp(), filters, benchmark_id)


# ------------------------------------------------------------------ cox model
@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _cox(stamp: str, filters: Filters, spec):
    from core.analyses import cox as cox_data

    return cox_data.analyse(filters, spec)


def cox(filters: Filters, spec):
    return _cox(db_stamp(), filters, spec)


# ------------------------------------------------------------------ validation
@st.cache_data(ttl=CACHE_TTL, max_entries=8, show_spinner=False)
def _validation(stamp: str) -> pd.DataFrame:
    from core.analyses import validation as _validation_core

    return _validation_core.to_frame(_validation_core.validate(db_path()))


def validation() -> pd.DataFrame:
    return _validation(db_stamp())


# ------------------------------------------------------------------ responses
@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _response_inputs(stamp: str, filters: Filters):
    from core.analyses import responses as response_views

    return response_views.load_inputs(filters)


def response_inputs(filters: Filters):
    """Patients, treatments, adverse events and notes of the selection (ResponseInputs)."""
    return _response_inputs(db_stamp(), filters)


# ResponseTable holds read-only mappings (pickle cannot copy them); it is frozen: shared safely.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _response_table(stamp: str, filters: Filters, spec):
    from core.analyses import responses as response_views

    return response_views.response_analysis(_response_inputs(stamp, filters).patients, spec)


def response_table(filters: Filters, spec):
    """The response table of ``spec`` (a core.analyses.responses.ResponseSpec): ResponseTable."""
    return _response_table(db_stamp(), filters, spec)
