"""``survival``: Kaplan-Meier medians, survival at times and log-rank for a selection."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.analyses.defined_groups import compare_survival
from core.analyses.effects import effects_json, effects_of, effects_text
from core.analyses.rdata import analysis_data
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
    add_groups,
    add_selection,
    disclosure_mode,
    fail,
    group_set,
    in_months,
    print_json,
    requested_times,
    selection,
)
from core.data.filters import Filters
from core.present.rcode import DATA_FILE, SCRIPT_FILE, analysis_csv, survival_script
from core.vocab.methods import DAYS_PER_MONTH, ConfType, Endpoint, Origin

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
    add_groups(parser)
    parser.add_argument(
        "--r-code",
        type=Path,
        default=None,
        metavar="DIR",
        help="write reproduce.R and (where nothing is protected) analysis_data.csv to DIR",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        unit, given, in_days = requested_times(args)
        horizon = args.rmst_horizon
        if horizon is not None and not 0 < horizon < float("inf"):
            raise InvalidInput("--rmst-horizon must be a positive time")
        times = in_months(given, in_days)
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
    if args.group:
        if args.by:
            return fail("give either --by or --group, not both")
        return _defined_groups(args, filters, spec, unit)
    analysis = analyse(filters, spec, args.db, mode=disclosure_mode(args))
    if args.r_code is not None:
        _write_r_code(args, analysis)
    if args.json:
        data = to_json_dict(analysis, unit, args.cohort)
        data.update(effects_json(effects_of(analysis), unit))  # group vs the first shown group
        print_json(data)
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
    for line in effects_text(effects_of(analysis), unit):
        print(line)
    for note in exclusion_notes(analysis):
        print(f"note: {note}")
    for w in analysis.warnings:
        print(f"warning: {w}")
    return 0


def _defined_groups(args: argparse.Namespace, filters: Filters, spec, unit) -> int:
    try:
        groups = group_set(args, filters)
    except InvalidInput as exc:
        return fail(str(exc))
    cmp = compare_survival(groups, spec, args.db, mode=disclosure_mode(args))
    d = cmp.disclosure
    definitions = [{"name": g.name, "selection": g.filters.describe()} for g in groups.groups]
    overlaps = [{"a": o.a, "b": o.b, "n": o.shown} for o in cmp.overlaps]
    if args.json:
        data = {"groups_defined": definitions, "disclosure": d.json(), "refusal": cmp.refusal}
        if cmp.analysis is not None:
            data.update(to_json_dict(cmp.analysis, unit, args.cohort))
            data["disclosure"] = d.json()
        data["overlaps"] = overlaps
        data["notes"] = list(cmp.notes)
        data["hazard_ratios_vs_first"] = [
            {"group": h.label, "hr": h.hr, "ci": [h.lower, h.upper], "p": h.p}
            for h in cmp.hazard_ratios
        ]
        print_json(data)
        return 0
    if d.stamp():
        print(d.stamp())
    for g in definitions:
        print(f"group {g['name']}: {g['selection']}")
    if cmp.refused:
        print(cmp.refusal)
        return 0
    for o in overlaps:
        print(f"in both {o['a']} and {o['b']}: {o['n']}")
    print(summary_frame(cmp.analysis, unit).to_string(index=False))
    if cmp.analysis.logrank:
        lr = cmp.analysis.logrank
        print(f"log-rank chi2 = {lr.chi2:.3f}, df = {lr.df}, p = {lr.p:.4g}")
    for h in cmp.hazard_ratios:
        if h.hr is not None:
            print(
                f"HR {h.label} vs {groups.groups[0].name}: {h.hr:.3f} ({h.lower:.3f}-{h.upper:.3f})"
            )
    for note in cmp.notes:
        print(f"note: {note}")
    return 0


def _write_r_code(args: argparse.Namespace, analysis) -> None:
    """reproduce.R (always) and analysis_data.csv (only where nothing is protected)."""
    out: Path = args.r_code
    out.mkdir(parents=True, exist_ok=True)
    spec = analysis.spec
    data = analysis_data(analysis.filters, spec, args.db, mode=disclosure_mode(args))
    groups = [g.label for g in analysis.groups if g.in_tests] if spec.by else []
    head = [f"Selection: {analysis.describe()}", analysis.disclosure.stamp() or "Disclosure: none"]
    delayed = spec.origin is not Origin.INDEX and spec.left_truncation
    script = survival_script(
        title=f"{spec.endpoint.label}, {spec.origin.label.lower()} origin",
        groups=groups,
        reference=groups[0] if groups else None,
        times_days=list(spec.times_days),
        rmst_days=spec.rmst_days,
        conf_type=spec.conf_type,
        delayed_entry=delayed,
        provenance=head,
    )
    (out / SCRIPT_FILE).write_text(script, encoding="utf-8")
    if data.refused:
        print(f"note: {data.refusal}", file=sys.stderr)
        return
    (out / DATA_FILE).write_text(analysis_csv(data.frame, head), encoding="utf-8")
