"""Fixtures for the adversarial disclosure suite: one database with imported cohorts built by
code (tests/privacy/cohort.py), imported through the real importer, and a memo of outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

# The shipped config hides error details from users; tests need to see them.
from streamlit import config as _st_config  # noqa: E402

from core.data.db import DB_ENV, close_all
from tests.privacy.cohort import REAL, TINY, real_cohort, tiny_cohort, write_csv
from tests.privacy.collect import MODE_ENV, SMALL_CELL_ENV, run_cli
from tests.privacy.outputs import Outputs

_st_config.set_option("client.showErrorDetails", "full")


@pytest.fixture(scope="session")
def privacy_db(tmp_path_factory) -> Path:
    """A synthetic cohort (exempt) plus two imported cohorts: real-60 and tiny-8."""
    from core.data.build import build_synthetic

    folder = tmp_path_factory.mktemp("privacy")
    db = folder / "cohorts.duckdb"
    build_synthetic(120, db, seed=3)
    for cid, frame in ((REAL, real_cohort()), (TINY, tiny_cohort())):
        csv = write_csv(frame, folder / f"{cid}.csv")
        rc, out, err = run_cli(
            ["import", str(csv), "--cohort", cid, "--db", str(db), "--title", f"Clinic {cid}"]
        )
        assert rc == 0, f"import {cid} failed: {out}\n{err}"
    close_all()
    return db


@pytest.fixture(scope="session")
def outputs(privacy_db, tmp_path_factory) -> Outputs:
    from tests.privacy import outputs as catalogue

    memo = Outputs(privacy_db, tmp_path_factory.mktemp("privacy-out"))
    catalogue.LAST = memo
    return memo


@pytest.fixture(autouse=True)
def _privacy_env(privacy_db, monkeypatch):
    """Every test: the privacy database, no disclosure setting (the default: protected)."""
    monkeypatch.setenv(DB_ENV, str(privacy_db))
    monkeypatch.delenv(MODE_ENV, raising=False)
    monkeypatch.delenv(SMALL_CELL_ENV, raising=False)
    yield
    close_all()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Report how many output paths and attacks the suite covered in this run."""
    from tests.privacy import outputs as catalogue

    memo = getattr(catalogue, "LAST", None)
    items = [i for i in getattr(terminalreporter, "stats", {}).values() for i in i]
    ran = [
        r
        for r in items
        if getattr(r, "nodeid", "").startswith("tests/privacy")
        and getattr(r, "when", None) == "call"
    ]
    if memo is None or not ran:
        return
    cli = {k for k in memo._cli}
    pages = {k for k in memo._pages}
    report_files = sum(len(files) for _, _, files in memo._reports.values())
    terminalreporter.write_sep("-", "disclosure suite coverage")
    terminalreporter.write_line(
        f"output paths run: {len(cli)} CLI invocations, {len(memo._reports)} report folders "
        f"({report_files} files), {len(pages)} page views = "
        f"{len(cli) + report_files + len(pages)} outputs; attacks (tests) run: {len(ran)}, "
        f"failed: {sum(1 for r in ran if r.failed)}"
    )
