"""The load benchmark's websocket driver against the real server (no browser needed).

``speed/load.py --driver ws`` simulates sessions with ``speed/ws_client.py``, a
client of Streamlit's own websocket protocol. Here it runs small (2 sessions x 3 filter
changes, no think time) against ``streamlit run app.py`` on the default database, through the
same code path as the benchmark (``drive_ws``), and every change must have been a successful
run whose query string holds the selection made, with no error element received.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import math
from argparse import Namespace

import pytest

from tests.e2e.driver import StreamlitServer

COHORT = "pgep-mibg-211"  # the default database's first cohort (core/build.py)


def _run(coro):
    """Run a coroutine to completion on a thread of its own: the browser tests' Playwright
    (sync API) leaves an event loop running on the main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _load_benchmark():
    return importlib.import_module("speed.load")  # speed/ is a namespace package


@pytest.fixture(scope="module")
def ws_server(e2e_db, tmp_path_factory):
    server = StreamlitServer(e2e_db, tmp_path_factory.mktemp("wslog") / "streamlit.log").start()
    yield server
    server.stop()


def test_ws_driver_two_sessions_three_changes(ws_server):
    load = _load_benchmark()
    args = Namespace(
        sessions=2, changes=3, think=(0.0, 0.0), step_timeout=60.0, max_seconds=120.0,
        no_message_cache=False,
    )  # fmt: skip
    report = _run(load.drive_ws(args, ws_server, COHORT))
    results = report["results"]
    assert len(results) == 2
    for i, res in enumerate(results):
        assert res.errors == [], f"session {i}: {res.errors}\n{ws_server.log_tail()}"
        assert res.load_ms is not None and res.load_ms > 0
        assert len(res.run_ms) == 3 and len(res.checks) == 3
        assert all(math.isfinite(x) and x > 0 for x in res.run_ms), res.run_ms
        for change, status, expected, got in res.checks:
            assert status == "FINISHED_SUCCESSFULLY", (change, status)
            assert got == expected, f"{change}: query string holds {got}, expected {expected}"
    assert report["rss_after_kib"] > 0 and report["cpu_s"]["server"] > 0


def test_ws_session_sees_the_sidebar_and_follows_the_url(ws_server):
    """One session by hand: the widgets it tracks, a change and its undoing, no cache claims."""
    from speed.ws_client import SIDEBAR, Session

    async def scenario():
        async with Session(
            ws_server.url, "survival", f"cohort={COHORT}", use_cache=False
        ) as s:  # fmt: skip
            first = await s.open()
            assert first.ok and first.ms > 0, (first.status_name, s.errors)
            assert s.page_script_hash, "the page's hash comes from the navigation message"
            for label in ("Primary site", "Grade", "Sex"):
                w = s.find(label, "multiselect", SIDEBAR)
                assert w.field == "string_array_value" and w.value == [], (label, w)
            assert "Lung" in s.find("Primary site").options
            run = await s.toggle_option("Primary site", "Lung", remove=False)
            assert run.ok and s.query_params().get("primary_site") == ["lung"]
            assert s.find("Primary site").value == ["Lung"]
            run = await s.toggle_option("Primary site", "Lung", remove=True)
            assert run.ok and "primary_site" not in s.query_params()
            assert s.query_params()["cohort"] == [COHORT]
            assert s.errors == []

    _run(scenario())
