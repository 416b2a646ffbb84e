"""``cohorts``: list the cohorts in a database."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from core.commands._common import add_db, print_json
from core.data.db import list_cohorts

NAME = "cohorts"
HELP = "list the cohorts in the database with provenance, size and data version"
ORDER = 3


def configure(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    cohorts = list_cohorts(args.db)
    if args.json:
        print_json([{k: v for k, v in asdict(c).items() if k != "extra"} for c in cohorts])
        return 0
    for c in cohorts:
        print(f"{c.cohort_id:24} {c.provenance:16} n={c.n_patients:<8} version {c.data_version}")
    return 0
