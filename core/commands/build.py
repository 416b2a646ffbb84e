"""``build``: write the default database from data/."""

from __future__ import annotations

import argparse
import sys

from core.commands._common import add_db
from core.data.build import build_default
from core.data.db import default_db_path

NAME = "build"
HELP = "write the default cohort database (data/cohorts.duckdb) from the sources in data/"
ORDER = 1


def configure(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild even if the file exists (it is replaced atomically)",
    )


def run(args: argparse.Namespace) -> int:
    path = args.db or default_db_path()
    if path.exists() and not args.force:
        print(f"{path} exists; use --force to rebuild it", file=sys.stderr)
        return 0
    build_default(path, progress=lambda m: print(m, file=sys.stderr))
    print(path)
    return 0
