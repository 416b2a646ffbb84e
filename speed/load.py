"""Load test: K concurrent sessions changing filters on the Survival page.

What it does (loopback only, bounded in count and time):

1. uses (or builds) ``speed/out/load-synth-N.duckdb``, one synthetic cohort of N patients
   (``python -m core synth --n N --db PATH``, default N = 100,000);
2. starts ``streamlit run app.py`` on 127.0.0.1 (a free port) against it, or, with ``--url``,
   drives a deployment already running on loopback (scripts/serve.sh: N workers behind
   nginx; ``--run-dir`` names its run directory so the workers' CPU and memory are measured);
3. opens K sessions (default 20), each on one *view* of the mix (``--mix``, round robin over
   the sessions): ``default`` (/survival?cohort=synth-N), ``grouped`` (grouped by grade: curves
   per group, log-rank, hazard ratios), ``diagnosis`` (time from diagnosis, delayed entry),
   ``landmark`` (from diagnosis with a 3-month landmark) and ``cox`` (the Cox model page);
   then every session makes M filter
   changes (default 25: K x M = 500 reruns) in the sidebar (add a primary site, grade or sex;
   or remove one chosen), each after a think time drawn from --think (seconds), concurrently.
   A session is, with ``--driver``:
   - ``ws`` (default): a client of Streamlit's own websocket protocol
     (speed/ws_client.py): it sends the ``rerun_script`` messages the frontend sends (the
     page by its URL path, the query string the app keeps, every widget value the frontend
     holds, the multiselect changed) and parses what comes back, drawing nothing, so 20
     sessions cost the load generator little CPU and the server gets the 2 cores;
   - ``browser``: a fresh Playwright context in one headless Chromium (Debian's
     /usr/bin/chromium) clicking the sidebar's multiselects; 20 renderers take about as much
     CPU as the server;
4. prints a table: latency per rerun (p50, p95, max), errors, the server's resident memory
   (VmRSS of the streamlit process, /proc/<pid>/status) before, at peak and after, and the
   memory check against the caches' bounds.

Latency:
- *script run*: from the rerun request leaving the client (BackMsg ``rerun_script`` on the
  websocket) to the server's ``script_finished`` message (the one that ends the run, not a
  ``FINISHED_EARLY_FOR_RERUN``) arriving: the server's whole rerun as the client sees it,
  network and queueing included. ws driver: on the load generator's clock
  (``time.perf_counter``, taken as the frame is read); browser driver: on the browser's clock
  (``performance.now()``, see tests/e2e/driver.py);
- *until idle* (browser driver only): from the same request to the first moment the page
  shows no "Running" indicator (stStatusWidget) and no stale element (checked every 50 ms, so
  up to 50 ms late): what a person waits for. The ws driver renders nothing: its script run
  ends when the last message of the run has arrived and been parsed.

Errors: every st.exception or st.error element received, every run that did not finish
successfully, every step that timed out, and every step after which the session's query
string (ws: from the server's ``page_info_changed`` messages; browser: the page URL) does not
hold the selection the session made (a lost widget change).

Memory bound. pages/_data.py caches with ttl 3600 s and at most 256 entries per function (64
for patient frames, Table 1 and Cox, 8 for benchmarks). The Survival page caches per
selection: count, survival analysis, codes per filter field (x5), cohorts, benchmarks, and what
the page builds from the analysis (the figure, the summary and survival-at tables, the export
outline). The check is: RSS after the run - RSS before <= min(distinct selections, 256) x (size
of one survival entry + its built figure and tables + one count entry + 5 code entries) + 1 MiB
per session (session state and message buffers) + 32 MiB slack (allocator). Entry sizes are
measured here by pickling what the caches store (st.cache_data keeps the pickled bytes;
st.cache_resource the objects, of about that size).

Perceived speed (browser driver): each change is also timed from the click to the moment the
Kaplan-Meier chart has *settled* (the last DOM mutation inside the page's Vega-Lite charts, once
the page is idle and nothing changed for 300 ms), split into click -> request sent (frontend),
the script run (server and transfer) and last message -> chart settled (rendering), with
Chromium's own counters of the renderer's work per change (script, layout, style; CDP
``Performance.getMetrics``).

Usage:
    python speed/load.py                      # ws driver, 20 sessions x 25 changes, N = 10^5
    python speed/load.py --sessions 5 --changes 10 --think 0 0
    python speed/load.py --driver browser     # the same through 20 Chromium contexts
    scripts/serve.sh --workers 2 --port 8080 --db speed/out/load-synth-100000.duckdb --run-dir R &
    python speed/load.py --url http://127.0.0.1:8080 --run-dir R --sessions 40 --changes 8 \
        --think 2 4                           # a running deployment, the whole view mix
    python speed/load.py --driver browser --sessions 1 --changes 20 --mix default --think 1 1
                                              # perceived speed: click -> settled chart
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from speed.ws_client import Session, SessionError  # noqa: E402
from tests.e2e.driver import (  # noqa: E402
    IDLE_JS,
    STATE_JS,
    TAKE_RUNS_JS,
    StreamlitServer,
    launch_chromium,
    missing_browser_tools,
    monitor_script,
)

OUT = ROOT / "speed" / "out"
FIELDS = {
    # sidebar label: (URL key, option label -> code)
    "Primary site": (
        "primary_site",
        {"Small bowel": "small_bowel", "Pancreas": "pancreas", "Lung": "lung", "Colon": "colon",
         "Rectum": "rectum", "Stomach": "stomach"},
    ),
    "Grade": ("grade", {"G1": "G1", "G2": "G2", "G3": "G3"}),
    "Sex": ("sex", {"Female": "female", "Male": "male"}),
}  # fmt: skip
CACHE_MAX_ENTRIES = 256
SEED = 1
VIEWS: dict[str, tuple[str, str]] = {
    # name: (page URL path, query string besides the cohort)
    "default": ("survival", ""),
    "grouped": ("survival", "by=grade"),
    "diagnosis": ("survival", "origin=diagnosis"),
    "landmark": ("survival", "origin=diagnosis&lm=1"),
    "cox": ("cox", ""),
}
MIX = tuple(VIEWS)


def view_of(session: int, mix: tuple[str, ...] = MIX) -> tuple[str, str, str]:
    """(view name, page, query string without the cohort) of session ``session``."""
    name = mix[session % len(mix)]
    return (name, *VIEWS[name])


def seed_of(session: int) -> int:
    return SEED * 10_000 + session


SESSION_ALLOWANCE_KIB = 1024
SLACK_KIB = 32 * 1024


# ------------------------------------------------------------------ plan
@dataclass
class Step:
    label: str  # the sidebar multiselect
    option: str  # the value added or removed
    remove: bool
    expected: dict[str, list[str]]  # URL key -> codes after the step


# The Cox page's default model has sex and grade as covariates: a filter to one level of them
# is a model the page rightly refuses (an error alert), so Cox sessions change the site only.
VIEW_FIELDS: dict[str, tuple[str, ...]] = {"cox": ("Primary site",)}


def next_step(
    rng: random.Random, current: dict[str, list[str]], fields: tuple[str, ...] = tuple(FIELDS)
) -> Step:
    """The next filter change from the page's current selection (read from its URL): add a
    value (at most 2 per field) or remove one. Deciding from the page, not from a fixed plan,
    keeps one lost change from being counted again at every later step."""
    label = rng.choice(list(fields))
    key, options = FIELDS[label]
    code_to_option = {c: o for o, c in options.items()}
    chosen = [code_to_option[c] for c in current.get(key, []) if c in code_to_option]
    remove = bool(chosen) and (len(chosen) >= 2 or rng.random() < 0.4)
    if remove:
        option = rng.choice(chosen)
        chosen.remove(option)
    else:
        option = rng.choice([o for o in options if o not in chosen])
        chosen.append(option)
    expected = {k: list(v) for k, v in current.items()}
    expected[key] = [options[o] for o in chosen]
    expected = {k: v for k, v in expected.items() if v}
    return Step(label, option, remove, expected)


# ------------------------------------------------------------------ sessions
@dataclass
class SessionResult:
    run_ms: list[float] = field(default_factory=list)
    run_kib: list[float] = field(default_factory=list)  # ws driver: bytes received per run
    idle_ms: list[float] = field(default_factory=list)
    load_ms: float | None = None
    errors: list[str] = field(default_factory=list)
    selections: set = field(default_factory=set)
    # ws driver, per change: (change, run status, selection expected, selection in the query string)
    checks: list[tuple[str, str, dict, dict]] = field(default_factory=list)
    view: str = "default"
    # browser driver, per change: click -> chart settled and its parts, renderer work (ms)
    perceived: list[dict[str, float]] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)  # removals clicked twice (no rerun at first)


# Perceived speed: when the last click happened and when the page's charts last changed.
CHART_MONITOR_JS = r"""
(() => {
  if (window.__chartmon) return;
  const m = {click: null, chartAt: null, mainAt: null};
  window.__chartmon = m;
  addEventListener("click", () => { m.click = performance.now(); }, true);
  const obs = new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!el || !el.closest) continue;
      if (el.closest('[data-testid="stVegaLiteChart"]')) m.chartAt = t;
      if (el.closest('[data-testid="stMain"]')) m.mainAt = t;
    }
  });
  const start = () => obs.observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) start(); else addEventListener("DOMContentLoaded", start);
})();
"""
QUIET_MS = 300
SETTLED_JS = f"""() => {{
  const m = window.__chartmon, now = performance.now();
  if (!m || !(window.__stIdle && window.__stIdle())) return false;
  const last = Math.max(m.chartAt || 0, m.mainAt || 0);
  return now - last >= {QUIET_MS} ? {{click: m.click, chartAt: m.chartAt, mainAt: m.mainAt}} : false;
}}"""
RENDERER_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


async def _renderer_metrics(cdp) -> dict[str, float]:
    got = await cdp.send("Performance.getMetrics")
    return {m["name"]: m["value"] for m in got["metrics"] if m["name"] in RENDERER_METRICS}


async def _wait_idle(page, sent_at_least: int, timeout_ms: float) -> float:
    await page.wait_for_function(
        f"() => window.__stmon && __stmon.sent >= {sent_at_least}", timeout=timeout_ms, polling=50
    )
    handle = await page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=50)
    return float(await handle.json_value())


REPEAT_AFTER_MS = 3000  # a removal with no rerun request by then is clicked once more


def _label(step: Step) -> re.Pattern:
    # a field's label may carry its provenance: "Grade (synthetic in synth-100000)"
    return re.compile(rf"^{re.escape(step.label)}( \(.*\))?$")


def _remove_button(page, step: Step):
    sidebar = page.get_by_test_id("stSidebar")
    widget = sidebar.get_by_test_id("stMultiSelect").filter(has=page.get_by_label(_label(step)))
    return widget.get_by_role("button", name=f"Remove {step.option}", exact=True)


async def _request_sent(page, sent: int, page_timeout: float) -> bool:
    try:
        await page.wait_for_function(
            f"() => __stmon.sent >= {sent + 1}", timeout=page_timeout, polling=50
        )
    except Exception:  # noqa: BLE001 - Playwright's timeout: no request yet
        return False
    return True


async def _step(page, step: Step) -> None:
    """Add a value through the dropdown, or remove one with its tag's remove button."""
    if step.remove:
        await _remove_button(page, step).click()
        return
    box = page.get_by_test_id("stSidebar").get_by_label(_label(step))
    await box.click()
    await box.fill(step.option)  # a short list without "Select all": no misclick on a shift
    option = page.get_by_role("option", name=step.option, exact=True)
    await option.click()
    await page.keyboard.press("Escape")
    await option.wait_for(state="hidden")


