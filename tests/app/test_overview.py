"""AppTest: the Overview page and the URL-bound sidebar filters."""

from __future__ import annotations

from tests.app.conftest import run_page


def _n_heading(at) -> str:
    return next(s.value for s in at.subheader if s.value.startswith("Baseline"))


def test_overview_runs_and_shows_the_four_cohorts():
    at = run_page("pages/overview.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for title in ("211 patients", "50 patients", "32 patients", "six patients"):
        assert title in text
    assert _n_heading(at) == "Baseline characteristics · n = 211"
    # synthetic data says so
    assert any("Synthetic data" in w.value for w in at.warning)


def test_changing_a_filter_changes_n():
    at = run_page("pages/overview.py")
    at.multiselect(key="flt_primary_site").set_value(["small_bowel"]).run()
    assert not at.exception
    assert _n_heading(at) == "Baseline characteristics · n = 67"
    assert at.query_params["primary_site"] == "small_bowel"


def test_hostile_url_is_dropped_with_a_notice_and_the_view_is_unfiltered():
    at = run_page("pages/overview.py", {"grade": "G9", "primary_site": "lung' OR 1=1"})
    assert not at.exception
    notices = " ".join(w.value for w in at.sidebar.warning)
    assert "grade='G9'" in notices
    assert 'primary_site="lung\' OR 1=1"' in notices
    assert _n_heading(at) == "Baseline characteristics · n = 211"


def test_url_selection_is_reproduced():
    at = run_page(
        "pages/overview.py",
        {"cohort": "pgep-mibg-211", "grade": "G1,G2", "primary_site": "small_bowel"},
    )
    assert not at.exception
    assert _n_heading(at) == "Baseline characteristics · n = 67"
    assert at.multiselect(key="flt_grade").value == ["G1", "G2"]


def test_empty_selection_shows_a_clear_message():
    at = run_page("pages/overview.py", {"cohort": "ia-hepatic-6", "primary_site": "pancreas"})
    assert not at.exception
    assert _n_heading(at) == "Baseline characteristics · n = 0"
    assert any("No patients match" in i.value for i in at.info)


def test_split_table1_by_cohort():
    at = run_page("pages/overview.py", {"cohort": "pgep-mibg-211,stage4-unselected-50"})
    at.selectbox(key="ctl_split").set_value("cohort_id").run()
    assert not at.exception
    cols = list(at.dataframe[0].value.columns)
    assert "pgep-mibg-211 (n=211)" in cols and "stage4-unselected-50 (n=50)" in cols


def test_dictionary_page_lists_every_field():
    from core.vocab.schema import PATIENT_FIELDS

    at = run_page("pages/dictionary.py")
    assert not at.exception
    fields = list(at.dataframe[0].value["Field"])
    assert fields == [f.name for f in PATIENT_FIELDS]


# ------------------------------------------------------------------ imported data, protected
import re  # noqa: E402

import pytest  # noqa: E402

from tests.core.analyses import _small_cohort as sc  # noqa: E402


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    return sc.build(tmp_path_factory.mktemp("ovpriv") / "small.duckdb")


@pytest.fixture
def on_small_db(small_db, monkeypatch):
    from core.data.db import DB_ENV, close_all

    close_all()
    monkeypatch.setenv(DB_ENV, str(small_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    yield small_db
    close_all()


def _metrics(at) -> list[str]:
    return [m.value for m in at.metric]


def test_a_small_imported_cohort_card_shows_less_than_11(on_small_db):
    at = run_page("pages/overview.py", {"cohort": sc.REAL})
    assert not at.exception
    # real-80, real-8 and the synthetic 211, in database order
    assert sorted(_metrics(at)) == sorted(["80", "<11", "211"])


def test_exact_mode_shows_every_cohort_exactly(on_small_db, monkeypatch):
    monkeypatch.setenv("NET_EXPLORER_DISCLOSURE", "exact")
    at = run_page("pages/overview.py", {"cohort": sc.TINY})
    assert not at.exception
    assert sorted(_metrics(at)) == sorted(["80", "8", "211"])
    assert any("Exact figures: not for sharing" in w.value for w in at.warning)
    assert _n_heading(at) == "Baseline characteristics · n = 8"


def test_a_small_imported_selection_shows_no_table(on_small_db):
    at = run_page("pages/overview.py", {"cohort": sc.TINY})
    assert not at.exception
    assert not at.dataframe
    assert any("fewer than 11 patients" in i.value for i in at.info)
    assert _n_heading(at) == "Baseline characteristics"
    assert not any("n=8" in c.value for c in at.caption)


def test_protected_table1_shows_no_count_below_11(on_small_db):
    at = run_page("pages/overview.py", {"cohort": sc.REAL})
    at.selectbox(key="ctl_split").set_value("grade").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert "G3 (n=<11)" in frame.columns and "G2 (n=suppressed)" in frame.columns
    for col in frame.columns[2:]:
        for text in frame[col]:
            m = re.match(r"^(\d+)( \(|$)", str(text))
            assert m is None or int(m.group(1)) == 0 or int(m.group(1)) >= 11, (col, text)
    assert any("counts below 11" in i.value for i in at.info)  # the banner
