"""Attack 1: scan every output path in protected mode (the default) for a count 1..10.

Each CLI command (text and JSON), each ``report`` file, and each page (every markdown, caption,
metric, table, widget text, chart title and the data sent to the chart frontend) is searched
for count-shaped text ("n = 6", "n=6", "6 of 60", "(6)", "6/60", "6 patients", "O = 6",
"2 (3.3%)"), count-named JSON members ("n", "events", "at_risk", "observed", ...) holding
1..10, statistics given for a group whose count is hidden, percentages of a hidden cell, and
notes that narrow "<11" to something smaller ("fewer than 5").
"""

from __future__ import annotations

import pytest

from tests.privacy.collect import csv_leaks, leaks, text_table_leaks
from tests.privacy.outputs import PAGE_CASES, REPORT_CASES, cli_case_ids


def _fail(path: str, found: list[str]) -> None:
    shown = "\n  ".join(found[:12])
    more = f"\n  … and {len(found) - 12} more" if len(found) > 12 else ""
    pytest.fail(f"{path}: {len(found)} small count(s) shown or derivable:\n  {shown}{more}")


@pytest.mark.parametrize("case", cli_case_ids())
def test_cli_output_shows_no_small_count(outputs, case):
    rc, out, err = outputs.cli(case)
    assert rc != -1, f"{case} crashed:\n{err[-3000:]}"
    found = leaks(out) + [f"stderr: {s}" for s in leaks(err)]
    if "--csv" in case:
        found += csv_leaks(out)
    elif "--json" not in case:
        found += text_table_leaks(out)
    if found:
        _fail(f"python -m core {case}", found)


@pytest.mark.parametrize("case", list(REPORT_CASES))
def test_report_folder_shows_no_small_count(outputs, case):
    rc, log, files = outputs.report(case)
    assert rc in (0, 2), f"{case} failed (exit {rc}):\n{log[-3000:]}"
    assert files or rc == 2, f"{case}: no files written"
    found = [f"{name}: {s}" for name, text in files for s in leaks(text)]
    found += [
        f"{name}: {s}" for name, text in files if name.endswith(".csv") for s in csv_leaks(text)
    ]
    found += [f"console: {s}" for s in leaks(log)]
    if found:
        _fail(case, found)


@pytest.mark.parametrize("case", list(PAGE_CASES))
def test_page_shows_no_small_count(outputs, case):
    run = outputs.page(case)
    crashed = [t for kind, t in run.texts if kind == "exception"]
    assert not crashed, f"page {case} raised: {crashed[0][:2000]}"
    found = [f"{kind}: {s}" for kind, text in run.texts for s in leaks(text)]
    found += [
        f"table: {s}" for kind, text in run.texts if kind == "dataframe" for s in csv_leaks(text)
    ]
    if found:
        _fail(f"page {case}", found)


@pytest.mark.parametrize("case", ["survival --by sex --json", "table1 --by sex", "cohorts"])
def test_real_entry_point_in_a_fresh_process_shows_no_small_count(outputs, privacy_db, case):
    """``python -m core`` as a user runs it (subprocess, NET_EXPLORER_DISCLOSURE unset)."""
    import os
    import subprocess
    import sys

    from tests.privacy.collect import MODE_ENV, ROOT, SMALL_CELL_ENV

    argv = outputs.argv(case)
    argv[1:1] = ["--db", str(privacy_db)]
    env = {k: v for k, v in os.environ.items() if k not in (MODE_ENV, SMALL_CELL_ENV)}
    proc = subprocess.run(
        [sys.executable, "-m", "core", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    found = leaks(proc.stdout) + text_table_leaks(proc.stdout) + leaks(proc.stderr)
    if found:
        _fail(f"python -m core {case} (subprocess)", found)
