"""The app's only cache layer (every st.cache_*). Keys: frozen core values (their repr), the
database file's identity (never stale after an import) and the viewer's disclosure mode.
What a page builds from a cached analysis (figure, tables, export outline) is cached too."""

from __future__ import annotations

import contextlib
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


# Shared between sessions, read every rerun (a dict read, not Streamlit's ~0.2 ms hash per call).
# Keys start with the stamp; the newest 4 x MAX_ENTRIES stay (~5 per view); clear() empties it.
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


def count(filters: Filters) -> int:
    """Exact size of the selection as opened for this viewer (for empty states only)."""
    m = _mode()  # in the key, as in every key of a patient-reading result
    return _reused((db_stamp(), "count", key(filters, m)), lambda: selection_size(filters, m))


# One entry point: ``name`` = "module:function" of core.analyses, called with mode=; keyed as above
@st.cache_data(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _analysis(stamp: str, name: str, k: str, _args: tuple, mode: str):
    module, function = name.split(":")
    f = getattr(importlib.import_module(f"core.analyses.{module}"), function)
    return f(*_args, mode=Mode(mode))


def analysis(name: str, *args: object):
    """``core.analyses.<module>.<function>(*args, mode=<this viewer's mode>)``, cached."""
    return analysis_as(_mode(), name, *args)


def analysis_as(m: Mode, name: str, *args: object):
    """:func:`analysis` in a mode read on the script thread: for files made on click (off it)."""
    return _analysis(db_stamp(), name, key(name, args, m), args, m.value)


def shared(name: str, *args: object):
    """:func:`analysis` in the in-process map: no unpickled copy per rerun (read-only results)."""
    m = _mode()
    return _reused((db_stamp(), name, key(args, m)), lambda: analysis(name, *args))


def _mode() -> Mode:  # the viewer's disclosure mode (pages._access): in every patient-reading key
    return _access.mode()


def codes(field: str, cohorts: tuple[str, ...]) -> list[str]:
    k = (db_stamp(), "codes", field, tuple(cohorts))
    return list(_reused(k, lambda: tuple(queries.distinct_codes(field, tuple(cohorts)))))


# Frozen throughout (dataclasses, tuples, read-only arrays): shared safely, never unpickled.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _survival(stamp: str, k: str, _filters: Filters, _spec: SurvivalSpec, mode: str):
    return survival_data.analyse(_filters, _spec, mode=Mode(mode))


def survival(filters: Filters, spec: SurvivalSpec, wait: str = "") -> SurvivalAnalysis:
    """The survival analysis (``wait``: a spinner's text, shown while it is computed)."""
    stamp, m = db_stamp(), _mode()
    k = key(filters, spec, m)

    def make() -> SurvivalAnalysis:
        with st.spinner(wait) if wait else contextlib.nullcontext():
            return _survival(stamp, k, filters, spec, m.value)

    return _reused((stamp, k), make)


def hazard_ratios(filters: Filters, spec: SurvivalSpec, reference: str):
    """Against ``reference``, from the kept analysis's counts (kept too: frozen, read-only)."""
    k = (db_stamp(), "hr", key(filters, spec, _mode()), reference)
    return _reused(k, lambda: survival_data.hazard_ratios_of(survival(filters, spec), reference))


def view(make: functools.partial[T], of: Callable[..., object], *args: object) -> T:
    """``make(of(*args))``, ``of`` a function of this module (e.g. :func:`survival`): a figure,
    table or export outline built once per view and shared (read-only). ``make`` is a partial
    of frozen values: they, its function's name, ``of`` and ``args`` key it with the mode."""
    m, f = _mode(), make.func
    parts = (f.__module__, f.__qualname__, make.args, sorted(make.keywords.items()))
    k = (db_stamp(), of.__module__, of.__qualname__, key(args, m, parts))  # not the name alone
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


def benchmark_comparison(filters: Filters, benchmark_id: str) -> benchmark_views.ViewComparison:
    """The view against one benchmark for this viewer (frozen, kept); raises NotComparable."""
    m, pool = _mode(), benchmarks()
    bench = next(b for b in pool if b.id == benchmark_id)
    k = (db_stamp(), "compare", key(filters, m), benchmark_id)
    return _reused(k, lambda: benchmark_views.compare(filters, bench, pool=pool, mode=m))


@st.cache_data(ttl=CACHE_TTL, max_entries=8, show_spinner=False)
def _validation(stamp: str, mode: str) -> pd.DataFrame:
    return validation_views.to_frame(validation_views.validate(db_path(), mode=Mode(mode)))


def validation() -> pd.DataFrame:  # the published figures against the app's, for this mode
    return _validation(db_stamp(), _mode().value)


# ResponseResult holds read-only mappings (pickle cannot copy them); it is frozen: shared safely.
@st.cache_resource(ttl=CACHE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _response_table(stamp: str, filters: Filters, spec, mode: str):
    k = key("responses:load_inputs", (filters,), Mode(mode))
    inputs = _analysis(stamp, "responses:load_inputs", k, (filters,), mode)
    return response_views.response_result(inputs, spec)


def response_table(filters: Filters, spec):
    """The response view of ``spec`` (a ResponseSpec) for this viewer: ResponseResult."""
    stamp, m = db_stamp(), _mode()
    k = (stamp, "responses", key(filters, spec, m))
    return _reused(k, lambda: _response_table(stamp, filters, spec, m.value))
