"""``import``: validate a de-identified patient file and add it as a cohort, atomically."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.cohorts.importer import import_file, problems_text
from core.commands._common import add_db, fail
from core.data.db import default_db_path
from core.vocab.formatting import formula_safe_csv
from core.vocab.schema import PATIENTS

NAME = "import"
HELP = (
    "import a de-identified patient file (CSV or XLSX) as a cohort; every problem is "
    "reported at once and nothing is written unless the file is valid"
)
ORDER = 4


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="patients file, one row per patient (CSV or XLSX)")
    parser.add_argument("--cohort", required=True, help="cohort id (lowercase letters, digits, -)")
    parser.add_argument("--title", help="cohort title shown in the app")
    add_db(parser)
    parser.add_argument(
        "--replace", action="store_true", help="replace an existing imported cohort with this id"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --replace: allow replacing a default (synthetic or published) cohort",
    )
    parser.add_argument(
        "--censor-flag",
        action="store_true",
        help="event columns are CDISC censor flags: 1 = censored, 0 = event",
    )
    parser.add_argument(
        "--treatments", type=Path, help="treatments file, one row per administration"
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a file column to a data-model field, e.g. --map 'Survival days=os_days'; "
        "an empty FIELD (--map notes=) drops the column",
    )
    parser.add_argument(
        "--drop", action="append", default=[], metavar="COLUMN", help="do not import COLUMN"
    )
    parser.add_argument(
        "--problems-csv", type=Path, metavar="OUT", help="also write every problem to OUT (CSV)"
    )
    parser.add_argument(
        "--mapping-out",
        type=Path,
        metavar="FILE",
        help="write the key of study pseudonyms (row, patient id in the file, study id) to FILE "
        "(CSV); the database stores only the study ids. Keep FILE with your source data",
    )


def _mapping(args: argparse.Namespace) -> dict[str, str | None] | str:
    mapping: dict[str, str | None] = {}
    for item in args.map:
        user, sep, target = item.rpartition("=")
        if not sep or not user.strip():
            return f"--map {item!r}: expected COLUMN=FIELD"
        target = target.strip()
        if target and target not in PATIENTS:
            return f"--map {item!r}: {target!r} is not a field of the data model (see the Data dictionary)"
        mapping[user.strip()] = target or None
    for col in args.drop:
        mapping[col] = None
    return mapping


def _writable(path: Path) -> bool:
    folder = path.parent if str(path.parent) else Path(".")
    return folder.is_dir() and os.access(folder, os.W_OK) and not path.is_dir()


def _protected_paths(args: argparse.Namespace) -> list[Path]:
    """The files an output must never replace: the database, its side files and the inputs."""
    db = (args.db or default_db_path()).resolve()
    files = [db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")]
    return files + [p.resolve() for p in (args.file, args.treatments) if p is not None]


def _is_protected(path: Path, protected: list[Path]) -> bool:
    target = path.resolve()
    if target.name.startswith(protected[0].name + ".tmp") and target.parent == protected[0].parent:
        return True  # a writer's copy of the database
    return any(
        target == p or (p.exists() and target.exists() and target.samefile(p)) for p in protected
    )


def _write(path: Path, data: bytes, what: str) -> str | None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        return f"could not write {what} to {path} ({exc.strerror or type(exc).__name__})"
    return None


def run(args: argparse.Namespace) -> int:
    for path in (args.file, args.treatments):
        if path is not None and not path.is_file():
            return fail(f"{path}: no such file")
    for flag, path in (("--problems-csv", args.problems_csv), ("--mapping-out", args.mapping_out)):
        if path is not None and not _writable(path):
            return fail(f"{flag} {path}: its folder does not exist or cannot be written")
        if path is not None and _is_protected(path, _protected_paths(args)):
            return fail(f"{flag} {path}: is the database or an input file; choose another file")
    outs = [p.resolve() for p in (args.problems_csv, args.mapping_out) if p is not None]
    if len(outs) == 2 and outs[0] == outs[1]:
        return fail("--problems-csv and --mapping-out name the same file; choose two files")
    mapping = _mapping(args)
    if isinstance(mapping, str):
        return fail(mapping)
    report = import_file(
        args.file,
        args.cohort,
        title=args.title,
        db=args.db,
        replace=args.replace,
        force=args.force,
        censor_flag=args.censor_flag,
        treatments=args.treatments,
        mapping=mapping,
    )
    if args.problems_csv is not None:
        err = _write(args.problems_csv, formula_safe_csv(report.problems), "the problems")
        if err:
            print(f"error: {err}", file=sys.stderr)
    if not report.ok:
        print(problems_text(report.problems), file=sys.stderr)
        hint = f" (all of them in {args.problems_csv})" if args.problems_csv else ""
        print(f"error: {report.summary()}{hint}", file=sys.stderr)
        return 2
    if report.n_warnings:
        print(problems_text(report.problems), file=sys.stderr)
    print(report.summary())
    if args.mapping_out is not None and report.pseudonyms is not None:
        err = _write(args.mapping_out, formula_safe_csv(report.pseudonyms), "the key")
        if err:
            print(
                f"error: {err}. The cohort was imported; the study ids are numbered in file "
                "order, so the key can be rebuilt from the file.",
                file=sys.stderr,
            )
            return 3
        print(
            f"The key of study pseudonyms is in {args.mapping_out}: keep it with your source "
            "data (it links study ids to your file's ids; the database does not).",
            file=sys.stderr,
        )
    return 0
