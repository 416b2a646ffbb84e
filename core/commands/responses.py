"""``responses``: response categories and rates with exact intervals, and the group test."""

from __future__ import annotations

import argparse

from core.analyses.defined_groups import DefinedResponses, compare_responses
from core.analyses.duration import duration_json, duration_of_response, summary_text
from core.analyses.responses import RESPONSE_GROUPINGS, ResponseSpec, analyse, method_line
from core.commands._common import (
    InvalidInput,
    add_groups,
    add_selection,
    disclosure_mode,
    fail,
    group_set,
    print_json,
    selection,
)
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
    add_groups(parser)
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
    if args.group:
        if args.by:
            return fail("give either --by or --group, not both")
        try:
            groups = group_set(args, filters)
        except InvalidInput as exc:
            return fail(str(exc))
        cmp = compare_responses(groups, spec, args.db, mode=disclosure_mode(args))
        return _defined_groups(args, cmp)
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


def _rate_json(cmp: DefinedResponses, r, key: str, p) -> dict | None:
    """One rate of one group as it may be shown (None where withheld)."""
    if p is None:
        return None
    den = "eval" if cmp.spec.denominator is Denominator.EVALUABLE else "n"
    off = key in r.hidden or den in r.hidden
    return {
        "rate": key,
        "responders": None if key in r.hidden else p.n,
        "denominator": None if den in r.hidden else p.denominator,
        "pct": None if off else p.pct,
        "ci": None if off else [p.lower, p.upper],
        "ci_method": p.method.value,
    }


def _defined_groups(args: argparse.Namespace, cmp: DefinedResponses) -> int:
    """``responses --group``: each group's rates, the overlaps, the test or why there is none."""
    d = cmp.disclosure
    overlaps = [{"a": o.a, "b": o.b, "n": o.shown} for o in cmp.overlaps]
    if args.json:
        first = cmp.rate_names[0] if not cmp.refused else None
        rows = []
        for r in cmp.rows:
            rates = [
                _rate_json(cmp, r, k, p)
                for k, p in zip(cmp.rate_names, (r.rate, r.control), strict=False)
            ]
            main = rates[0] or {}
            rows.append(
                {
                    "name": r.name,
                    "selection": r.description,
                    "n": None if "n" in r.hidden else r.n,
                    "evaluable": None if "eval" in r.hidden else r.n_evaluable,
                    "responders": main.get("responders"),
                    "rate": main.get("pct"),
                    "ci": main.get("ci"),
                    "rates": [x for x in rates if x is not None],
                }
            )
        t = cmp.test
        print_json(
            {
                "domain": cmp.spec.domain.value,
                "denominator": cmp.spec.denominator.value,
                "rate": first,
                "refusal": cmp.refusal or None,
                "groups": rows,
                "test": None
                if t is None
                else {"method": t.method.value, "label": t.method.label, "p": t.p},
                "overlaps": overlaps,
                "notes": list(cmp.notes),
                "disclosure": d.json(),
            }
        )
        return 0
    if d.stamp():
        print(d.stamp())
    if cmp.refused:
        print(cmp.refusal)
        return 0
    print(cmp.method())
    for o in overlaps:
        print(f"in both {o['a']} and {o['b']}: {o['n']}")
    print(cmp.frame().to_string(index=False))
    if text := cmp.test_text():
        print(text)
    for note in cmp.notes:
        print(f"note: {note}")
    return 0