def _url_selection(url: str) -> dict[str, list[str]]:
    return _query_selection(urlsplit(url).query)


def _query_selection(query: str) -> dict[str, list[str]]:
    q = parse_qs(query)
    keys = {key for key, _ in FIELDS.values()}
    return {k: ",".join(v).split(",") for k, v in q.items() if k in keys}


async def run_session(
    i: int, browser, url: str, changes: int, think: tuple[float, float], deadline: float,
    start_gate: asyncio.Event, ready: asyncio.Semaphore, timeout_ms: float,
    fields: tuple[str, ...] = tuple(FIELDS),
) -> SessionResult:  # fmt: skip
    res = SessionResult()
    rng = random.Random(1000 + i)
    plan_rng = random.Random(seed_of(i))
    # tall enough for the whole sidebar: no dropdown opens at the window's edge
    ctx = await browser.new_context(viewport={"width": 1280, "height": 1600})
    try:
        ctx.set_default_timeout(timeout_ms)
        await ctx.add_init_script(monitor_script())
        await ctx.add_init_script(CHART_MONITOR_JS)
        page = await ctx.new_page()
        cdp = await ctx.new_cdp_session(page)
        await cdp.send("Performance.enable")
        await page.goto(url, timeout=timeout_ms)
        await _wait_idle(page, 1, timeout_ms)
        runs = await page.evaluate(TAKE_RUNS_JS)
        res.load_ms = runs[-1][1] - runs[0][0] if runs else None
        ready.release()
        await start_gate.wait()
        for _ in range(changes):
            step = next_step(plan_rng, _url_selection(page.url), fields)
            if time.monotonic() > deadline:
                res.errors.append("deadline reached before all changes were made")
                break
            await asyncio.sleep(rng.uniform(*think))
            sent = int(await page.evaluate("() => __stmon.sent"))
            before = await _renderer_metrics(cdp)
            try:
                await _step(page, step)
                # a removal's click with no rerun request after 3 s while the tag is still
                # there (about once in 20 browser changes, never with the ws driver): click
                # once more, and count it
                if (
                    step.remove
                    and not await _request_sent(page, sent, REPEAT_AFTER_MS)
                    and await _remove_button(page, step).count()
                ):
                    res.repeated.append(f"{step.label} -{step.option}")
                    await _step(page, step)
                idle_at = await _wait_idle(page, sent + 1, timeout_ms)
                settled = await (
                    await page.wait_for_function(SETTLED_JS, timeout=timeout_ms, polling=50)
                ).json_value()
                after = await _renderer_metrics(cdp)
            except Exception as exc:  # a timeout or a vanished element: count it, go on
                res.errors.append(
                    f"step {step.label} {'-' if step.remove else '+'}{step.option}: "
                    f"{type(exc).__name__}: " + str(exc).splitlines()[0][:160]
                )
                continue
            runs = await page.evaluate(TAKE_RUNS_JS)
            if not runs:
                res.errors.append("no completed run recorded for a change")
                continue
            start = runs[0][0]
            res.run_ms.append(runs[-1][1] - start)
            res.idle_ms.append(idle_at - start)
            click, chart_at = settled["click"], settled["chartAt"]
            if click is not None and chart_at is not None and chart_at > click:
                res.perceived.append(
                    {
                        "click_to_chart": chart_at - click,
                        "click_to_sent": start - click,
                        "script_run": runs[-1][1] - start,
                        "finished_to_chart": chart_at - runs[-1][1],
                        **{k: 1000 * (after[k] - before.get(k, 0.0)) for k in after},
                    }
                )
            res.errors.extend(f"run finished with status {r[2]}" for r in runs if r[2] != 0)
            got = _url_selection(page.url)
            if got != step.expected:
                res.errors.append(
                    f"URL {got} after {step.label} {'-' if step.remove else '+'}{step.option} to "
                    f"{step.expected} ({len(runs)} runs, {int(await page.evaluate('() => __stmon.sent')) - sent} requests)"
                )
            res.selections.add(json.dumps(step.expected, sort_keys=True))
        state = await page.evaluate(STATE_JS)
        res.errors.extend(f"exception: {e[:120]}" for e in state["exceptions"])
        res.errors.extend(f"error: {e[:120]}" for e in state["errors"])
    except Exception as exc:
        res.errors.append(f"session {i} aborted: {type(exc).__name__}: {str(exc)[:160]}")
        with contextlib.suppress(ValueError):
            ready.release()
    finally:
        await ctx.close()
    return res


