"""Time `core.cohorts.importer.import_file` on synthetic CSV files of growing size.

    python speed/import_speed.py                 # 10^4, 10^5, 10^6 rows
    python speed/import_speed.py --sizes 1000 50000

Each file has 14 columns in mixed codings (M/F, dead/alive, yes/no, upper/lower-case codes),
PFS times not after OS and about 7% of ages over 89 (so the age warning path is exercised). The
database is a fresh default database in a temporary directory. Prints one row per size:
rows, seconds in total, and the split between reading, validating and writing (writing =
content hash, copy, stage, SQL checks, insert, log, publish).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.cohorts.importer import commit, prepare, read_input  # noqa: E402
from core.data.build import build_default  # noqa: E402


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    print(f"{'n':>10} {'seconds':>8} {'read':>6} {'validate':>8} {'write':>6}  problems")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            db = build_default(Path(tmp) / f"bench-{n}.duckdb")
            f = synthetic_csv(n, Path(tmp) / f"bench-{n}.csv")
            t0 = time.perf_counter()
            raw = read_input(f)
            t1 = time.perf_counter()
            prepared = prepare(raw)
            t2 = time.perf_counter()
            report = commit(prepared, f"bench-{n}", db=db)
            t3 = time.perf_counter()
            if not report.ok:
                print(report.summary(), file=sys.stderr)
                return 1
            print(
                f"{n:>10,} {t3 - t0:>8.1f} {t1 - t0:>6.1f} {t2 - t1:>8.1f} {t3 - t2:>6.1f}  "
                f"{report.n_errors} errors, {report.n_warnings:,} warnings"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
