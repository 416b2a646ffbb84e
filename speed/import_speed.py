"""Time the import of synthetic CSV files beside DuckDB's own typed ``read_csv`` (the floor).

    python speed/import_speed.py                      # 10^4, 10^5, 10^6 rows
    python speed/import_speed.py --sizes 1000 50000 --repeats 5
    python speed/import_speed.py --no-pandas          # skip the (slow) pandas importer

Each file has 14 columns in mixed codings (M/F, dead/alive, yes/no, upper/lower-case codes),
PFS times not after OS and about 7% of ages over 89 (so the age warning path is exercised).
Every run imports into a fresh copy of a default database in a temporary directory.

Columns of the table (medians of ``--repeats`` runs; the runs of every path are interleaved so
that load on a shared machine hits them alike, and ratios are taken within one run):

* ``import s``: ``core.cohorts.importer.import_file`` (read, check, write, publish);
* ``cpu s``: the CPU seconds of the import (every thread of the process; less moved by
  other load on a shared machine than the wall time);
* ``floor s``: DuckDB reading the same file with type detection into an in-memory table
  (``CREATE TABLE t AS SELECT * FROM read_csv(path)``), the least any import must do;
* ``x floor``: import / floor;
* ``disk s`` / ``x disk``: the same ``read_csv`` into a table of a copy of the database file,
  committed and checkpointed (the floor of an import that is published on disk), and the
  import's ratio to it. The import writes the 57 columns of ``patients``, 43 of them NULL for
  this file; the floors write the file's 14;
* ``prev s`` / ``vs prev``: the importer before this change (``--prev-rev``, loaded from git
  with its ``import_sql`` and ``store`` into temporary modules), and import / prev;
* ``pandas s`` / ``vs pandas``: the first importer, pandas all the way (``--pandas-rev``), the
  obvious path, and import / pandas;
* ``read``, ``check``, ``open``, ``write``, ``publish``: the import's stages (medians, seconds):
  parsing the bytes, every rule, the target's check with the lock and the copy of the
  database, staging and inserting, the commit (which checkpoints the copy) and the rename.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.cohorts.importer import import_file  # noqa: E402
from core.data.build import build_default  # noqa: E402
from core.data.db import close_all  # noqa: E402

PANDAS_REV = "e62a706"
"""The last commit with the pandas importer (issue 16 replaced it)."""
PREV_REV = "ee230f3"
"""The importer before the third pass of issue 16 item 4 (the second pass's importer; the
first pass's is 670b1f2)."""
STAGES = ("read", "check", "open", "write", "publish")


def synthetic_csv(n: int, path: Path, seed: int = 20240611) -> Path:
    rng = np.random.default_rng(seed)
    os_days = rng.integers(0, 5000, n)
    pd.DataFrame(
        {
            "patient_id": [f"p{i:07d}" for i in range(n)],
            "sex": rng.choice(["male", "female", "M", "F"], n),
            "age": rng.integers(20, 95, n),
            "race": rng.choice(["white", "black", "Asian"], n),
            "os_days": os_days,
            "os_event": rng.choice(["1", "0", "dead", "alive"], n),
            "pfs_imaging_days": (os_days * rng.uniform(0, 1, n)).astype(int),
            "pfs_imaging_event": rng.integers(0, 2, n),
            "primary_site": rng.choice(["small_bowel", "pancreas", "Lung", "unknown"], n),
            "grade": rng.choice(["G1", "g2", "G3"], n),
            "first_activity_mbq": np.round(rng.uniform(3000, 20000, n), 1),
            "prior_surgery": rng.choice(["yes", "no"], n),
            "met_liver": rng.choice(["true", "false"], n),
            "imaging_response": rng.choice(["CR", "pr", "SD", "PD"], n),
        }
    ).to_csv(path, index=False)
    return path


def importer_at(rev: str, tag: str) -> Callable[..., object] | None:
    """``import_file`` as it was at ``rev``, loaded from git into temporary modules with that
    revision's ``import_sql`` and ``store`` (None without git or the revision)."""

    def load(path: str, name: str) -> types.ModuleType:
        src = subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        mod = types.ModuleType(name)
        mod.__file__ = str(ROOT / path)
        sys.modules[name] = mod
        exec(compile(src, str(ROOT / path), "exec"), mod.__dict__)
        return mod

    try:
        store = load("core/data/store.py", f"_{tag}_store")
        sql = load("core/data/import_sql.py", f"_{tag}_import_sql")
        mod = load("core/cohorts/importer.py", f"_{tag}_importer")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    mod.import_sql = sql
    mod.write_transaction = store.write_transaction
    return mod.import_file


def floor_seconds(path: Path) -> float:
    con = duckdb.connect()
    try:
        t0 = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
        return time.perf_counter() - t0
    finally:
        con.close()


def disk_floor_seconds(path: Path, base_db: Path, tmp: Path) -> float:
    """``read_csv`` into a table of a copy of the database, committed and checkpointed."""
    db = tmp / "floor.duckdb"
    t0 = time.perf_counter()
    shutil.copy2(base_db, db)
    con = duckdb.connect(str(db))
    try:
        con.begin()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
        con.commit()
        con.execute("CHECKPOINT")
    finally:
        con.close()
    seconds = time.perf_counter() - t0
    db.unlink()
    return seconds


def import_seconds(
    fn: Callable[..., object], path: Path, base_db: Path, tmp: Path
) -> tuple[float, dict[str, float]]:
    """Wall seconds of one import and its stages (``cpu``: its CPU seconds)."""
    db = tmp / "run.duckdb"
    shutil.copy(base_db, db)
    t0, c0 = time.perf_counter(), time.process_time()
    report = fn(path, "bench", db=db)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if not report.ok:  # type: ignore[attr-defined]
        raise SystemExit(report.summary())  # type: ignore[attr-defined]
    close_all()
    db.unlink()
    return seconds, dict(getattr(report, "timings", ())) | {"cpu": cpu}


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-prev", action="store_true", help="skip the previous importer")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas importer")
    parser.add_argument("--prev-rev", default=PREV_REV)
    parser.add_argument("--pandas-rev", default=PANDAS_REV)
    args = parser.parse_args()
    others = {
        "prev": None if args.no_prev else importer_at(args.prev_rev, "prev"),
        "pandas": None if args.no_pandas else importer_at(args.pandas_rev, "pandas"),
    }
    head = (
        f"{'rows':>10} {'import s':>9} {'cpu s':>6} {'floor s':>8} {'x floor':>8} {'disk s':>7} "
        f"{'x disk':>7} {'prev s':>7} {'vs prev':>7} {'pandas s':>9} {'vs pandas':>9}  "
        + " ".join(f"{s:>7}" for s in STAGES)
    )
    print(head)
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        base = build_default(tmp / "base.duckdb")
        for n in args.sizes:
            f = synthetic_csv(n, tmp / f"bench-{n}.csv")
            runs: dict[str, list[float]] = {"new": [], "cpu": [], "floor": [], "disk": []}
            runs |= {k: [] for k, fn in others.items() if fn is not None}
            stages: dict[str, list[float]] = {s: [] for s in STAGES}
            for _ in range(args.repeats):
                runs["floor"].append(floor_seconds(f))
                runs["disk"].append(disk_floor_seconds(f, base, tmp))
                seconds, timings = import_seconds(import_file, f, base, tmp)
                runs["new"].append(seconds)
                runs["cpu"].append(timings["cpu"])
                for s in STAGES:
                    stages[s].append(timings.get(s, float("nan")))
                for k, fn in others.items():
                    if fn is not None:
                        runs[k].append(import_seconds(fn, f, base, tmp)[0])
            med = {k: statistics.median(v) for k, v in runs.items()}
            new = med["new"]
            cols = [
                f"{n:>10,}",
                f"{new:>9.2f}",
                f"{med['cpu']:>6.2f}",
                f"{med['floor']:>8.2f}",
                f"{_ratio(new, med['floor']):>8}",
                f"{med['disk']:>7.2f}",
                f"{_ratio(new, med['disk']):>7}",
            ]
            for k, w in (("prev", 7), ("pandas", 9)):
                cols += (
                    [f"{med[k]:>{w}.2f}", f"{_ratio(new, med[k]):>{w}}"]
                    if k in med
                    else [f"{'-':>{w}}", f"{'-':>{w}}"]
                )
            line = (
                " ".join(cols)
                + "  "
                + " ".join(f"{statistics.median(stages[s]):>7.3f}" for s in STAGES)
            )
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