@dataclass
class Target:
    """What is under load: its base URL and the app processes whose CPU and memory count
    (one streamlit process, or serve.sh's workers; ``nginx``: the balancer's processes)."""

    url: str
    pids: list[int]
    nginx: list[int] = field(default_factory=list)

    @classmethod
    def of_server(cls, server: StreamlitServer) -> Target:
        assert server.proc is not None
        return cls(server.url, [server.proc.pid])

    @classmethod
    def of_run_dir(cls, url: str, run_dir: Path | None) -> Target:
        """A running deployment; with serve.sh's run directory, its workers and nginx."""
        if run_dir is None:
            return cls(url, [])
        pids = [int(line.split()[0]) for line in (run_dir / "workers").read_text().splitlines()]
        master = int((run_dir / "nginx.pid").read_text().split()[0])
        children = Path(f"/proc/{master}/task/{master}/children")
        kids = [int(x) for x in children.read_text().split()] if children.exists() else []
        return cls(url, pids, [master, *kids])

    def rss_kib(self) -> int:
        """Resident memory of the app processes, summed (VmRSS, KiB)."""
        total = 0
        for pid in self.pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def nginx_cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.nginx)

    def runqueue_wait(self) -> float:
        """Seconds the app processes' threads were runnable but waiting for a CPU (summed
        over threads, /proc/<pid>/task/*/schedstat): high when other work holds the cores."""
        total = 0
        for pid in self.pids:
            for st in Path(f"/proc/{pid}/task").glob("*/schedstat"):
                with contextlib.suppress(OSError, IndexError, ValueError):
                    total += int(st.read_text().split()[1])
        return total / 1e9


