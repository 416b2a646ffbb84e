"""``reconstruct``: patient rows rebuilt from a digitised Kaplan-Meier curve (Guyot et al. 2012).

Input files (UTF-8 CSV, comma-separated):

* ``--curve``: the digitised points, with a header ``time,survival`` (``x,y`` is accepted too),
  or WITHOUT a header as two numeric columns (x = time, y = survival), which is what
  WebPlotDigitizer's "Download .CSV" gives for one data set. Survival may be a fraction (0-1)
  or percent (0-100); the order of the points does not matter.
* ``--at-risk``: the numbers at risk printed under the figure, header ``time,at_risk`` (or two
  numeric columns without a header); it must have a row at time 0.

Output (``--out``): one row per patient, columns ``time,event`` (1 = event, 0 = censored), times
in the unit of the input. Bad input exits with code 2 and a message naming the file, the line
and the rule; nothing is written then.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

from core.commands._common import fail
from core.stats.reconstruct import DigitisedInputError, Reconstruction, reconstruct

NAME = "reconstruct"
HELP = (
    "Rebuild patient rows (time, event) from a digitised Kaplan-Meier curve and its "
    "numbers at risk (Guyot et al. 2012)"
)
ORDER = 75

_CURVE_HEADERS = (("time", "survival"), ("x", "y"))
_RISK_HEADERS = (("time", "at_risk"),)


class _FileError(ValueError):
    """A problem in one input file, with the line it is on (None: the whole file)."""

    def __init__(self, path: Path, line: int | None, rule: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {rule}")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--curve",
        type=Path,
        required=True,
        metavar="POINTS.csv",
        help="digitised points: columns time,survival (or WebPlotDigitizer's header-less x,y)",
    )
    parser.add_argument(
        "--at-risk",
        type=Path,
        required=True,
        metavar="ATRISK.csv",
        help="numbers at risk: columns time,at_risk, with a row at time 0",
    )
    parser.add_argument(
        "--total-events", type=int, metavar="N", help="total events in the arm, if published"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="IPD.csv", help="output: columns time,event"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_two_columns(
    path: Path, headers: tuple[tuple[str, str], ...], names: tuple[str, str]
) -> tuple[list[float], list[float], list[int]]:
    """Read a two-column numeric CSV with or without a header.

    Returns the two columns and, for each data row, its line number in the file (blank lines
    are skipped but counted). Raises ``_FileError`` naming the line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _FileError(path, None, "no such file") from None
    except UnicodeDecodeError:
        raise _FileError(path, None, "not a UTF-8 text file (save it as CSV)") from None
    except OSError as exc:
        raise _FileError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise _FileError(path, None, f"not a readable CSV file ({exc})") from None
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
                    raise _FileError(
                        path,
                        number,
                        f"expected the header {expected} (or two numeric columns without a "
                        f"header; one curve per file), found {','.join(cells)!r}",
                    )
                continue
        if len(cells) != 2:
            raise _FileError(
                path, number, f"expected 2 values ({', '.join(names)}), found {len(cells)}"
            )
        values = []
        for name, cell in zip(names, cells, strict=True):
            if cell == "":
                raise _FileError(path, number, f"{name} is empty")
            try:
                value = float(cell)
            except ValueError:
                raise _FileError(path, number, f"{name} {cell!r} is not a number") from None
            if not math.isfinite(value):
                raise _FileError(path, number, f"{name} {cell!r} is not a finite number")
            values.append(value)
        a.append(values[0])
        b.append(values[1])
        lines.append(number)
    if not a:
        raise _FileError(path, None, "has no data rows")
    return a, b, lines


def summary_lines(rec: Reconstruction, n_points: int, n_times: int) -> list[str]:
    """The accuracy summary printed after a reconstruction."""
    acc = rec.accuracy

    def med(v: float | None) -> str:
        return "not reached" if v is None else f"{v:.4g}"

    given = "" if acc.events_given is None else f" (given: {acc.events_given})"
    out = [
        f"reconstructed {rec.n} patients, {rec.events} events{given}, from {n_points} points "
        f"and {n_times} at-risk times (Guyot et al. 2012)",
        f"largest distance between a digitised point and the reconstructed curve: "
        f"{acc.max_abs_diff:.4f} (at time {acc.max_abs_diff_time:g})",
        f"median: reconstructed {med(acc.median_reconstructed)}, digitised "
        f"{med(acc.median_digitised)}",
        f"numbers at risk: reconstructed within {acc.at_risk_max_abs_diff} of the table",
    ]
    out += [f"note: {n}" for n in rec.notes]
    return out


def _bad_input(exc: DigitisedInputError, args: argparse.Namespace, lines: dict) -> str:
    if exc.table == "total events":
        return f"--total-events {exc.rule}"
    path = args.curve if exc.table == "curve" else args.at_risk
    if exc.row is None:
        return f"{path}: {exc.rule}"
    return f"{path}, line {lines[exc.table][exc.row - 1]}: {exc.rule}"


def run(args: argparse.Namespace) -> int:
    try:
        ct, cs, curve_lines = read_two_columns(args.curve, _CURVE_HEADERS, ("time", "survival"))
        rt, rn, risk_lines = read_two_columns(args.at_risk, _RISK_HEADERS, ("time", "at_risk"))
    except _FileError as exc:
        return fail(str(exc))
    try:
        rec = reconstruct(ct, cs, rt, rn, args.total_events)
    except DigitisedInputError as exc:
        return fail(_bad_input(exc, args, {"curve": curve_lines, "at-risk": risk_lines}))
    try:
        with args.out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["time", "event"])
            for t, e in zip(rec.time, rec.event, strict=True):
                writer.writerow([f"{t:.10g}", int(e)])
    except OSError as exc:
        return fail(f"{args.out}: cannot be written ({exc.strerror or exc})")
    for line in summary_lines(rec, len(ct), len(rt)):
        print(line)
    print(f"wrote {rec.n} rows to {args.out}")
    return 0
