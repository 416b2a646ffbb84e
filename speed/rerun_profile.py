"""Server CPU per rerun of the Survival page, with the profile of where it goes.

Runs app.py on the Survival page in Streamlit's AppTest (the script runs in this process, as
in the server), on the synthetic database of ``--n`` patients: one run to fill the caches,
then ``--reruns`` reruns with the analysis cached (what every widget change that does not
change the selection costs, and what each of many viewers of the same view costs). Prints
the median CPU time (``time.process_time``) per rerun, ungrouped and grouped, and with
``--profile`` the functions of the page that take the most of it (cProfile, cumulative).
AppTest's own harness (building and reading the element tree) is inside the figure; a real
server adds the websocket send instead.

    python speed/rerun_profile.py [--n 100000] [--reruns 20] [--profile]
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


def reruns(query: dict[str, str], n_runs: int, profile: bool) -> tuple[float, float, str]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page("pages/survival.py")
    for k, v in query.items():
        at.query_params[k] = v
    t0 = time.process_time()
    at.run()  # fills the caches
    first = time.process_time() - t0
    if at.exception:
        raise SystemExit(f"{query}: {at.exception[0].message}")
    prof = cProfile.Profile() if profile else None
    if prof:  # the script runs on AppTest's script thread: profile it there
        from streamlit.runtime.scriptrunner import script_runner

        plain = script_runner.exec_func_with_error_handling

        def profiled(func, ctx):
            prof.enable()
            try:
                return plain(func, ctx)
            finally:
                prof.disable()

        script_runner.exec_func_with_error_handling = profiled
    times = []
    for _ in range(n_runs):
        t0 = time.process_time()
        at.run()
        times.append(time.process_time() - t0)
    if prof:
        script_runner.exec_func_with_error_handling = plain
    text = ""
    if prof:
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        stats.print_stats(r"work/main/(pages|core)", 30)
        text = out.getvalue()
    return first * 1000, statistics.median(times) * 1000, text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--reruns", type=int, default=20)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    db = ROOT / "speed" / "out" / f"synth-{args.n}.duckdb"
    if not db.exists():
        from core.data.build import build_synthetic

        build_synthetic(args.n, db)
    os.environ["NET_EXPLORER_DB"] = str(db)
    cohort = f"synth-{args.n}"
    views = {
        "ungrouped": {"cohort": cohort},
        "grouped by route": {"cohort": cohort, "by": "route"},
        "grouped by primary site": {"cohort": cohort, "by": "primary_site"},
        "from diagnosis": {"cohort": cohort, "origin": "diagnosis"},
    }
    print(
        f"| view ({args.n:,} patients) | first run (caches empty), ms CPU | cached rerun, ms CPU |"
    )
    print("|---|---:|---:|")
    profiles = []
    for name, query in views.items():
        first, per, text = reruns(query, args.reruns, args.profile)
        print(f"| {name} | {first:,.0f} | {per:,.1f} |", flush=True)
        if text:
            profiles.append(f"== {name}\n{text}")
    for text in profiles:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