async def sample_rss(server: Target, stop: asyncio.Event, out: list[int]) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError, RuntimeError):
            out.append(server.rss_kib())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def measure(args, server: Target, warm_up, session, other_cpu=None) -> dict:
    """The run both drivers share: a warm-up session, RSS before, K sessions opened (each
    releases ``ready`` once its page has loaded), then all their changes at once (``gate``),
    with RSS sampled and CPU counted (server, ``other_cpu()`` if given, this process)."""
    report: dict = {}
    await warm_up()  # the first run after start-up imports and compiles everything
    await asyncio.sleep(2)
    report["rss_before_kib"] = server.rss_kib()

    rss: list[int] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, stop, rss))
    gate, ready = asyncio.Event(), asyncio.Semaphore(0)
    tasks = [asyncio.create_task(session(i, gate, ready)) for i in range(args.sessions)]
    for _ in range(args.sessions):  # every session has loaded the page
        await ready.acquire()
    report["rss_sessions_open_kib"] = server.rss_kib()
    t0 = time.monotonic()
    cpu0 = (server.cpu(), other_cpu() if other_cpu else 0.0, time.process_time(),
            server.nginx_cpu(), server.runqueue_wait(), os.getloadavg()[0])  # fmt: skip
    gate.set()
    results = await asyncio.gather(*tasks)
    report["wall_s"] = time.monotonic() - t0
    report["cpu_s"] = {
        "server": server.cpu() - cpu0[0],
        "nginx": server.nginx_cpu() - cpu0[3],
        "runqueue_wait": server.runqueue_wait() - cpu0[4],
        "loadavg": (cpu0[5], os.getloadavg()[0]),
        "chromium": (other_cpu() - cpu0[1]) if other_cpu else None,
        "driver": time.process_time() - cpu0[2],
    }
    await asyncio.sleep(2)
    report["rss_after_kib"] = server.rss_kib()
    stop.set()
    await sampler
    report["rss_peak_kib"] = max(rss + [report["rss_after_kib"]])
    report["results"] = results
    return report


