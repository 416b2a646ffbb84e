"""R downloads beside the Response table and Table 1: the base-R script reproducing the view
and, where patient rows may be given (:mod:`core.analyses.rdata`), its data (built on click)."""

from __future__ import annotations

import streamlit as st

from core.analyses.rdata import response_rows_refusal, table1_rows_refusal
from core.analyses.responses import ResponseResult, ResponseSpec
from core.analyses.table1 import Table1
from core.data.filters import Filters
from core.present import export
from core.present.rcode import DATA_FILE, analysis_csv, response_script_of, table1_script_of
from pages import _access, _data, _ui


def buttons(
    label: str,
    script: str,
    file: str,
    refusal: str,
    analysis: str,
    args: tuple,
    lines: list[str],
    key: str,
) -> None:
    """The R script's download and, unless ``refusal`` (the analysis layer's reason), the
    analysis data set's, made on click by ``_data.analysis(analysis, *args)``."""
    st.download_button(
        label, script.encode("utf-8"), file_name=file, mime="text/plain", on_click="ignore", key=key
    )
    if refusal:
        st.caption(refusal)
        return

    mode = _access.mode()  # now, on the script thread: the click runs off it

    def rows() -> bytes:
        return analysis_csv(_data.analysis_as(mode, analysis, *args).frame, lines).encode("utf-8")

    st.download_button(
        "Analysis data for R (CSV)",
        rows,
        file_name=DATA_FILE,
        mime="text/csv",
        on_click="ignore",
        key=key + "_data",
    )


def response_r(filters: Filters, spec: ResponseSpec, result: ResponseResult, method: str) -> None:
    """The response table's R script (binom.test / prop.test / qbeta, fisher.test) and rows."""
    lines = export.caption_lines(result.description, _ui.selected_infos(filters), method,
                                 disclosure=result.disclosure)  # fmt: skip
    refusal = response_rows_refusal(result)
    script = response_script_of(result, title=f"Response rates: {spec.domain.label}",
                                provenance=[*lines, refusal] if refusal else lines)  # fmt: skip
    buttons("R script (responses)", script, "reproduce_responses.R", refusal,
            "rdata:response_data", (filters, spec), lines, "response_r")  # fmt: skip


def table1_r(filters: Filters, split: str | None, t1: Table1, lines: list[str]) -> None:
    """Table 1's R script (the test the app chose per characteristic) and rows; split only."""
    if not t1.compared:
        return
    refusal = table1_rows_refusal(t1)
    script = table1_script_of(t1, title="Table 1: p-values across the split groups",
                              provenance=[*lines, refusal] if refusal else lines)  # fmt: skip
    buttons("R script (Table 1 tests)", script, "reproduce_table1.R", refusal,
            "rdata:table1_data", (filters, split), lines, "table1_r")  # fmt: skip
