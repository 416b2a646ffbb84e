"""The app shell: login gate, first-start build, navigation, database guard.

``app.py`` calls :func:`main`. Every page script also calls :func:`enter` first: when Streamlit
runs a page directly (its legacy pages-folder mode, which a deep link can trigger on a fresh
server before anything has called ``st.navigation``), ``enter`` runs the whole shell instead,
so the login gate and the database guard can never be bypassed, and then ends that direct run.
"""

from __future__ import annotations

import copy
import threading

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.data.build import ensure_default, upgrade_schema
from core.data.db import DatabaseUnavailable
from pages import _access, _data, _ledger, _ui

IMPORT_PAGE = "pages/import.py"
"""The only page with a file uploader: in the navigation only for viewers who may import."""

PAGE_SPECS: tuple[tuple[str, str, str, str, bool], ...] = (
    # (script, title, icon, url_path, default); the default page is served at the root
    ("pages/overview.py", "Overview", ":material/home:", "start", True),
    ("pages/survival.py", "Survival", ":material/trending_down:", "survival", False),
    ("pages/response.py", "Response", ":material/target:", "response", False),
    ("pages/cox.py", "Cox model", ":material/account_tree:", "cox", False),
    ("pages/benchmarks.py", "Benchmarks", ":material/menu_book:", "benchmarks", False),
    ("pages/validation.py", "Validation", ":material/fact_check:", "validation", False),
    ("pages/import.py", "Import", ":material/upload_file:", "import", False),
    ("pages/dictionary.py", "Data dictionary", ":material/dictionary:", "dictionary", False),
)

ALIASES: tuple[tuple[str, str], ...] = (("pages/overview.py", "overview"),)
"""(script, url_path) of hidden pages: ``/overview`` opens the Overview, which the default
page serves at the root (Streamlit gives a default page no path of its own)."""

_state = threading.local()


def main() -> None:
    """Run the app: gate, build on first start, navigation, then the chosen page."""
    st.set_page_config(
        page_title="NET Outcomes Explorer",
        page_icon=":material/monitoring:",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    if not _access.gate():
        _access.drop_uploads()
        st.stop()
    importer = _access.may_import()
    if not importer:
        _access.drop_uploads()
    if not _data.db_path().exists():
        with st.spinner("Building the default cohort database (first start, a few seconds)…"):
            ensure_default(_data.db_path())
            _data.clear()
    _upgrade_once()
    page = st.navigation(_pages(importer))
    st.sidebar.caption("NET Outcomes Explorer · radionuclide therapy outcomes")
    if not _ui.database_guard():
        return
    _state.inside = True
    slot = st.sidebar.container()  # the session's tests, filled after the page recorded its own
    try:
        page.run()
    except DatabaseUnavailable as exc:  # damage found mid-page (e.g. a truncated file)
        _ui.database_problem(exc)
    finally:
        _state.inside = False
        _ledger.panel(slot)


_made: dict[tuple[str, bool], tuple[st.Page, ...]] = {}


def _pages(importer: bool) -> list[st.Page]:
    """The navigation's pages: made once per app folder and kind of viewer (st.Page resolves
    and checks each file, ~0.1 ms a page), copied for each run (st.navigation marks the copy
    it returns as the one to run)."""
    ctx = get_script_run_ctx()
    k = (str(ctx.pages_manager.main_script_parent) if ctx else "", importer)
    if k not in _made or not ctx:
        titles = {spec[0]: spec[1] for spec in PAGE_SPECS}
        _made[k] = (
            *(
                st.Page(path, title=title, icon=icon, url_path=url, default=default)
                for path, title, icon, url, default in PAGE_SPECS
                if importer or path != IMPORT_PAGE
            ),
            *(
                st.Page(path, title=titles[path], url_path=url, visibility="hidden")
                for path, url in ALIASES
            ),
        )
    return [copy.copy(p) for p in _made[k]]


_checked: set[str] = set()
_lock = threading.Lock()


def _upgrade_once() -> None:
    """Add the fields a database built by an earlier version lacks (once per file and process)."""
    key = _data.db_stamp()
    if key in _checked:
        return
    with _lock:
        if key in _checked:
            return
        try:
            if upgrade_schema(_data.db_path()):
                _data.clear()
        except (DatabaseUnavailable, OSError, TimeoutError):
            pass  # the database guard explains an unreadable file; a locked one is tried later
        else:
            _checked.add(_data.db_stamp())


def enter() -> None:
    """First line of every page: make sure the page runs inside the shell."""
    if getattr(_state, "inside", False):
        return
    main()
    st.stop()


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
