"""Importing ``death_cause`` (NET-related, other, unknown; empty while alive).

The importer validates coded fields from the schema, so the codes (and their labels) are
accepted and anything else is an error naming the column, the row and the rule, with no change
to the importer. A cause given for a patient recorded alive is an error (the file contradicts
itself; see core/cohorts/death_cause.py).
"""

from __future__ import annotations

from core.cohorts.death_cause import RULE
from core.cohorts.importer import messages, prepare, read_input

HEAD = "patient_id,os_days,os_event,death_cause"


def check(*lines: str):
    data = ("\n".join([HEAD, *lines]) + "\n").encode()
    p = prepare(read_input(data, "t.csv"))
    return p, messages(p.problems)


def test_codes_and_labels_accepted_and_stored_as_codes():
    p, msgs = check(
        "a,10,1,net_related", "b,20,1,other", "c,30,1,unknown", "d,40,0,", "e,50,1,",
        "f,60,1,NET-related", "g,70,1,Other cause",
    )  # fmt: skip
    assert p.ok and msgs == []
    assert p.patients["death_cause"].tolist() == [
        "net_related", "other", "unknown", None, None, "net_related", "other",
    ]  # fmt: skip


def test_bad_code_rejected_naming_column_row_and_rule():
    p, msgs = check("a,10,1,cancer", "b,20,0,")
    assert not p.ok
    assert msgs == [
        'death_cause row 2: value "cancer": not a valid code; allowed: net_related, other, unknown'
    ]


def test_cause_for_a_living_patient_is_an_error():
    p, msgs = check("a,10,0,other", "b,20,1,other")
    assert not p.ok
    assert any(m.startswith("death_cause row 2") and RULE in m for m in msgs)
