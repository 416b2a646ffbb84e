"""``responses``: response categories and rates with exact intervals, and the group test."""

from __future__ import annotations

import argparse

from core.analyses.duration import duration_json, duration_of_response, summary_text
from core.analyses.responses import RESPONSE_GROUPINGS, ResponseSpec, analyse, method_line
from core.commands._common import add_selection, disclosure_mode, fail, print_json, selection
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
    parser.add_argument(
        "--duration",
        action="store_true",
        help="add the duration of response and time to response among imaging CR/PR responders",
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
    result = analyse(filters, spec, args.db, mode=disclosure_mode(args))
    dor = (
        duration_of_response(filters, path=args.db, mode=disclosure_mode(args))
        if args.duration
        else None
    )
    if args.json:
        print_json(result.json() | (duration_json(dor) if dor is not None else {}))
        return 0
    stamp = result.disclosure.stamp()
    if result.refused:
        print(result.refusal)
        if stamp:
            print(f"note: {stamp}")
        return 0
    print(result.description)
    print(method_line(spec))
    for notice in result.notices:
        print(f"note: {notice}")
    print(result.frame().to_string(index=False))
    text = result.test_text()
    if text:
        print(text)
    for note in result.notes():
        print(f"note: {note}")
    for line in summary_text(dor) if dor is not None else ():
        print(line)
    if stamp:
        print(f"note: {stamp}")
    return 0
