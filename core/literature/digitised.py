"""Reading digitised Kaplan-Meier input: two-column CSV files (curve points, numbers at risk).

Shared by the ``reconstruct`` command and the Benchmarks page (which reads an upload's text).
A file has a header (one of the accepted pairs) or none: WebPlotDigitizer's "Download .CSV" for
one data set gives two numeric columns x,y without a header. Problems raise
:class:`TableFileError` naming the file and the line.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from core.stats.reconstruct import DigitisedInputError, reconstruct

__all__ = [
    "CURVE_HEADERS",
    "RISK_HEADERS",
    "TableFileError",
    "parse_two_columns",
    "read_two_columns",
    "reconstruct_texts",
]

CURVE_HEADERS: tuple[tuple[str, str], ...] = (("time", "survival"), ("x", "y"))
"""Accepted headers of a digitised-points file (or none)."""
RISK_HEADERS: tuple[tuple[str, str], ...] = (("time", "at_risk"),)
"""Accepted header of a numbers-at-risk file (or none)."""


class TableFileError(ValueError):
    """A problem in one input file, with the line it is on (None: the whole file)."""

    def __init__(self, name: Path | str, line: int | None, rule: str) -> None:
        self.name = str(name)
        self.line = line
        self.rule = rule
        where = f"{name}, line {line}" if line is not None else str(name)
        super().__init__(f"{where}: {rule}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_two_columns(
    text: str,
    name: Path | str,
    headers: tuple[tuple[str, str], ...],
    names: tuple[str, str],
) -> tuple[list[float], list[float], list[int]]:
    """Parse the text of a two-column numeric CSV with or without a header.

    Returns the two columns and, for each data row, its line number in the text (blank lines
    are skipped but counted). Raises :class:`TableFileError` naming ``name`` and the line.
    """
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise TableFileError(name, None, f"not a readable CSV file ({exc})") from None
    a: list[float] = []
    b: list[float] = []
    lines: list[int] = []
    seen_first = False
    expected = " or ".join(",".join(h) for h in headers)
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        while len(cells) > 2 and cells[-1] == "":  # a trailing separator
            cells.pop()
        if not seen_first:
            seen_first = True
            if not all(_is_number(c) for c in cells):
                if tuple(c.lower() for c in cells) not in headers:
                    raise TableFileError(
                        name,
                        number,
                        f"expected the header {expected} (or two numeric columns without a "
                        f"header; one curve per file), found {','.join(cells)!r}",
                    )
                continue
        if len(cells) != 2:
            raise TableFileError(
                name, number, f"expected 2 values ({', '.join(names)}), found {len(cells)}"
            )
        values = []
        for col, cell in zip(names, cells, strict=True):
            if cell == "":
                raise TableFileError(name, number, f"{col} is empty")
            try:
                value = float(cell)
            except ValueError:
                raise TableFileError(name, number, f"{col} {cell!r} is not a number") from None
            if not math.isfinite(value):
                raise TableFileError(name, number, f"{col} {cell!r} is not a finite number")
            values.append(value)
        a.append(values[0])
        b.append(values[1])
        lines.append(number)
    if not a:
        raise TableFileError(name, None, "has no data rows")
    return a, b, lines


def decode(data: bytes, name: Path | str) -> str:
    """The text of an uploaded or read file (UTF-8, a byte-order mark allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableFileError(name, None, "not a UTF-8 text file (save it as CSV)") from None


def read_two_columns(
    path: Path, headers: tuple[tuple[str, str], ...], names: tuple[str, str]
) -> tuple[list[float], list[float], list[int]]:
    """Read a two-column numeric CSV file with or without a header (see
    :func:`parse_two_columns`); a missing or unreadable file raises :class:`TableFileError`."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TableFileError(path, None, "no such file") from None
    except OSError as exc:
        raise TableFileError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    return parse_two_columns(decode(data, path), path, headers, names)


def reconstruct_texts(
    curve_text: str,
    risk_text: str,
    total_events: int | None = None,
    *,
    curve_name: str = "curve",
    risk_name: str = "at-risk table",
) -> Any:
    """Read a digitised curve and its at-risk table from CSV text and reconstruct the rows.

    Returns :class:`core.stats.reconstruct.Reconstruction`; any problem raises
    :class:`TableFileError` naming the file and its line (``total_events`` problems name
    ``"total events"``).
    """
    ct, cs, curve_lines = parse_two_columns(
        curve_text, curve_name, CURVE_HEADERS, ("time", "survival")
    )
    rt, rn, risk_lines = parse_two_columns(risk_text, risk_name, RISK_HEADERS, ("time", "at_risk"))
    try:
        return reconstruct(ct, cs, rt, rn, total_events)
    except DigitisedInputError as exc:
        if exc.table == "total events":
            raise TableFileError("total events", None, exc.rule) from None
        name, lines = (curve_name, curve_lines) if exc.table == "curve" else (risk_name, risk_lines)
        line = None if exc.row is None else lines[exc.row - 1]
        raise TableFileError(name, line, exc.rule) from None
