"""The command-line interface lists every command and each command's help works."""

from __future__ import annotations

import pytest

from core.cli import build_parser, main


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in ("build", "synth", "cohorts", "table1", "survival"):
        assert name in out


@pytest.mark.parametrize("name", _commands())
def test_each_command_help(name, capsys):
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    assert "usage: python -m core " + name in capsys.readouterr().out
