"""Table 1 as shown: the characteristics table with its p-value and SMD columns, and the
footnotes naming each test.

Presentation only: every figure comes from a :class:`core.analyses.table1.Table1` that the
analysis layer has already protected (a withheld test carries its note and no value).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from core.analyses.table1 import NOT_SHOWN, Table1, VariableTest

P_COLUMN = "p-value"
SMD_COLUMN = "SMD"
MARKS = "ᵃᵇᶜᵈᵉᶠᵍʰ"
"""Footnote marks, in order of first use."""
NO_VALUE = "–"

TESTS_NOTE = (
    "Tests as gtsummary's add_p() defaults: Wilcoxon rank-sum (two groups) or Kruskal-Wallis "
    "(three or more) for continuous rows; Pearson's chi-squared test without continuity "
    "correction when every expected count is at least 5, Fisher's exact test otherwise. Each "
    "test leaves out the patients with a missing value of its characteristic; patients with a "
    "missing split value are shown but not compared."
)


def _round(x: float, digits: int) -> str:
    q = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def p_text(p: float | None) -> str:
    """A p-value as gtsummary's ``style_pvalue(digits = 1)``: ``>0.9``; one decimal from 0.2,
    two from 0.1, three below; ``<0.001``."""
    if p is None:
        return NO_VALUE
    if float(_round(p, 1)) > 0.9:
        return ">0.9"
    if float(_round(p, 1)) >= 0.2:
        return _round(p, 1)
    if float(_round(p, 2)) >= 0.1:
        return _round(p, 2)
    if p >= 0.001:
        return _round(p, 3)
    return "<0.001"


def smd_text(smd: float | None) -> str:
    if smd is None:
        return NO_VALUE
    text = f"{smd:.2f}"
    return "0.00" if text == "-0.00" else text


def marks(t: Table1) -> dict[str, str]:
    """Footnote mark of each test label used, in order of first use."""
    out: dict[str, str] = {}
    for v in t.tests:
        if v.method is not None and v.p is not None and v.method.label not in out:
            out[v.method.label] = MARKS[len(out) % len(MARKS)]
    return out


def _cells(v: VariableTest, mark: dict[str, str]) -> tuple[str, str]:
    if v.note == NOT_SHOWN:
        return v.note, v.note
    p = p_text(v.p) + (mark[v.method.label] if v.method and v.p is not None else "")
    return p, smd_text(v.smd)


def frame(t: Table1) -> pd.DataFrame:
    """:meth:`Table1.to_frame` with a p-value column (and an SMD column for two groups) on
    the first row of each characteristic."""
    out = t.to_frame()
    if not t.tests:
        return out
    mark = marks(t)
    p_col, smd_col = [""] * len(t.rows), [""] * len(t.rows)
    seen: set[str] = set()
    for i, r in enumerate(t.rows):
        v = t.test_for(r.family)
        if v is None or r.family in seen:
            continue
        seen.add(r.family)
        p_col[i], smd_col[i] = _cells(v, mark)
    out[P_COLUMN] = p_col
    if len(t.compared) == 2:
        out[SMD_COLUMN] = smd_col
    return out


def footnotes(t: Table1) -> list[str]:
    """The footnotes under the table: each test by its mark, how tests and SMDs were made,
    and what a withheld value means."""
    if not t.tests:
        return []
    lines = [f"{m} {label}" for label, m in marks(t).items()]
    lines.append(TESTS_NOTE)
    if len(t.compared) == 2:
        lines.append(
            f"SMD: standardised mean difference, {t.compared[0]} minus {t.compared[1]}, as R "
            "smd::smd: for continuous and yes/no rows the difference of the means over the "
            "square root of the mean of the two variances (divisor n), signed; for categorical "
            "rows the multi-level SMD of Yang and Dalton, unsigned."
        )
    if any(v.note == NOT_SHOWN for v in t.tests):
        below = f" below {t.disclosure.threshold}" if t.disclosure.threshold else ""
        lines.append(
            "'not shown: small counts': the test or SMD would be computed on a withheld count "
            f"(a count{below}, or one hidden to protect it)."
        )
    if any(v.note.startswith("no p-value") for v in t.tests):
        lines.append("–: no p-value (a single level, or fewer than two groups with a value).")
    return lines
