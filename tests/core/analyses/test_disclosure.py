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


def test_shown_range_is_what_a_reader_knows_of_a_shown_count():
    from core.analyses.disclosure import shown_range

    assert shown_range(0, 11) == (0, 0)
    assert shown_range(5, 11) == (1, 10)  # '<11'
    assert shown_range(15, 11) == (11, 15)  # rounded up: never under the threshold
    assert shown_range(90, 11) == (86, 90)
    assert shown_range(12, 11, rounded=False) == (12, 12)


def test_a_kmunicate_column_that_solves_to_a_small_count_is_caught():
    """n = at risk + events + censored, read from the shown ranges, pins a count of 1."""
    from core.analyses.disclosure import shown_range, table_pins_a_small_count

    r = lambda v: shown_range(v, 11)  # noqa: E731
    # 12 patients, at risk '15' (11..12), events '<11', censored '0': exactly 1 event
    assert table_pins_a_small_count((12,), r(15), r(5), r(0), 11)
    # 40 patients, at risk '30' (26..30), events '<11', censored '0': 10..14 left: 10 events
    assert table_pins_a_small_count((40,), r(30), r(5), r(0), 11)
    # the same column read with the other total a reader has (the number at risk at 0)
    assert table_pins_a_small_count((55, 40), r(30), r(5), r(0), 11)
    # 100 patients, at risk '90', censored '15' (11..15): events 1..3, a range
    assert not table_pins_a_small_count((100,), r(90), r(5), r(15), 11)
    # ranges that stay ranges: 60 patients, at risk '40', events '15', censored '<11'
    assert not table_pins_a_small_count((60,), r(40), r(15), r(5), 11)
    # nobody left yet: zeros are not small counts
    assert not table_pins_a_small_count((30,), (30, 30), r(0), r(0), 11)
    # an inconsistent sum (exits on the day, delayed entry) solves nothing
    assert not table_pins_a_small_count((12,), r(40), r(5), r(0), 11)
