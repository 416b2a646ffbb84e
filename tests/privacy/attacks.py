"""Arithmetic an attacker does on shown figures: parse cells, and derive hidden counts."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from tests.privacy.collect import THRESHOLD

CELL = re.compile(r"^\s*(\d[\d,]*)\s*(?:\(\s*(\d+(?:\.\d+)?)\s*%?)?")
HEADER_N = re.compile(r"\(n\s*=\s*([^)]+)\)")


def small(n: int | None) -> bool:
    return n is not None and 0 < n < THRESHOLD


def count(cell: Any) -> int | None:
    """The count a cell shows ('52 (86.7%)' -> 52, '60' -> 60), None when hidden or empty."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return int(cell) if float(cell).is_integer() else None
    m = CELL.match(str(cell))
    return int(m.group(1).replace(",", "")) if m else None


def percent(cell: Any) -> float | None:
    m = CELL.match(str(cell)) if cell is not None else None
    return float(m.group(2)) if m and m.group(2) else None


def header_n(label: str) -> int | None:
    m = HEADER_N.search(str(label))
    return count(m.group(1)) if m else None


def csv_frame(text: str) -> pd.DataFrame:
    """The table of a CSV, after its '# ' provenance lines."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    while lines and lines[0].startswith("# "):
        lines.pop(0)
    return pd.read_csv(io.StringIO("".join(lines)), dtype=str, keep_default_na=False)


def partition_gap(total: int | None, cells: Sequence[Any]) -> int | None:
    """Total minus the shown cells when the rest are hidden: the sum of the hidden cells."""
    if total is None:
        return None
    shown = [count(c) for c in cells]
    if all(v is not None for v in shown):
        return None  # nothing hidden
    return total - sum(v for v in shown if v is not None)


def derived_denominator(cells: Iterable[Any]) -> int | None:
    """The denominator implied by any shown 'k (p%)' cell with 0 < p < 100."""
    for c in cells:
        k, p = count(c), percent(c)
        if k and p and 0 < p < 100:
            return round(k * 100 / p)
    return None


def numeric(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return not math.isnan(value)
    return bool(re.match(r"^\s*-?\d+(?:\.\d+)?\s*(?:\(|$)", str(value)))


def hidden(value: Any) -> bool:
    s = str(value).strip().lower()
    return s.startswith("<") or s in ("suppressed", "withheld", "not shown")
