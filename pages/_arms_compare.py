"""The Benchmarks page's comparison of the view with one reconstructed arm.

What a rerun draws is built once per arm, view and options (pages._data.view): the comparison
(the page cache's ``arms:compare_arm_by_id``), its figure as sent to the browser, its risk
table and the three files offered for download. The arms and their list likewise, once per
database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

import pyarrow as pa
import streamlit as st

from core.analyses.arms import arms_frame
from core.data.filters import Filters
from core.literature.arms import LABEL, ReconstructedArm
from core.present.charts_arms import arm_chart
from core.present.export import to_csv_bytes
from pages import _data, _ui
from pages._shown import Shown, shown, table


def listed(arms: tuple[ReconstructedArm, ...]) -> tuple[tuple[ReconstructedArm, ...], pa.Table]:
    """Every arm and the page's list of them (as Arrow)."""
    return arms, table(arms_frame(arms))


@dataclass(frozen=True)
class Compared:
    """A comparison with what the page shows and offers of it (``r`` a str: why there is none)."""

    r: Any  # ArmComparison | str
    figure: Shown | None = None
    risk: pa.Table | None = None
    csv: bytes = b""
    paragraph: str = ""
    json: str = ""


def _compared(r: Any, *, synthetic: tuple[str, ...]) -> Compared:
    if isinstance(r, str) or r.refusal:
        return Compared(r)
    return Compared(
        r,
        shown(arm_chart(r, synthetic=synthetic)),
        table(r.risk_frame()),
        to_csv_bytes(r.table(), r.provenance_lines()),
        r.paragraph(),
        json.dumps(r.json(), indent=2, allow_nan=False),
    )


def compare(filters: Filters, arm: ReconstructedArm, horizon: float, times: tuple) -> None:
    """The view against ``arm``: figure, both medians, risk table, warnings, tests, files."""
    made = partial(_compared, synthetic=_ui.synthetic_ids(filters))
    c = _data.view(
        made, _data.analysis, "arms:compare_arm_by_id", filters, arm.id, horizon, tuple(times)
    )
    r, ident = c.r, arm.id
    if isinstance(r, str):
        st.info(f"Cannot compare: {r}")
        return
    _ui.disclosure_banner(r.disclosure)
    if r.refusal:
        st.info(r.refusal)
        return
    c.figure.draw()
    right = st.container()  # below the figure: it fits an 800 px window at full width
    right.markdown(f"**This view**: n = {r.view_n}, events {r.view_events}, median "
                   f"{r.view_median_text}")  # fmt: skip
    arm_median = "not reached" if r.arm_median is None else f"{r.arm_median:.1f} months"
    right.markdown(f"**{_ui.plain(arm.arm)}** ({LABEL}): n = {arm.n}, median "
                   f"{arm_median}")  # fmt: skip
    right.dataframe(c.risk, hide_index=True)
    st.caption(_ui.caption(r.filters or filters, r.view_n, _ui.plain(r.caption())))
    for w in r.warnings:
        st.warning(f"**{w.severity.label}** · {w.category.label}: {w.message}", icon="⚠️")
    st.markdown("\n".join(f"- {line}" for line in r.test_lines()))
    d1, d2, d3 = st.columns(3)
    d1.download_button("Statistics (CSV)", c.csv, f"{ident}-comparison.csv", "text/csv")
    d2.download_button("Paragraph (text)", c.paragraph, f"{ident}-paragraph.txt", "text/plain")
    d3.download_button("Comparison (JSON)", c.json, f"{ident}-comparison.json", "application/json")


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
