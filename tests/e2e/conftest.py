"""End-to-end fixtures: the real server on a free loopback port, and Debian's Chromium.

The server is ``streamlit run app.py --server.address 127.0.0.1 --server.headless true`` on a
database built into a temporary directory (``NET_EXPLORER_DB``), started once per session and
ready when ``/_stcore/health`` answers. The browser is /usr/bin/chromium driven by the Python
``playwright`` package (its own browser download is not used).

Missing tools: under CI (``CI`` set) the tests FAIL, naming what is missing, because CI must
prove the app in a browser; locally they are skipped with the same reason.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.data.build import build_default
from tests.e2e.driver import (
    ROOT,
    StreamlitServer,
    launch_chromium,
    missing_browser_tools,
    monitor_script,
)

ARTIFACTS = ROOT / "test-artifacts"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def browser_tools() -> None:
    problem = missing_browser_tools()
    if problem:
        if _in_ci():
            pytest.fail(f"Browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(f"browser tests need a browser: {problem}")


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("e2edb") / "cohorts.duckdb"
    build_default(path)
    return path


@pytest.fixture(scope="session")
def app_server(browser_tools, e2e_db, tmp_path_factory):
    log = tmp_path_factory.mktemp("e2elog") / "streamlit.log"
    server = StreamlitServer(e2e_db, log).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(browser_tools):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, app_server, request):
    """``new_page()`` opens a page in a FRESH browser context (no shared state or cookies)."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        ctx.set_default_timeout(30_000)
        ctx.add_init_script(monitor_script())
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        _screenshots(request.node.name, contexts, "at-failure")
        tail = app_server.log_tail()
        if tail:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"{_slug(request.node.name)}-server.log").write_text(tail)
    for ctx in contexts:
        ctx.close()


class Steps:
    """``with steps("switch to Survival"):`` names a step; a failure inside it writes a
    screenshot of every open page to test-artifacts/<test>-<step>-<i>.png and re-raises."""

    def __init__(self, test_name: str, pages: list) -> None:
        self.test_name = test_name
        self.pages = pages
        self.current = ""

    def __call__(self, name: str):
        self.current = name
        return self

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            paths = _screenshot_pages(self.test_name, self.pages, self.current)
            if exc is not None and paths:
                exc.add_note(f"step {self.current!r}; screenshots: {', '.join(map(str, paths))}")
        return False


@pytest.fixture
def steps(request):
    pages: list = []
    s = Steps(request.node.name, pages)
    s.pages = pages
    return s


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80]


def _screenshot_pages(test_name: str, pages: list, step: str) -> list[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    out = []
    for i, page in enumerate(pages):
        path = ARTIFACTS / f"{_slug(test_name)}-{_slug(step)}-{i}.png"
        try:
            page.screenshot(path=str(path), full_page=True, timeout=10_000)
            out.append(path)
        except Exception:  # a closed or crashed page: nothing to show
            pass
    return out


def _screenshots(test_name: str, contexts: list, step: str) -> None:
    pages = [p for ctx in contexts for p in ctx.pages]
    _screenshot_pages(test_name, pages, step)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
