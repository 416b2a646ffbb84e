"""Load test: K concurrent sessions changing filters on the Survival page.

What it does (loopback only, bounded in count and time):

1. uses (or builds) ``speed/out/load-synth-N.duckdb``, one synthetic cohort of N patients
   (``python -m core synth --n N --db PATH``, default N = 100,000);
2. starts ``streamlit run app.py`` on 127.0.0.1 (a free port) against it;
3. opens K sessions (default 20) on /survival?cohort=synth-N; then every session makes M filter
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
selection: count, survival analysis, codes per filter field (x5), cohorts, benchmarks. The check
is: RSS after the run - RSS before <= min(distinct selections, 256) x (size of one survival
entry + size of one count entry + 5 code entries) + 1 MiB per session (session state and
message buffers) + 32 MiB slack (allocator). Entry sizes are measured here by pickling what
st.cache_data stores (it keeps the pickled bytes).

Usage:
    python speed/load.py                      # ws driver, 20 sessions x 25 changes, N = 10^5
    python speed/load.py --sessions 5 --changes 10 --think 0 0
    python speed/load.py --driver browser     # the same through 20 Chromium contexts
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import random
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


def next_step(rng: random.Random, current: dict[str, list[str]]) -> Step:
    """The next filter change from the page's current selection (read from its URL): add a
    value (at most 2 per field) or remove one. Deciding from the page, not from a fixed plan,
    keeps one lost change from being counted again at every later step."""
    label = rng.choice(list(FIELDS))
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


async def _wait_idle(page, sent_at_least: int, timeout_ms: float) -> float:
    await page.wait_for_function(
        f"() => window.__stmon && __stmon.sent >= {sent_at_least}", timeout=timeout_ms, polling=50
    )
    handle = await page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=50)
    return float(await handle.json_value())


async def _step(page, step: Step) -> None:
    """Add a value through the dropdown, or remove one with its tag's remove button."""
    sidebar = page.get_by_test_id("stSidebar")
    if step.remove:
        widget = sidebar.get_by_test_id("stMultiSelect").filter(
            has=page.get_by_label(step.label, exact=True)
        )
        await widget.get_by_role("button", name=f"Remove {step.option}", exact=True).click()
        return
    box = sidebar.get_by_label(step.label, exact=True)
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
) -> SessionResult:  # fmt: skip
    res = SessionResult()
    rng = random.Random(1000 + i)
    plan_rng = random.Random(seed_of(i))
    # tall enough for the whole sidebar: no dropdown opens at the window's edge
    ctx = await browser.new_context(viewport={"width": 1280, "height": 1600})
    try:
        ctx.set_default_timeout(timeout_ms)
        await ctx.add_init_script(monitor_script())
        page = await ctx.new_page()
        await page.goto(url, timeout=timeout_ms)
        await _wait_idle(page, 1, timeout_ms)
        runs = await page.evaluate(TAKE_RUNS_JS)
        res.load_ms = runs[-1][1] - runs[0][0] if runs else None
        ready.release()
        await start_gate.wait()
        for _ in range(changes):
            step = next_step(plan_rng, _url_selection(page.url))
            if time.monotonic() > deadline:
                res.errors.append("deadline reached before all changes were made")
                break
            await asyncio.sleep(rng.uniform(*think))
            sent = int(await page.evaluate("() => __stmon.sent"))
            try:
                await _step(page, step)
                idle_at = await _wait_idle(page, sent + 1, timeout_ms)
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


