"""``compare``: test a cohort selection against one published benchmark."""

from __future__ import annotations

import argparse

from core.analyses.comparison import NotComparable, all_benchmarks, compare, describe_test
from core.commands._common import add_selection, fail, print_json, selection
from core.vocab.methods import Endpoint, Origin

NAME = "compare"
HELP = (
    "Compare a cohort selection with a published benchmark (one-sample log-rank or exact "
    "binomial test) and list every comparability warning"
)
ORDER = 61


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--benchmark", required=True, help="benchmark id (see `benchmarks`)")
    parser.add_argument(
        "--endpoint",
        choices=Endpoint.codes(),
        help="cohort endpoint (default: the one matching the benchmark)",
    )
    parser.add_argument(
        "--origin", choices=Origin.codes(), help="cohort time origin (default: matching)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
    except ValueError as exc:
        return fail(str(exc))
    pool = all_benchmarks(args.db)
    bench = next((b for b in pool if b.id == args.benchmark), None)
    if bench is None:
        return fail(f"--benchmark {args.benchmark!r}: no such benchmark (list them: benchmarks)")
    try:
        result = compare(
            filters,
            bench,
            endpoint=Endpoint.parse(args.endpoint) if args.endpoint else None,
            origin=Origin.parse(args.origin) if args.origin else None,
            pool=pool,
            path=args.db,
        )
    except NotComparable as exc:
        return fail(f"cannot compare: {exc}")
    c = result.comparison
    if args.json:
        print_json(c.to_json_dict())
        return 0
    print(filters.describe(result.cohort.n))
    print(f"this view: {result.cohort.description}: {result.cohort.text(c.benchmark.unit.value)}")
    print(f"benchmark: {bench.study} · {bench.arm}: {bench.value_text()}")
    print(describe_test(c))
    for w in c.warnings:
        print(f"warning [{w.severity.value}, {w.category.value}]: {w.message}")
    return 0
