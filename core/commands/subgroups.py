"""``subgroups``: the hazard ratio of one comparison within each level of other fields.

Usage::

    python -m core subgroups --cohort pgep-mibg-211 --compare treatments=Multiple --json
    python -m core subgroups --compare route=IA --vs IV --by sex --by grade --json

``--cohort A[,B]`` puts one or more cohorts in view. ``--compare FIELD=LEVEL[,LEVEL]`` names the comparison arm; ``--vs [FIELD=]LEVEL[,LEVEL]`` the
reference arm (default: every other level of FIELD); ``--by FIELD`` (repeatable) the
subgroup fields (default: cohort, sex, age band, primary site, grade, route, prior SSA, liver
metastases, without FIELD). Levels by label or stored code.

JSON (``--json``): ``{"disclosure", "comparison": {"field", "arm", "vs", "label",
"comparison_arm", "reference_arm"}, "endpoint", "origin", "ties", "method", "n_selected", "n",
"events", "overall": ROW, "subgroups": [{"field", "label", "levels": [ROW], "interaction":
{"chi2", "df", "p", "reason"}}], "warnings"}`` with ROW = ``{"level", "n", "events", "n_ref",
"events_ref", "n_cmp", "events_cmp", "hr", "hr_ci": [lo, hi], "p", "estimable", "reason",
"orr_difference"}``; ``orr_difference`` = ``{"estimate", "ci": [lo, hi], "n": {"comparison",
"reference"}, "responders": {...}, "rate": {...}, "method"}`` (imaging CR + PR among evaluable
patients of the selection, comparison minus reference arm, 0..1 scale, Newcombe hybrid score
CI) or ``{"withheld", "reason", "method"}`` where it is not shown.
Counts as the disclosure mode shows them (``"<11"``, ``"suppressed"``); in protected mode an
interaction may be ``{"withheld": true, "reason"}``. Exit code 2 with a message on stderr for
an unknown field or level, or an analysis that disclosure control withholds (the JSON then
says why when ``--json`` is given).
"""

from __future__ import annotations

import argparse

from core.analyses.subgroups import (
    FIELDS,
    SubgroupSpec,
    SubgroupSpecError,
    analyse,
    comparison_text,
    parse_compare,
    table_frame,
    to_json_dict,
)
from core.commands._common import (
    InvalidInput,
    add_selection,
    disclosure_mode,
    fail,
    print_json,
    print_mode_lines,
    selection,
)
from core.vocab.methods import Endpoint, Origin, Ties

NAME = "subgroups"
HELP = "subgroup forest: one comparison's hazard ratio per subgroup, interaction LR test"
ORDER = 26


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument(
        "--compare",
        required=True,
        metavar="FIELD=LEVEL[,LEVEL]",
        help="the comparison arm, e.g. route=IA or treatments=Multiple",
    )
    parser.add_argument(
        "--vs",
        default="",
        metavar="[FIELD=]LEVEL[,LEVEL]",
        help="the reference arm (default: every other level of FIELD)",
    )
    parser.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="FIELD",
        help="a subgroup field (repeatable); one of: " + ", ".join(FIELDS),
    )
    parser.add_argument("--endpoint", choices=Endpoint.codes(), default="os")
    parser.add_argument("--origin", choices=Origin.codes(), default="index")
    parser.add_argument("--ties", choices=Ties.codes(), default=Ties.EFRON.value)
    parser.add_argument(
        "--landmark", type=float, metavar="MONTHS", help="landmark at MONTHS after first treatment"
    )
    parser.add_argument(
        "--no-left-truncation",
        action="store_true",
        help="from diagnosis, count patients at risk before treatment (biased)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        ids = [c.strip() for c in str(args.cohort).split(",") if c.strip()]
        if not ids:
            raise InvalidInput("--cohort: name a cohort (or several, comma-separated)")
        for cid in ids:  # --cohort A,B: several cohorts in view (e.g. to compare them)
            filters = selection(argparse.Namespace(**{**vars(args), "cohort": cid}))
        filters = filters.with_cohorts(ids)
        field, levels, vs = parse_compare(args.compare, args.vs)
        by = tuple(b.strip() for item in args.by for b in item.split(",") if b.strip())
        spec = SubgroupSpec(
            field,
            levels,
            vs,
            by,
            endpoint=Endpoint.parse(args.endpoint),
            origin=Origin.parse(args.origin),
            ties=Ties.parse(args.ties),
            left_truncation=not args.no_left_truncation,
            landmark_months=args.landmark,
        )
    except (SubgroupSpecError, ValueError) as exc:
        return fail(str(exc))
    a = analyse(filters, spec, args.db, mode=disclosure_mode(args))
    if a.overall is None:  # withheld, refused or a level that is not observed
        if args.json and a.withheld:
            print_json(to_json_dict(a, args.cohort))
        return fail(a.error or "no subgroup analysis")
    if args.json:
        print_json(to_json_dict(a, args.cohort))
        return 0
    print_mode_lines(a.disclosure, a.notices)
    print(a.filters.describe(a.cell(a.n)), f"· {a.cell(a.events)} events")
    print(f"comparison: {comparison_text(a)}")
    print(table_frame(a).to_string(index=False))
    for note in a.disclosure_notes:
        print(f"note: {note}")
    for w in a.warnings:
        print(f"warning: {w}")
    return 0
