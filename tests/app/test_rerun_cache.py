"""AppTest: a Survival rerun that changes nothing builds nothing again (issue 16 item 3).

The figure, the tables and the export outline are kept per view (pages._data.view);
the export bundle is built only when a file is asked for, with the click's export time.
"""

from __future__ import annotations

import datetime as dt
import json
import os

from tests.app.conftest import run_page

PAGE = "pages/survival.py"


def _counting(monkeypatch, module, name: str) -> list[int]:
    calls = [0]
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def _spec(at) -> dict:
    charts = at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart")
    return json.loads(charts[0].proto.spec)


def test_a_rerun_of_the_same_view_builds_no_figure_table_or_bundle(monkeypatch, deferred):
    from pages import _overlay, _survival_export

    at = run_page(PAGE, {"by": "grade"})
    assert not at.exception
    first = [d.value for d in at.dataframe]
    charts = _counting(monkeypatch, _overlay, "km_chart")
    bundles = _counting(monkeypatch, _survival_export, "survival_bundle")
    at.run()
    assert not at.exception
    assert (charts[0], bundles[0]) == (0, 0)
    assert all(d.value.equals(f) for d, f in zip(at.dataframe, first, strict=True))
    assert "Summary (CSV)" in [b.proto.label for b in at.get("download_button")]
    deferred["summary.csv"]()  # asked for: the bundle is built now
    assert bundles[0] == 1


def test_the_figure_follows_its_display_options():
    at = run_page(PAGE, {"bands": "0"})
    assert not at.exception
    without = json.dumps(_spec(at))
    next(t for t in at.toggle if t.label == "CI bands").set_value(True).run()
    assert not at.exception
    assert json.dumps(_spec(at)) != without
    again = run_page(PAGE, {"bands": "0"})  # a new session on the first view: the same figure
    assert json.dumps(_spec(again)) == without


def test_exported_files_carry_the_time_of_the_click(monkeypatch, deferred):
    from core.present import export

    at = run_page(PAGE, {"times": "6,12"})
    assert not at.exception
    click = dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    monkeypatch.setattr(export, "utc_now", lambda: click)
    data = deferred["survival_at.csv"]().decode("utf-8-sig")
    assert "Exported 2031-01-02T03:04:05Z" in data


def test_cohort_and_code_lists_follow_the_database_file(monkeypatch, app_db, tmp_path):
    import shutil

    from core.data import db, queries
    from core.data.db import DB_ENV
    from pages import _data

    path = tmp_path / "copy.duckdb"
    shutil.copy(app_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    listed = _counting(monkeypatch, db, "list_cohorts")
    coded = _counting(monkeypatch, queries, "distinct_codes")
    first = _data.cohorts()
    first.clear()  # each caller gets its own list
    assert _data.cohorts() and listed[0] == 1
    ids = tuple(c.cohort_id for c in _data.cohorts())
    assert _data.codes("grade", ids) == _data.codes("grade", ids) and coded[0] == 1
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))  # as an import does
    assert _data.cohorts() and listed[0] == 2
    _data.codes("grade", ids)
    assert coded[0] == 2
    db.close_all()


def test_the_ledger_table_and_csv_are_made_once_per_ledger(monkeypatch):
    from core.present import ledger as ledger_text

    at = run_page(PAGE, {"by": "grade"})  # a log-rank test and its pairwise tests
    assert not at.exception
    made = _counting(monkeypatch, ledger_text, "frame")
    written = _counting(monkeypatch, ledger_text, "csv")
    at.run()
    assert not at.exception
    assert (made[0], written[0]) == (0, 0)  # the same ledger: nothing made again
    at.selectbox(key="ctl_by").set_value("sex").run()  # a new test recorded
    assert not at.exception
    assert made[0] > 0 and written[0] == 1  # (the CSV makes its table too)


def test_a_response_rerun_of_the_same_view_builds_no_figure_and_reads_no_rows(monkeypatch):
    """The rates, swimmer and duration figures and the inputs' gate are kept per view: a rerun
    that changes nothing neither rebuilds a figure nor unpickles the patient-level inputs."""
    from pages import _data, _response_duration, _response_figures

    at = run_page("pages/response.py", {"cohort": "nguyen-2004"})  # small: swimmer drawn
    assert not at.exception
    first = [json.loads(c.proto.spec) for c in _charts(at)]
    assert len(first) >= 2 and any("Months from first treatment" in json.dumps(c) for c in first)
    rates = _counting(monkeypatch, _response_figures, "response_chart")
    lanes = _counting(monkeypatch, _response_figures, "swimmer_chart")
    dor = _counting(monkeypatch, _response_duration, "dor_chart")
    reads = _counting(monkeypatch, _data, "_analysis")
    at.run()
    assert not at.exception
    assert (rates[0], lanes[0], dor[0], reads[0]) == (0, 0, 0, 0)
    assert [json.loads(c.proto.spec) for c in _charts(at)] == first


def _charts(at) -> list:
    return at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart")


