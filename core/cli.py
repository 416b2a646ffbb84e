"""Command-line entry point. Each module in ``core/commands/`` contributes one sub-command.

A command module defines ``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``.
Exit codes: 0 success, 1 an unexpected problem (one sentence on stderr; the traceback only with
``NET_EXPLORER_DEBUG=1``), 2 invalid input (message on stderr), 3 database unavailable or a
file that cannot be read or written.

Every argument is checked before a command runs (:func:`check_values`): a number option
(``type=float``) takes only finite numbers and ``--times`` only finite times from 0 to 100
years, whatever the command module declared, so ``nan``, ``inf`` or ``1e400`` end in exit 2
with one ``error:`` sentence.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

import core.commands
from core.commands._common import InvalidInput, finite_float, time_list
from core.data.build import upgrade_schema
from core.data.db import DatabaseUnavailable, default_db_path

DEBUG_ENV = "NET_EXPLORER_DEBUG"


def check_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Why a parsed value is unusable ('' when all are fine), whatever the command declared.

    Every ``type=float`` option must be finite (argparse itself accepts 'nan', 'inf', '1e400')
    and ``--times`` must list finite times from 0 to 100 years.
    """
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        name = action.option_strings[0] if action.option_strings else action.dest
        try:
            if action.type is float and isinstance(value, float):
                finite_float(str(value))
            elif action.dest == "times" and isinstance(value, str):
                time_list(value)
        except argparse.ArgumentTypeError as exc:
            return f"{name}: {exc}."
    return ""


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
        p.set_defaults(_run=mod.run, _parser=p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = check_values(args._parser, args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        _upgrade(args)
        return int(args._run(args) or 0)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        return 0
    except (InvalidInput, ValueError, OverflowError) as exc:  # a value the command refused late
        print(f"error: {_sentence(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder that cannot be read or written
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 3
    except MemoryError:
        print("error: not enough memory for this request; ask for less.", file=sys.stderr)
        return 3
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback to users
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        print(
            f"error: {args.command} stopped on an unexpected problem ({type(exc).__name__}). "
            f"Set {DEBUG_ENV}=1 to see the details.",
            file=sys.stderr,
        )
        return 1


def _upgrade(args: argparse.Namespace) -> None:
    """A database built by an earlier schema gains the fields it lacks before any command."""
    if args.command == "build":
        return
    path = getattr(args, "db", None) or default_db_path()
    if Path(path).is_file():
        upgrade_schema(path)


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", ")")) else f"{text}."
