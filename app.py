"""NET Outcomes Explorer: the Streamlit entry point (`streamlit run app.py`)."""

from __future__ import annotations

import streamlit as st

from core.build import ensure_default
from core.db import DatabaseUnavailable
from pages import _access, _data, _ui

st.set_page_config(
    page_title="NET Outcomes Explorer",
    page_icon="📈",
    layout="wide",
    initial_sidebar_state="expanded",
)

if not _access.gate():
    st.stop()

if not _data.db_path().exists():
    with st.spinner("Building the default cohort database (first start, a few seconds)…"):
        ensure_default(_data.db_path())
        _data.clear()

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="🏠", url_path="overview", default=True),
    st.Page("pages/survival.py", title="Survival", icon="📉", url_path="survival"),
    st.Page("pages/response.py", title="Response", icon="🎯", url_path="response"),
    st.Page("pages/cox.py", title="Cox model", icon="🌲", url_path="cox"),
    st.Page("pages/benchmarks.py", title="Benchmarks", icon="📚", url_path="benchmarks"),
    st.Page("pages/validation.py", title="Validation", icon="✅", url_path="validation"),
    st.Page("pages/import_page.py", title="Import", icon="📥", url_path="import"),
    st.Page("pages/dictionary.py", title="Data dictionary", icon="📖", url_path="dictionary"),
]

page = st.navigation(PAGES)
st.sidebar.caption("NET Outcomes Explorer · radionuclide therapy outcomes")
if _ui.database_guard():
    try:
        page.run()
    except DatabaseUnavailable as exc:  # damage found mid-page (e.g. a truncated file)
        _ui.database_problem(exc)
