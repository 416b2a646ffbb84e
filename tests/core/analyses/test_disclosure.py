"""Small-cell protection on an imported cohort: nothing shown reveals a count below 11."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core.analyses.disclosure import EXEMPT, Disclosure, suppressed_cells
from core.analyses.survival import (
    SurvivalSpec,
    analyse,
    summary_frame,
    survival_at_frame,
    to_json_dict,
)
from core.cohorts.generator import generate_pgep
from core.data.build import _write, insert_cohort
from core.data.db import close_all
from core.data.filters import Filters
from core.present.charts import km_chart
from core.present.paragraphs import results_paragraph
from core.vocab.methods import TimeUnit

T = 11


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory):
    """An 'imported' cohort of 80 patients whose grade groups include tiny ones."""
    frames = generate_pgep(n=80, seed=11)
    p = frames.patients
    grade = np.array(["G1"] * 62 + ["G2"] * 12 + ["G3"] * 4 + ["GX"] * 2, dtype=object)
    p["grade"] = grade
    path = tmp_path_factory.mktemp("priv") / "imported.duckdb"

    def fill(con):
        insert_cohort(
            con,
            {
                "cohort_id": "real-80",
                "title": "Imported",
                "provenance": "imported",
                "description": "",
                "citation": "",
            },
            frames,
        )
        synth = generate_pgep(n=211, seed=1)
        insert_cohort(
            con,
            {
                "cohort_id": "synth",
                "title": "Synthetic",
                "provenance": "synthetic",
                "description": "",
                "citation": "",
            },
            synth,
        )

    _write(path, fill)
    yield path
    close_all()


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ([50, 5], [True, True]),  # the total would reveal the 5
        ([50, 30, 5], [False, True, True]),  # complementary: the smallest other cell
        # two primaries adding to 8 would still reveal a small count (their sum): a third
        ([50, 5, 3], [True, True, True]),
        ([50, 30, 5, 3], [False, True, True, True]),
        ([50, 30, 7, 6], [False, False, True, True]),  # 13 hidden together: protected
        ([50, 0, 30], [False, False, False]),
        ([11, 12], [False, False]),
        ([10], [True]),
    ],
)
def test_complementary_suppression(counts, hidden):
    assert suppressed_cells(counts, Disclosure(T)) == hidden


def test_exempt_views_show_everything():
    assert EXEMPT.show(3) == "3" and suppressed_cells([50, 5], EXEMPT) == [False, False]


def test_synthetic_cohort_is_exempt(imported_db):
    a = analyse(Filters(cohorts=("synth",)), SurvivalSpec(by="grade"), imported_db)
    assert not a.disclosure.active
    assert all(isinstance(v, int) for v in summary_frame(a, TimeUnit.MONTHS)["n"])


def test_small_groups_get_no_curve_and_no_count(imported_db):
    a = analyse(Filters(cohorts=("real-80",)), SurvivalSpec(by="grade"), imported_db)
    assert a.disclosure.active
    shown = {g.label: g for g in a.groups}
    # G3 (4) and GX (2) are primary; the total 80 is shown and 4 + 2 = 6 would still be a
    # small count, so the next smallest group (G2, 12) is suppressed with them
    assert shown["G3"].suppressed and shown["GX (not assessed)"].suppressed
    assert shown["G2"].suppressed and not shown["G1"].suppressed
    assert shown["G3"].km is None and shown["G3"].at == () and shown["G3"].display is None
    frame = summary_frame(a, TimeUnit.MONTHS)
    ns = dict(zip(frame["Group"], frame["n"], strict=True))
    assert ns["G3"] == "<11" and ns["GX (not assessed)"] == "<11"
    assert ns["G1"] == "62" and ns["G2"] == "suppressed"
    assert a.logrank is None and a.pairwise == ()  # one group left: no test


def test_shown_curves_stop_where_fewer_than_11_are_at_risk(imported_db):
    a = analyse(Filters(cohorts=("real-80",)), SurvivalSpec(by="grade"), imported_db)
    for g in a.groups:
        if g.display is not None:
            c = g.display
            # steps on whole months only: no day-level event time, no per-step count
            months = c.time / 30.4375
            np.testing.assert_allclose(months, np.round(months), atol=1e-9)
            assert c.n_risk is None and c.censor_time is None
            risk = g.counts.n_risk_before(c.time)
            assert (risk[:-1] >= T).all()


def test_no_displayed_or_exported_number_is_below_11(imported_db):
    a = analyse(
        Filters(cohorts=("real-80",)),
        SurvivalSpec(by="grade", times_months=(6, 12, 60)),
        imported_db,
    )
    at_frame = survival_at_frame(a)
    for v in at_frame["At risk"]:
        assert v == "<11" or int(v) >= T
    blob = json.dumps(to_json_dict(a, TimeUnit.MONTHS, "real-80"))
    for key in ("n", "events", "at_risk"):
        for v in re.findall(rf'"{key}": ("?[^,}}]+"?)', blob):
            v = v.strip('"')
            assert v in ("<11", "suppressed") or int(v) >= T or int(v) == 0
    para = results_paragraph(a, unit=TimeUnit.MONTHS)
    assert "<11" in para
    # the suppressed group sizes 4 and 2 never appear as counts
    assert "n = 4" not in para and "n = 2" not in para


def _all_tables(spec) -> dict[str, list[dict]]:
    """Every table of a Vega-Lite spec: named datasets and tables written inline in layers."""
    tables = dict(spec.get("datasets", {}))

    def walk(node, path):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and "values" in data:
                tables[path] = data["values"]
            for k, v in node.items():
                walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")

    walk({k: v for k, v in spec.items() if k != "datasets"}, "")
    return tables


def test_chart_has_no_censor_marks_and_masks_risk_cells(imported_db):
    a = analyse(Filters(cohorts=("real-80",)), SurvivalSpec(by="grade"), imported_db)
    spec = km_chart(a, TimeUnit.MONTHS).to_dict()
    datasets = _all_tables(spec)
    risk_cells = [  # at risk, and "events / censored" cells of the KMunicate panel
        v
        for rows in datasets.values()
        for row in rows
        if set(row) >= {"short", "n"}
        for v in str(row["n"]).split(" / ")
    ]
    assert risk_cells and all(v == "<11" or int(v) >= T or int(v) == 0 for v in risk_cells)
    assert not any("n_censor" in row for rows in datasets.values() for row in rows)
    labels = [row["group"] for rows in datasets.values() for row in rows if "group" in row]
    assert not any(lbl.startswith("G3") or lbl.startswith("GX") for lbl in labels)


def test_table1_masks_small_cells_and_group_sizes(imported_db):
    from core.analyses.disclosure import disclosure_for_selection
    from core.analyses.table1 import table1
    from core.data.queries import patients_frame

    f = Filters(cohorts=("real-80",))
    d = disclosure_for_selection(f.cohorts, imported_db)
    t = table1(patients_frame(f, path=imported_db), "grade", d)
    frame = t.to_frame()
    assert "G3 (n=<11)" in frame.columns and "G1 (n=62)" in frame.columns
    for col in frame.columns[2:]:
        for text in frame[col]:
            m = re.match(r"^(\d+) \(", text)
            if m:
                assert int(m.group(1)) >= T or int(m.group(1)) == 0, (col, text)
    # the same table on a synthetic cohort is not masked
    t2 = table1(patients_frame(Filters(cohorts=("synth",)), path=imported_db), "grade")
    assert not any("<11" in str(v) for v in t2.to_frame().to_numpy().ravel())


def test_cox_tables_mask_small_levels(imported_db):
    from core.analyses.cox import analyse as cox_analyse
    from core.analyses.cox import level_frame, model_frame, spec_from_text

    spec = spec_from_text("grade,sex")
    a = cox_analyse(Filters(cohorts=("real-80",)), spec, imported_db)
    assert a.disclosure.active
    levels = level_frame(a)
    for v in list(levels["n"]) + list(levels["Events"]):
        assert v in ("<11", "suppressed") or int(v) >= T or int(v) == 0
    model = model_frame(a)  # every term of this model involves a small level: all withheld
    assert a.withheld_terms and ("n" not in model or model.empty)
    for v in model["n"].dropna() if "n" in model else ():
        assert v == "<11" or int(v) >= T
