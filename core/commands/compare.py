"""``compare``: test a cohort selection against one published benchmark."""

from __future__ import annotations

import argparse

from core.analyses.comparison import NotComparable, all_benchmarks, compare
from core.commands._common import (
    add_selection,
    disclosure_mode,
    fail,
    print_json,
    print_mode_lines,
    selection,
)
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
            mode=disclosure_mode(args),
        )
    except NotComparable as exc:
        return fail(f"cannot compare: {exc}")
    if args.json:
        print_json(result.json())
        return 0
    print_mode_lines(result.disclosure, result.notices)
    if result.refusal:
        print(result.refusal)
        return 0
    c = result.comparison
    own = result.cohort
    print((own.filters or filters).describe(own.n_text))
    print(f"this view: {own.description}: {own.text(c.benchmark.unit.value)}")
    print(f"benchmark: {bench.study} · {bench.arm}: {bench.value_text()}")
    print(result.test_text())
    for w in c.warnings:
        print(f"warning [{w.severity.value}, {w.category.value}]: {w.message}")
    return 0
