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
from pathlib import Path

from core.commands._common import fail
from core.literature.digitised import CURVE_HEADERS as _CURVE_HEADERS
from core.literature.digitised import RISK_HEADERS as _RISK_HEADERS
from core.literature.digitised import TableFileError as _FileError
from core.literature.digitised import read_two_columns
from core.stats.reconstruct import DigitisedInputError, Reconstruction, reconstruct

NAME = "reconstruct"
HELP = (
    "Rebuild patient rows (time, event) from a digitised Kaplan-Meier curve and its "
    "numbers at risk (Guyot et al. 2012)"
)
ORDER = 75


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
