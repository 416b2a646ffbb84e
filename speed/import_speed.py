"""Time the import of synthetic CSV files beside DuckDB's own typed ``read_csv`` (the floor).

    python speed/import_speed.py                      # 10^4, 10^5, 10^6 rows
    python speed/import_speed.py --sizes 1000 50000 --repeats 5
    python speed/import_speed.py --no-old             # skip the old pandas path

Each file has 14 columns in mixed codings (M/F, dead/alive, yes/no, upper/lower-case codes),
PFS times not after OS and about 7% of ages over 89 (so the age warning path is exercised).
Every run imports into a fresh copy of a default database in a temporary directory.

Columns of the table (medians of ``--repeats`` runs, runs of the three paths interleaved so
that load on a shared machine hits them alike):

* ``import s``: ``core.cohorts.importer.import_file`` (read, check, write, publish);
* ``floor s``: DuckDB reading the same file with type detection into an in-memory table
  (``CREATE TABLE t AS SELECT * FROM read_csv(path)``), the least any import must do;
* ``x floor``: import / floor;
* ``old s`` / ``old x``: the previous pandas importer, loaded from git (``git show
  <rev>:core/cohorts/importer.py`` and its ``core/data/import_sql.py``) into temporary
  modules, and its ratio to the floor.
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

OLD_REV = "e62a706"
"""The last commit with the pandas importer (issue 16 replaced it)."""


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


def old_import_file(rev: str = OLD_REV) -> Callable[..., object] | None:
    """The old ``import_file``, loaded from git into temporary modules (None without git)."""

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
        old_sql = load("core/data/import_sql.py", "_old_import_sql")
        old = load("core/cohorts/importer.py", "_old_importer")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    old.import_sql = old_sql
    return old.import_file


def floor_seconds(path: Path) -> float:
    con = duckdb.connect()
    try:
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        return time.perf_counter() - t0
    finally:
        con.close()


def import_seconds(fn: Callable[..., object], path: Path, base_db: Path, tmp: Path) -> float:
    db = tmp / "run.duckdb"
    shutil.copy(base_db, db)
    t0 = time.perf_counter()
    report = fn(path, "bench", db=db)
    seconds = time.perf_counter() - t0
    if not report.ok:  # type: ignore[attr-defined]
        raise SystemExit(report.summary())  # type: ignore[attr-defined]
    close_all()
    db.unlink()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-old", action="store_true", help="skip the old pandas importer")
    parser.add_argument("--old-rev", default=OLD_REV)
    args = parser.parse_args()
    old = None if args.no_old else old_import_file(args.old_rev)
    print(f"{'rows':>10} {'import s':>9} {'floor s':>8} {'x floor':>8} {'old s':>7} {'old x':>6}")
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        base = build_default(tmp / "base.duckdb")
        for n in args.sizes:
            f = synthetic_csv(n, tmp / f"bench-{n}.csv")
            new_t, floor_t, old_t = [], [], []
            for _ in range(args.repeats):
                floor_t.append(floor_seconds(f))
                new_t.append(import_seconds(import_file, f, base, tmp))
                if old is not None:
                    old_t.append(import_seconds(old, f, base, tmp))
            new_s, floor_s = statistics.median(new_t), statistics.median(floor_t)
            old_cols = (
                f"{statistics.median(old_t):>7.2f} {statistics.median(old_t) / floor_s:>6.1f}"
                if old_t
                else f"{'-':>7} {'-':>6}"
            )
            print(f"{n:>10,} {new_s:>9.2f} {floor_s:>8.2f} {new_s / floor_s:>8.1f} {old_cols}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
