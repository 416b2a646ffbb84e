"""scripts/serve.sh end to end: 2 app workers behind nginx, sticky sessions, one database.

Starts ``scripts/serve.sh --workers 2`` on a copy of the end-to-end database (run directory
in a temporary folder, so its logs can be read) and checks, through nginx and on each
worker directly:

- health answers through nginx (which sets its sticky-session cookie) and metrics do not;
- a websocket session (speed/ws_client.py, carrying the cookie as a browser does) renders the
  Survival page through nginx and a filter change works; every request of that session (page,
  health, websocket) reached one worker (nginx's access log), while sessions without a cookie
  are spread over both;
- an import through one worker (the Import page in Chromium, through nginx) is seen at once by
  every worker: before it, each worker (its caches warm) refuses a link to the new cohort;
  after it, each worker, asked directly, renders that cohort on the Survival page;
- SIGTERM to serve.sh stops nginx (master and workers) and both app workers: no process left.

nginx comes from scripts/install-system-packages.sh: without it the module is skipped locally
and fails under CI (``CI`` set), which runs that script.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.driver import ROOT, free_port, rerun_of, wait_idle

SERVE = ROOT / "scripts" / "serve.sh"
COHORT = "pgep-mibg-211"  # the default database's first cohort
NEW = "e2e-workers"  # the cohort imported during the test


def _nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )


def _run(coro):
    """asyncio.run on a thread of its own (Playwright's sync API may hold the main loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _get(url: str, cookie: str = "") -> tuple[int, str, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read().decode(errors="replace"), dict(r.headers.items())
    except urllib.error.HTTPError as exc:
        return exc.code, "", dict(exc.headers.items())


class Deployment:
    def __init__(self, proc: subprocess.Popen, url: str, run_dir: Path) -> None:
        self.proc, self.url, self.run_dir = proc, url, run_dir
        rows = [line.split() for line in (run_dir / "workers").read_text().splitlines()]
        self.worker_pids = [int(pid) for pid, _ in rows]
        self.worker_urls = [f"http://127.0.0.1:{port}" for _, port in rows]
        self.nginx_master = int((run_dir / "nginx.pid").read_text().split()[0])

    def access_log(self) -> list[tuple[str, str, str]]:
        """(request, worker, sticky value) per line of nginx's access log."""
        pat = re.compile(r'"(\S+ \S+)" worker=(\S+) sticky=(\S+)')
        text = (self.run_dir / "logs" / "access.log").read_text()
        return [m.groups() for m in map(pat.search, text.splitlines()) if m]

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted((self.run_dir / "logs").glob("*.log"))
        )


