"""Arguments shared by the sub-commands: --db, --cohort, --filter."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from core.analyses.defined_groups import GroupSet
from core.analyses.disclosure import MODE_ENV, Mode, configured_mode
from core.data.db import default_db_path, list_cohorts
from core.data.filters import URL_KEYS, Filters
from core.vocab.methods import DAYS_PER_MONTH, TimeUnit


class InvalidInput(ValueError):
    """Bad command-line input; printed on stderr with exit code 2."""


MAX_TIME = 36_525.0
"""The largest time value accepted (100 years in days; in months it is larger still): no
follow-up is longer, and larger values only overflow the statistics."""


def finite_float(text: str) -> float:
    """An argparse ``type``: a finite number ('nan', 'inf' and '1e400' are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def time_list(text: str) -> str:
    """An argparse ``type`` for ``--times``: finite times 0..MAX_TIME, comma-separated.

    Returns the text unchanged (the commands parse it), so it only refuses bad values early,
    with a sentence, whatever the command does next.
    """
    for item in text.split(","):
        if not item.strip():
            continue
        try:
            value = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item.strip()!r} is not a number (expected times like 12,24,36)"
            ) from None
        if not math.isfinite(value) or not 0 <= value <= MAX_TIME:
            raise argparse.ArgumentTypeError(
                f"{item.strip()!r} is not a time from 0 to {MAX_TIME:,.0f} (100 years in days)"
            )
    return text


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, default=None, help=f"database file (default {default_db_path()})"
    )


def add_disclosure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--disclosure",
        choices=[m.value for m in Mode],
        default=None,
        help="protected: small counts withheld when imported (real) data are in view; exact: "
        f"every figure exact, for the data owner (default: ${MODE_ENV}, else protected)",
    )


def disclosure_mode(args: argparse.Namespace) -> Mode:
    """The mode a command runs in: --disclosure, else the configured mode (protected)."""
    value = getattr(args, "disclosure", None)
    return Mode(value) if value else configured_mode()


def add_selection(parser: argparse.ArgumentParser, cohort_required: bool = True) -> None:
    add_db(parser)
    add_disclosure(parser)
    parser.add_argument("--cohort", required=cohort_required, help="cohort id")
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="FIELD=V1,V2",
        help="restrict patients, e.g. primary_site=small_bowel grade=G1,G2 age_min=50 "
        f"(fields: {', '.join(sorted(URL_KEYS - {'cohort'}))})",
    )


def selection(args: argparse.Namespace) -> Filters:
    """Filters from --cohort and --filter; unknown fields or values raise InvalidInput."""
    params: dict[str, str] = {}
    for item in args.filter:
        key, sep, value = item.partition("=")
        if not sep or key not in URL_KEYS or key == "cohort":
            raise InvalidInput(
                f"--filter {item!r}: expected FIELD=V1,V2 with FIELD one of "
                + ", ".join(sorted(URL_KEYS - {"cohort"}))
            )
        params[key] = f"{params[key]},{value}" if key in params else value
    cohorts = [c.cohort_id for c in list_cohorts(args.db)]
    if getattr(args, "cohort", None):
        if args.cohort not in cohorts:
            raise InvalidInput(
                f"--cohort {args.cohort!r}: no such cohort (have: {', '.join(cohorts)})"
            )
        params["cohort"] = args.cohort
    filters, notices = Filters.from_query_params(params, cohorts)
    if notices:
        raise InvalidInput("; ".join(notices))
    return filters


def add_groups(parser: argparse.ArgumentParser) -> None:
    """``--group NAME:FILTERS`` (repeatable): groups the user defines, instead of ``--by``."""
    parser.add_argument(
        "--group",
        action="append",
        default=None,
        metavar="NAME:FILTERS",
        help="a group you define, named NAME, with the link's filter keys (e.g. "
        "'IA small bowel:route=IA&primary_site=small_bowel'); give two or more instead of --by. "
        "--cohort applies to every group that names no cohort",
    )


def group_set(args: argparse.Namespace, filters: Filters) -> GroupSet:
    """The groups of ``--group NAME:FILTERS``; a bad name or value raises InvalidInput naming it.

    Each group's filters are parsed as a link's (:meth:`GroupSet.from_query_params`); a group
    naming no cohort gets the ``--cohort`` of ``filters``.
    """
    params: dict[str, object] = {}
    for i, text in enumerate(args.group, start=1):
        name, sep, query = str(text).partition(":")
        if not sep:
            raise InvalidInput(f"--group {text!r}: write NAME:FILTERS (e.g. IA:route=IA)")
        params[f"grp{i}"] = name.strip()
        sub = {k: ",".join(v) for k, v in parse_qs(query, keep_blank_values=True).items()}
        if "cohort" not in sub and filters.cohorts:
            sub["cohort"] = ",".join(filters.cohorts)
        for k, v in sub.items():
            params[f"grp{i}.{k}"] = v
    groups, notices = GroupSet.from_query_params(params)
    if notices:
        raise InvalidInput(" ".join(notices))
    return groups


def clean_json(value: Any) -> Any:
    """Replace NaN/inf with None recursively so the output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return clean_json(value.item())
    return value


def print_mode_lines(disclosure: Any, notices: Any = ()) -> None:
    """The first lines of a command's text output: the mode stamp and the view's notices."""
    for line in (disclosure.stamp(), *notices):
        if line:
            print(line)


def print_json(obj: Any) -> None:
    json.dump(clean_json(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def requested_times(args: argparse.Namespace) -> tuple[TimeUnit, tuple[float, ...], bool]:
    """``--times`` in ``--time-unit``: (unit, the times exactly as given, given in days).

    Days stay exactly as given (never through months and back); months label them
    (days / 30.4375). Raises InvalidInput for a negative time.
    """
    unit = TimeUnit.parse(args.time_unit)
    given = tuple(float(t) for t in args.times.split(",") if t.strip())
    if any(not t >= 0 for t in given):
        raise InvalidInput("--times must be non-negative")
    return unit, given, unit is TimeUnit.DAYS


def in_months(given: tuple[float, ...], in_days: bool) -> tuple[float, ...]:
    """Requested times as months (their labels when they were given in days)."""
    return tuple(t / DAYS_PER_MONTH for t in given) if in_days else given