async def sample_rss(server: StreamlitServer, stop: asyncio.Event, out: list[int]) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError, RuntimeError):
            out.append(server.rss_kib())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def measure(args, server: StreamlitServer, warm_up, session, other_cpu=None) -> dict:
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
    cpu0 = (cpu_seconds(server.proc.pid), other_cpu() if other_cpu else 0.0, time.process_time())
    gate.set()
    results = await asyncio.gather(*tasks)
    report["wall_s"] = time.monotonic() - t0
    report["cpu_s"] = {
        "server": cpu_seconds(server.proc.pid) - cpu0[0],
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


async def drive_browser(args, server: StreamlitServer, cohort: str) -> dict:
    from playwright.async_api import async_playwright

    url = f"{server.url}/survival?cohort={cohort}"
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

        def session(i: int, gate: asyncio.Event, ready: asyncio.Semaphore):
            return run_session(
                i, browser, url, args.changes, tuple(args.think), deadline, gate, ready, timeout_ms
            )

        report = await measure(args, server, warm_up, session, chromium_cpu_seconds)
        await browser.close()
    return report


# ------------------------------------------------------------------ websocket sessions
async def run_ws_session(
    i: int, base_url: str, page: str, query: str, changes: int, think: tuple[float, float],
    deadline: float, start_gate: asyncio.Event, ready: asyncio.Semaphore, timeout_s: float,
    use_cache: bool = True,
) -> SessionResult:  # fmt: skip
    """One session over Streamlit's websocket (speed/ws_client.py): open the page, then
    make ``changes`` filter changes, each as the browser sends it (a rerun with every
    widget's value, one multiselect changed), timed from request sent to script_finished."""
    res = SessionResult()
    rng = random.Random(1000 + i)
    plan_rng = random.Random(seed_of(i))
    sess = Session(base_url, page, query, use_cache=use_cache)
    released = False
    try:
        run = await sess.open(timeout_s)
        res.load_ms = run.ms
        ready.release()
        released = True
        await start_gate.wait()
        for _ in range(changes):
            step = next_step(plan_rng, _query_selection(sess.query_string))
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


async def drive_ws(args, server: StreamlitServer, cohort: str) -> dict:
    query = f"cohort={cohort}"
    deadline = time.monotonic() + args.max_seconds
    use_cache = not args.no_message_cache

    async def warm_up() -> None:
        async with Session(server.url, "survival", query, use_cache=use_cache) as warm:
            run = await warm.open(args.step_timeout)
            if not run.ok:
                raise RuntimeError(f"warm-up run failed: {run.status_name} {warm.errors[:3]}")

    def session(i: int, gate: asyncio.Event, ready: asyncio.Semaphore):
        return run_ws_session(
            i, server.url, "survival", query, args.changes, tuple(args.think), deadline, gate,
            ready, args.step_timeout, use_cache,
        )  # fmt: skip

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
def entry_sizes_kib(db: Path, cohort: str, selections: list[dict]) -> dict[str, float]:
    """Pickled sizes of what the Survival page caches per selection (max over a sample)."""
    from core.analyses import survival as survival_data
    from core.analyses.survival import SurvivalSpec
    from core.data import queries
    from core.data.filters import CODE_FILTERS, Filters

    sizes = {"survival": 0.0, "count": 0.0, "codes": 0.0}
    for sel in selections[:12] or [{}]:
        f, _ = Filters.from_query_params({"cohort": cohort, **sel}, [cohort])
        spec = SurvivalSpec()
        a = survival_data.analyse(f, spec, db)
        sizes["survival"] = max(sizes["survival"], len(pickle.dumps(a)) / 1024)
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
    args = p.parse_args(argv)
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
    if args.rebuild and args.db is None:
        db.unlink(missing_ok=True)
    if not db.exists():
        print(f"Building {db} ({args.n:,} patients)…", flush=True)
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "core", "synth", "--n", str(args.n), "--db", str(db)],
            cwd=ROOT,
            check=True,
        )
    log = Path(tempfile.mkdtemp(prefix="net-load-")) / "streamlit.log"
    server = StreamlitServer(db, log).start()
    try:
        rss_start = server.rss_kib()
        drive = drive_ws if args.driver == "ws" else drive_browser
        report = asyncio.run(drive(args, server, cohort))
    finally:
        server.stop()
    results: list[SessionResult] = report["results"]
    runs = [x for r in results for x in r.run_ms]
    idles = [x for r in results for x in r.idle_ms]
    loads = [r.load_ms for r in results if r.load_ms is not None]
    errors = [e for r in results for e in r.errors]
    selections = sorted({s for r in results for s in r.selections})
    try:
        sizes = entry_sizes_kib(db, cohort, [json.loads(s) for s in selections])
    except Exception as exc:  # the core changed under us: report, do not lose the run
        print(f"warning: cache entry sizes not measured ({type(exc).__name__}: {exc})")
        sizes = {"survival": float("nan"), "count": float("nan"), "codes": float("nan")}
    entries = min(len(selections), CACHE_MAX_ENTRIES)
    bound_kib = (
        entries * (sizes["survival"] + sizes["count"] + sizes["codes"])
        + args.sessions * SESSION_ALLOWANCE_KIB
        + SLACK_KIB
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
        ("patients in the cohort", cohort if args.cohort else f"{args.n:,}"),
        ("concurrent sessions", str(args.sessions)),
        ("filter changes (reruns) made", f"{len(runs)} of {args.sessions * args.changes}"),
        ("think time between changes", f"{args.think[0]:g}-{args.think[1]:g} s"),
        ("wall time of the changes", f"{report['wall_s']:.1f} s"),
        ("script run p50 / p95 / max", spread(runs)),
        (
            "until idle on screen p50 / p95 / max",
            spread(idles) if browser else "not measured (the ws driver draws nothing)",
        ),
        (
            "CPU during the changes: server / Chromium / driver"
            if browser
            else "CPU during the changes: server / driver",
            " / ".join(
                f"{cpu[k]:.0f} s" for k in ("server", "chromium", "driver") if cpu[k] is not None
            )
            + f" (2 cores x {report['wall_s']:.0f} s = {2 * report['wall_s']:.0f} s)",
        ),
        ("server CPU per rerun", f"{1000 * cpu['server'] / max(len(runs), 1):.0f} ms"),
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
    p95 = pct(runs, 95)
    verdicts = [
        ("p95 script run < 1 s", p95 < 1000),
        ("zero errors", not errors),
        ("all changes made", len(runs) == args.sessions * args.changes),
        ("memory growth within the bound", growth_kib <= bound_kib),
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
                    "rss_kib": {k: v for k, v in report.items() if k.startswith("rss")},
                    "rss_start_kib": rss_start,
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
