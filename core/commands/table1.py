"""``table1``: baseline characteristics of a selection."""

from __future__ import annotations

import argparse
import sys

from core.analyses.table1 import SPLITTABLE, baseline_table
from core.commands._common import (
    InvalidInput,
    add_selection,
    disclosure_mode,
    fail,
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
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV instead of aligned text")
    out.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
    except InvalidInput as exc:
        return fail(str(exc))
    t = baseline_table(filters, args.by, mode=disclosure_mode(args), path=args.db)
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