def _view_url(base: str, cohort: str, i: int, mix: tuple[str, ...]) -> str:
    _, page, extra = view_of(i, mix)
    return f"{base}/{page}?cohort={cohort}" + (f"&{extra}" if extra else "")


async def drive_browser(args, server, cohort: str) -> dict:
    from playwright.async_api import async_playwright

    if isinstance(server, StreamlitServer):
        server = Target.of_server(server)
    mix = tuple(args.mix)
    url = _view_url(server.url, cohort, 0, mix)
    deadline = time.monotonic() + args.max_seconds
    timeout_ms = args.step_timeout * 1000
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)

        async def warm_up() -> None:
            warm = await browser.new_context()
            await warm.add_init_script(monitor_script())
            page = await warm.new_page()
            await page.goto(url, timeout=timeout_ms)
            await _wait_idle(page, 1, timeout_ms)
            await warm.close()

        async def session(i: int, gate: asyncio.Event, ready: asyncio.Semaphore):
            res = await run_session(
                i, browser, _view_url(server.url, cohort, i, mix), args.changes,
                tuple(args.think), deadline, gate, ready, timeout_ms,
                VIEW_FIELDS.get(view_of(i, mix)[0], tuple(FIELDS)),
            )  # fmt: skip
            res.view = view_of(i, mix)[0]
            return res

        report = await measure(args, server, warm_up, session, chromium_cpu_seconds)
        await browser.close()
    return report


# ------------------------------------------------------------------ websocket sessions
async def run_ws_session(
    i: int, base_url: str, page: str, query: str, changes: int, think: tuple[float, float],
    deadline: float, start_gate: asyncio.Event, ready: asyncio.Semaphore, timeout_s: float,
    use_cache: bool = True, cookies: bool = False, fields: tuple[str, ...] = tuple(FIELDS),
) -> SessionResult:  # fmt: skip
    """One session over Streamlit's websocket (speed/ws_client.py): open the page, then
    make ``changes`` filter changes, each as the browser sends it (a rerun with every
    widget's value, one multiselect changed), timed from request sent to script_finished."""
    res = SessionResult()
    rng = random.Random(1000 + i)
    plan_rng = random.Random(seed_of(i))
    sess = Session(base_url, page, query, use_cache=use_cache, cookies=cookies)
    released = False
    try:
        run = await sess.open(timeout_s)
        res.load_ms = run.ms
        ready.release()
        released = True
        await start_gate.wait()
        for _ in range(changes):
            step = next_step(plan_rng, _query_selection(sess.query_string), fields)
            if time.monotonic() > deadline:
                res.errors.append("deadline reached before all changes were made")
                break
            await asyncio.sleep(rng.uniform(*think))
            name = f"{step.label} {'-' if step.remove else '+'}{step.option}"
            try:
                run = await sess.toggle_option(
                    step.label, step.option, remove=step.remove, timeout=timeout_s
                )
            except (TimeoutError, SessionError) as exc:  # count it, go on (or stop if closed)
                res.errors.append(f"step {name}: {type(exc).__name__}: {str(exc)[:160]}")
                if sess.closed:
                    break
                continue
            res.run_ms.append(run.ms)
            res.run_kib.append(run.bytes / 1024)
            got = _query_selection(sess.query_string)
            res.checks.append((name, run.status_name, step.expected, got))
            if got != step.expected:
                res.errors.append(f"query string {got} after {name} to {step.expected}")
            res.selections.add(json.dumps(step.expected, sort_keys=True))
    except Exception as exc:
        res.errors.append(f"session {i} aborted: {type(exc).__name__}: {str(exc)[:160]}")
    finally:
        if not released:
            ready.release()
        await sess.close()
    # exceptions, error alerts, runs that did not finish successfully (first load included)
    res.errors.extend(sess.errors)
    return res


