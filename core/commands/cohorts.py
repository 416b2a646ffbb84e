"""``cohorts``: list the cohorts in a database."""

from __future__ import annotations

import argparse

from core.analyses.cohorts import cohorts
from core.commands._common import add_db, add_disclosure, disclosure_mode, print_json

NAME = "cohorts"
HELP = "list the cohorts in the database with provenance, size and data version"
ORDER = 3


def configure(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    add_disclosure(parser)
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    cards = cohorts(args.db, mode=disclosure_mode(args))
    if args.json:
        print_json([c.json() for c in cards])
        return 0
    for c in cards:
        i = c.info
        print(f"{i.cohort_id:24} {i.provenance:16} n={c.n_text:<8} version {i.data_version}")
    stamps = dict.fromkeys(s for c in cards if (s := c.disclosure.stamp()))
    for stamp in stamps:
        print(f"note: {stamp}")
    return 0
