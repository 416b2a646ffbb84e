"""``table1``: baseline characteristics of a selection."""

from __future__ import annotations

import argparse
import sys

from core.analyses.table1 import SPLITTABLE, baseline_table, baseline_table_by_groups
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
from core.present import table1 as shown

NAME = "table1"
HELP = "print Table 1 (baseline characteristics) for a cohort selection"
ORDER = 10


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--by", choices=SPLITTABLE, help="split the table by this field")
    add_groups(parser)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV instead of aligned text")
    out.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        groups = None
        if args.group:
            if args.by:
                raise InvalidInput("give either --by or --group, not both")
            groups = group_set(args, filters)
    except InvalidInput as exc:
        return fail(str(exc))
    if groups is not None:  # one column per group you define
        t = baseline_table_by_groups(groups, mode=disclosure_mode(args), path=args.db)
    else:
        t = baseline_table(filters, args.by, mode=disclosure_mode(args), path=args.db)
    if args.json and groups is not None:
        data = t.json()
        data["groups_defined"] = [
            {"name": g.name, "selection": g.filters.describe()} for g in groups.groups
        ]
        data["overlaps"] = [{"a": o.a, "b": o.b, "n": o.shown} for o in t.overlaps]
        print_json(data)
        return 0
    if args.json:
        print_json(t.json())
        return 0
    if t.refused:
        print(t.refusal)
        if stamp := t.disclosure.stamp():
            print(f"note: {stamp}")
        return 0
    frame = shown.frame(t)
    if args.csv:
        # provenance lines open the CSV, as every other CSV (read back by skipping '# ' lines)
        print(f"# Selection: {' '.join(str(t.description).split())}")
        what = t.disclosure.stamp() or "no imported (real) data in view, figures shown exactly"
        print(f"# Disclosure: {t.disclosure.mode.value} mode; {what}")
        print(frame.to_csv(index=False), end="")
        for line in shown.footnotes(t):
            print(f"note: {line}", file=sys.stderr)
        if stamp := t.disclosure.stamp():
            print(f"note: {stamp}", file=sys.stderr)
        return 0
    print(t.description)
    for notice in t.notices:
        print(f"note: {notice}")
    print(frame.to_string(index=False))
    for line in shown.footnotes(t):
        print(line)
    if stamp := t.disclosure.stamp():
        print(f"note: {stamp}")
    return 0
