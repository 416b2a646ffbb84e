"""Server CPU per rerun of the Survival page, with the profile of where it goes.

Runs app.py on the Survival page (and the Response, Cox and Benchmarks pages) in AppTest (the
script runs in this process, as in the server), on the synthetic database of ``--n``
patients: one run to fill the caches, then ``--reruns`` reruns with the analysis cached (what
every widget change that does not change the selection costs, and what each of many viewers
of the same view costs). Prints the median CPU time per rerun: of the whole process
(``time.process_time``: AppTest's own harness, building and reading the element tree, is
inside; a real server adds the websocket send instead) and of the script's thread alone
(``time.thread_time`` around the script run: the page's own work and Streamlit's building of
its elements). With ``--profile``, the functions of the app that take the most of it
(cProfile, cumulative).

AppTest compiles the page scripts anew on every run (a new script cache per run); a server
compiles them once. Here they are compiled once too (a shared bytecode cache), so the figure
is the server's; ``--compile-each-run`` measures AppTest's way.

AppTest also turns Streamlit's legacy pages-folder mode back on before every run (``pages/``
sits beside app.py), so each of its runs lists the folder, makes a StreamlitPage for each of
its ~35 files and runs the page script, whose ``_shell.enter`` then runs app.py: ~1.5 ms a
rerun that no server spends (serve.py switches the mode off before the first session; under
``streamlit run app.py`` the first ``st.navigation`` switches it off for the process). Here it
stays off, as served; ``--pages-folder-mode`` measures AppTest's way.

    python speed/rerun_profile.py [--n 100000] [--reruns 20] [--profile] [--views NAME ...]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def compile_once() -> None:
    """Keep each script's bytecode across AppTest runs, as a server's script cache does."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    compiled: dict[str, object] = {}
    plain = ScriptCache.get_bytecode

    def get_bytecode(self, script_path: str):
        if script_path not in compiled:
            compiled[script_path] = plain(self, script_path)
        return compiled[script_path]

    ScriptCache.get_bytecode = get_bytecode


def navigation_as_served() -> None:
    """Keep Streamlit's pages-folder mode off on every AppTest run, as serve.py does."""
    from streamlit.runtime.pages_manager import PagesManager

    plain = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        plain(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def reruns(
    page: str, query: dict[str, str], n_runs: int, profile: bool
) -> tuple[float, float, float, str]:
    """(first run ms, median rerun ms of the process, of the script thread, profile text)."""
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page(page)
    for k, v in query.items():
        at.query_params[k] = v
    t0 = time.process_time()
    at.run()  # fills the caches
    first = time.process_time() - t0
    if at.exception:
        raise SystemExit(f"{query}: {at.exception[0].message}")
    at.run()  # a second run: the first one after a page switch seeds widgets
    prof = cProfile.Profile() if profile else None
    plain = script_runner.exec_func_with_error_handling
    script_times: list[float] = []

    def measured(func, ctx):  # the script runs on AppTest's script thread: measure it there
        if prof:
            prof.enable()
        t0 = time.thread_time()
        try:
            return plain(func, ctx)
        finally:
            script_times.append(time.thread_time() - t0)
            if prof:
                prof.disable()

    script_runner.exec_func_with_error_handling = measured
    times = []
    try:
        for _ in range(n_runs):
            t0 = time.process_time()
            at.run()
            times.append(time.process_time() - t0)
    finally:
        script_runner.exec_func_with_error_handling = plain
    if at.exception:
        raise SystemExit(f"{query}: {at.exception[0].message}")
    text = ""
    if prof:
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        stats.print_stats(r"work/main/(pages|core)", 30)
        text = out.getvalue()
    ms = 1000
    return first * ms, statistics.median(times) * ms, statistics.median(script_times) * ms, text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--reruns", type=int, default=20)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--views", nargs="*", help="only these views (names as in the table)")
    ap.add_argument(
        "--compile-each-run", action="store_true", help="AppTest's way: no shared bytecode"
    )
    ap.add_argument(
        "--pages-folder-mode",
        action="store_true",
        help="AppTest's way: the legacy pages-folder mode on every run (no server does this)",
    )
    args = ap.parse_args(argv)
    if not args.compile_each_run:
        compile_once()
    if not args.pages_folder_mode:
        navigation_as_served()
    db = ROOT / "speed" / "out" / f"synth-{args.n}.duckdb"
    if not db.exists():
        from core.data.build import build_synthetic

        build_synthetic(args.n, db)
    os.environ["NET_EXPLORER_DB"] = str(db)
    cohort = f"synth-{args.n}"
    survival, c = "pages/survival.py", {"cohort": cohort}
    views = {
        "ungrouped": (survival, c),
        "grouped by grade": (survival, c | {"by": "grade"}),
        "grouped by primary site": (survival, c | {"by": "primary_site"}),
        "from diagnosis": (survival, c | {"origin": "diagnosis"}),
        "Response page": ("pages/response.py", c),
        "Cox page": ("pages/cox.py", c),
        "Benchmarks page": ("pages/benchmarks.py", c),
    }
    unknown = set(args.views or ()) - set(views)
    if unknown:
        raise SystemExit(f"unknown views {sorted(unknown)}; choose from {sorted(views)}")
    print(
        f"| view ({args.n:,} patients) | first run (caches empty), ms CPU "
        "| cached rerun, ms CPU (process) | of which the script thread |"
    )
    print("|---|---:|---:|---:|")
    profiles = []
    for name, (page, query) in views.items():
        if args.views and name not in args.views:
            continue
        first, per, script, text = reruns(page, query, args.reruns, args.profile)
        print(f"| {name} | {first:,.0f} | {per:,.1f} | {script:,.1f} |", flush=True)
        if text:
            profiles.append(f"== {name}\n{text}")
    for text in profiles:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
