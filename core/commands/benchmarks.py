"""``benchmarks``: list the literature registry (and user-added figures) with their ids."""

from __future__ import annotations

import argparse
import sys

from core.analyses.comparison import all_benchmarks, filter_benchmarks, table_frame
from core.commands._common import add_db, print_json
from core.data.db import DatabaseUnavailable
from core.literature.registry import BenchmarkEndpoint, TherapyClass, load_benchmarks

NAME = "benchmarks"
HELP = "List published benchmark figures (registry and user-added), filterable"
ORDER = 60


def configure(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--therapy", choices=TherapyClass.codes(), help="therapy class")
    parser.add_argument("--endpoint", choices=BenchmarkEndpoint.codes(), help="registry endpoint")
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows")


def run(args: argparse.Namespace) -> int:
    try:
        pool = all_benchmarks(args.db)
    except DatabaseUnavailable as exc:
        print(f"note: user-added figures not read ({exc})", file=sys.stderr)
        pool = load_benchmarks()
    rows = filter_benchmarks(pool, args.therapy, args.endpoint)
    if args.json:
        print_json(
            [{**b.to_record(), "value_text": b.value_text(), "links": b.links()} for b in rows]
        )
        return 0
    frame = table_frame(rows)[["ID", "Study", "Endpoint", "Figure", "n", "Added"]]
    print(frame.to_string(index=False) if len(frame) else "no benchmark matches")
    return 0
