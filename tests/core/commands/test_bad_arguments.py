"""Every command, every option, hostile values: exit 2 (or 3 for a file) with a sentence.

The attack (issue 18): ``python -m core survival --times nan`` ended in a traceback. This sweep
gives every value-taking option of every command the values an attacker or a typo would give
(not-a-number, infinities, huge, negative, empty, text, a folder where a file is expected) and
asserts the command never prints a traceback, never exits 1 (an unexpected problem), and that a
refusal is one ``error:`` sentence. The database the read-only commands use is unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

import pytest

from core.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[3]
BAD_VALUES = ("nan", "inf", "-inf", "-1", "1e400", "99999999999999999999", "", "abc", ",,")
BAD_PATHS = ("{tmp}", "/proc/no-such-folder/x", "")
"""Path options also get a folder where a file belongs and an unwritable place."""

BASE: dict[str, list[str]] = {
    "build": [],
    "synth": ["--n", "20"],
    "cohorts": [],
    "import": ["{example}", "--cohort", "swept"],
    "delete-cohort": ["--cohort", "no-such-cohort"],
    "table1": ["--cohort", "nguyen-2004"],
    "survival": ["--cohort", "nguyen-2004"],
    "responses": ["--cohort", "nguyen-2004"],
    "cox": ["--cohort", "nguyen-2004", "--covariates", "age"],
    "report": ["--cohort", "nguyen-2004", "--out", "{tmp}/report"],
    "validate": [],
    "benchmarks": [],
    "compare": ["--cohort", "nguyen-2004", "--benchmark", "netter1-lu177-pfs-median"],
    "reconstruct": ["--curve", "{tmp}/c.csv", "--at-risk", "{tmp}/r.csv", "--out", "{tmp}/o"],
}
"""A valid invocation of each command (the values each sweep replaces one at a time)."""
WRITES = {"build", "synth", "import", "delete-cohort"}
"""Commands that write a database: they get their own copy (``--db`` is in the base)."""


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return dict(next(a for a in parser._actions if a.dest == "command").choices)


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if action.nargs == 0 or action.dest in ("help", "disclosure"):
                continue
            if action.choices is not None:  # argparse checks choices itself
                continue
            opt = action.option_strings[0] if action.option_strings else action.dest
            values = BAD_PATHS if action.type is Path else BAD_VALUES
            cases += [(name, opt, v) for v in values]
    return cases


def _base(name: str) -> list[str]:
    """The command's valid invocation: from BASE, else derived from its required options (a
    known cohort; a path in the test's folder; 'x' for other text, which the command may
    refuse, still with a sentence)."""
    if name in BASE:
        return BASE[name]
    base: list[str] = []
    for action in _subparsers()[name]._actions:
        if not action.required:
            continue
        if action.dest == "cohort":
            value = "nguyen-2004"
        elif action.type is Path:
            value = f"{{tmp}}/{action.dest}"
        else:
            value = "x"
        base += [action.option_strings[0], value] if action.option_strings else [value]
    return base


def test_every_command_has_a_base_invocation():
    for name in _subparsers():
        assert name in BASE or _base(name) is not None


def _argv(name: str, opt: str, value: str, tmp: Path, db: Path) -> list[str]:
    fill = {"tmp": str(tmp), "example": str(ROOT / "data" / "import_example.csv")}
    base = [a.format(**fill) for a in _base(name)]
    value = value.format(**fill)
    sub = _subparsers()[name]
    dests = {a.option_strings[0]: a for a in sub._actions if a.option_strings}
    if "--db" in dests and opt != "--db" and "--db" not in base:
        base += ["--db", str(db)]
    if opt.startswith("-"):
        if opt in base:  # replace the base value
            i = base.index(opt)
            return [name, *base[:i], f"{opt}={value}", *base[i + 2 :]]
        return [name, *base, f"{opt}={value}"]
    # a positional argument: the first base item
    return [name, value, *base[1:]]


@pytest.fixture(scope="module")
def _db_copy(default_db, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sweepdb") / "cohorts.duckdb"
    shutil.copy(default_db, path)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("name", "opt", "value"), _cases())
def test_bad_value_is_a_sentence_not_a_traceback(
    name, opt, value, _db_copy, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # a path value like 'nan' lands here, not in the project
    db = _db_copy
    if name in WRITES:
        db = tmp_path / "own.duckdb"
        shutil.copy(_db_copy, db)
    before = _sha(_db_copy)
    argv = _argv(name, opt, value, tmp_path, db)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refusals
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, f"{argv}: {err}"
    assert code in (0, 2, 3), f"{argv} exited {code}: {err}"
    if code:
        assert "error:" in err and len(err.strip()) > 10, f"{argv}: {err!r}"
    assert _sha(_db_copy) == before, f"{argv} changed the shared database"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-5", "12,nan"])
def test_survival_times_attack(value, default_db, capsys):
    """The issue's recipe: ``survival --times nan`` (or inf, huge, negative)."""
    code = main(
        ["survival", "--db", str(default_db), "--cohort", "nguyen-2004", f"--times={value}"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --times") and "Traceback" not in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize("command", ["survival", "cox", "report"])
def test_landmark_must_be_finite(command, value, default_db, tmp_path, capsys):
    argv = [command, "--db", str(default_db), "--cohort", "nguyen-2004", f"--landmark={value}"]
    argv += {"cox": ["--covariates", "age"], "report": ["--out", str(tmp_path / "r")]}.get(
        command, []
    )
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: --landmark: expected a finite number")
