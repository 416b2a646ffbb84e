"""Shared test fixtures and markers.

- ``default_db``: the default database, built once per test session and shared by the core and
  app tests (read-only: a test that writes copies it first; the session ends with an error if
  the shared file was changed).
- Markers: everything under tests/e2e is marked ``e2e`` (a browser or a live server); the tests
  in :data:`SLOW` are marked ``slow``. ``pytest -m "not e2e and not slow"`` is the fast inner
  loop; CI (scripts/test.sh) runs everything.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

R_DATA = Path(__file__).parent / "data" / "r_datasets"
TESTS = Path(__file__).parent

SLOW: frozenset[str] = frozenset(
    {
        # over 3 s a call (python -m pytest --durations=40 tests/core tests/app)
        "tests/core/data/test_hostile.py::test_queries_bind_every_link_value",
        "tests/core/data/test_hostile.py::test_every_dropped_value_gets_a_notice",
        "tests/core/analyses/test_survival.py::test_cli_rejects_bad_filter_with_exit_2",
        "tests/app/test_response_page.py::test_controls_write_the_url",
        "tests/app/test_links.py::test_response_view_from_link_equals_view_from_widgets",
        # page sweeps: one AppTest run per value (some over 3 s each, a minute or more together)
        "tests/app/test_response_page.py::test_every_grouping_in_every_domain",
        "tests/app/test_response_page.py::test_denominator_and_interval_controls",
        "tests/app/test_survival_page.py::test_every_grouping",
        "tests/app/test_survival_page.py::test_every_endpoint_and_origin",
        # fault sweeps over every page (Hypothesis links, damaged, truncated, locked files)
        "tests/app/test_faults.py::test_any_link_on_any_page",
        "tests/app/test_faults.py::test_damaged_database_offers_a_rebuild_that_works",
        "tests/app/test_faults.py::test_database_truncated_mid_file_is_not_a_traceback",
        "tests/app/test_faults.py::test_database_locked_by_a_writer_says_wait_then_works",
    }
)
"""Tests marked ``slow``: node ids without their parameters (every case of a parametrized test).
A name here whose file has no such test is an error, so the list cannot go stale."""
SLOW |= frozenset(
    line.strip()
    for line in (TESTS / "slow.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
"""Plus the measured list in tests/slow.txt (functions over about 0.5 s)."""


def _stale_slow_names() -> list[str]:
    """SLOW names whose file has no such test function (renamed or removed)."""
    stale = []
    for name in sorted(SLOW):
        file, func = name.split("::", 1)
        path = TESTS.parent / file
        if not path.exists() or f"def {func}(" not in path.read_text():
            stale.append(name)
    return stale


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if stale := _stale_slow_names():
        raise pytest.UsageError(f"tests/conftest.py SLOW names no test: {stale}")
    e2e = TESTS / "e2e"
    for item in items:
        if Path(item.fspath).is_relative_to(e2e):
            item.add_marker(pytest.mark.e2e)
        if item.nodeid.split("[", 1)[0] in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def r_dataset():
    """Load one of R survival's public datasets exported to tests/data/r_datasets."""

    def load(name: str) -> pd.DataFrame:
        return pd.read_csv(R_DATA / f"{name}.csv")

    return load


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def default_db(tmp_path_factory) -> Path:
    """The default database (four seed cohorts), built once per session; never write to it."""
    from core.data.build import build_default
    from core.data.db import close_all

    path = tmp_path_factory.mktemp("defaultdb") / "cohorts.duckdb"
    build_default(path)
    built = _sha(path)
    yield path
    close_all()
    assert _sha(path) == built, "a test wrote to the shared default database: copy it first"
