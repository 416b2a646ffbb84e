"""The session's multiplicity ledger in the sidebar (core.analyses.ledger).

Pages call :func:`record` for every test they show; the shell renders :func:`panel` after the
page. The ledger lives in this browser session only (``st.session_state``): a shared link
reproduces the view, not the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from core.analyses.ledger import SHARE_NOTE, Entry, Ledger
from core.present import ledger as ledger_text
from pages import _access

KEY = "_multiplicity_ledger"


def current() -> Ledger:
    led = st.session_state.get(KEY)
    return led if isinstance(led, Ledger) else Ledger()


def record(page: str, kind: str, hypothesis: str, p: float | None) -> str:
    """Record one shown test; returns the sentence its exports carry ("" when p is missing)."""
    if p is None:
        return ""
    led = current().record(Entry(kind, hypothesis, page, float(p)))
    st.session_state[KEY] = led
    return ledger_text.sentence(led.row(kind, hypothesis), led)


def record_all(entries: list[Entry]) -> str:
    """Record the tests a view shows; returns the sentence for its exports (about the first,
    the view's headline test; "" when the view shows no test)."""
    if not entries:
        return ""
    led = current()
    for e in entries:
        led = led.record(e)
    st.session_state[KEY] = led
    first = entries[0]
    return ledger_text.sentence(led.row(first.kind, first.hypothesis), led)


def panel(where: Any) -> None:
    """The sidebar list of this session's tests with Holm and Benjamini-Hochberg p values
    (in ``where``, a sidebar container placed before the page ran)."""
    led = current()
    label = f"Tests this session: {len(led)}" if len(led) else "Tests this session: none yet"
    with where.expander(label, icon=":material/functions:"):
        if not len(led):
            st.caption("Every test a page shows (log-rank, Fisher, Cox, ...) is listed here.")
            return
        table = ledger_text.frame(led)
        st.dataframe(
            table[["No.", "Test", "p", "p (Holm)", "p (Benjamini-Hochberg)"]],
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(format="%.4f")
                for c in ("p", "p (Holm)", "p (Benjamini-Hochberg)")
            },
        )
        st.caption(
            "Adjusted over all tests above: Holm controls the chance of any false positive, "
            "Benjamini-Hochberg the expected share of false positives. " + SHARE_NOTE
        )
        today = dt.date.today().isoformat()
        st.download_button(
            "Download the ledger (CSV)",
            ledger_text.csv(led, today, _access.mode()).encode("utf-8-sig"),
            file_name=f"net-explorer-tests-{today}.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        if st.button("Start a new ledger", key="_ledger_clear"):
            st.session_state[KEY] = Ledger()
            st.rerun()
