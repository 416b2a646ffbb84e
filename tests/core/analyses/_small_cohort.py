"""An imported cohort built by code, with small groups, for the disclosure attacks of Table 1
and the Response views (and an 8-patient imported cohort, and a synthetic one)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.cohorts.generator import generate_pgep
from core.data.build import _write, insert_cohort

REAL = "real-80"
TINY = "real-8"
SYNTH = "synth"
T = 11


def _arr(*parts: tuple[object, int]) -> np.ndarray:
    return np.array([v for v, k in parts for _ in range(k)], dtype=object)


def real_frames():
    """80 patients: 44 men, 36 women; grade 62/12/4/2; race white 60, black 15, missing 5;
    72 single treatments, 6 with two, 2 with three; every man and 6 women had prior surgery;
    liver metastases yes 70, no 5, unknown 5; imaging CR 3, PR 20, SD 30, PD 15, NE 4,
    missing 8; nausea in 8 patients, thrombocytopenia in 25 (4 at grade 3)."""
    frames = generate_pgep(n=80, seed=11)
    p = frames.patients
    rng = np.random.default_rng(5)
    p["sex"] = _arr(("male", 44), ("female", 36))
    p["grade"] = rng.permutation(_arr(("G1", 62), ("G2", 12), ("G3", 4), ("GX", 2)))
    p["race"] = rng.permutation(_arr(("white", 60), ("black", 15), (None, 5)))
    p["n_treatments"] = pd.array(rng.permutation([1] * 72 + [2] * 6 + [3] * 2), dtype="Int64")
    surgery = [True] * 44 + [True] * 6 + [False] * 30
    p["prior_surgery"] = pd.array(surgery, dtype="boolean")
    p["met_liver"] = pd.array(
        list(rng.permutation([True] * 70 + [False] * 5 + [None] * 5)), dtype="boolean"
    )
    p["imaging_response"] = rng.permutation(
        _arr(("CR", 3), ("PR", 20), ("SD", 30), ("PD", 15), ("NE", 4), (None, 8))
    )
    ids = list(p["patient_id"])
    ae = [{"patient_id": i, "term": "Nausea", "ctcae_grade": 1, "note": None} for i in ids[:8]]
    ae += [
        {"patient_id": i, "term": "Thrombocytopenia", "ctcae_grade": 3 if j < 4 else 1,
         "note": None}
        for j, i in enumerate(ids[10:35])
    ]  # fmt: skip
    return replace(frames, adverse_events=pd.DataFrame(ae))


def build(path: Path) -> Path:
    def fill(con):
        meta = {"description": "", "citation": ""}
        insert_cohort(
            con,
            {"cohort_id": REAL, "title": "Imported", "provenance": "imported", **meta},
            real_frames(),
        )
        tiny = generate_pgep(n=8, seed=3)
        insert_cohort(
            con,
            {"cohort_id": TINY, "title": "Imported small", "provenance": "imported", **meta},
            tiny,
        )
        insert_cohort(
            con,
            {"cohort_id": SYNTH, "title": "Synthetic", "provenance": "synthetic", **meta},
            generate_pgep(n=211, seed=1),
        )

    return _write(path, fill)
