"""Faults through the app (AppTest): hostile links on every page, a broken database.

Links: a few Hypothesis examples of link parameters (every filter key, every page control key
in pages._filters.PAGE_URL_KEYS, unknown keys) on every page app.py registers, with no input
excluded. Never an exception; a notice for every dropped value (every page control, even when
the selection is empty); every query the page sends binds its values (the SqlSpy of
tests/core/data/test_hostile.py).

Database: damaged (truncated header, not a DuckDB file, not a cohort database), truncated mid-file,
missing, or locked by another process writing to it, on every page app.py registers. The page
shows what happened and a way out (the "Rebuild the default database" button, or waiting for the
writer), never a traceback; after the way out the page works.

A bug found here is pinned by a strict xfail (it passes the day the bug is fixed, which then
fails the xfail: remove the marker); inputs are never excluded from the sweep.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.db import DB_ENV, close_all
from core.data.filters import URL_KEYS, Filters
from pages._filters import PAGE_URL_KEYS
from pages._shell import PAGE_SPECS
from tests.app.conftest import ROOT, run_page
from tests.core.data.test_hostile import (
    COHORTS,
    MARK,
    SqlSpy,
    allowed_strings,
    forbidden_of,
    raw_value,
)

PAGES = [spec[0] for spec in PAGE_SPECS]
REBUILD = "Rebuild the default database"


@pytest.fixture(autouse=True)
def _navigation_as_served(monkeypatch):
    """Every AppTest run goes through app.py, as on the server.

    AppTest resets ``PagesManager.uses_pages_directory`` on each run and, because a ``pages/``
    folder sits beside app.py, Streamlit then takes the legacy pages-directory path: from the
    second run of an AppTest on, the current page script runs *directly*, without app.py (so
    without the database guard, whose button could then never be clicked). On the server
    the flag is cleared for good by the first st.navigation call, so later runs go through
    app.py; this fixture does the same for AppTest.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def test_every_registered_page_is_covered():
    assert "pages/overview.py" in PAGES and "pages/survival.py" in PAGES
    assert all((ROOT / p).exists() for p in PAGES)


# ------------------------------------------------------------------ hostile links
link_keys = st.sampled_from(
    sorted(URL_KEYS) + sorted(PAGE_URL_KEYS) + ["ZQunknown", "utm_source", "v_widget"]
)


def _in_a_url(value: str | list[str]) -> bool:
    """A link carries UTF-8: a lone surrogate cannot be sent (AppTest, like a browser, cannot
    encode one), so such values are not links."""
    try:
        for v in [value] if isinstance(value, str) else value:
            v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


links = st.dictionaries(link_keys, raw_value.filter(_in_a_url), min_size=1, max_size=6)


def _warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(page=st.sampled_from(PAGES), params=links)
def test_any_link_on_any_page(monkeypatch, page, params):
    with monkeypatch.context() as mp:
        spy = SqlSpy(mp, allowed_strings())
        spy.forbidden = forbidden_of(params)
        at = run_page(page, params)
    assert not at.exception, [e.message for e in at.exception]
    spy.assert_clean()
    shown = _warnings(at)
    # filter values (on pages with the sidebar filters): the parser's notices are all shown
    with_filters = "_filters_seeded" in at.session_state
    _, expected = Filters.from_query_params(
        {k: v for k, v in params.items() if k in URL_KEYS}, COHORTS
    )
    for notice in expected if with_filters else ():
        assert notice in shown, (notice, shown)
    # unknown keys are reported; v_ keys are reserved and ignored
    for key in params:
        if (
            with_filters
            and key not in URL_KEYS
            and key not in PAGE_URL_KEYS
            and not key.startswith("v_")
        ):
            assert f"Ignored unknown link parameter {key!r}" in shown
    # page controls the page uses: junk values are reported
    seeded = at.session_state["_ctl_seeded"] if "_ctl_seeded" in at.session_state else set()  # noqa: SIM401 (AppTest state has no .get)
    for key, value in params.items():
        junk = MARK in (value if isinstance(value, str) else ",".join(value))
        if key in seeded and junk:
            assert f"Ignored {key}=" in shown, (key, value, shown)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/survival.py"])
def test_age_min_above_90_is_not_a_traceback(page):
    at = run_page(page, {"age_min": "95"})
    assert not at.exception, [e.message for e in at.exception]


def test_overview_split_notice():
    at = run_page("pages/overview.py", {"split": "ZQnope"})
    assert not at.exception
    assert "Ignored split=" in _warnings(at)


