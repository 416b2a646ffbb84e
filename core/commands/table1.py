"""``table1``: baseline characteristics of a selection."""

from __future__ import annotations

import argparse

from core.analyses.disclosure import disclosure_for_selection
from core.analyses.table1 import SPLITTABLE, table1
from core.commands._common import InvalidInput, add_selection, fail, selection
from core.data.queries import patients_frame

NAME = "table1"
HELP = "print Table 1 (baseline characteristics) for a cohort selection"
ORDER = 10


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--by", choices=SPLITTABLE, help="split the table by this field")
    parser.add_argument("--csv", action="store_true", help="CSV instead of aligned text")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
    except InvalidInput as exc:
        return fail(str(exc))
    disclosure = disclosure_for_selection(filters.cohorts, args.db)
    t = table1(patients_frame(filters, path=args.db), args.by, disclosure)
    frame = t.to_frame()
    print(frame.to_csv(index=False) if args.csv else frame.to_string(index=False))
    return 0