@pytest.fixture(scope="module")
def deployment(e2e_db, tmp_path_factory):
    if _nginx() is None:
        reason = "nginx is not installed (scripts/install-system-packages.sh installs it)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"serve.sh cannot be tested in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("serve")
    db = tmp / "cohorts.duckdb"
    shutil.copy(e2e_db, db)  # the import below must not change the other tests' database
    run_dir = tmp / "run"
    port = free_port()
    proc = subprocess.Popen(
        ["bash", str(SERVE), "--workers", "2", "--port", str(port), "--db", str(db),
         "--run-dir", str(run_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    for line in proc.stdout:  # serve.sh prints "ready URL" once nginx answers
        lines.append(line)
        if line.startswith("ready "):
            break
        if time.monotonic() > deadline:
            break
    if not lines or not lines[-1].startswith("ready "):
        proc.kill()
        pytest.fail("serve.sh did not become ready:\n" + "".join(lines), pytrace=False)
    dep = Deployment(proc, lines[-1].split()[1], run_dir)
    yield dep
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_health_through_nginx_and_on_each_worker(deployment):
    status, body, headers = _get(f"{deployment.url}/_stcore/health")
    assert (status, body) == (200, "ok")
    assert "net_worker=" in headers.get("Set-Cookie", "") + str(headers), headers
    assert _get(f"{deployment.url}/_stcore/metrics")[0] == 404
    for url in deployment.worker_urls:
        assert _get(f"{url}/_stcore/health")[:2] == (200, "ok")


def test_websocket_session_renders_survival_on_one_worker(deployment):
    from speed.ws_client import SIDEBAR, Session

    async def scenario() -> dict[str, str]:
        async with Session(deployment.url, "survival", f"cohort={COHORT}", cookies=True) as s:
            first = await s.open()
            assert first.ok, (first.status_name, s.errors, deployment.logs())
            assert s.find("Primary site", "multiselect", SIDEBAR).options
            run = await s.toggle_option("Primary site", "Lung", remove=False)
            assert run.ok and s.query_params().get("primary_site") == ["lung"], s.errors
            for _ in range(3):  # more requests of the same browser
                assert (await asyncio.to_thread(s.fetch, "_stcore/health"))[0] == 200
            assert s.errors == []
            return dict(s.cookies)

    cookies = _run(scenario())
    sticky = cookies["net_worker"]
    mine = [(req, worker) for req, worker, value in deployment.access_log() if value == sticky]
    assert any("/_stcore/stream" in req for req, _ in mine), mine
    assert len(mine) >= 5 and len({w for _, w in mine}) == 1, mine
    # without a cookie, nginx picks by a fresh random value: both workers get sessions
    for _ in range(12):
        _get(f"{deployment.url}/_stcore/health")
    health = [w for req, w, _ in deployment.access_log() if req == "GET /_stcore/health"]
    assert {w.split(":")[-1] for w in health} == {
        u.rsplit(":", 1)[1] for u in deployment.worker_urls
    }, health


def _open_errors(base_url: str, cohort: str) -> tuple[list[str], list[str]]:
    """Errors of a Survival page run for ``cohort`` on one server, and the Cohort options."""
    from speed.ws_client import SIDEBAR, Session

    async def scenario():
        async with Session(base_url, "survival", f"cohort={cohort}") as s:
            await s.open()
            opts = list(s.find("Cohort", "multiselect", SIDEBAR).options)
            return list(s.errors), opts

    return _run(scenario())


def test_import_through_one_worker_is_seen_by_every_worker(deployment, browser, steps):
    for url in deployment.worker_urls:  # caches warm, the new cohort unknown everywhere
        errors, options = _open_errors(url, NEW)
        assert any("not in this database" in e for e in errors), (url, errors)
        assert not any(o.startswith(NEW) for o in options)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        ctx.set_default_timeout(30_000)
        from tests.e2e.driver import monitor_script

        ctx.add_init_script(monitor_script())
        page = ctx.new_page()
        steps.pages.append(page)
        with steps("open the Import page through nginx"):
            page.goto(f"{deployment.url}/import")
            wait_idle(page)
        with steps("upload the synthetic example"), rerun_of(page):
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
                str(ROOT / "data" / "import_example.csv")
            )
        with steps("name the cohort"), rerun_of(page):
            box = page.get_by_role("textbox", name="Cohort id")
            box.fill(NEW)
            box.press("Enter")
        with steps("import"), rerun_of(page, timeout_s=60):
            page.get_by_role("button", name="Import", exact=True).click()
        with steps("imported"):
            page.get_by_test_id("stAlertContentSuccess").first.wait_for()
        cookie = next(c["value"] for c in ctx.cookies() if c["name"] == "net_worker")
    finally:
        ctx.close()
    used = {w for req, w, v in deployment.access_log() if v == cookie}
    assert len(used) == 1, f"the browser's requests went to {used}"
    for url in deployment.worker_urls:  # every worker, asked directly, now shows the cohort
        errors, options = _open_errors(url, NEW)
        assert errors == [], (url, errors)
        assert any(o.startswith(NEW) for o in options), (url, options)


def test_sigterm_leaves_no_process(deployment):
    master = deployment.nginx_master
    kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    pids = [*deployment.worker_pids, master, *map(int, kids)]
    assert kids and all(Path(f"/proc/{p}").exists() for p in pids)
    os.kill(deployment.proc.pid, signal.SIGTERM)  # serve.sh alone: it stops the rest
    assert deployment.proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if Path(f"/proc/{p}").exists()]
    assert left == [], f"processes left after SIGTERM: {left}"
    with pytest.raises(OSError):
        _get(f"{deployment.url}/_stcore/health")
