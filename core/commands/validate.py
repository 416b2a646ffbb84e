"""``validate``: every published figure of the seed papers against what the app computes.

The figures are listed in data/validation_figures.csv (one row each, with the paper, the place
and the published value) and computed by :func:`core.analyses.validation.validate`."""

from __future__ import annotations

import argparse

from core.analyses.validation import summary, validate
from core.commands._common import add_db, add_disclosure, disclosure_mode, print_json

NAME = "validate"
HELP = (
    "reproduce the seed papers: one row per published figure with the app's value, the "
    "tolerance and pass/fail (exit code 1 if any figure fails)"
)
ORDER = 30


def configure(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    add_disclosure(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of rows {cohort, figure, source, published, computed, "
        "tolerance, ok}",
    )


def run(args: argparse.Namespace) -> int:
    rows = validate(args.db, mode=disclosure_mode(args))
    passed, total = summary(rows)
    if args.json:
        print_json([r.to_dict() for r in rows])
    else:
        cohort = None
        for r in rows:
            if r.cohort != cohort:
                cohort = r.cohort
                print(f"\n{cohort}")
            print(f"  {'pass' if r.ok else 'FAIL'}  {r.figure}  [{r.source}]")
            print(
                f"        published {r.published} · computed {r.computed} · tolerance {r.tolerance}"
            )
        print(f"\n{passed} of {total} published figures reproduced within tolerance.")
    return 0 if passed == total else 1
