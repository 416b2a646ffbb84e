"""Number formatting for tables, captions and paragraphs (journal style)."""

from __future__ import annotations

import math


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
) -> str:
    """'29.0 (24.1–33.5)'; a missing estimate is 'not reached', a missing limit 'NR'."""
    if est is None:
        return not_reached
    return f"{est:.{digits}f} ({fmt_num(lo, digits, 'NR')}–{fmt_num(hi, digits, 'NR')})"


def fmt_pct_ci(pct: float | None, lo: float | None, hi: float | None, digits: int = 1) -> str:
    if pct is None:
        return "–"
    return f"{pct:.{digits}f}% ({fmt_num(lo, digits)}–{fmt_num(hi, digits)})"