def test_a_cox_rerun_of_the_same_model_builds_and_validates_no_chart_again(monkeypatch):
    """The forest is kept per model with its on-screen spec (validated once)."""
    from pages import _cox_view

    at = run_page("pages/cox.py")
    assert not at.exception
    first = [json.loads(c.proto.spec) for c in _charts(at)]
    assert first
    forests = _counting(monkeypatch, _cox_view, "hr_forest")
    screens = _counting(monkeypatch, _cox_view, "on_screen")
    at.run()
    assert not at.exception
    assert (forests[0], screens[0]) == (0, 0)
    assert [json.loads(c.proto.spec) for c in _charts(at)] == first


# ------------------------------------------------------------------ sent as before, built once
def _shown_script() -> None:  # an AppTest script: each figure and table drawn both ways
    import altair as alt
    import pandas as pd
    import streamlit as st

    from core.present.charts import on_screen
    from pages import _shown

    frame = pd.DataFrame({"x": [1.0, 2.5, 4.0], "y": [0.9, 0.5, 0.2], "g": ["a", "b", "a"]})
    chart = (
        alt.Chart(frame, title="t")
        .mark_line()
        .encode(x="x", y="y", color=alt.Color("g", legend=alt.Legend(title=None)))
    )
    st.altair_chart(chart.properties(autosize="fit-x"), width="stretch")
    _shown.shown(chart).draw()
    st.vega_lite_chart(spec=on_screen(chart), width="stretch")
    _shown.of_spec(on_screen(chart)).draw()
    st.dataframe(frame, hide_index=True)
    st.dataframe(_shown.table(frame), hide_index=True)


def test_a_figure_or_table_converted_once_is_sent_as_streamlit_sends_it():
    """pages._shown: the kept conversion gives the same element, byte for byte, as Streamlit's
    own per-rerun conversion (st.altair_chart, st.vega_lite_chart, st.dataframe)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_shown_script)
    at.run()
    assert not at.exception
    charts = [c.proto.SerializeToString() for c in _charts(at)]
    tables = [t.proto.SerializeToString() for t in at.dataframe]
    assert len(charts) == 4 and len(tables) == 2
    assert charts[0] == charts[1] and charts[2] == charts[3] and tables[0] == tables[1]


def test_a_benchmarks_rerun_builds_no_forest_table_or_comparison_again(monkeypatch):
    """The forest plots, the benchmark table and the comparison are kept per view: a rerun
    that changes nothing builds and converts none of them, and shows the same."""
    from core.analyses import comparison
    from pages import _bench_forests, benchmarks

    at = run_page("pages/benchmarks.py")
    assert not at.exception
    first = [c.proto.spec for c in _charts(at)]
    assert len(first) >= 2
    forests = _counting(monkeypatch, _bench_forests, "forest_chart")
    tables = _counting(monkeypatch, benchmarks, "table_frame")
    compared = _counting(monkeypatch, comparison, "compare")
    at.run()
    assert not at.exception
    assert (forests[0], tables[0], compared[0]) == (0, 0, 0)
    assert [c.proto.spec for c in _charts(at)] == first


def test_a_survival_rerun_records_no_test_and_builds_no_arm_or_cif_figure_again(monkeypatch):
    from core.analyses.ledger import Ledger
    from pages import _survival_arm, _survival_cif

    at = run_page(PAGE, {"cohort": "pgep-mibg-211", "cif": "1", "by": "sex"})
    at.run()  # (log-rank, then Gray's tests: a rerun learns the ledger holds both)
    assert not at.exception
    at2 = run_page(PAGE, {"cohort": "pgep-mibg-211", "endpoint": "pfs_imaging"} | {"arm": ARM})
    assert not at2.exception and len(_charts(at2)) == 2
    tested = _tests_label(at)
    assert tested == "Tests this session: 4"  # log-rank, Gray's test per cause
    recorded = _counting(monkeypatch, Ledger, "record")
    cif = _counting(monkeypatch, _survival_cif, "cif_chart")
    arms = _counting(monkeypatch, _survival_arm, "arm_chart")
    at.run()
    at2.run()
    assert not at.exception and not at2.exception
    assert (recorded[0], cif[0], arms[0]) == (0, 0, 0)
    assert len(_charts(at2)) == 2
    assert _tests_label(at) == tested


ARM = "radiant4-everolimus-pfs"


def _tests_label(at) -> str:
    return next(e.label for e in at.expander if e.label.startswith("Tests this session"))


def test_a_cox_rerun_makes_no_table_and_decides_the_viewer_mode_once(monkeypatch):
    from core.analyses import cox
    from pages import _access

    at = run_page("pages/cox.py")
    assert not at.exception
    first = [d.value for d in at.dataframe]
    tables = _counting(monkeypatch, cox, "model_frame")
    levels = _counting(monkeypatch, cox, "level_frame")
    decided = _counting(monkeypatch, _access, "_decide")
    at.run()
    assert not at.exception
    assert (tables[0], levels[0], decided[0]) == (0, 0, 1)
    assert all(d.value.equals(f) for d, f in zip(at.dataframe, first, strict=True))
