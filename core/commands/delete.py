"""``delete-cohort``: remove a cohort and all its rows, atomically, and log it."""

from __future__ import annotations

import argparse

from core.cohorts.importer import DeleteRefused, delete_cohort
from core.commands._common import add_db, fail

NAME = "delete-cohort"
HELP = (
    "delete a cohort (imported cohorts; default cohorts only with --force) and log it in import_log"
)
ORDER = 5


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cohort", required=True, help="cohort id")
    add_db(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="allow deleting a default synthetic or published cohort "
        "(restore with `python -m core build --force`)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        report = delete_cohort(args.cohort, args.db, force=args.force)
    except DeleteRefused as exc:
        return fail(str(exc))
    except FileNotFoundError as exc:
        return fail(str(exc))
    print(report.summary())
    return 0
