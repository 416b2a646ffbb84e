"""``synth``: write a database with one large synthetic cohort."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.data.build import build_synthetic

NAME = "synth"
HELP = "write a database holding one synthetic cohort of N patients (cohort id synth-N)"
ORDER = 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, required=True, help="number of patients")
    parser.add_argument("--db", type=Path, required=True, help="database file to write")
    parser.add_argument("--seed", type=int, default=7)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.n <= 10_000_000:
        print("error: --n must be between 1 and 10,000,000", file=sys.stderr)
        return 2
    build_synthetic(args.n, args.db, seed=args.seed, progress=lambda m: print(m, file=sys.stderr))
    print(args.db)
    return 0