async def drive_ws(args, server, cohort: str) -> dict:
    if isinstance(server, StreamlitServer):
        server = Target.of_server(server)
    deadline = time.monotonic() + args.max_seconds
    use_cache = not args.no_message_cache
    mix = tuple(getattr(args, "mix", ("default",)))
    cookies = bool(getattr(args, "url", None))  # behind a balancer: its sticky cookie

    def where(i: int) -> tuple[str, str]:
        _, page, extra = view_of(i, mix)
        return page, f"cohort={cohort}" + (f"&{extra}" if extra else "")

    async def warm_up() -> None:
        # every view once (behind a balancer: twice per worker, which picks them at random);
        # the first run of a page in a process imports and compiles it
        workers = len(server.pids) if cookies else 1
        for i in range(len(mix) * (2 * workers if cookies else 1)):
            async with Session(server.url, *where(i), use_cache=use_cache, cookies=cookies) as w:
                run = await w.open(args.step_timeout)
                if not run.ok:
                    raise RuntimeError(f"warm-up run failed: {run.status_name} {w.errors[:3]}")

    async def session(i: int, gate: asyncio.Event, ready: asyncio.Semaphore):
        res = await run_ws_session(
            i, server.url, *where(i), args.changes, tuple(args.think), deadline, gate,
            ready, args.step_timeout, use_cache, cookies,
            VIEW_FIELDS.get(view_of(i, mix)[0], tuple(FIELDS)),
        )  # fmt: skip
        res.view = view_of(i, mix)[0]
        return res

    return await measure(args, server, warm_up, session)


