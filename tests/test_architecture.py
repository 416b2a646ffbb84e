"""Architecture rules, by path: each rule is a function of a source tree returning its offenders.

- core never imports streamlit; Streamlit caching lives in pages/_data.py only; pages are short.
- SQL text and DuckDB (the driver and its calls) only in core/data.
- core/stats imports only numpy, scipy, pandas, the standard library and core.vocab.
- core/vocab imports nothing else from core.
- core/present never imports core.data.
- Disclosure is decided only in core/analyses.
- Pages use core.data only for filters, building, the database's path and errors, and codes.
- One Cox engine: lifelines only in tests and speed/ (the independent cross-check, the baseline).

Every rule has a self-test that builds a small tree with a violation and sees it reported (and
a compliant file that is not), so a rule cannot silently stop detecting anything.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SQL_STATEMENT = re.compile(
    r"""\b(?:
        SELECT\b[^;]{0,400}?\bFROM\b
      | SELECT\s+(?:\*|count\s*\(|DISTINCT\b|\d|\?|'|\{\}\s*(?:,|\bAS\b))
      | INSERT\s+(?:OR\s+\w+\s+)?INTO\b
      | UPDATE\s+["\w.{}]+\s+SET\b
      | DELETE\s+FROM\b
      | CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:UNIQUE\s+)?
        (?:TABLE|VIEW|SEQUENCE|INDEX|TYPE|SCHEMA|MACRO|FUNCTION)\b
      | DROP\s+(?:TABLE|VIEW|SEQUENCE|INDEX|TYPE|SCHEMA|MACRO|FUNCTION)\b
      | ALTER\s+(?:TABLE|VIEW|SEQUENCE)\b
      | ATTACH\s+(?:DATABASE\b|IF\b|\?|'|\{\})
      | DETACH\s+["\w{}]
      | COPY\s+["\w.({}]+[^;]{0,200}?\b(?:FROM|TO)\b
    )""",
    re.VERBOSE,
)
"""A SQL statement: a keyword followed by SQL-shaped text. Keywords are upper case, as in all
of the project's SQL (prose such as "select a cohort from the list" is not SQL)."""

DRIVER_CALLS = frozenset(
    {"execute", "executemany", "fetchall", "fetchone", "fetchnumpy", "fetchdf", "sql"}
)
"""Methods of a DuckDB connection or cursor: called outside core/data, a driver is in use."""

DISCLOSURE_DECISIONS = frozenset(
    {
        "disclosure_for",
        "disclosure_for_selection",
        "open_view",
        "suppressed_cells",
        "suppress_table",
        "complete_suppression",
    }
)
"""Functions that decide what is shown; only core/analyses calls them (and constructs
``Disclosure``)."""

PAGES_DATA_ALLOWED: dict[str, frozenset[str] | None] = {
    "core.data.filters": None,  # Filters and the URL contract: any name
    "core.data.build": frozenset(
        {"ensure_default", "build_default", "set_aside", "upgrade_schema"}
    ),
    "core.data.db": frozenset(
        {"DatabaseUnavailable", "default_db_path", "DB_ENV", "close_all", "list_cohorts"}
    ),
    "core.data.store": frozenset({"WriteLocked"}),
    "core.data.queries": frozenset({"distinct_codes"}),  # filter choices: codes, no counts
}
"""What pages may use from core.data: the filters, building (or upgrading) the database on first
start or after damage, the database's path, errors and cohort list, the codes a filter offers. Counts and
patient rows come from core/analyses, where disclosure is applied."""

STATS_THIRD_PARTY = frozenset({"numpy", "scipy", "pandas"})


# ------------------------------------------------------------------ reading a source tree
def _py_files(root: Path, *parts: str) -> list[Path]:
    out: list[Path] = []
    for part in parts:
        p = root / part
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(sorted(p.rglob("*.py")))
    return out


def _rel(root: Path, p: Path) -> str:
    return p.relative_to(root).as_posix()


def _module_name(root: Path, p: Path) -> str:
    parts = list(p.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(root: Path, p: Path) -> set[str]:
    """Full dotted names of every module ``p`` imports (relative imports resolved); for
    ``from pkg import name`` both ``pkg`` and ``pkg.name`` are listed (name may be a module)."""
    tree = ast.parse(p.read_text())
    package = _module_name(root, p).split(".")
    if p.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def _imports(path: Path) -> set[str]:
    """Top-level package names imported by ``path``."""
    return {m.split(".")[0] for m in _imported_modules(path.parent, path) if m}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _text(node: ast.AST) -> str | None:
    """The text of a string literal, f-string (``{}`` for each field) or ``+`` of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is not None or right is not None:
            return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


def _strings(path: Path) -> list[str]:
    """Every string a module builds (literals, f-strings, concatenations), docstrings left out."""
    tree = ast.parse(path.read_text())
    docs = _docstring_nodes(tree)
    out = []
    for n in ast.walk(tree):
        if id(n) in docs:
            continue
        if isinstance(n, ast.Constant | ast.JoinedStr | ast.BinOp):
            text = _text(n)
            if text is not None:
                out.append(text)
    return out


def _references(path: Path) -> Iterable[tuple[str, int]]:
    """(name, line) of every name, attribute and imported name used in ``path``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id, node.lineno
        elif isinstance(node, ast.Attribute):
            yield node.attr, node.lineno
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                yield a.name, node.lineno


def _calls(path: Path) -> Iterable[tuple[str, int]]:
    """(callee name, line) of every call: ``f(...)`` gives f, ``x.m(...)`` gives m."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                yield f.id, node.lineno
            elif isinstance(f, ast.Attribute):
                yield f.attr, node.lineno


def _under(rel: str, *folders: str) -> bool:
    return any(rel == f or rel.startswith(f.rstrip("/") + "/") for f in folders)


APP = ("core", "pages", "app.py")
"""The application's code (tests, speed scripts and tools are not part of it)."""


# ------------------------------------------------------------------ the rules
def sql_outside_data(root: Path) -> list[str]:
    """SQL text, ``import duckdb`` or DuckDB calls anywhere in the app outside core/data."""
    out = []
    for p in _py_files(root, *APP):
        rel = _rel(root, p)
        if _under(rel, "core/data"):
            continue
        if any(m == "duckdb" or m.startswith("duckdb.") for m in _imported_modules(root, p)):
            out.append(f"{rel}: imports duckdb")
        for s in _strings(p):
            if m := SQL_STATEMENT.search(s):
                out.append(f"{rel}: SQL {s[m.start() : m.start() + 60]!r}")
        for name, line in _calls(p):
            if name in DRIVER_CALLS:
                out.append(f"{rel}:{line}: DuckDB call .{name}()")
    return out


def stats_imports(root: Path) -> list[str]:
    """core/stats imports anything but numpy, scipy, pandas, the standard library, core.vocab."""
    out = []
    for p in _py_files(root, "core/stats"):
        for m in sorted(_imported_modules(root, p)):
            top = m.split(".")[0]
            if m in ("", "__future__") or top in sys.stdlib_module_names:
                continue
            if top in STATS_THIRD_PARTY:
                continue
            if m in ("core", "core.vocab", "core.stats") or m.startswith(
                ("core.vocab.", "core.stats.")
            ):
                continue
            # ``from core import vocab`` lists core.vocab; ``from core.stats import x`` is fine
            out.append(f"{_rel(root, p)}: imports {m}")
    return out


def _core_imports_outside(root: Path, folder: str, allowed: tuple[str, ...]) -> list[str]:
    out = []
    for p in _py_files(root, folder):
        for m in sorted(_imported_modules(root, p)):
            if m != "core" and m.startswith("core.") and not m.startswith(allowed):
                out.append(f"{_rel(root, p)}: imports {m}")
    return out


def vocab_imports(root: Path) -> list[str]:
    """core/vocab imports another part of core."""
    return _core_imports_outside(root, "core/vocab", ("core.vocab",))


def present_imports_data(root: Path) -> list[str]:
    """core/present imports core.data (or the database driver)."""
    out = [
        f"{_rel(root, p)}: imports {m}"
        for p in _py_files(root, "core/present")
        for m in sorted(_imported_modules(root, p))
        if m == "core.data" or m.startswith("core.data.") or m.split(".")[0] == "duckdb"
    ]
    return out


def disclosure_outside_analyses(root: Path) -> list[str]:
    """Disclosure decided outside core/analyses: a decision function used, Disclosure built."""
    out = []
    for p in _py_files(root, *APP):
        rel = _rel(root, p)
        if _under(rel, "core/analyses"):
            continue
        for name, line in _references(p):
            if name in DISCLOSURE_DECISIONS:
                out.append(f"{rel}:{line}: {name}")
        for name, line in _calls(p):
            if name == "Disclosure":
                out.append(f"{rel}:{line}: Disclosure(...)")
    return sorted(set(out))


def pages_data_use(root: Path) -> list[str]:
    """Names pages (and app.py) take from core.data beyond :data:`PAGES_DATA_ALLOWED`."""
    out = []
    for p in _py_files(root, "pages", "app.py"):
        rel = _rel(root, p)
        tree = ast.parse(p.read_text())
        used: list[tuple[str, str, int]] = []  # (module, name, line)
        aliases: dict[str, str] = {}  # local name -> core.data module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module == "core.data":
                    for a in node.names:
                        aliases[a.asname or a.name] = f"core.data.{a.name}"
                elif node.module.startswith("core.data."):
                    used.extend((node.module, a.name, node.lineno) for a in node.names)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("core.data"):
                        if a.asname:
                            aliases[a.asname] = a.name
                        else:
                            used.append((a.name, "*", node.lineno))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.append((aliases[node.value.id], node.attr, node.lineno))
        for module, name, line in used:
            allowed = PAGES_DATA_ALLOWED.get(module, frozenset())
            if allowed is not None and name not in allowed:
                out.append(f"{rel}:{line}: {module}.{name}")
    return sorted(set(out))


def lifelines_in_app(root: Path) -> list[str]:
    """lifelines imported by the app: the project's own Cox engine is the only one."""
    return [
        f"{_rel(root, p)}: imports {m}"
        for p in _py_files(root, *APP)
        for m in sorted(_imported_modules(root, p))
        if m.split(".")[0] == "lifelines"
    ]


# ------------------------------------------------------------------ the rules on this project
def test_core_never_imports_streamlit():
    offenders = [p for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_sql_and_duckdb_only_in_core_data():
    assert sql_outside_data(ROOT) == []


def test_stats_imports_only_numpy_scipy_pandas_stdlib_and_vocab():
    assert stats_imports(ROOT) == []


def test_vocab_imports_nothing_else_from_core():
    assert vocab_imports(ROOT) == []


def test_present_never_imports_data():
    assert present_imports_data(ROOT) == []


def test_disclosure_is_decided_only_in_analyses():
    assert disclosure_outside_analyses(ROOT) == []


def test_pages_use_core_data_only_for_filters_build_errors_and_codes():
    assert pages_data_use(ROOT) == []


def test_one_cox_engine_lifelines_only_in_tests_and_speed():
    assert lifelines_in_app(ROOT) == []


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


# ------------------------------------------------------------------ each rule detects a violation
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


SELF_TESTS: list[tuple[Callable[[Path], list[str]], dict[str, str], dict[str, str]]] = [
    (
        sql_outside_data,
        {
            "core/analyses/a.py": "Q = f'SELECT {cols} FROM patients WHERE {where}'\n",
            "core/cohorts/b.py": "import duckdb\n",
            "pages/c.py": "def f(con):\n    con.execute(X)\n",
            "core/vocab/d.py": "DDL = 'CREATE TABLE ' + name + ' (x INTEGER)'\n",
            "core/commands/e.py": "Q = 'INSERT INTO cohorts VALUES (?)'\n",
            "app.py": 'Q = "DELETE FROM patients WHERE cohort_id = ?"\n',
            "core/analyses/f.py": "Q = 'ATTACH ? AS x'\nR = \"COPY patients TO 'x.csv'\"\n",
        },
        {
            "core/data/ok.py": "import duckdb\nQ = 'SELECT * FROM patients'\n",
            "pages/ok.py": (
                '"""Select the patients from the cohort: SELECT ... FROM in a docstring."""\n'
                "T = 'Select a cohort from the list; update the view'\n"
            ),
        },
    ),
    (
        stats_imports,
        {
            "core/stats/a.py": "from core.data.db import query_df\n",
            "core/stats/b.py": "import lifelines\n",
            "core/stats/c.py": "from ..analyses import view\n",
        },
        {
            "core/stats/ok.py": (
                "import math\nimport numpy as np\nfrom scipy import stats\nimport pandas as pd\n"
                "from core.vocab.methods import Ties\nfrom . import survival\n"
            ),
        },
    ),
    (
        vocab_imports,
        {"core/vocab/a.py": "from core.data.filters import Filters\n"},
        {"core/vocab/ok.py": "from core.vocab.schema import PATIENTS\n"},
    ),
    (
        present_imports_data,
        {"core/present/a.py": "from core.data import queries\n"},
        {"core/present/ok.py": "from core.analyses.survival import SurvivalAnalysis\n"},
    ),
    (
        disclosure_outside_analyses,
        {
            "pages/a.py": "from core.analyses.disclosure import suppress_table\n",
            "core/commands/b.py": "d = disclosure.disclosure_for_selection(c)\n",
            "core/present/c.py": "d = Disclosure(threshold=11)\n",
            "app.py": "v = view.open_view(f, m)\n",
        },
        {
            "core/analyses/ok.py": "d = Disclosure(1)\nv = open_view(f, m)\n",
            "pages/ok.py": "from core.analyses.disclosure import Disclosure\nd: Disclosure\n",
        },
    ),
    (
        pages_data_use,
        {
            "pages/a.py": "from core.data import queries\nn = queries.count_patients(f)\n",
            "pages/b.py": "from core.data.db import query_df\n",
            "app.py": "import core.data.queries\n",
        },
        {
            "pages/ok.py": (
                "from core.data import db\nfrom core.data.filters import Filters, URL_KEYS\n"
                "from core.data.build import ensure_default\np = db.default_db_path()\n"
            ),
        },
    ),
    (
        lifelines_in_app,
        {"core/stats/a.py": "def f():\n    from lifelines import CoxPHFitter\n"},
        {"speed/ok.py": "from lifelines import CoxPHFitter\n", "tests/ok.py": "import lifelines\n"},
    ),
]


@pytest.mark.parametrize(
    ("rule", "bad", "good"), SELF_TESTS, ids=[rule.__name__ for rule, _, _ in SELF_TESTS]
)
def test_rule_detects_a_violation(tmp_path, rule, bad, good):
    root = _tree(tmp_path, {**bad, **good})
    found = rule(root)
    for rel in bad:
        assert any(f.startswith(rel) for f in found), (rel, found)
    for rel in good:
        assert not any(f.startswith(rel) for f in found), (rel, found)


def test_architecture_test_detects_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nQ = 'SELECT * FROM patients'\n")
    assert "streamlit" in _imports(bad)
    assert any(SQL_STATEMENT.search(s) for s in _strings(bad))
