"""``compare-arm``: the selection against a reconstructed trial arm, as two samples."""

from __future__ import annotations

import argparse

from core.analyses.arms import DEFAULT_HORIZON, DEFAULT_TIMES, UnknownArm, compare_arm, find_arm
from core.commands._common import (
    add_selection,
    disclosure_mode,
    fail,
    print_json,
    print_mode_lines,
    selection,
)

NAME = "compare-arm"
HELP = (
    "Compare a cohort selection with a trial arm reconstructed from its published figure "
    "(log-rank, Cox hazard ratio, RMST and survival differences, every comparability warning)"
)
ORDER = 62
MAX_MONTHS = 1200.0
"""Longest horizon or time accepted (100 years)."""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of months") from None
    if not 0 < value <= MAX_MONTHS:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be a positive number of months, at most {MAX_MONTHS:g}"
        )
    return value


def _times(text: str) -> tuple[float, ...]:
    return tuple(_positive(t) for t in text.split(",") if t.strip())


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument(
        "--arm", required=True, help="reconstructed arm id, e.g. radiant4-everolimus-pfs"
    )
    parser.add_argument(
        "--rmst-horizon",
        type=_positive,
        default=DEFAULT_HORIZON,
        metavar="M",
        help=f"RMST horizon in months (default {DEFAULT_HORIZON:g})",
    )
    parser.add_argument(
        "--times",
        type=_times,
        default=DEFAULT_TIMES,
        metavar="M1,M2",
        help="months at which to compare survival (default "
        + ",".join(f"{t:g}" for t in DEFAULT_TIMES)
        + ")",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        arm = find_arm(args.arm, args.db)
    except UnknownArm as exc:
        return fail(f"--arm: {exc}")
    except ValueError as exc:
        return fail(str(exc))
    try:
        result = compare_arm(
            filters,
            arm,
            horizon=args.rmst_horizon,
            times=args.times,
            path=args.db,
            mode=disclosure_mode(args),
        )
    except ValueError as exc:
        return fail(f"cannot compare: {exc}")
    if args.json:
        print_json(result.json())
        return 0
    print_mode_lines(result.disclosure, result.notices)
    print(f"arm: {arm.provenance()}")
    if result.refusal:
        print(result.refusal)
        return 0
    arm_median = "not reached" if result.arm_median is None else f"{result.arm_median:.2f} months"
    print(
        f"this view: n = {result.view_n}, events {result.view_events}, median "
        f"{result.view_median_text}; arm median {arm_median}"
    )
    for line in result.test_lines():
        print(line)
    for w in result.warnings:
        print(f"warning [{w.severity.value}, {w.category.value}]: {w.message}")
    return 0
