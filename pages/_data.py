"""The app's only cache layer (every st.cache_*). Keys: frozen core values (their repr), the
database file's identity (never stale after an import) and the viewer's disclosure mode.
What a page builds from a cached analysis (figure, tables, export outline) is cached too."""

from __future__ import annotations

import functools
import importlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from core.analyses import cohorts as cohort_views
from core.analyses import comparison as benchmark_views
from core.analyses import responses as response_views
from core.analyses import survival as survival_data
from core.analyses import validation as validation_views
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalAnalysis, SurvivalSpec
from core.analyses.view import selection_size
from core.data import db, queries
from core.data.filters import Filters
from core.vocab.schema import CohortInfo
from pages import _access

CACHE_TTL = 3600
MAX_ENTRIES = 256
T = TypeVar("T")


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


# Read on every rerun, shared between sessions: a dictionary read instead of Streamlit's cache
# (~0.2 ms of hashing a call; ~5 ms a Survival rerun). Keys start with the stamp; the newest
# 4 x MAX_ENTRIES stay (a view has ~5: analysis, figure, tables, export outline); clear() empties.
_shared: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def _reused(k: tuple, make: Callable[[], T]) -> T:
    with _lock:
        if k in _shared:
            _shared.move_to_end(k)
            return _shared[k]  # type: ignore[return-value]
    value = make()
    with _lock:
        _shared[k] = value
        while len(_shared) > 4 * MAX_ENTRIES:
            _shared.popitem(last=False)
    return value


def cohorts() -> list[CohortInfo]:
    return list(_reused((db_stamp(), "cohorts"), lambda: tuple(db.list_cohorts())))


def cohort_cards():
    """The cohorts as this viewer may see them (imported ones under the threshold as '<11')."""
    return cohort_views.cohort_cards(cohorts(), _mode())


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


def codes(field: str, cohorts: tuple[str, ...]) -> list[str]:
    k = (db_stamp(), "codes", field, tuple(cohorts))
    return list(_reused(k, lambda: tuple(queries.distinct_codes(field, tuple(cohorts)))))


# Frozen throughout (dataclasses, tuples, read-only arrays): shared safely, never unpickled.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _survival(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec, mode: str):
    return survival_data.analyse(_filters, _spec, mode=Mode(mode))


def survival(filters: Filters, spec: SurvivalSpec) -> SurvivalAnalysis:
    stamp, m = db_stamp(), _mode()
    k = key(filters, spec, m)
    return _reused((stamp, k), lambda: _survival(stamp, k, filters, spec, m.value))


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _hazard_ratios(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec, ref: str, mode: str):
    a = _survival(stamp, key(_filters, _spec, Mode(mode)), _filters, _spec, mode)
    return survival_data.hazard_ratios_of(a, ref)  # from the cached analysis's counts


def hazard_ratios(filters: Filters, spec: SurvivalSpec, reference: str):
    m = _mode()
    return _hazard_ratios(db_stamp(), key(filters, spec, m), filters, spec, reference, m.value)


def view(make: functools.partial[T], of: Callable[..., object], *args: object) -> T:
    """``make(of(*args))``, ``of`` being :func:`survival` or :func:`analysis`: a figure, table or
    export outline built once per view and shared (read-only). ``make`` is a functools.partial
    of frozen values: they, its function's name and ``args`` key it with the viewer's mode."""
    m, f = _mode(), make.func
    parts = (f.__module__, f.__qualname__, make.args, sorted(make.keywords.items()))
    k = (db_stamp(), of.__name__, key(args, m, parts))
    return _reused(k, lambda: make(of(*args)))


def clear() -> None:
    """Drop every cached result (after a rebuild or an import)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    with _lock:
        _shared.clear()
    db.close_all()


def benchmarks() -> tuple[benchmark_views.Benchmark, ...]:
    """The literature registry followed by the user-added figures in the database."""
    return _reused((db_stamp(), "benchmarks"), lambda: tuple(benchmark_views.all_benchmarks()))


@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _benchmark_comparison(stamp: str, filters: Filters, benchmark_id: str, mode: str):
    pool = benchmarks()  # (stamp: this database's)
    bench = next(b for b in pool if b.id == benchmark_id)
    return benchmark_views.compare(filters, bench, pool=pool, mode=benchmark_views.Mode(mode))


def benchmark_comparison(filters: Filters, benchmark_id: str) -> benchmark_views.ViewComparison:
    """The view against one benchmark for this viewer; raises benchmark_views.NotComparable."""
    return _benchmark_comparison(db_stamp(), filters, benchmark_id, _mode().value)


@st.cache_data(ttl=CACHE_TTL, max_entries=8, show_spinner=False)
def _validation(stamp: str, mode: str) -> pd.DataFrame:
    return validation_views.to_frame(validation_views.validate(db_path(), mode=Mode(mode)))


def validation() -> pd.DataFrame:
    """The published figures against the app's values, for this viewer's mode."""
    return _validation(db_stamp(), _mode().value)


# ResponseResult holds read-only mappings (pickle cannot copy them); it is frozen: shared safely.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _response_table(stamp: str, filters: Filters, spec, mode: str):
    k = key("responses:load_inputs", (filters,), Mode(mode))
    inputs = _analysis(stamp, "responses:load_inputs", k, (filters,), mode)
    return response_views.response_result(inputs, spec)


def response_table(filters: Filters, spec):
    """The response view of ``spec`` (a ResponseSpec) for this viewer: ResponseResult."""
    return _response_table(db_stamp(), filters, spec, _mode().value)
