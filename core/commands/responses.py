"""``responses``: response categories and rates with exact intervals, and the group test."""

from __future__ import annotations

import argparse

from core.analyses.disclosure import disclosure_for_selection
from core.analyses.responses import (
    RESPONSE_GROUPINGS,
    ResponseSpec,
    analyse,
    method_line,
    protected_json,
    protection,
    table_frame,
    table_notes,
    test_text,
)
from core.commands._common import add_selection, fail, print_json, selection
from core.stats.responses import to_json_dict
from core.vocab.methods import BinomialCI, Denominator, ResponseDomain

NAME = "responses"
HELP = "Response rates (imaging, symptomatic, biochemical) with 95% CIs for a cohort selection"
ORDER = 22


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument(
        "--by", choices=sorted(RESPONSE_GROUPINGS), help="group by this baseline field"
    )
    parser.add_argument("--domain", choices=ResponseDomain.codes(), default="imaging")
    parser.add_argument(
        "--denominator",
        choices=Denominator.codes(),
        default="evaluable",
        help="rates over evaluable patients (default) or all treated patients",
    )
    parser.add_argument(
        "--ci",
        choices=BinomialCI.codes(),
        default="clopper-pearson",
        help="binomial confidence interval (default Clopper-Pearson exact)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        spec = ResponseSpec(
            domain=ResponseDomain.parse(args.domain),
            denominator=Denominator.parse(args.denominator),
            ci=BinomialCI.parse(args.ci),
            by=args.by,
        )
    except ValueError as exc:
        return fail(str(exc))
    table = analyse(filters, spec, args.db)
    prot = protection(table, disclosure_for_selection(filters.cohorts, args.db))
    if args.json:
        print_json(protected_json(to_json_dict(table), table, prot))
        return 0
    print(filters.describe(table.overall.n))
    print(method_line(spec))
    print(table_frame(table, prot).to_string(index=False))
    text = test_text(table)
    if text:
        print(text)
    for note in table_notes(table, prot):
        print(f"note: {note}")
    return 0