# ------------------------------------------------------------------ CPU accounting
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def chromium_cpu_seconds() -> float:
    """CPU time of every running Chromium process (the load generator's browser)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if "chrom" in (d / "comm").read_text():
                total += cpu_seconds(int(d.name))
        except (OSError, IndexError, ValueError):
            continue
    return total


# ------------------------------------------------------------------ cache entry sizes
def entry_sizes_kib(
    db: Path, cohort: str, selections: list[dict], mix: tuple[str, ...] = ("default",)
) -> dict[str, float]:
    """Pickled sizes of what the Survival page caches per selection (max over a sample and
    over the Survival views of the mix; a grouped view adds its hazard-ratio entry; the Cox
    page's fits are not sized here)."""
    from core.analyses import survival as survival_data
    from core.analyses import survival_url
    from core.data import queries
    from core.data.filters import CODE_FILTERS, Filters

    specs = []
    for name in dict.fromkeys(mix):
        page, extra = VIEWS[name]
        if page == "survival":
            q = {k: v[0] for k, v in parse_qs(extra).items()}
            specs.append(survival_url.from_query_params(q)[0])
    from core.present.charts import km_chart
    from core.vocab.methods import TimeUnit

    sizes = {"survival": 0.0, "count": 0.0, "codes": 0.0}
    for sel in selections[:12] or [{}]:
        f, _ = Filters.from_query_params({"cohort": cohort, **sel}, [cohort])
        for spec in specs:
            a = survival_data.analyse(f, spec, db)
            size = len(pickle.dumps(a))
            ref = next((g.label for g in a.groups if not g.suppressed and g.in_tests), None)
            if spec.by and a.logrank is not None and ref is not None:
                size += len(pickle.dumps(survival_data.hazard_ratios(f, spec, ref, db)))
            unit = TimeUnit.MONTHS  # what the page builds from it (figure, tables)
            size += len(pickle.dumps(km_chart(a, unit)))
            size += len(pickle.dumps(survival_data.summary_frame(a, unit)))
            size += len(pickle.dumps(survival_data.survival_at_frame(a)))
            sizes["survival"] = max(sizes["survival"], size / 1024)
        sizes["count"] = max(
            sizes["count"], len(pickle.dumps(queries.count_patients(f, db))) / 1024
        )
        codes = [queries.distinct_codes(n, (cohort,), db) for n in CODE_FILTERS]
        sizes["codes"] = max(sizes["codes"], sum(len(pickle.dumps(c)) for c in codes) / 1024)
    return sizes


# ------------------------------------------------------------------ report
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def perceived_rows(results: list[SessionResult]) -> list[tuple[str, str]]:
    """Browser driver: click -> settled chart and where its time goes (p50 per part)."""
    rows = [x for r in results for x in r.perceived]
    if not rows:
        return []

    def p(key: str, q: int = 50) -> float:
        return pct([x[key] for x in rows if key in x], q)

    return [
        (
            f"click -> chart settled p50 / p95 ({len(rows)} changes)",
            f"{p('click_to_chart'):,.0f} / {p('click_to_chart', 95):,.0f} ms",
        ),
        (
            "  parts (p50): click -> request sent / script run / last message -> chart settled",
            f"{p('click_to_sent'):,.0f} / {p('script_run'):,.0f} / "
            f"{p('finished_to_chart'):,.0f} ms",
        ),
        (
            "  renderer work per change (p50): all tasks / script / layout / style",
            " / ".join(
                f"{p(k):,.0f}"
                for k in ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
            )
            + " ms",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="patients in the synthetic cohort")
    p.add_argument("--db", type=Path, help="database (default speed/out/load-synth-N.duckdb)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the database first (after a "
                   "schema change, a database written by an older version may not work)")  # fmt: skip
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--changes", type=int, default=25, help="filter changes per session")
    p.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                   help="think time between a session's changes, seconds (uniform)")  # fmt: skip
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--step-timeout", type=float, default=60, help="seconds per change")
    p.add_argument("--max-seconds", type=float, default=900, help="stop making changes after")
    p.add_argument("--json", type=Path, help="also write the numbers to this file")
    p.add_argument("--driver", choices=("ws", "browser"), default="ws",
                   help="ws: sessions speak Streamlit's websocket protocol (speed/ws_client.py), "
                   "no browser; browser: one headless Chromium context per session")  # fmt: skip
    p.add_argument("--no-message-cache", action="store_true", help="ws driver: claim no cached "
                   "message, so the server sends every element in full (a browser does not)")  # fmt: skip
    p.add_argument("--cohort", help="cohort id to open (default synth-N, the synthetic cohort)")
    p.add_argument("--url", help="drive a deployment already running on loopback (e.g. "
                   "scripts/serve.sh's http://127.0.0.1:8080) instead of starting a server; "
                   "--db then names its database (for the cache entry sizes)")  # fmt: skip
    p.add_argument("--run-dir", type=Path, help="with --url: scripts/serve.sh's run directory, "
                   "so its workers' CPU and memory and nginx's CPU are measured")  # fmt: skip
    p.add_argument("--mix", type=lambda v: tuple(x for x in v.split(",") if x),
                   default=MIX, help=f"views the sessions open, round robin (default "
                   f"{','.join(MIX)}; 'default' alone is the ungrouped Survival page)")  # fmt: skip
    args = p.parse_args(argv)
    unknown = [v for v in args.mix if v not in VIEWS]
    if unknown or not args.mix:
        p.error(f"--mix: unknown views {unknown}; choose from {', '.join(VIEWS)}")
    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        p.error("--url must be a loopback address (the load stays on this machine)")
    global SEED
    SEED = args.seed
    if args.sessions < 1 or args.changes < 1 or args.sessions > 50 or args.changes > 200:
        p.error("--sessions must be 1-50 and --changes 1-200 (bounded load)")
    problem = missing_browser_tools() if args.driver == "browser" else ""
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    db = args.db or OUT / f"load-synth-{args.n}.duckdb"
    cohort = args.cohort or f"synth-{args.n}"
    if args.rebuild and args.db is None and not args.url:
        db.unlink(missing_ok=True)
    if not db.exists() and not args.url:
        print(f"Building {db} ({args.n:,} patients)…", flush=True)
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "core", "synth", "--n", str(args.n), "--db", str(db)],
            cwd=ROOT,
            check=True,
        )
    drive = drive_ws if args.driver == "ws" else drive_browser
    if args.url:
        target = Target.of_run_dir(args.url.rstrip("/"), args.run_dir)
        rss_start = target.rss_kib()
        report = asyncio.run(drive(args, target, cohort))
    else:
        log = Path(tempfile.mkdtemp(prefix="net-load-")) / "streamlit.log"
        server = StreamlitServer(db, log).start()
        try:
            target = Target.of_server(server)
            rss_start = target.rss_kib()
            report = asyncio.run(drive(args, target, cohort))
        finally:
            server.stop()
    workers = len(target.pids)
    results: list[SessionResult] = report["results"]
    runs = [x for r in results for x in r.run_ms]
    idles = [x for r in results for x in r.idle_ms]
    loads = [r.load_ms for r in results if r.load_ms is not None]
    errors = [e for r in results for e in r.errors]
    repeated = [e for r in results for e in r.repeated]
    selections = sorted({s for r in results for s in r.selections})
    view_selections = {(r.view, s) for r in results for s in r.selections}  # cache entries
    try:
        if not db.exists():
            raise FileNotFoundError(f"no database at {db} (--db)")
        sizes = entry_sizes_kib(db, cohort, [json.loads(s) for s in selections], args.mix)
    except Exception as exc:  # the core changed under us: report, do not lose the run
        print(f"warning: cache entry sizes not measured ({type(exc).__name__}: {exc})")
        sizes = {"survival": float("nan"), "count": float("nan"), "codes": float("nan")}
    entries = min(len(view_selections), CACHE_MAX_ENTRIES)
    bound_kib = (  # every worker caches its own entries
        max(workers, 1) * entries * (sizes["survival"] + sizes["count"] + sizes["codes"])
        + args.sessions * SESSION_ALLOWANCE_KIB
        + max(workers, 1) * SLACK_KIB
    )
    growth_kib = report["rss_after_kib"] - report["rss_before_kib"]

    def ms(x: float) -> str:
        return f"{x:,.0f} ms"

    def mib(kib: float) -> str:
        return f"{kib / 1024:,.1f} MiB"

    def spread(values: list[float]) -> str:
        return " / ".join(
            ms(x) for x in (pct(values, 50), pct(values, 95), max(values, default=float("nan")))
        )

    browser = args.driver == "browser"
    cpu = report["cpu_s"]
    kib = [x for r in results for x in r.run_kib]
    rows = [
        (
            "driver",
            "browser (one headless Chromium context per session)"
            if browser
            else "ws (Streamlit websocket protocol, no browser"
            + (", no message cache)" if args.no_message_cache else ")"),
        ),
        (
            "server",
            f"{args.url} ({workers or 'unmeasured'} workers behind it)"
            if args.url
            else "one streamlit process started here",
        ),
        ("patients in the cohort", cohort if args.cohort else f"{args.n:,}"),
        ("concurrent sessions", f"{args.sessions} (views: {', '.join(args.mix)})"),
        ("filter changes (reruns) made", f"{len(runs)} of {args.sessions * args.changes}"),
        ("think time between changes", f"{args.think[0]:g}-{args.think[1]:g} s"),
        ("wall time of the changes", f"{report['wall_s']:.1f} s"),
        ("script run p50 / p95 / max", spread(runs)),
        *[
            (f"script run, {v} view ({len(xs)} runs)", spread(xs))
            for v in args.mix
            if len(args.mix) > 1 and (xs := [x for r in results if r.view == v for x in r.run_ms])
        ],
        (
            "until idle on screen p50 / p95 / max",
            spread(idles) if browser else "not measured (the ws driver draws nothing)",
        ),
        (
            "CPU during the changes: server / "
            + ("Chromium / " if browser else "")
            + ("nginx / " if target.nginx else "")
            + "driver",
            " / ".join(
                f"{cpu[k]:.1f} s"
                for k in ("server", "chromium", "nginx", "driver")
                if cpu[k] is not None and (k != "nginx" or target.nginx)
            )
            + f" (2 cores x {report['wall_s']:.0f} s = {2 * report['wall_s']:.0f} s)",
        ),
        (
            "server CPU per rerun",
            f"{1000 * cpu['server'] / max(len(runs), 1):.0f} ms"
            + (f" (all {workers} workers)" if workers > 1 else ""),
        ),  # fmt: skip
        (
            "server threads waiting for a CPU (run queue) / load average start, end",
            f"{cpu['runqueue_wait']:.1f} s / {cpu['loadavg'][0]:.1f}, {cpu['loadavg'][1]:.1f}"
            " (other work on the machine delays the server by about this much)",
        ),
        *perceived_rows(results),
        (
            "first page load (per session) p50 / max",
            f"{ms(pct(loads, 50))} / {ms(max(loads, default=float('nan')))}",
        ),  # fmt: skip
        *(
            []
            if browser
            else [
                ("received per rerun (mean)", f"{statistics.fmean(kib or [float('nan')]):.0f} KiB")
            ]
        ),
        ("errors", str(len(errors))),
        *(
            [("removals clicked twice (no rerun request within 3 s)", str(len(repeated)))]
            if browser
            else []
        ),
        ("distinct selections visited", str(len(selections))),
        ("server RSS at start (no session)", mib(rss_start)),
        ("server RSS before (warm, sessions closed)", mib(report["rss_before_kib"])),
        ("server RSS with all sessions open", mib(report["rss_sessions_open_kib"])),
        ("server RSS peak during the run", mib(report["rss_peak_kib"])),
        ("server RSS after the run", mib(report["rss_after_kib"])),
        ("growth after - before", mib(growth_kib)),
        (
            "cache entry sizes (survival / count / codes)",
            f"{sizes['survival']:.0f} / {sizes['count']:.1f} / {sizes['codes']:.1f} KiB",
        ),  # fmt: skip
        (
            "bound checked",
            f"{mib(bound_kib)} = {entries} entries x entry sizes + "
            f"{args.sessions} x {SESSION_ALLOWANCE_KIB // 1024} MiB + {SLACK_KIB // 1024} MiB",
        ),  # fmt: skip
    ]
    if not workers:  # a deployment whose processes this run cannot see
        rows = [r for r in rows if not r[0].startswith(("server RSS", "growth", "bound"))]
    p95 = pct(runs, 95)
    verdicts = [
        ("p95 script run < 1 s", p95 < 1000),
        ("zero errors", not errors),
        ("all changes made", len(runs) == args.sessions * args.changes),
        *([("memory growth within the bound", growth_kib <= bound_kib)] if workers else []),
    ]
    print()
    print("| measure | value |")
    print("| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")
    for k, ok in verdicts:
        print(f"| target: {k} | {'PASS' if ok else 'FAIL'} |")
    if errors:
        print("\nFirst errors:")
        for e in errors[:10]:
            print("  -", e)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {
                        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                    },
                    "run_ms": runs,
                    "run_kib": kib,
                    "idle_ms": idles,
                    "load_ms": loads,
                    "errors": errors,
                    "repeated_clicks": repeated,
                    "rss_kib": {k: v for k, v in report.items() if k.startswith("rss")},
                    "rss_start_kib": rss_start,
                    "views": [r.view for r in results],
                    "run_ms_by_session": [r.run_ms for r in results],
                    "perceived": [x for r in results for x in r.perceived],
                    "cpu_s": report["cpu_s"],
                    "wall_s": report["wall_s"],
                    "bound_kib": bound_kib,
                    "entry_sizes_kib": sizes,
                },
                indent=1,
            )
        )
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
