"""Architecture rules: core never imports streamlit; pages hold no SQL; caching in one module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP)\b\s", re.IGNORECASE)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_core_never_imports_streamlit():
    offenders = [p for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_pages_hold_no_sql_and_no_database_driver():
    for p in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        assert "duckdb" not in _imports(p), p
        for s in _strings(p):
            assert not SQL_WORDS.search(s) or " from " not in s.lower(), (p, s)


def test_all_streamlit_caching_lives_in_one_module():
    users = [
        p.relative_to(ROOT).as_posix()
        for p in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]
        if re.search(r"st\.cache_(data|resource)\s*\(|@st\.cache_", p.read_text())
    ]
    assert users == ["pages/_data.py"]


def test_pages_stay_short():
    long = {
        p.name: n
        for p in (ROOT / "pages").glob("*.py")
        if (n := len(p.read_text().splitlines())) > 200
    }
    assert long == {}


def test_architecture_test_detects_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nQ = 'SELECT * FROM patients'\n")
    assert "streamlit" in _imports(bad)
    assert any(SQL_WORDS.search(s) for s in _strings(bad))
