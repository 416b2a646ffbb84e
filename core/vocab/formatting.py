"""Number formatting for tables, captions and paragraphs (journal style)."""

from __future__ import annotations

import math
import re
from typing import Any


def fmt_p(p: float | None, *, prefix: bool = True) -> str:
    """Journal-style p-value: 'p < 0.001', 'p = 0.046', 'p = 0.31'; '–' when undefined."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    if p < 0.001:
        return "p < 0.001" if prefix else "< 0.001"
    text = f"{p:.3f}" if p < 0.1 else f"{p:.2f}"
    if text == "0.100":  # 0.0995 <= p < 0.1 rounds up: print as the two-decimal range does
        text = "0.10"
    return f"p = {text}" if prefix else text


def fmt_num(x: float | None, digits: int = 1, missing: str = "–") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return missing
    return f"{x:.{digits}f}"


def fmt_est_ci(
    est: float | None,
    lo: float | None,
    hi: float | None,
    digits: int = 1,
    not_reached: str = "not reached",
    beyond: float | None = None,
) -> str:
    """'29.0 (24.1–33.5)'; a missing estimate is 'not reached', a missing limit 'NR'.

    ``beyond``: a missing estimate or upper limit lies past a shown curve that ends there
    (disclosure control), written 'beyond 70.0' instead of 'not reached' / 'NR'.
    """
    past = None if beyond is None else f"beyond {beyond:.{digits}f}"
    if est is None:
        return past or not_reached
    hi_text = fmt_num(hi, digits, past or "NR")
    return f"{est:.{digits}f} ({fmt_num(lo, digits, 'NR')}–{hi_text})"


def fmt_pct_ci(pct: float | None, lo: float | None, hi: float | None, digits: int = 1) -> str:
    if pct is None:
        return "–"
    return f"{pct:.{digits}f}% ({fmt_num(lo, digits)}–{fmt_num(hi, digits)})"


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is run as a formula by spreadsheets (CSV injection)."""
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def formula_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading apostrophe.

    Non-text values and text that is a plain number (``-3``, ``+1.5``) are returned as they
    are: they cannot execute. ``=HYPERLINK(...)``, ``+cmd``, ``-1+1``, ``@SUM(A1)`` and cells
    starting with a tab or carriage return get the apostrophe.
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_LEADS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def formula_safe_frame(table: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells and column names cannot start a formula
    (:func:`formula_safe`); numeric columns are left as they are."""
    out = table.copy()
    out.columns = [formula_safe(str(c)) for c in out.columns]
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if col.dtype.kind not in "biufcmM":  # text, objects, categories
            out.isetitem(i, col.astype(object).map(formula_safe))
    return out


def formula_safe_csv(table: Any) -> bytes:
    """A pandas DataFrame as CSV bytes (UTF-8 with BOM, CRLF rows), every text cell and
    column name passed through :func:`formula_safe`."""
    return formula_safe_frame(table).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
