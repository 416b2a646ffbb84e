"""``survival``: Kaplan-Meier medians, survival at times and log-rank for a selection."""

from __future__ import annotations

import argparse

from core.analyses.survival import (
    GROUPINGS,
    SurvivalSpec,
    analyse,
    exclusion_notes,
    followup_text,
    summary_frame,
    to_json_dict,
)
from core.commands._common import (
    InvalidInput,
    add_selection,
    disclosure_mode,
    fail,
    print_json,
    selection,
)
from core.vocab.methods import DAYS_PER_MONTH, ConfType, Endpoint, Origin, TimeUnit

NAME = "survival"
HELP = "Kaplan-Meier survival (median, survival at times, log-rank) for a cohort selection"
ORDER = 20


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--endpoint", choices=Endpoint.codes(), default="os")
    parser.add_argument("--origin", choices=Origin.codes(), default="index")
    parser.add_argument("--by", choices=sorted(GROUPINGS), help="group by this field")
    parser.add_argument(
        "--landmark",
        type=float,
        metavar="MONTHS",
        help="landmark analysis at MONTHS after first treatment",
    )
    parser.add_argument(
        "--times",
        default="12,24,36,60",
        metavar="T1,T2,...",
        help="times for survival estimates, in --time-unit",
    )
    parser.add_argument(
        "--time-unit",
        choices=["months", "days"],
        default="months",
        help="unit of --times, --rmst-horizon and the output (days are used exactly as given)",
    )
    parser.add_argument(
        "--rmst-horizon",
        type=float,
        default=None,
        metavar="T",
        help="restricted mean survival time up to T, in --time-unit (default 60 months; "
        "refused for a group whose follow-up ends before T, as survRM2)",
    )
    parser.add_argument("--conf-type", choices=ConfType.codes(), default="log-log")
    parser.add_argument(
        "--no-left-truncation",
        action="store_true",
        help="from diagnosis, count patients at risk before treatment (biased)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        unit = TimeUnit.parse(args.time_unit)
        given = tuple(float(t) for t in args.times.split(",") if t.strip())
        if any(not t >= 0 for t in given):
            raise InvalidInput("--times must be non-negative")
        horizon = args.rmst_horizon
        if horizon is not None and not 0 < horizon < float("inf"):
            raise InvalidInput("--rmst-horizon must be a positive time")
        # days stay exactly as given (no round trip through months); months label them
        in_days = unit is TimeUnit.DAYS
        times = tuple(t / DAYS_PER_MONTH for t in given) if in_days else given
        rmst_months = 60.0 if horizon is None else horizon
        if in_days and horizon is not None:
            rmst_months = horizon / DAYS_PER_MONTH
        if args.landmark is not None and not 0 < args.landmark <= 240:
            raise InvalidInput("--landmark must be between 0 and 240 months")
    except ValueError as exc:
        return fail(str(exc))
    spec = SurvivalSpec(
        endpoint=Endpoint.parse(args.endpoint),
        origin=Origin.parse(args.origin),
        by=args.by,
        left_truncation=not args.no_left_truncation,
        landmark_months=args.landmark,
        conf_type=ConfType.parse(args.conf_type),
        times_months=times,
        times_in_days=given if in_days else None,
        rmst_months=rmst_months,
        rmst_in_days=horizon if in_days else None,
    )
    analysis = analyse(filters, spec, args.db, mode=disclosure_mode(args))
    if args.json:
        print_json(to_json_dict(analysis, unit, args.cohort))
        return 0
    d = analysis.disclosure
    if d.stamp():
        print(d.stamp())
    for notice in analysis.notices:
        print(f"note: {notice}")
    if analysis.refused:
        print(analysis.describe())
        print(analysis.refusal)
        return 0
    print(analysis.describe())
    if not analysis.groups:
        print("No selected patient has data for this endpoint and origin.")
        return 0
    print(summary_frame(analysis, unit).to_string(index=False))
    if followup := followup_text(analysis, unit):
        print(followup.replace("**", ""))
    if analysis.logrank:
        lr = analysis.logrank
        print(f"log-rank chi2 = {lr.chi2:.3f}, df = {lr.df}, p = {lr.p:.4g}")
    for note in exclusion_notes(analysis):
        print(f"note: {note}")
    for w in analysis.warnings:
        print(f"warning: {w}")
    return 0
