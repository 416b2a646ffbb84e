"""``cuminc``: cumulative incidence of death by cause, Gray's test and Fine-Gray hazard ratios."""

from __future__ import annotations

import argparse

import pandas as pd

from core.analyses.competing import (
    METHODS,
    CompetingSpec,
    analyse,
    comparison_rows,
    notes,
    risk_rows,
    summary_rows,
    to_json_dict,
)
from core.analyses.survival import GROUPINGS
from core.commands._common import (
    add_selection,
    disclosure_mode,
    fail,
    in_months,
    print_json,
    print_mode_lines,
    requested_times,
    selection,
)
from core.vocab.formatting import fmt_p

NAME = "cuminc"
HELP = (
    "competing risks of death by cause (NET-related, other, unknown): cumulative incidence "
    "(Aalen-Johansen, 95% CI), Gray's test and Fine-Gray hazard ratios, as R's cmprsk"
)
ORDER = 21


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--by", choices=sorted(GROUPINGS), help="group by this field")
    parser.add_argument(
        "--times",
        default="12,24,36,60",
        metavar="T1,T2,...",
        help="times for the cumulative incidence and the risk table, in --time-unit",
    )
    parser.add_argument(
        "--time-unit",
        choices=["months", "days"],
        default="months",
        help="unit of --times and the output (days are used exactly as given)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        unit, given, in_days = requested_times(args)
    except ValueError as exc:
        return fail(str(exc))
    spec = CompetingSpec(
        by=args.by,
        times_months=in_months(given, in_days),
        times_in_days=given if in_days else None,
    )
    a = analyse(filters, spec, args.db, mode=disclosure_mode(args))
    if args.json:
        print_json(to_json_dict(a, unit, args.cohort))
        return 0
    print_mode_lines(a.disclosure, a.notices)
    print(a.describe())
    if a.refused:
        print(a.refusal)
        return 0
    if not a.groups:
        print("No selected patient has overall survival data.")
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(summary_rows(a, unit)).to_string(index=False))
        print("\nRisk table (at risk; deaths by cause and censored, cumulative)")
        print(pd.DataFrame(risk_rows(a, unit)).to_string(index=False))
        tests = comparison_rows(a)
        if tests and spec.by:
            frame = pd.DataFrame(tests)
            for col in ("p (Gray)", "p (Wald)"):
                frame[col] = [fmt_p(p, prefix=False) if p is not None else "–" for p in frame[col]]
            print("\nGray's test and Fine-Gray subdistribution hazard ratios (SHR)")
            print(frame.to_string(index=False))
    print("\nMethods: " + "; ".join(METHODS.values()) + ".")
    for note in notes(a):
        print(f"note: {note}")
    for w in a.warnings:
        print(f"warning: {w}")
    return 0
