"""Command-line entry point. Each module in ``core/commands/`` contributes one sub-command.

A command module defines ``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``.
Exit codes: 0 success, 2 invalid input (message on stderr), 3 database unavailable.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import core.commands
from core.data.db import DatabaseUnavailable


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="NET Outcomes Explorer: build the cohort database and compute outcomes.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    mods = []
    for info in pkgutil.iter_modules(core.commands.__path__):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"core.commands.{info.name}"))
    for mod in sorted(mods, key=lambda m: getattr(m, "ORDER", 50)):
        # argparse formats help strings with %: escape it so "95% CI" cannot break --help
        text = mod.HELP.replace("%", "%%")
        p = sub.add_parser(mod.NAME, help=text, description=text)
        mod.configure(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        return 0
