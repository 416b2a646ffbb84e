"""User-defined groups on the Overview page: Table 1 with one column per group."""

from __future__ import annotations

from core.analyses.defined_groups import DefinedGroup, GroupSet
from core.analyses.disclosure import Mode
from core.analyses.table1 import baseline_table_by_groups
from core.data.filters import Filters
from core.present import table1 as table1_view
from tests.app.conftest import run_page

PAGE = "pages/overview.py"
C = "pgep-mibg-211"
GROUPS = GroupSet(
    (
        DefinedGroup("Grade 1", Filters(cohorts=(C,), grade=("G1",))),
        DefinedGroup("Grade 2-3", Filters(cohorts=(C,), grade=("G2", "G3"))),
    )
)
LINK = {"cohort": C, **GROUPS.to_query_params()}


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption).replace("\\", "")  # markdown escapes


def test_a_link_with_groups_renders_table1_by_group(app_db):
    at = run_page(PAGE, LINK)
    assert not at.exception
    assert "Baseline characteristics · your groups" in [s.value for s in at.subheader]
    t = baseline_table_by_groups(GROUPS, mode=Mode.PROTECTED, path=app_db)
    (frame,) = [d.value for d in at.dataframe if "Characteristic" in d.value.columns]
    cols = list(frame.columns)
    assert cols[2].startswith("Grade 1 (n=") and cols[3].startswith("Grade 2-3 (n=")
    assert cols[-2:] == ["p-value", "SMD"]
    assert frame.equals(table1_view.frame(t))
    assert "Grade 1 minus Grade 2-3" in _captions(at)
    ledger = at.session_state["_multiplicity_ledger"]
    assert any("Table 1" in e.hypothesis and "your groups" in e.hypothesis for e in ledger.tests)
    assert at.query_params["grp2.grade"] == "G2,G3"  # kept for a copied link


def test_overlapping_groups_warn_and_give_no_tests():
    link = {
        "cohort": C,
        **GroupSet(
            (
                DefinedGroup("All patients", Filters(cohorts=(C,))),
                DefinedGroup("Grade 1", Filters(cohorts=(C,), grade=("G1",))),
            )
        ).to_query_params(),
    }
    at = run_page(PAGE, link)
    assert not at.exception
    (frame,) = [d.value for d in at.dataframe if "Characteristic" in d.value.columns]
    assert "p-value" not in frame.columns
    assert list(frame.columns[2:3]) == ["All patients (n=211)"]
    (w,) = [w.value for w in at.warning if "more than one group" in w.value]
    assert "All patients and Grade 1: 90" in w.replace("\\", "")
    assert any("not independent" in i.value for i in at.info)


def test_without_groups_the_field_split_is_unchanged():
    at = run_page(PAGE, {"cohort": C, "grp1": "Only one", "grp1.grade": "G1"})
    assert not at.exception
    assert "Baseline characteristics · your groups" not in [s.value for s in at.subheader]
    assert at.selectbox(key="ctl_split") is not None