def test_survival_notices_survive_an_empty_selection():
    at = run_page(
        "pages/survival.py",
        {"cohort": "ia-hepatic-6", "primary_site": "pancreas", "endpoint": "ZQnope"},
    )
    assert not at.exception
    assert any("No patients match" in i.value for i in at.info)
    assert "Ignored endpoint=" in _warnings(at)


# ------------------------------------------------------------------ a broken database
def _copy_db(app_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "cohorts.duckdb"
    shutil.copy2(app_db, path)
    return path


def _use(monkeypatch, path: Path) -> None:
    close_all()
    monkeypatch.setenv(DB_ENV, str(path))


def _truncate(path: Path, size: int) -> None:
    data = path.read_bytes()[:size]
    path.write_bytes(data)


def _assert_guarded(at, message: str, hint: str, way_out: str = REBUILD) -> None:
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(message in e for e in errors), errors
    assert any(hint in i.value for i in at.info), [i.value for i in at.info]
    labels = [b.label for b in at.button]
    assert way_out in labels, labels
    if way_out != REBUILD:  # a healthy file held by a writer is never offered for rebuilding
        assert REBUILD not in labels, labels
    assert not at.dataframe, "no page content under a broken database"


def _rebuild_and_check(at) -> None:
    next(b for b in at.button if b.label == REBUILD).click().run()
    _works(at)


def _works(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.dataframe, "the page shows its content"


DAMAGES = [
    ("header", "damaged or not a DuckDB file"),
    ("empty", "damaged or not a DuckDB file"),
    ("garbage", "damaged or not a DuckDB file"),
    ("no tables", "is not a cohort database"),
]


@pytest.mark.parametrize(
    ("damage", "message", "page"),
    # every kind of damage on the first page; the guard (in app.py) on every page
    [(d, m, PAGES[0]) for d, m in DAMAGES] + [(*DAMAGES[0], p) for p in PAGES[1:]],
)
def test_damaged_database_offers_a_rebuild_that_works(
    app_db, tmp_path, monkeypatch, damage, message, page
):
    path = _copy_db(app_db, tmp_path)
    if damage == "header":
        _truncate(path, 4096)
    elif damage == "empty":
        _truncate(path, 0)
    elif damage == "garbage":
        path.write_bytes(bytes(range(256)) * 200)
    else:
        import duckdb

        path.unlink()
        duckdb.connect(str(path)).close()
    _use(monkeypatch, path)
    at = run_page(page)
    _assert_guarded(at, message, "python -m core build --force")
    _rebuild_and_check(at)
    if "_filters_seeded" in at.session_state:  # pages with the sidebar filters
        assert at.query_params.get("cohort") == "pgep-mibg-211"


@pytest.mark.parametrize("page", PAGES)
def test_database_truncated_mid_file_is_not_a_traceback(app_db, tmp_path, monkeypatch, page):
    path = _copy_db(app_db, tmp_path)
    _truncate(path, path.stat().st_size // 2)
    _use(monkeypatch, path)
    at = run_page(page)
    assert not at.exception, [e.message for e in at.exception]


def test_database_deleted_while_in_use_is_rebuilt(app_db, tmp_path, monkeypatch):
    path = _copy_db(app_db, tmp_path)
    _use(monkeypatch, path)
    at = run_page("pages/survival.py")
    n_before = at.dataframe[0].value["n"].iloc[0]
    path.unlink()
    at.run()  # app.py builds the default database when it is missing
    assert not at.exception, [e.message for e in at.exception]
    assert path.exists()
    assert at.dataframe[0].value["n"].iloc[0] == n_before


_HOLD_LOCK = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])      # read-write: DuckDB locks the file
    con.execute("SELECT count(*) FROM patients").fetchall()
    print("locked", flush=True)
    sys.stdin.read()                        # hold until the test closes our stdin
    con.close()
    """
)


@pytest.fixture
def locked_db(app_db, tmp_path):
    path = _copy_db(app_db, tmp_path)
    close_all()
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"

        def release() -> None:
            if proc.poll() is None:
                proc.stdin.close()
                proc.wait(timeout=30)

        yield path, release
    finally:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=30)


@pytest.mark.parametrize("page", PAGES)
def test_database_locked_by_a_writer_says_wait_then_works(locked_db, monkeypatch, page):
    path, release = locked_db
    _use(monkeypatch, path)
    at = run_page(page)
    _assert_guarded(
        at, "locked by another process", "Wait for the import or build to finish", "Try again"
    )
    release()
    at.run()  # the person waited and reloads
    _works(at)
