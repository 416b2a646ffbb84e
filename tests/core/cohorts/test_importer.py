"""Import of real de-identified cohorts: every rule's exact message, privacy, atomicity, isolation."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.cohorts import importer
from core.cohorts.importer import (
    PROBLEM_COLUMNS,
    RANGE_RULES,
    ImportRefused,
    delete_cohort,
    identifier_name,
    import_file,
    import_log,
    map_columns,
    messages,
    prepare,
    read_input,
    suggest_mapping,
)
from core.data.db import list_cohorts, query_arrays, query_rows
from core.stats.survival import counts_from_arrays, kaplan_meier, km_quantiles
from core.vocab.schema import PATIENT_FIELDS, TABLES

ROOT = Path(__file__).resolve().parents[3]
HEAD = "patient_id,os_days,os_event"


def csv(*lines: str, head: str = HEAD) -> bytes:
    return ("\n".join([head, *lines]) + "\n").encode()


def check(data: bytes, filename: str = "t.csv", **kw) -> importer.Prepared:
    treatments = kw.pop("treatments", None)
    raw = read_input(data, filename, treatments=treatments, treatments_filename="tx.csv")
    return prepare(raw, **kw)


def msgs(data: bytes, **kw) -> list[str]:
    return messages(check(data, **kw).problems)


def patients_csv(n: int, seed: int, prefix: str = "p") -> bytes:
    rng = np.random.default_rng(seed)
    os_days = rng.integers(0, 4000, n)
    df = pd.DataFrame(
        {
            "patient_id": [f"{prefix}{i:06d}" for i in range(n)],
            "sex": rng.choice(["M", "F"], n),
            "age": rng.integers(30, 85, n),
            "os_days": os_days,
            "os_event": rng.choice(["dead", "alive"], n),
            "pfs_imaging_days": (os_days * rng.uniform(0, 1, n)).astype(int),
            "pfs_imaging_event": rng.integers(0, 2, n),
        }
    )
    return df.to_csv(index=False).encode()


def table_hashes(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: hashlib.sha256(
                repr(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()).encode()
            ).hexdigest()
            for t in TABLES
        }
    finally:
        con.close()


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ reading


def test_problem_table_has_the_agreed_columns_and_spreadsheet_rows():
    p = check(csv("a,10,1", "b,-3,1")).problems
    assert tuple(p.columns) == PROBLEM_COLUMNS
    assert p.iloc[0].to_dict() == {
        "column": "os_days",
        "row": 3,  # header = row 1, first data row = 2
        "value": "-3",
        "rule": "days must be >= 0",
        "severity": "error",
    }


def test_spec_example_message_is_exact():
    data = csv("p1,10,1", "p2,10,1", "p3,10,1", "p4,10,1", "p5,10,1", "p6,-3,1")
    assert msgs(data) == ['os_days row 7: value "-3": days must be >= 0']


def test_comment_and_blank_lines_keep_spreadsheet_row_numbers():
    data = b"# exported 2024\npatient_id,os_days,os_event\n# example row\np1,10,1\n\np2,x,1\n"
    assert msgs(data) == ['os_days row 6: value "x": days must be a whole number']


def test_semicolon_csv_and_utf8_bom_are_read():
    data = "\ufeffpatient_id;os_days;os_event\np1;10;1\n".encode()
    prepared = check(data)
    assert prepared.ok
    assert prepared.patients["os_days"].tolist() == [10]


def test_row_with_too_many_values_is_named():
    assert msgs(csv("p1,10,1", "p2,10,1,extra")) == [
        "file: row 3 has 4 values but the header has 3 columns"
    ]


def test_duplicate_header_is_refused():
    data = csv("p1,10,1,5", head="patient_id,os_days,os_event,os_days")
    assert 'file: column "os_days" appears twice in the header (columns 2 and 4)' in msgs(data)


def test_file_without_rows_and_xls_are_refused():
    assert msgs(csv()) == ["file: the file has no data rows"]
    assert msgs(b"") == ["file: the file is empty"]
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert messages(prepare(read_input(xls, "old.xls")).problems) == [
        "file: old Excel .xls files are not supported; save as .xlsx or .csv"
    ]


def _xlsx(patients: list[list], treatments: list[list] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "patients"
    for r in patients:
        ws.append(r)
    if treatments is not None:
        tx = wb.create_sheet("treatments")
        for r in treatments:
            tx.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_treatments_sheet_and_an_excel_date_cell():
    data = _xlsx(
        [
            ["patient_id", "os_days", "os_event"],
            ["a1", 400, 1],
            ["a2", dt.datetime(2014, 3, 12), 0],
            ["a3", 250.0, "alive"],
        ],
        [
            ["patient_id", "cycle", "day", "activity_mbq"],
            ["a1", 1, 0, 18500],
            ["a1", 2, 90, 18500],
        ],
    )
    p = check(data, filename="cohort.xlsx")
    assert messages(p.problems) == [
        'os_days row 3: value "####-##-##": calendar dates are not allowed; give days from the '
        "index date"
    ]
    assert p.patients["os_days"].tolist()[::2] == [400, 250]
    assert p.treatments["cycle"].tolist() == [1, 2]
    # summaries the patients sheet leaves out are derived from the treatments
    assert p.patients["n_treatments"].tolist() == [2, 0, 0]
    assert p.patients["cumulative_activity_mbq"].tolist()[0] == 37000


def test_xlsx_values_right_of_the_header_are_refused_not_dropped():
    """A cell to the right of the header's last column has no column to go to; it was dropped
    without a word. Now the sheet is refused naming the first such row and column (as a CSV
    row with more values than the header), and blank or space-only cells there are fine."""
    data = _xlsx(
        [
            ["patient_id", "os_days", "os_event"],
            ["a1", 400, 1, None, "   "],
            ["a2", 300, 0, None, "G2"],
            ["a3", 250, 1, "note"],
        ]
    )
    p = check(data, filename="cohort.xlsx")
    assert messages(p.problems) == [
        "sheet patients: row 3 has a value in column E, right of the header's last column C "
        "(and 1 more row): give that column a name in the header row or delete the value"
    ]
    fine = check(_xlsx([["patient_id", "os_days", "os_event"], ["a1", 400, 1, None, "  "]]),
                 filename="cohort.xlsx")  # fmt: skip
    assert messages(fine.problems) == [] and len(fine.patients) == 1


# ------------------------------------------------------------------------------ mapping


def test_suggest_mapping_is_case_space_underscore_insensitive_with_synonyms():
    cols = ["Patient ID", "OS days", "survival_days", "os_time", "death", "status", "id"]
    cols += ["Name", "notes", "AGE", "Gender", "first activity MBq"]
    assert suggest_mapping(cols) == {
        "Patient ID": "patient_id",
        "OS days": "os_days",
        "survival_days": "os_days",
        "os_time": "os_days",
        "death": "os_event",
        "status": "os_event",
        "id": "patient_id",
        "AGE": "age",
        "Gender": "sex",
        "first activity MBq": "first_activity_mbq",
    }


def test_map_columns_renames_and_drops():
    df = pd.DataFrame(columns=["ID", "time", "status", "inst", "OS Event"])
    out = map_columns(df, {"ID": "patient_id", "time": "os_days", "status": None, "inst": None})
    assert list(out.columns) == ["patient_id", "os_days", "os_event"]


def test_map_columns_refuses_two_columns_on_one_field():
    df = pd.DataFrame(columns=["time", "os_days"])
    with pytest.raises(ImportRefused) as exc:
        map_columns(df, {"time": "os_days"})
    assert messages(exc.value.problems) == [
        'os_days: columns "time" and "os_days" are all mapped to os_days; keep one'
    ]


def test_mapping_to_unknown_field_or_missing_column_is_reported():
    data = csv("p1,10,1", head="patient_id,os_days,os_event")
    assert msgs(data, mapping={"os_days": "survival", "ghost": "age"}) == [
        'os_days: mapped to "survival", which is not a field of the data model',
        "ghost: the mapping names this column but the file has no such column",
        "os_days: required column is missing",
    ]


def test_unmapped_column_is_refused_naming_it_and_can_be_dropped():
    data = csv("p1,10,1,ok", "p2,20,0,fine", head="patient_id,survival_days,os_event,notes")
    assert msgs(data) == [
        "survival_days: column is not in the data model (did you mean os_days?); map it to a "
        "field or drop it",
        "notes: column is not in the data model; map it to a field or drop it",
        "os_days: required column is missing",
    ]
    ok = check(data, mapping={"survival_days": "os_days", "notes": None})
    assert ok.ok and ok.patients["os_days"].tolist() == [10, 20]


# ------------------------------------------------------------------------------ value rules


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("12.5", "days must be a whole number"),
        ("ten", "days must be a whole number"),
        ("inf", "days must be a whole number"),
        ("-1", "days must be >= 0"),
        ("43831", "days must be at most 43830 (120 years)"),
    ],
)
def test_day_rules(value, rule):
    assert msgs(csv("p1,10,1", f"p2,{value},1")) == [f'os_days row 3: value "{value}": {rule}']


def test_whole_number_written_as_decimal_is_accepted():
    assert check(csv("p1,12.0,1")).patients["os_days"].tolist() == [12]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("121", 'age row 2: value "121": age must be between 0 and 120'),
        ("-1", 'age row 2: value "-1": age must be between 0 and 120'),
        ("61.5", 'age row 2: value "61.5": must be a whole number'),
    ],
)
def test_age_errors(value, message):
    assert msgs(csv(f"p1,10,1,{value}", head=HEAD + ",age")) == [message]


def test_age_over_89_becomes_90_with_a_warning_and_under_18_warns():
    p = check(csv("p1,10,1,95", "p2,10,1,16", "p3,10,1,89", head=HEAD + ",age"))
    assert p.ok
    assert p.patients["age"].tolist() == [90, 16, 89]
    assert messages(p.problems) == [
        'age row 2: value "95": age over 89 is stored as 90',
        'age row 3: value "16": age under 18: check the value',
    ]
    assert set(p.problems["severity"]) == {"warning"}


@pytest.mark.parametrize(
    ("value", "message", "severity"),
    [
        ("0", 'first_activity_mbq row 2: value "0": activity must be > 0', "error"),
        (
            "18,500",
            'first_activity_mbq row 2: value "18,500": must be a number (no units or thousands '
            "separators)",
            "error",
        ),
        (
            "70000",
            'first_activity_mbq row 2: value "70000": activity above 60000 MBq: check the unit is MBq',
            "warning",
        ),
        (
            "18.5",
            'first_activity_mbq row 2: value "18.5": activity below 370 MBq: check the unit is MBq '
            "(not GBq or mCi)",
            "warning",
        ),
    ],
)
def test_activity_rules(value, message, severity):
    head = "patient_id,os_days,os_event,first_activity_mbq"
    p = check(f'{head}\np1,10,1,"{value}"\n'.encode())
    assert messages(p.problems) == [message]
    assert p.problems["severity"].tolist() == [severity]


def test_implausible_survival_time_is_a_warning_not_an_error():
    p = check(csv("p1,15000,1"))
    assert p.ok
    assert messages(p.problems) == [
        'os_days row 2: value "15000": more than 40 years (14610 days): check the unit is days'
    ]


def test_other_ranges():
    head = HEAD + ",index_year,n_treatments"
    assert msgs(csv("p1,10,1,1900,-1", "p2,10,1,2010,25", head=head)) == [
        'index_year row 2: value "1900": year must be between 1950 and 2100',
        'n_treatments row 2: value "-1": must be >= 0',
        'n_treatments row 3: value "25": more than 20 administrations: check the value',
    ]


def test_codes_are_normalised_case_insensitively_and_bad_codes_named():
    head = HEAD + ",sex,grade,primary_site,route,agent,imaging_response,biochem_marker"
    p = check(
        csv(
            "p1,10,1,M,g1,Small bowel,iv,I-131 MIBG,complete response,5-HIAA",
            "p2,10,1,female,G2,small_bowel,IA,mibg,PR,CgA",
            "p3,10,1,MALE,3,pancreas,IV,i131_mibg,sd,both",
            "p4,10,1,x,G9,liver,IV,i131_mibg,SD,cga",
            head=head,
        )
    )
    assert p.patients["sex"].tolist()[:3] == ["male", "female", "male"]
    assert p.patients["grade"].tolist()[:3] == ["G1", "G2", "G3"]
    assert p.patients["primary_site"].tolist()[:3] == ["small_bowel", "small_bowel", "pancreas"]
    assert p.patients["route"].tolist()[:3] == ["IV", "IA", "IV"]
    assert p.patients["agent"].tolist()[:3] == ["i131_mibg"] * 3
    assert p.patients["imaging_response"].tolist()[:3] == ["CR", "PR", "SD"]
    assert p.patients["biochem_marker"].tolist()[:3] == ["5hiaa", "cga", "both"]
    assert messages(p.problems) == [
        'sex row 5: value "x": not a valid code; allowed: female, male, unknown',
        'grade row 5: value "G9": not a valid code; allowed: G1, G2, G3, GX',
        'primary_site row 5: value "liver": not a valid code; allowed: small_bowel, pancreas, '
        "lung, colon, cecum, rectum, appendix, stomach, mesentery, thymus, heart, ovary, "
        "retroperitoneum, other, unknown",
    ]


def test_event_codings_are_normalised():
    values = ["1", "0", "yes", "no", "TRUE", "false", "dead", "alive", "Died", "censored"]
    lines = [f"p{i},10,{v}" for i, v in enumerate(values)]
    p = check(csv(*lines))
    assert p.ok
    assert p.patients["os_event"].tolist() == [1, 0] * 5


def test_event_values_outside_the_codings_are_refused():
    assert msgs(csv("p1,10,maybe", "p2,10,2")) == [
        'os_event row 2: value "maybe": not an event value; use 1/0, yes/no, true/false, '
        "dead/alive or died/censored (1 = event)",
        'os_event row 3: value "2": not an event value; use 1/0, yes/no, true/false, dead/alive '
        "or died/censored (1 = event); R's 1/2 status must be recoded (2 = dead -> 1, "
        "1 = alive -> 0)",
    ]


def test_cdisc_censor_flag_only_with_the_option():
    data = csv("p1,10,1", "p2,10,0", "p3,10,dead", "p4,10,alive")
    assert check(data).patients["os_event"].tolist() == [1, 0, 1, 0]
    assert check(data, censor_flag=True).patients["os_event"].tolist() == [0, 1, 1, 0]
    assert msgs(csv("p1,10,2"), censor_flag=True) == [
        'os_event row 2: value "2": not a censor flag value; use 1/0 (1 = censored), yes/no, '
        "true/false, or the words dead/alive, died/censored"
    ]


def test_booleans():
    head = HEAD + ",prior_surgery,met_liver"
    p = check(csv("p1,10,1,yes,1", "p2,10,1,No,FALSE", "p3,10,1,y,0", "p4,10,1,maybe,", head=head))
    assert p.patients["prior_surgery"].tolist()[:3] == [True, False, True]
    assert p.patients["met_liver"].tolist() == [True, False, False, pd.NA]
    assert messages(p.problems) == [
        'prior_surgery row 5: value "maybe": not a yes/no value; use yes/no, true/false or 1/0'
    ]


def test_missing_required_column_is_one_row_with_an_empty_row_number():
    p = check(csv("p1,10", head="patient_id,os_days"))
    assert messages(p.problems) == ["os_event: required column is missing"]
    assert p.problems["row"].isna().all()


def test_missing_required_values_are_reported_per_row():
    assert msgs(csv("p1,10,1", ",20,1", "p3,NA,0", "p4,30,")) == [
        'patient_id row 3: value "": a value is required',
        'os_days row 4: value "NA": a value is required',
        'os_event row 5: value "": a value is required',
    ]


def test_duplicate_patient_ids_name_the_first_row():
    assert msgs(csv("p1,10,1", "p2,10,1", "p1,20,0", "p1,30,0")) == [
        'patient_id row 4: value "p1": duplicate patient_id (first seen in row 2)',
        'patient_id row 5: value "p1": duplicate patient_id (first seen in row 2)',
    ]


def test_progression_not_after_death_or_last_contact():
    head = HEAD + ",pfs_imaging_days,pfs_imaging_event,imaging_response_days"
    assert msgs(csv("p1,400,1,400,1,100", "p2,400,1,401,1,500", head=head)) == [
        'pfs_imaging_days row 3: value "401": must not be after os_days (400)',
        'imaging_response_days row 3: value "500": must not be after os_days (400)',
    ]


def test_event_without_time_and_time_without_event():
    head = HEAD + ",pfs_symptom_days,pfs_symptom_event"
    assert msgs(csv("p1,400,1,,1", "p2,400,1,200,", "p3,400,1,,", head=head)) == [
        'pfs_symptom_event row 2: value "1": event given without pfs_symptom_days',
        'pfs_symptom_days row 3: value "200": time given without pfs_symptom_event',
    ]


def test_cumulative_activity_not_below_first():
    head = HEAD + ",first_activity_mbq,cumulative_activity_mbq"
    assert msgs(csv("p1,10,1,18500,7400", head=head)) == [
        'cumulative_activity_mbq row 2: value "7400": must not be less than first_activity_mbq '
        "(18500)"
    ]


def test_all_problems_are_reported_at_once():
    head = HEAD + ",age,sex,MRN"
    p = check(csv("p1,-3,1,130,x,1", "p1,5,maybe,40,F,2", head=head))
    assert set(p.problems["rule"].str.split(";").str[0]) >= {
        "days must be >= 0",
        "age must be between 0 and 120",
        "not a valid code",
        "not an event value",
        "duplicate patient_id (first seen in row 2)",
        "column name looks like an identifier (medical record number)",
    }


# ------------------------------------------------------------------------------ privacy


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("Name", "a person's name"),
        ("first_name", "a person's name"),
        ("Last Name", "a person's name"),
        ("PatientName", "a person's name"),
        ("surname", "a person's name"),
        ("MRN", "medical record number"),
        ("Medical Record Number", "medical record number"),
        ("SSN", "social security number"),
        ("social_security_no", "social security number"),
        ("DOB", "date of birth"),
        ("Date of birth", "date of birth"),
        ("BirthDate", "date of birth"),
        ("Address", "address"),
        ("street", "address"),
        ("City", "address"),
        ("ZIP", "address"),
        ("postcode", "address"),
        ("Phone", "phone number"),
        ("tel", "phone number"),
        ("E-mail", "email address"),
        ("email", "email address"),
    ],
)
def test_identifier_named_columns_are_refused(name, what):
    assert msgs(csv("p1,10,1,v", head=f"{HEAD},{name}")) == [
        f"{name}: column name looks like an identifier ({what}); identifiers are not allowed: "
        "remove the column or drop it"
    ]


def test_no_data_model_field_looks_like_an_identifier_or_a_date():
    flagged = [f.name for f in PATIENT_FIELDS if identifier_name(f.name)]
    dated = [f.name for f in PATIENT_FIELDS if importer.date_name(f.name)]
    assert (flagged, dated) == ([], [])
    assert identifier_name("agent_name") is None


def test_an_identifier_column_mapped_to_patient_id_is_still_refused():
    data = csv("123,10,1", head="MRN,os_days,os_event")
    assert msgs(data, mapping={"MRN": "patient_id"}) == [
        "MRN: column name looks like an identifier (medical record number); identifiers are "
        "not allowed: remove the column or drop it"
    ]


def test_dropping_an_identifier_column_allows_the_import():
    data = csv("p1,10,1,Jane Doe", head=HEAD + ",Name")
    assert check(data, mapping={"Name": None}).ok


def test_date_named_columns_are_refused():
    assert msgs(csv("p1,10,1,5", head=HEAD + ",death_date")) == [
        "death_date: column name looks like a calendar date; dates are not allowed: give days "
        "from the index date"
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2014-03-12", "####-##-##"),
        ("2014-03-12T10:30:00", "####-##-##x##:##:##"),
        ("12/03/2014", "##/##/####"),
        ("3/12/14", "#/##/##"),
        ("12.03.2014", "##.##.####"),
        ("12 Mar 2014", "## xxx ####"),
        ("March 12, 2014", "xxxxx ##, ####"),
        ("Mar 2014", "xxx ####"),
    ],
)
def test_calendar_dates_anywhere_are_refused_and_masked(value, shown):
    rule = "calendar dates are not allowed; give days from the index date"
    head = HEAD + ",sex"
    got = msgs(f'{head}\np1,"{value}",1,"{value}"\n'.encode())
    assert got == [f'os_days row 2: value "{shown}": {rule}', f'sex row 2: value "{shown}": {rule}']


@pytest.mark.parametrize(
    ("value", "shown", "rule"),
    [
        ("jane.doe@example.org", "xxxx.xxx@xxxxxxx.xxx", "looks like an email address"),
        ("123-45-6789", "###-##-####", "looks like a social security number"),
        ("555-123-4567", "###-###-####", "looks like a phone number"),
        ("(555) 123-4567", "(###) ###-####", "looks like a phone number"),
        ("+44 20 7946 0958", "+## ## #### ####", "looks like a phone number"),
        ("2014-03-12", "####-##-##", "calendar dates are not allowed"),
    ],
)
def test_identifier_shaped_patient_ids_are_refused_and_masked(value, shown, rule):
    (message,) = msgs(csv(f"{value},10,1"))
    assert message.startswith(f'patient_id row 2: value "{shown}": {rule}')


def test_patient_ids_must_be_opaque_codes():
    assert msgs(csv("Jane Doe,10,1", "p-01.a_B,10,1")) == [
        'patient_id row 2: value "Jane Doe": patient ids must be study codes: letters, digits, '
        "'.', '_' or '-' (at most 64 characters)"
    ]


def test_unknown_column_with_identifier_values_is_named_for_them():
    data = csv("p1,10,1,", "p2,10,1,jo@example.com", head=HEAD + ",contact")
    assert msgs(data) == [
        'contact row 3: value "xx@xxxxxxx.xxx": column is not in the data model and holds email '
        "addresses; identifiers and dates are not allowed: remove the column"
    ]


# ------------------------------------------------------------------------------ treatments


def test_treatment_rules():
    pts = csv("a1,400,1", "a2,300,0")
    tx = csv(
        "a1,1,0,IV,i131_mibg,18500",
        "a1,2,90,IV,i131_mibg,18500",
        "a1,2,120,IV,i131_mibg,18500",
        "a2,1,301,IV,i131_mibg,7400",
        "a9,1,0,IV,mibg,-5",
        head="patient_id,cycle,day,route,agent,activity_mbq",
    )
    assert messages(check(pts, treatments=tx).problems) == [
        'treatments.cycle row 4: value "2": this cycle is already given for the patient '
        "(first seen in row 3)",
        'treatments.day row 5: value "301": must not be after the patient\'s os_days (300)',
        'treatments.activity_mbq row 6: value "-5": activity must be > 0',
        'treatments.patient_id row 6: value "a9": no such patient_id in the patients file',
    ]


def test_treatments_fill_summaries_and_warn_on_mismatch():
    pts = csv("a1,400,1,1", "a2,300,0,0", head=HEAD + ",n_treatments")
    tx = csv("a1,1,0,7400", "a1,2,60,11100", head="patient_id,cycle,day,activity_mbq")
    p = check(pts, treatments=tx)
    assert p.ok
    assert messages(p.problems) == [
        'n_treatments row 2: value "1": does not match the 2 administrations in the treatments'
    ]
    assert p.patients["first_activity_mbq"].tolist()[0] == 7400
    assert p.patients["cumulative_activity_mbq"].tolist()[0] == 18500
    assert p.patients["n_treatments"].tolist() == [1, 0]  # the file's value is kept


def test_treatments_need_their_required_columns_and_refuse_others():
    tx = csv("a1,0,x", head="patient_id,day,comment")
    assert messages(check(csv("a1,10,1"), treatments=tx).problems) == [
        "treatments.comment: not a treatments column; allowed: patient_id, cycle, day, route, "
        "agent, activity_mbq, approximated",
        "treatments.cycle: required column is missing",
    ]


# ------------------------------------------------------------------------------ properties


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 14610),
            st.sampled_from(["1", "0", "yes", "no", "dead", "alive", "True", "censored"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_valid_rows_always_pass_and_round_trip(rows):
    lines = [f"p{i},{d},{e}" for i, (d, e) in enumerate(rows)]
    p = check(csv(*lines))
    assert p.ok and len(p.problems) == 0
    assert p.patients["os_days"].tolist() == [d for d, _ in rows]
    truthy = {"1", "yes", "dead", "true"}
    assert p.patients["os_event"].tolist() == [int(e.lower() in truthy) for _, e in rows]


# ------------------------------------------------------------------------------ files shipped


def test_template_header_is_the_data_model_and_its_example_row_is_valid():
    text = (ROOT / "data" / "import_template.csv").read_text()
    header, comment = text.splitlines()
    assert header.split(",") == [f.name for f in PATIENT_FIELDS]
    assert comment.startswith("# ")
    assert msgs(text.encode()) == ["file: the file has no data rows"]
    p = check(text.replace("# ", "").encode())
    assert p.ok and len(p.problems) == 0 and len(p.patients) == 1


def test_example_file_is_valid_without_warnings():
    p = check((ROOT / "data" / "import_example.csv").read_bytes())
    assert len(p.problems) == 0
    assert len(p.patients) == 40


def test_docs_list_every_range_rule():
    doc = (ROOT / "docs" / "IMPORT.md").read_text()
    missing = [r.rule for r in RANGE_RULES if r.rule not in doc]
    assert missing == []


# ------------------------------------------------------------------------------ writing


def test_lung_imported_gives_r_km_median(r_dataset, db):
    """R 4.2.2, survival 3.5.3:
    ``print(survfit(Surv(time, status) ~ 1, data = lung))``
    -> n 228, events 165, median 310, 0.95LCL 285, 0.95UCL 363 (R's default conf.type="log");
    ``print(survfit(Surv(time, status) ~ 1, data = lung, conf.type="log-log"))``
    -> median 310, 0.95LCL 284, 0.95UCL 361."""
    lung = r_dataset("lung")
    df = lung.assign(
        patient_id=[f"lung{i:03d}" for i in range(1, len(lung) + 1)],
        status=lung["status"] - 1,  # R: 1 = censored, 2 = dead
        sex=lung["sex"].map({1: "male", 2: "female"}),
    )
    mapping = {"time": "os_days", "status": "os_event"}
    mapping |= dict.fromkeys(["inst", "ph.ecog", "ph.karno", "pat.karno", "meal.cal", "wt.loss"])
    report = import_file(
        df.to_csv(index=False).encode(), "lung", filename="lung.csv", db=db, mapping=mapping
    )
    assert report.ok, messages(report.problems)
    arr = query_arrays(
        "SELECT os_days, os_event FROM patients WHERE cohort_id = ?", ["lung"], path=db
    )
    counts = counts_from_arrays(arr["os_days"], arr["os_event"])
    km = kaplan_meier(counts, conf_type="log")
    (median,) = km_quantiles(km, [0.5])
    assert (km.n, km.events) == (228, 165)
    assert (median.estimate, median.lower, median.upper) == (310, 285, 363)
    (median,) = km_quantiles(kaplan_meier(counts, conf_type="log-log"), [0.5])
    assert (median.estimate, median.lower, median.upper) == (310, 284, 361)
    sexes = query_rows(
        "SELECT sex, count(*) FROM patients WHERE cohort_id = 'lung' GROUP BY 1 ORDER BY 1",
        path=db,
    )
    assert sexes == [("female", 90), ("male", 138)]


def test_import_is_listed_logged_and_marked_imported(db):
    steps: list[tuple[float, str]] = []
    example = (ROOT / "data" / "import_example.csv").read_bytes()
    real = b"\n".join(ln for ln in example.split(b"\n") if not ln.startswith(b"#"))
    report = import_file(  # the example without its provenance line: real data as far as known
        real,
        "example",
        filename="mine.csv",
        title="Example",
        db=db,
        progress=lambda f, m: steps.append((f, m)),
    )
    assert report.ok and report.action == "import" and report.n_patients == 40
    info = {c.cohort_id: c for c in list_cohorts(db)}["example"]
    assert (info.provenance, info.n_patients, info.title) == ("imported", 40, "Example")
    assert info.data_version == report.content_hash
    log = import_log(db)
    assert log[["cohort_id", "action", "n_rows", "content_hash"]].values.tolist() == [
        ["example", "import", 40, report.content_hash]
    ]
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1.0


def test_replace_needs_the_flag_and_is_logged(db):
    first = import_file(patients_csv(50, 1), "mine", filename="a.csv", db=db)
    assert first.ok
    before = file_sha(db)
    again = import_file(patients_csv(30, 2), "mine", filename="b.csv", db=db)
    assert not again.ok
    assert messages(again.problems) == [
        'cohort_id: value "mine": cohort "mine" already exists; use --replace (on the page: '
        "'Replace the existing cohort') to replace it"
    ]
    assert file_sha(db) == before
    replaced = import_file(patients_csv(30, 2), "mine", filename="b.csv", db=db, replace=True)
    assert replaced.ok and replaced.action == "replace" and replaced.replaced_n == 50
    assert query_rows("SELECT count(*) FROM patients WHERE cohort_id = 'mine'", path=db) == [(30,)]
    assert import_log(db)["action"].tolist() == ["import", "replace"]


def test_default_cohorts_are_protected_unless_forced(db):
    r = import_file(patients_csv(10, 3), "ia-hepatic-6", filename="a.csv", db=db, replace=True)
    assert messages(r.problems) == [
        'cohort_id: value "ia-hepatic-6": cohort "ia-hepatic-6" is a default published-cases '
        "cohort; replacing it needs --force (restore the defaults with `python -m core build "
        "--force`)"
    ]
    with pytest.raises(importer.DeleteRefused, match="deleting it needs --force"):
        delete_cohort("ia-hepatic-6", db)
    report = delete_cohort("ia-hepatic-6", db, force=True)
    assert report.provenance == "published-cases" and report.n_patients == 6
    assert "ia-hepatic-6" not in [c.cohort_id for c in list_cohorts(db)]


def test_delete_removes_every_row_and_is_logged(db):
    r = import_file(
        csv("a1,400,1", "a2,300,0"),
        "gone",
        filename="p.csv",
        db=db,
        treatments=csv("a1,1,0,7400", head="patient_id,cycle,day,activity_mbq"),
        treatments_filename="t.csv",
    )
    assert r.ok and r.n_treatments == 1
    report = delete_cohort("gone", db)
    assert (report.n_patients, report.content_hash) == (2, r.content_hash)
    for t in ("patients", "treatments", "cohorts"):
        assert query_rows(f"SELECT count(*) FROM {t} WHERE cohort_id = 'gone'", path=db) == [(0,)]
    log = import_log(db)
    assert log[["cohort_id", "action", "n_rows"]].values.tolist() == [
        ["gone", "import", 2],
        ["gone", "delete", 2],
    ]
    with pytest.raises(importer.DeleteRefused, match='no cohort "gone"'):
        delete_cohort("gone", db)


def test_invalid_cohort_id_is_refused(db):
    r = import_file(csv("a1,400,1"), "My Study", filename="p.csv", db=db)
    assert messages(r.problems) == [
        'cohort_id: value "My Study": cohort id must be 1-40 characters of lowercase letters, '
        "digits and '-'"
    ]


@pytest.mark.parametrize("where", ["_check_staged", "_insert_from_stage", "_write_log"])
def test_failure_inside_the_transaction_leaves_the_database_untouched(db, monkeypatch, where):
    import_file(patients_csv(40, 4), "keep", filename="k.csv", db=db)
    hashes, sha, cohorts = table_hashes(db), file_sha(db), list_cohorts(db)

    def boom(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(importer, where, boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        import_file(patients_csv(60, 5), "keep", filename="k2.csv", db=db, replace=True)
    with pytest.raises(RuntimeError, match="injected failure"):
        import_file(patients_csv(60, 5), "new-one", filename="k3.csv", db=db)
    assert table_hashes(db) == hashes
    assert file_sha(db) == sha
    assert list_cohorts(db) == cohorts
    assert [p.name for p in db.parent.iterdir() if ".tmp" in p.name] == []  # no stray copy


def test_readers_see_the_old_or_the_new_cohort_never_a_mix(db):
    assert import_file(patients_csv(5000, 6), "iso", filename="a.csv", db=db).ok
    seen: list[int] = []
    others: set[tuple] = set()
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                rows = dict(
                    query_rows("SELECT cohort_id, count(*) FROM patients GROUP BY 1", path=db)
                )
                seen.append(rows["iso"])
                others.add(tuple(sorted((k, v) for k, v in rows.items() if k != "iso")))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    t = threading.Thread(target=reader)

    def reads_reach(n: int) -> None:  # no timing: stops as soon as the reader dies
        while len(seen) < n and t.is_alive():
            t.join(0.01)

    t.start()
    try:
        reads_reach(3)
        report = import_file(patients_csv(3000, 7), "iso", filename="b.csv", db=db, replace=True)
        reads_reach(len(seen) + 3)
    finally:
        stop.set()
        t.join()
    assert errors == []
    assert report.ok
    assert set(seen) == {5000, 3000}
    assert seen[-1] == 3000 and seen[0] == 5000
    assert len(others) == 1  # the other cohorts never change


# ------------------------------------------------------------------------------ CLI


def test_cli_import_success_prints_one_paragraph(db, capsys):
    code = main(
        ["import", str(ROOT / "data" / "import_example.csv"), "--cohort", "ex", "--db", str(db)]
    )
    out = capsys.readouterr()
    assert code == 0
    assert out.out.count("\n") == 1
    assert out.out.startswith("Imported cohort ex: 40 patients and 0 administrations")


def test_cli_invalid_file_exits_2_with_the_table_and_leaves_the_db(db, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv("p1,-3,1", "p2,10,yes", "p2,5,1"))
    before = file_sha(db)
    code = main(["import", str(bad), "--cohort", "bad", "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2
    assert "days must be >= 0" in err and "duplicate patient_id (first seen in row 3)" in err
    assert "error: Nothing was imported: 2 error(s) and 0 warning(s)" in err
    assert file_sha(db) == before


def test_cli_map_drop_censor_flag_and_replace(db, tmp_path, capsys):
    f = tmp_path / "cdisc.csv"
    f.write_bytes(csv("s1,100,1,x", "s2,200,0,y", head="USUBJID,Survival days,CNSR,comment"))
    args = ["import", str(f), "--cohort", "cd", "--db", str(db), "--censor-flag"]
    args += ["--map", "USUBJID=patient_id", "--map", "Survival days=os_days"]
    args += ["--map", "CNSR=os_event", "--drop", "comment"]
    assert main(args) == 0
    assert query_rows(
        "SELECT patient_id, os_event FROM patients WHERE cohort_id = 'cd' ORDER BY 1", path=db
    ) == [("cd-0001", 0), ("cd-0002", 1)]  # study pseudonyms in file order, not s1/s2
    assert main(args) == 2
    assert "use --replace" in capsys.readouterr().err
    assert main([*args, "--replace"]) == 0


def test_cli_bad_map_and_missing_file(db, tmp_path, capsys):
    f = tmp_path / "a.csv"
    f.write_bytes(csv("p1,1,1"))
    assert main(["import", str(f), "--cohort", "a", "--db", str(db), "--map", "x=nope"]) == 2
    assert "'nope' is not a field of the data model" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "none.csv"), "--cohort", "a", "--db", str(db)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_delete_cohort(db, capsys):
    assert main(["delete-cohort", "--cohort", "nguyen-2004", "--db", str(db)]) == 2
    assert "deleting it needs --force" in capsys.readouterr().err
    assert main(["delete-cohort", "--cohort", "nguyen-2004", "--db", str(db), "--force"]) == 0
    assert capsys.readouterr().out.startswith("Deleted cohort nguyen-2004 (synthetic, 32 patients")
    assert main(["delete-cohort", "--cohort", "nguyen-2004", "--db", str(db)]) == 2
    assert import_log(db)["action"].tolist() == ["delete"]
