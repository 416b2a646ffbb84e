"""Import real de-identified cohorts: read, map, validate, guard privacy, write atomically.

Pipeline
--------
1. :func:`read_input` reads a CSV or XLSX file (and an optional treatments sheet or file) into
   frames of strings whose index is the spreadsheet row number (header = row 1), so every
   problem names the row a person sees when they open the file.
2. :func:`resolve_mapping` / :func:`map_columns` map the user's column names onto the data
   model (:data:`core.vocab.schema.PATIENT_FIELDS`); :func:`suggest_mapping` proposes a mapping.
3. :func:`prepare` validates everything at once and returns typed frames plus a problem table
   (columns ``column, row, value, rule, severity``). Validation is vectorised: each column is
   factorised and every rule runs on its distinct values, then is broadcast back to rows, so
   10^6 rows cost seconds, not minutes.
4. :func:`commit` writes inside :func:`core.data.store.write_transaction` (copy-on-write, atomic
   publish, serialised writers): stage into temp tables, re-check in SQL, insert, log (the
   SQL is in :mod:`core.data.import_sql`). Nothing touches the database when there is any
   error.

Privacy guard: columns named like identifiers, values shaped like identifiers (emails,
SSN-like numbers, phone numbers), any calendar date, and any column outside the data model are
errors; ages over 89 become 90. Values reported under a privacy rule are masked in the problem
table (digits become ``#``, letters ``x``) so the table itself can be shared. The file's patient
ids are never stored: :func:`commit` replaces them by study pseudonyms (:func:`pseudonym_key`)
and returns the key to the caller only. Control characters in any cell, undecodable bytes and
oversized or bomb-like XLSX archives are refused before anything else (issue 18).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from core.cohorts import death_cause
from core.cohorts.generator import CohortFrames
from core.data import db as core_db
from core.data import import_sql
from core.data.build import content_hash
from core.data.store import WriteFailed as WriteFailed  # re-exported for the page
from core.data.store import write_transaction
from core.vocab.methods import Provenance
from core.vocab.schema import (
    AGE_CAP,
    COHORT_ID_RE,
    PATIENT_FIELDS,
    PATIENTS,
    Field,
)

Severity = Literal["error", "warning"]
Progress = Callable[[float, str], None]
PROBLEM_COLUMNS = ("column", "row", "value", "rule", "severity")
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TEMPLATE_PATH = DATA_DIR / "import_template.csv"
EXAMPLE_PATH = DATA_DIR / "import_example.csv"

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "."})
"""Cell values read as 'not recorded' (case-insensitive, after trimming spaces)."""
MAX_DAYS = 43830  # 120 years
LONG_DAYS = 14610  # 40 years
MAX_VALUE_SHOWN = 60

# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------


def shorten(value: Any) -> Any:
    """A value as problems show it: cut to :data:`MAX_VALUE_SHOWN` characters (ending in '…')."""
    text = str(value)
    return value if len(text) <= MAX_VALUE_SHOWN else text[: MAX_VALUE_SHOWN - 1] + "…"


def _shorten_all(values: np.ndarray) -> np.ndarray:
    long = np.fromiter(
        (len(str(v)) > MAX_VALUE_SHOWN for v in values), dtype=bool, count=len(values)
    )
    if long.any():
        values = values.copy()
        values[long] = [shorten(v) for v in values[long]]
    return values


_LONG_DIGITS = re.compile(r"\d{6,}")


def _shown_column(column: str) -> str:
    """A problem's column as shown: a file's column name shaped like an identifier (an email,
    a date, a phone or social security number, six or more digits in a row: a header cell of a
    file exported transposed) is masked like a value."""
    prefix = "treatments." if column.startswith("treatments.") else ""
    name = column[len(prefix) :]
    if value_shape(name) or _LONG_DIGITS.search(name):
        return prefix + mask(name)
    return column


def problem_message(column: str, row: Any, value: Any, rule: str) -> str:
    """The one-line human message for a problem, e.g. ``os_days row 7: value "-3": days must be >= 0``."""
    where = column if row is None or pd.isna(row) else f"{column} row {int(row)}"
    if (row is None or pd.isna(row)) and (value is None or value == ""):
        return f"{where}: {rule}"
    return f'{where}: value "{value}": {rule}'


def messages(problems: pd.DataFrame) -> list[str]:
    return [
        problem_message(c, r, v, u)
        for c, r, v, u in zip(
            problems["column"], problems["row"], problems["value"], problems["rule"], strict=True
        )
    ]


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": pd.Series(dtype=object),
            "row": pd.Series(dtype="Int64"),
            "value": pd.Series(dtype=object),
            "rule": pd.Series(dtype=object),
            "severity": pd.Series(dtype=object),
        }
    )


class _Problems:
    """Collects problems as column-wise parts (vectorised), sorted once at the end."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        column: str,
        rule: Any,
        severity: Any = "error",
        rows: Any = None,
        values: Any = "",
    ) -> None:
        if rows is None:
            rows_arr = pd.array([pd.NA], dtype="Int64")
            values = [values]
        else:
            rows_arr = pd.array(np.asarray(rows, dtype=np.int64), dtype="Int64")
            if len(rows_arr) == 0:
                return
        part = pd.DataFrame(
            {"column": column, "row": rows_arr, "value": values, "rule": rule, "severity": severity}
        )
        part["_seq"] = len(self._parts)
        self._parts.append(part)

    def extend(self, frame: pd.DataFrame) -> None:
        if len(frame):
            part = frame[list(PROBLEM_COLUMNS)].copy()
            part["_seq"] = len(self._parts)
            self._parts.append(part)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return empty_problems()
        df = pd.concat(self._parts, ignore_index=True)
        # the file's and the target's problems first, then the patients', then the treatments'
        codes, names = pd.factorize(df["column"].to_numpy(dtype=object))
        tab = np.array(
            [
                0
                if c in ("file", "cohort_id", "title")
                else 2
                if c.startswith("treatments.")
                else 1
                for c in names
            ],
            dtype=np.int64,
        )[codes]
        sev = (df["severity"].to_numpy(dtype=object) != "error").astype(np.int64)
        row = df["row"].fillna(0).to_numpy(dtype=np.int64)
        order = np.lexsort((df["_seq"].to_numpy(), row, tab, sev))
        out = df.iloc[order][list(PROBLEM_COLUMNS)].reset_index(drop=True)
        # a 2 MB cell or column name is not echoed whole (table, messages, summary, CLI, CSV)
        out["value"] = _shorten_all(out["value"].to_numpy(dtype=object))
        codes, names = pd.factorize(out["column"].to_numpy(dtype=object))  # few distinct
        names = np.array([_shown_column(c) for c in names], dtype=object)
        out["column"] = _shorten_all(names)[codes]
        return out


def n_errors(problems: pd.DataFrame) -> int:
    return int((problems["severity"] == "error").sum())


def n_warnings(problems: pd.DataFrame) -> int:
    return int((problems["severity"] == "warning").sum())


class ImportRefused(ValueError):
    """Input that cannot be imported; ``problems`` holds the problem table."""

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems
        msgs = messages(problems[problems["severity"] == "error"])
        super().__init__(msgs[0] if len(msgs) == 1 else f"{len(msgs)} problems; first: {msgs[0]}")


def _refuse(column: str, rule: str, value: str = "") -> ImportRefused:
    p = _Problems()
    p.add(column, rule, "error", None, value)
    return ImportRefused(p.frame())


# ---------------------------------------------------------------------------------------------
# Privacy: identifier-shaped names and values
# ---------------------------------------------------------------------------------------------

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_RE = re.compile(
    r"(?:"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ -]*{_MONTH}[ ,-]*\d{{2,4}}"
    rf"|{_MONTH} *\d{{1,2}}(?:st|nd|rd|th)?,? *\d{{2,4}}"
    rf"|{_MONTH}[ ,-]*\d{{4}}"
    r")",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
_SSN_RE = re.compile(r"\d{3}-\d{2}-\d{4}")
_PHONE_RE = re.compile(
    r"\+?\d{0,3}[ .-]?\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4}|\(\d{3}\) ?\d{3}-?\d{4}|\+\d{8,15}"
)
_ANY_SHAPE_RE = "|".join(
    f"(?:{r.pattern})" for r in (_DATE_RE, _EMAIL_RE, _SSN_RE, _PHONE_RE)
)  # for vectorised screening; classified exactly by value_shape()

RULE_DATE = "calendar dates are not allowed; give days from the index date"
RULE_EMAIL = "looks like an email address; identifiers are not allowed"
RULE_SSN = "looks like a social security number; identifiers are not allowed"
RULE_PHONE = "looks like a phone number; identifiers are not allowed"

_SHAPE_NOUN = {
    RULE_DATE: "calendar dates",
    RULE_EMAIL: "email addresses",
    RULE_SSN: "social security numbers",
    RULE_PHONE: "phone numbers",
}


def value_shape(value: str) -> str | None:
    """The privacy rule a value breaks by its shape (date, email, SSN, phone), or None."""
    v = value.strip()
    if _DATE_RE.fullmatch(v):
        return RULE_DATE
    if _EMAIL_RE.fullmatch(v):
        return RULE_EMAIL
    if _SSN_RE.fullmatch(v):
        return RULE_SSN
    if _PHONE_RE.fullmatch(v):
        return RULE_PHONE
    return None


def mask(value: str) -> str:
    """Mask a privacy-flagged value: digits -> '#', letters -> 'x' (punctuation kept)."""
    return re.sub(r"[^\W\d_]", "x", re.sub(r"\d", "#", value))


_NAME_PREFIXES = {"patient", "pt", "first", "last", "given", "family", "full", "middle", "maiden"}
_NAME_WORDS = {"name", "surname", "forename", "firstname", "lastname", "fullname", "initials"}


def _tokens(name: str) -> list[str]:
    return [t.lower() for t in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def identifier_name(name: str) -> str | None:
    """What an identifier-named column seems to hold ('a person's name', ...), or None."""
    t = _tokens(name)
    s = set(t)
    joined = "".join(t)
    if t and (
        (t[-1] in _NAME_WORDS and (len(t) == 1 or set(t[:-1]) <= _NAME_PREFIXES))
        or joined in _NAME_WORDS
    ):
        return "a person's name"
    if (
        "mrn" in s
        or {"medical", "record"} <= s
        or {"hospital", "number"} <= s
        or {"hospital", "id"} <= s
    ):
        return "medical record number"
    if "ssn" in s or {"social", "security"} <= s or "nhs" in s:
        return "social security number"
    if "dob" in s or "birth" in s or any(x.startswith("birth") for x in t):
        return "date of birth"
    if s & {"address", "addr", "street", "city", "town", "zip", "zipcode", "postcode", "postal"}:
        return "address"
    if s & {"phone", "telephone", "tel", "mobile", "fax", "cellphone"} or "phone" in joined:
        return "phone number"
    if "email" in s or joined in {"email", "emailaddress"} or {"e", "mail"} <= s:
        return "email address"
    return None


def date_name(name: str) -> bool:
    """True for column names that announce a calendar date (e.g. ``death_date``, ``RFSTDTC``)."""
    t = _tokens(name)
    return any(
        x in {"date", "datetime", "timestamp", "dt"} or x.endswith("date") or x.endswith("dtc")
        for x in t
    )


RULE_UNKNOWN = "column is not in the data model; map it to a field or drop it"


def _rule_identifier_name(what: str) -> str:
    return (
        f"column name looks like an identifier ({what}); identifiers are not allowed: "
        "remove the column or drop it"
    )


RULE_DATE_NAME = (
    "column name looks like a calendar date; dates are not allowed: give days from the index date"
)

# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """One table as read: the header's names and the cells as Arrow strings.

    ``table`` has one string column per name (``c0``, ``c1``, ... in file order), ``_row``
    (the spreadsheet row number, header = row 1) and ``_seq`` (1..n in file order).
    """

    names: tuple[str, ...]
    table: pa.Table

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, i: int) -> pa.ChunkedArray:
        return self.table.column(f"c{i}")

    @property
    def rows(self) -> np.ndarray:
        return self.table.column("_row").to_numpy()

    def frame(self) -> pd.DataFrame:
        """The cells as a pandas frame of strings, index = spreadsheet row numbers."""
        df = pd.DataFrame(
            {n: self.column(i).to_numpy(zero_copy_only=False) for i, n in enumerate(self.names)},
            index=pd.Index(self.rows),
            dtype=object,
        )
        df.columns = list(self.names)
        return df


def _sheet_from_frame(df: pd.DataFrame) -> Sheet:
    n = len(df)
    cols: dict[str, Any] = {
        f"c{i}": pa.array(df.iloc[:, i].to_numpy(dtype=object), type=pa.string())
        for i in range(df.shape[1])
    }
    cols["_row"] = pa.array(np.asarray(df.index, dtype=np.int64) if n else np.zeros(0, np.int64))
    cols["_seq"] = pa.array(np.arange(1, n + 1, dtype=np.int64))
    return Sheet(tuple(str(c) for c in df.columns), pa.table(cols))


EMPTY_SHEET = _sheet_from_frame(pd.DataFrame())


@dataclass
class RawInput:
    """The file as read: string cells with spreadsheet row numbers (header = row 1)."""

    sheet: Sheet
    treatments: pd.DataFrame | None = None
    problems: pd.DataFrame = field(default_factory=empty_problems)
    source: str = ""
    declared_provenance: str | None = None  # a "# provenance: X" comment line of a CSV
    digest: str = ""
    """sha256 of the input bytes (patients file, then treatments file): see :func:`data_version`."""

    @property
    def columns(self) -> list[str]:
        return list(self.sheet.names)

    @functools.cached_property
    def patients(self) -> pd.DataFrame:
        """The patients' cells as pandas (built on first use; the import itself never needs it)."""
        return self.sheet.frame()


_DECLARED_RE = re.compile(rb"(?mi)^#[ \t]*provenance[ \t]*:[ \t]*([a-z-]+)")


def declared_provenance(data: bytes) -> str | None:
    """The provenance a CSV declares in a ``# provenance: synthetic`` comment line, or None."""
    m = _DECLARED_RE.search(data) if b"#" in data else None
    return m.group(1).decode("ascii").lower() if m else None


Source = str | Path | bytes | IO[bytes]


def _load(source: Source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, str | Path):
        p = Path(source)
        return p.read_bytes(), filename or p.name
    if isinstance(source, bytes | bytearray):
        return bytes(source), filename or "upload"
    data = source.getvalue() if hasattr(source, "getvalue") else source.read()  # uploads
    return data, filename or getattr(source, "name", "upload")


def _re_full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def _kind(data: bytes, filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext in {".xlsx", ".xlsm"} or data[:4] == b"PK\x03\x04":
        return "xlsx"
    if ext == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "csv"


_PARSER_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")

NUL_STANDIN = "\ufffe"
"""A NUL byte is read as this noncharacter (the CSV parser would end the value at NUL)."""
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + NUL_STANDIN
_CONTROL_RE = re.compile(f"[{_CONTROL}]")
_CONTROL_BYTES_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
_BREAK_RE = re.compile("[\t\n\r]")
"""Tab, CR and LF: allowed as separators or surrounding spaces, a control character inside a
cell (a quoted ``"ma\nle"`` is not read as ``male``)."""
_SHOWN_RE = re.compile(f"[{_CONTROL}\t\n\r]")
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (9, 10, 13) or b == 0x7F))


def _has_control_bytes(data: bytes) -> bool:
    """Same answer as ``_CONTROL_BYTES_RE.search(data)``, ten times faster on large files:
    delete every byte that is not a control byte (C speed) before any regex runs."""
    if data.translate(None, _NOT_CONTROL):
        return True
    return b"\xc2" in data and _CONTROL_BYTES_RE.search(data) is not None


RULE_CONTROL = "contains a control character ({}); remove it (cells hold plain text only)"


def _control_name(value: str) -> str:
    m = _CONTROL_RE.search(value) or _BREAK_RE.search(value.strip())
    ch = m.group(0)  # type: ignore[union-attr]
    return "NUL" if ch in ("\x00", NUL_STANDIN) else f"U+{ord(ch):04X}"


def _escape_controls(value: str) -> str:
    """The value as a message shows it: every control character, tab, CR and LF as ``\\xNN``."""
    return _SHOWN_RE.sub(
        lambda m: "\\x00" if m.group(0) == NUL_STANDIN else f"\\x{ord(m.group(0)):02x}", value
    )


def _visible(value: str) -> str:
    """'?' for each control character, and for each tab, CR or LF inside the value (surrounding
    ones stay: they are trimmed like spaces), so later rules see and show what is there."""
    value = _CONTROL_RE.sub("?", value)
    i, j = len(value) - len(value.lstrip()), len(value.rstrip())
    return value[:i] + _BREAK_RE.sub("?", value[i:j]) + value[j:] if i < j else value


def _check_controls(
    df: pd.DataFrame, label: str, p: _Problems, controls: bool = True, breaks: bool = True
) -> None:
    """Refuse control characters (NUL, ESC, DEL, ...; tab, CR or LF inside the value) in any
    cell, naming row and column (``controls``/``breaks`` False: the caller knows there are no
    control characters / no tab, CR or LF inside a cell).

    Reported cells keep a visible '?' in place of each control character, so the field rules
    that run later see (and show) what is there instead of a value cut at the NUL.
    """
    prefix = "treatments." if label == "treatments" or label.lower() == "sheet treatments" else ""
    for i, name in enumerate(df.columns):
        col = df.iloc[:, i]
        hit = np.zeros(len(col), dtype=bool)
        if controls:
            hit |= col.str.contains(_CONTROL_RE, regex=True).to_numpy(dtype=bool, na_value=False)
        if breaks:
            inner = col.str.strip().str.contains(_BREAK_RE, regex=True)
            hit |= inner.to_numpy(dtype=bool, na_value=False)
        if not hit.any():
            continue
        rows = np.flatnonzero(hit)
        vals = col.iloc[rows].to_numpy(dtype=object)
        p.add(
            f"{prefix}{name}",
            np.array([RULE_CONTROL.format(_control_name(v)) for v in vals], dtype=object),
            "error",
            np.asarray(df.index[rows], dtype=np.int64),
            np.array([_escape_controls(v) for v in vals], dtype=object),
        )
        fixed = col.copy()
        fixed.iloc[rows] = [_visible(v) for v in vals]
        df.isetitem(i, fixed)


def _keep_columns(
    header: list[str], empty: Callable[[int], bool], label: str, p: _Problems
) -> tuple[list[int], list[str]]:
    """Columns to keep and their names; report duplicate, unnamed or control-character headers
    (a column without a header whose cells are all blank is dropped silently)."""
    keep, names, seen = [], [], {}
    for i, raw_name in enumerate(header):
        name = (raw_name or "").strip()
        if _CONTROL_RE.search(name):
            p.add(
                label,
                f"column {i + 1} has a control character ({_control_name(name)}) in its name; "
                "remove it",
            )
            continue
        if not name:
            if empty(i):
                continue  # trailing or empty column without a header: nothing to import
            p.add(label, f"column {i + 1} has no name in the header row")
            continue
        if name in seen:
            p.add(
                label,
                f'column "{shorten(_shown_column(name))}" appears twice in the header '
                f"(columns {seen[name]} and {i + 1})",
            )
            continue
        seen[name] = i + 1
        keep.append(i)
        names.append(name)
    return keep, names


def _finish_frame(
    header: list[str],
    df: pd.DataFrame,
    first_data_row: int,
    label: str,
    p: _Problems,
    controls: bool = True,
    breaks: bool = True,
) -> pd.DataFrame:
    """Name columns, drop blank rows/columns, report duplicate or unnamed headers and control
    characters (``controls``/``breaks`` False: the caller knows there are none, see
    :func:`_check_controls`)."""
    df.index = pd.RangeIndex(first_data_row, first_data_row + len(df))
    df.columns = [f"\x00{i}" for i in range(df.shape[1])]
    keep, names = _keep_columns(
        header, lambda i: bool((df.iloc[:, i].str.strip() == "").all()), label, p
    )
    out = df.iloc[:, keep]
    out.columns = names
    if len(out.columns) and len(out):
        # blank rows: test the first column on every row, the others only where it is empty
        maybe = np.flatnonzero(out.iloc[:, 0].to_numpy(dtype=object) == "")
        if maybe.size:
            blank = (out.iloc[maybe] == "").all(axis=1).to_numpy()
            if blank.any():
                out = out.drop(index=out.index[maybe[blank]])
    if (controls or breaks) and len(out.columns) and len(out):
        out = out.copy()
        _check_controls(out, label, p, controls, breaks)
    return out


def _fast_csv(
    body: pa.Buffer,
    header: list[str],
    sep: str,
    first_data_row: int,
    label: str,
    p: _Problems,
    quoted: bool = True,
    lines: int = -1,
) -> Sheet | None:
    """Parse the data lines of a plain UTF-8 CSV with Arrow's multi-threaded C++ reader, in
    memory and without a copy (the upload is never written to disk); every cell stays a string.

    Only for files the pandas reader would number the same way: the caller checked there is
    no control byte and no comment line. A blank line is read as a row of empty cells (so the
    row numbers after it stay the spreadsheet's) and dropped with the other blank rows.
    Returns None (the caller falls back to the pandas reader, which names the problem) on any
    parse error, such as a row with more values than the header, or bytes that are not UTF-8,
    and when fewer records than ``lines`` (the body's line count, -1: not counted) were read:
    a line break inside a quoted cell, which the pandas path refuses as a control character.
    """
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    try:
        t = pa_csv.read_csv(
            pa.BufferReader(body),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=quoted,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    n = t.num_rows
    if lines >= 0 and n != lines:
        return None
    t = t.append_column(
        "_row", pa.array(np.arange(first_data_row, first_data_row + n, dtype=np.int64))
    )
    keep, kept_names = _keep_columns(
        header,
        lambda i: (
            n == 0
            or not pc.any(pc.not_equal(pc.utf8_trim_whitespace(t.column(f"c{i}")), "")).as_py()
        ),
        label,
        p,
    )
    if keep and n:
        # blank rows: test the first column on every row, the others only where it is empty
        maybe = pc.equal(t.column(f"c{keep[0]}"), "")
        if pc.any(maybe).as_py():
            blank = maybe
            for i in keep[1:]:
                blank = pc.and_(blank, pc.equal(t.column(f"c{i}"), ""))
            if pc.any(blank).as_py():
                t = t.filter(pc.invert(blank))
    cols = {f"c{j}": t.column(f"c{i}") for j, i in enumerate(keep)}
    cols["_row"] = t.column("_row")
    cols["_seq"] = pa.array(np.arange(1, t.num_rows + 1, dtype=np.int64))
    return Sheet(tuple(kept_names), pa.table(cols))


def _plain_csv(data: bytes, label: str, p: _Problems) -> Sheet | None:
    """The fast path of :func:`_read_csv`: a UTF-8 CSV without comment lines or control bytes
    whose first line is the header. None when the file is not such a file (or Arrow's reader
    refuses it): the caller then reads it with the pandas reader, which names any problem."""
    if b"#" in data and (data.startswith(b"#") or b"\n#" in data):
        return None  # comment lines: the pandas path blanks them and keeps the numbering
    end = data.find(b"\n")
    if end < 0 or _has_control_bytes(data):
        return None
    try:
        head = data[:end].decode("utf-8").lstrip("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        return None  # not UTF-8: the pandas path reads it as Windows-1252, with a warning
    if not head.strip():
        return None  # leading blank lines: the pandas path counts them
    sep = max((",", ";", "\t"), key=head.count)
    if "\r" in head or head.count(sep) >= MAX_COLUMNS:
        return None  # the pandas path names the problem
    header = next(csv.reader([head], delimiter=sep))
    quoted = b'"' in data
    if quoted and data.count(b'"') % 2:
        return None  # an unbalanced quote: the pandas reader names it
    if sep != "\t" and b"\t" in data:
        return None  # a tab inside a cell is refused, around one trimmed: the pandas path checks
    if quoted and b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # a CR that is not a line end (inside a quoted cell): the pandas path checks
    body = pa.py_buffer(data)[end + 1 :]  # a view: no copy of the upload
    lines = data.count(b"\n", end + 1) + (not data.endswith(b"\n")) if quoted else -1
    return _fast_csv(body, header, sep, 2, label, p, quoted=quoted, lines=lines)


def _undecodable(data: bytes) -> str | None:
    """Where bytes are neither UTF-8 nor Windows-1252, e.g. ``byte 0x81 in line 2``, or None."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"byte 0x{data[exc.start]:02X} in line {line}"
    return None


def _header_cells(head: str, sep: str, label: str, p: _Problems) -> list[str] | None:
    """The header row's cells; None (with a sentence) when it cannot be split or is wider than
    :data:`MAX_COLUMNS` (refused at once, as an XLSX sheet is, before any per-column work)."""
    try:
        header = next(csv.reader([head], delimiter=sep))
    except csv.Error:
        p.add(label, "the header row could not be read as CSV (a line break inside a cell?)")
        return None
    if len(header) > MAX_COLUMNS:
        p.add(label, f"has more than {MAX_COLUMNS:,} columns; refused")
        return None
    return header


def _utf16(data: bytes) -> bool:
    """A UTF-16 text file: its byte-order mark, or (ASCII text) every other byte of the start
    NUL and the others not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    start = data[:512]
    if len(start) < 4:
        return False
    even, odd = start[0::2], start[1::2]
    return (not odd.strip(b"\x00")) != (not even.strip(b"\x00"))


def _read_csv(data: bytes, label: str, p: _Problems) -> Sheet | None:
    if _utf16(data):
        p.add(label, "the file looks like UTF-16; save it as UTF-8 (CSV UTF-8) or as XLSX")
        return None
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")  # CR-only line ends (classic Mac): read as lines
    sheet = _plain_csv(data, label, p)
    if sheet is not None:
        return sheet
    encoding = "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        where = _undecodable(data)
        if where:
            p.add(
                label,
                f"the file is neither UTF-8 nor Windows-1252 text ({where}); "
                "save it as CSV UTF-8 or as XLSX",
            )
            return None
        encoding = "cp1252"
        p.add(
            label,
            "the file is not UTF-8; it was read as Windows-1252 (check accented text)",
            "warning",
        )
    controls = _has_control_bytes(data)  # else no cell needs the check
    breaks = b'"' in data or b"\t" in data  # else no cell can hold a tab, CR or LF inside
    if b"\x00" in data:  # the CSV parser ends a value at NUL: keep it visible to the check
        if encoding == "cp1252":
            data, encoding = data.decode("cp1252").encode("utf-8"), "utf-8-sig"
        data = data.replace(b"\x00", NUL_STANDIN.encode("utf-8"))
    if data.startswith(b"#") or b"\n#" in data:
        data = re.sub(rb"(?m)^#[^\r\n]*", b"", data)  # comment lines become blank lines
    buf, lead = io.BytesIO(data), 0
    for line in buf:  # leading blank (or comment) lines before the header
        if line.strip():
            break
        lead += 1
    else:
        p.add(label, "the file is empty")
        return None
    head = line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    sep = max((",", ";", "\t"), key=head.count)
    header = _header_cells(head, sep, label, p)
    if header is None:
        return None
    try:
        first = pd.read_csv(  # the first data line's width: pandas would take a wider first
            io.BytesIO(data),  # line's leading values as an index and shift every field
            sep=sep,
            dtype=str,
            header=None,
            skiprows=lead + 1,
            nrows=1,
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            engine="c",
            index_col=False,
        ).shape[1]
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        first = 0  # no data line, or a parse error the full read below names
    if first > len(header):
        title = (
            f' ("{shorten(header[0])}"): is there a title line above the header?'
            if len(header) == 1
            else ""
        )
        p.add(
            label,
            f"row {lead + 2} has {first} values but the header has {len(header)} columns{title}",
        )
        return None
    try:
        df = pd.read_csv(
            io.BytesIO(data),
            sep=sep,
            dtype=str,
            header=None,
            skiprows=lead + 1,
            names=[f"\x00{i}" for i in range(len(header))],
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            engine="c",
            index_col=False,
        )
    except pd.errors.EmptyDataError:
        df = pd.DataFrame({f"\x00{i}": pd.Series(dtype=object) for i in range(len(header))})
    except pd.errors.ParserError as exc:
        m = _PARSER_FIELDS.search(str(exc))
        if m:
            line_no = int(m.group(2))  # the parser counts every line of the file
            p.add(
                label,
                f"row {line_no} has {m.group(3)} values but the header has {m.group(1)} columns",
            )
        else:
            p.add(label, f"could not be read as CSV ({str(exc).strip()})")
        return None
    return _sheet_from_frame(_finish_frame(header, df, lead + 2, label, p, controls, breaks))


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == dtime(0) else v.isoformat(sep=" ")
    if isinstance(v, date | dtime):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


MAX_XLSX_UNCOMPRESSED = 300_000_000
"""An XLSX whose parts inflate to more bytes than this is refused before parsing."""
MAX_XLSX_RATIO = 100
"""A part over 1 MB that inflates more than this many times is refused (a zip bomb)."""
MAX_ROWS = 1_048_576
"""Rows per sheet (Excel's own limit); more are refused while streaming."""
MAX_COLUMNS = 1_000
"""Columns per sheet; a wider header is refused."""


def _xlsx_archive_problem(data: bytes) -> str | None:
    """Why the archive must not be parsed (too big inflated, bomb-like ratio), or None.

    Reads only the zip directory (``infolist``): nothing is decompressed.
    """
    import zipfile

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"could not be read as an XLSX workbook ({type(exc).__name__})"
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNCOMPRESSED:
        return (
            f"the workbook inflates to {total / 1e6:,.0f} MB uncompressed (limit "
            f"{MAX_XLSX_UNCOMPRESSED / 1e6:,.0f} MB); refused before reading it: save the data "
            "as CSV, or remove empty formatted rows"
        )
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1):
            return (
                f"part {i.filename} has a compression ratio of "
                f"{i.file_size / max(i.compress_size, 1):,.0f} (limit {MAX_XLSX_RATIO}); refused "
                "before reading it (a zip bomb?): save the data as CSV"
            )
    return None


def _read_xlsx(data: bytes, label: str, p: _Problems) -> dict[str, Sheet]:
    import openpyxl

    why = _xlsx_archive_problem(data)
    if why:
        p.add(label, why)
        return {}
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        p.add(label, f"could not be read as an XLSX workbook ({type(exc).__name__})")
        return {}
    sheets: dict[str, Sheet] = {}
    try:
        for ws in wb.worksheets:
            frame = _read_sheet(ws, p)
            if frame is not None:
                sheets[ws.title] = frame
    except Exception as exc:  # damaged XML inside a valid zip
        p.add(label, f"could not be read as an XLSX workbook ({type(exc).__name__})")
        return {}
    finally:
        wb.close()
    return sheets


def _read_sheet(ws: Any, p: _Problems) -> Sheet | None:
    """One sheet, streamed row by row (read-only mode); None when it is empty or refused."""
    label = f"sheet {ws.title}"
    declared = getattr(ws, "max_row", None)  # from the sheet's <dimension>, if it has one
    if isinstance(declared, int) and declared > MAX_ROWS + 1:
        p.add(label, f"has more than {MAX_ROWS:,} rows ({declared:,} declared); refused")
        return None
    rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    start = 1
    header: tuple = ()
    for r in rows:
        if not all(v is None or str(v).strip() == "" for v in r):
            header = r
            break
        start += 1
    else:
        return None
    header = tuple(header)
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header = header[:-1]  # read-only mode pads every row to max_col
    if len(header) > MAX_COLUMNS:
        p.add(label, f"has more than {MAX_COLUMNS:,} columns; refused")
        return None
    names = [_cell(v) for v in header]
    width = len(names)
    body: list[list[str]] = []
    beyond: list[tuple[int, int]] = []  # (row, column number) of values right of the header
    for r in rows:
        if len(body) >= MAX_ROWS:
            p.add(label, f"has more than {MAX_ROWS:,} rows; refused (use CSV for large files)")
            return None
        if len(r) > width:
            extra = [j for j, v in enumerate(r[width:]) if v is not None and str(v).strip()]
            if extra:
                beyond.append((start + 1 + len(body), width + extra[0] + 1))
        body.append([_cell(v) for v in r[:width]] + [""] * (width - len(r)))
    if beyond:  # nothing is dropped unseen: a value needs a column name (as a CSV's extra value)
        from openpyxl.utils import get_column_letter

        row, col = beyond[0]
        k = len(beyond) - 1
        more = f" (and {k} more row{'s' if k > 1 else ''})" if k else ""
        p.add(
            label,
            f"row {row} has a value in column {get_column_letter(col)}, right of the header's "
            f"last column {get_column_letter(width)}{more}: give that column a name in the "
            "header row or delete the value",
        )
        return None
    df = pd.DataFrame(body, columns=[f"\x00{i}" for i in range(width)], dtype=object)
    return _sheet_from_frame(_finish_frame(names, df, start + 1, label, p))


def _read_one(data: bytes, filename: str, label: str, p: _Problems) -> dict[str, Sheet]:
    kind = _kind(data, filename)
    if kind == "xls":
        p.add(label, "old Excel .xls files are not supported; save as .xlsx or .csv")
        return {}
    if kind == "xlsx":
        return _read_xlsx(data, label, p)
    df = _read_csv(data, label, p)
    return {} if df is None else {"": df}


def read_input(
    source: Source,
    filename: str | None = None,
    *,
    treatments: Source | None = None,
    treatments_filename: str | None = None,
) -> RawInput:
    """Read the patients file (CSV/XLSX) and treatments from a second sheet or file."""
    p = _Problems()
    data, name = _load(source, filename)
    with _pool(len(data) // 64) as pool:  # hashing releases the GIL: on a large file it
        hashed = pool.submit(hashlib.sha256, data)  # runs while the file is parsed
        sheets = _read_one(data, name, "file", p)
        digest = hashed.result()
    declared = declared_provenance(data) if _kind(data, name) == "csv" else None
    pts = tx = None
    if sheets:
        by_lower = {k.lower(): k for k in sheets}
        pkey = by_lower.get("patients", next(iter(sheets)))
        pts = sheets[pkey]
        if "treatments" in by_lower and by_lower["treatments"] != pkey:
            tx = sheets[by_lower["treatments"]]
        for k in sheets:
            if k not in (pkey, by_lower.get("treatments")):
                p.add(
                    "file",
                    f'sheet "{k}" was ignored (only "patients" and "treatments" are read)',
                    "warning",
                )
    if treatments is not None:
        tdata, tname = _load(treatments, treatments_filename)
        tsheets = _read_one(tdata, tname, "treatments", p)
        if tx is not None and tsheets:
            p.add("treatments", "treatments were given both as a sheet and as a file; use one")
        elif tsheets:
            tx = next(iter(tsheets.values()))
    if treatments is not None:
        digest.update(hashlib.sha256(tdata).digest())
    if pts is None:
        pts = EMPTY_SHEET
    elif len(pts) == 0:
        p.add("file", "the file has no data rows")
    return RawInput(
        pts, None if tx is None else tx.frame(), p.frame(), name, declared, digest.hexdigest()
    )


# ---------------------------------------------------------------------------------------------
# Column mapping
# ---------------------------------------------------------------------------------------------


def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_FIELD_BY_COMPACT = {_compact(f.name): f.name for f in PATIENT_FIELDS}
_SYNONYM_WORDS = {
    "patient_id": "id patient pid ptid subject subjectid subjid usubjid studyid caseid "
    "patientnumber patientno",
    "os_days": "survivaldays ostime time survival survivaltime os osday futime followupdays",
    "os_event": "death status dead died osstatus event vitalstatus deceased",
    "sex": "gender",
    "age": "ageyears ageatindex ageattreatment ageattherapy",
    "grade": "whograde tumourgrade tumorgrade",
    "primary_site": "primary site primarytumour primarytumor primarytumoursite primarytumorsite",
    "first_activity_mbq": "activity activitymbq firstactivity dosembq",
    "cumulative_activity_mbq": "cumulativeactivity totalactivity totalactivitymbq",
    "n_treatments": "treatments ncycles cycles numberoftreatments ntreatment",
    "pfs_imaging_days": "pfsdays pfstime pfs",
    "pfs_imaging_event": "pfsevent pfsstatus progression progressed",
    "index_year": "year treatmentyear yearoftreatment indexyr",
}
SYNONYMS: dict[str, str] = {w: f for f, words in _SYNONYM_WORDS.items() for w in words.split()}
"""Compact column name -> suggested field (suggestions only: never applied without asking)."""


def suggest_mapping(columns: Iterable[str]) -> dict[str, str]:
    """Suggested model field for each column that has one (case/spacing/underscore-insensitive
    name match, then a few synonyms). Identifier-named columns get no suggestion."""
    out: dict[str, str] = {}
    for col in columns:
        if identifier_name(col):
            continue
        key = _compact(col)
        target = _FIELD_BY_COMPACT.get(key) or SYNONYMS.get(key)
        if target:
            out[col] = target
    return out


@dataclass(frozen=True)
class Resolved:
    fields: dict[str, str]  # model field -> user column
    dropped: tuple[str, ...]
    unknown: tuple[str, ...]
    problems: pd.DataFrame


def resolve_mapping(columns: Iterable[str], mapping: dict[str, str | None] | None) -> Resolved:
    """Apply an explicit mapping (``None`` = drop) and exact name matches; report conflicts.

    A column not in ``mapping`` is taken as the field whose name it matches ignoring case,
    spaces and underscores; otherwise it is unknown (refused unless mapped or dropped).
    """
    cols = list(columns)
    mapping = dict(mapping or {})
    p = _Problems()
    for user, target in mapping.items():
        if user not in cols:
            p.add(user, "the mapping names this column but the file has no such column")
        elif target is not None and target not in PATIENTS:
            p.add(user, f'mapped to "{target}", which is not a field of the data model')
    targets: dict[str, list[str]] = {}
    dropped, unknown = [], []
    for col in cols:
        if col in mapping:
            target = mapping[col]
            if target is None:
                dropped.append(col)
                continue
            if target not in PATIENTS:
                continue
        else:
            target = _FIELD_BY_COMPACT.get(_compact(col))
            if target is None:
                unknown.append(col)
                continue
        targets.setdefault(target, []).append(col)
    fields: dict[str, str] = {}
    for target, users in targets.items():
        if len(users) > 1:
            names = " and ".join(f'"{u}"' for u in users)
            p.add(target, f"columns {names} are all mapped to {target}; keep one")
        else:
            fields[target] = users[0]
    return Resolved(fields, tuple(dropped), tuple(unknown), p.frame())


def map_columns(df: pd.DataFrame, mapping: dict[str, str | None]) -> pd.DataFrame:
    """Rename ``df``'s columns to model fields by ``mapping`` (value ``None`` drops a column).

    Columns not in ``mapping`` keep their name when it matches a field ignoring case, spaces
    and underscores (renamed to the field) and are otherwise left as they are, for
    :func:`prepare` to refuse. Raises :class:`ImportRefused` on conflicting mappings.
    """
    res = resolve_mapping(df.columns, mapping)
    if n_errors(res.problems):
        raise ImportRefused(res.problems)
    rename = {user: f for f, user in res.fields.items()}
    return df.drop(columns=list(res.dropped)).rename(columns=rename)


# ---------------------------------------------------------------------------------------------
# Value rules
# ---------------------------------------------------------------------------------------------

DAY_FIELDS = frozenset(f.name for f in PATIENT_FIELDS if f.kind == "days") | {"day"}
ACTIVITY_FIELDS = frozenset({"first_activity_mbq", "cumulative_activity_mbq", "activity_mbq"})
INT_MAX = 2**31 - 1
MAX_ACTIVITY_MBQ = 1e7
"""Above any administered or cumulative activity (10 TBq): an error, so sums stay finite."""
"""Whole numbers are stored as INTEGER: a larger one (only ``n_treatments`` and ``cycle``
have no smaller limit in the rules) is an error, not a failed insert."""


@dataclass(frozen=True)
class RangeRule:
    """One range rule of the rule table: ``test`` is True where a value breaks it."""

    fields: frozenset[str]
    test: Callable[[np.ndarray], np.ndarray]
    rule: str
    severity: Severity = "error"


RANGE_RULES: tuple[RangeRule, ...] = (
    RangeRule(DAY_FIELDS, lambda x: x < 0, "days must be >= 0"),
    RangeRule(DAY_FIELDS, lambda x: x > MAX_DAYS, f"days must be at most {MAX_DAYS} (120 years)"),
    RangeRule(frozenset({"age"}), lambda x: (x < 0) | (x > 120), "age must be between 0 and 120"),
    RangeRule(frozenset({"n_treatments"}), lambda x: x < 0, "must be >= 0"),
    RangeRule(frozenset({"cycle"}), lambda x: x < 1, "cycle must be >= 1"),
    RangeRule(
        frozenset({"index_year"}),
        lambda x: (x < 1950) | (x > 2100),
        "year must be between 1950 and 2100",
    ),
    RangeRule(ACTIVITY_FIELDS, lambda x: x <= 0, "activity must be > 0"),
    RangeRule(
        ACTIVITY_FIELDS,
        lambda x: x > MAX_ACTIVITY_MBQ,
        f"activity must be at most {MAX_ACTIVITY_MBQ:.0f} MBq (10 TBq)",
    ),
    # warnings: implausible but possible
    RangeRule(
        DAY_FIELDS,
        lambda x: x > LONG_DAYS,
        f"more than 40 years ({LONG_DAYS} days): check the unit is days",
        "warning",
    ),
    RangeRule(
        frozenset({"age"}), lambda x: x > AGE_CAP - 1, "age over 89 is stored as 90", "warning"
    ),
    RangeRule(frozenset({"age"}), lambda x: x < 18, "age under 18: check the value", "warning"),
    RangeRule(
        frozenset({"first_activity_mbq", "activity_mbq"}),
        lambda x: x > 60000,
        "activity above 60000 MBq: check the unit is MBq",
        "warning",
    ),
    RangeRule(
        frozenset({"cumulative_activity_mbq"}),
        lambda x: x > 150000,
        "cumulative activity above 150000 MBq: check the unit is MBq",
        "warning",
    ),
    RangeRule(
        ACTIVITY_FIELDS,
        lambda x: x < 370,
        "activity below 370 MBq: check the unit is MBq (not GBq or mCi)",
        "warning",
    ),
    RangeRule(
        frozenset({"n_treatments"}),
        lambda x: x > 20,
        "more than 20 administrations: check the value",
        "warning",
    ),
)

RULE_REQUIRED = "a value is required"
RULE_REQUIRED_COLUMN = "required column is missing"
RULE_PATIENT_ID = (
    "patient ids must be study codes: letters, digits, '.', '_' or '-' (at most 64 characters)"
)
_PATIENT_ID_RE = r"[A-Za-z0-9._-]{1,64}"
RULE_ID_START = (
    "patient ids must start with a letter or digit (a leading '-', '.' or '_' is refused: "
    "spreadsheets and command lines misread it)"
)
RULE_TYPE = {
    "days": "days must be a whole number",
    "int": "must be a whole number",
    "float": "must be a number (no units or thousands separators)",
}
RULE_TOO_LARGE = f"must be at most {INT_MAX} (the largest whole number stored)"
RULE_BOOL = "not a yes/no value; use yes/no, true/false or 1/0"
RULE_EVENT = (
    "not an event value; use 1/0, yes/no, true/false, dead/alive or died/censored (1 = event)"
)
RULE_EVENT_R = RULE_EVENT + "; R's 1/2 status must be recoded (2 = dead -> 1, 1 = alive -> 0)"
RULE_CNSR = (
    "not a censor flag value; use 1/0 (1 = censored), yes/no, true/false, "
    "or the words dead/alive, died/censored"
)

_BOOL_MAP = {
    **dict.fromkeys(("1", "1.0", "yes", "y", "true", "t"), True),
    **dict.fromkeys(("0", "0.0", "no", "n", "false", "f"), False),
}
_EVENT_DIGITS = {
    **dict.fromkeys(("1", "1.0", "yes", "y", "true", "t"), 1),
    **dict.fromkeys(("0", "0.0", "no", "n", "false", "f"), 0),
}
_EVENT_WORDS = {
    **dict.fromkeys(("dead", "died", "death", "deceased", "event", "progressed"), 1),
    **dict.fromkeys(("alive", "censored", "censor", "living"), 0),
}

_CODE_SYNONYM_PAIRS = {
    "sex": "m=male f=female u=unknown man=male woman=female unk=unknown",
    "grade": "1=G1 2=G2 3=G3 x=GX grade1=G1 grade2=G2 grade3=G3",
    "route": "intravenous=IV intraarterial=IA hepaticarterial=IA",
    "agent": "mibg=i131_mibg 131imibg=i131_mibg iobenguane=i131_mibg i131iobenguane=i131_mibg "
    "lutathera=lu177_dotatate 177ludotatate=lu177_dotatate "
    "111inpentetreotide=in111_pentetreotide untreated=none",
    "symptomatic_response": "worsened=worse improvement=improved",
    "race": "caucasian=white africanamerican=black",
}
_CODE_SYNONYMS = {
    name: dict(pair.split("=") for pair in pairs.split())
    for name, pairs in _CODE_SYNONYM_PAIRS.items()
}


def code_lookup(f: Field) -> dict[str, str]:
    """Compact spelling (lowercase, letters and digits only) -> code, for a code field."""
    out: dict[str, str] = {}
    for code, label in zip(f.codes, f.code_labels, strict=True):
        out[_compact(label)] = code
    out.update(_CODE_SYNONYMS.get(f.name, {}))
    for code in f.codes:
        out[_compact(code)] = code
    return out


_LOOKUPS = {f.name: code_lookup(f) for f in PATIENT_FIELDS if f.kind == "code"}

TREATMENT_FIELDS: dict[str, Field] = {
    "patient_id": Field("patient_id", "text", "Patient", "", required=True),
    "cycle": Field("cycle", "int", "Cycle", "Administration number, 1 = first.", required=True),
    "day": Field("day", "days", "Day", "Day of the administration from the index date."),
    "route": PATIENTS["route"],
    "agent": PATIENTS["agent"],
    "activity_mbq": Field(
        "activity_mbq", "float", "Activity", "Administered activity.", unit="MBq"
    ),
    "approximated": Field("approximated", "bool", "Approximated", "Day approximated."),
}


@dataclass
class _Column:
    """One validated column: typed values per row and the raw-missing mask."""

    values: pd.Series
    missing: np.ndarray
    raw: np.ndarray  # shown value per unique (trimmed; masked if private), '' for the NA slot
    codes: np.ndarray

    def raw_at(self, rows: np.ndarray) -> np.ndarray:
        return self.raw[self.codes[rows]]


def _masked(x: np.ndarray, kind: str) -> pd.Series:
    """Float values with NaN for missing -> a nullable Int64 / Float64 / boolean Series."""
    na = np.isnan(x)
    filled = np.where(na, 0, x)
    if kind == "float":
        arr: Any = pd.arrays.FloatingArray(filled.astype(np.float64), na)
    elif kind == "bool":
        arr = pd.arrays.BooleanArray(filled == 1, na)
    else:
        arr = pd.arrays.IntegerArray(filled.astype(np.int64), na)
    return pd.Series(arr, copy=False)


@dataclass
class _Classes:
    """The rules applied to a column's distinct values (slot ``m`` = a missing cell).

    ``values`` are typed (float64 with NaN for numbers, bools and events; object for codes and
    text), ``rule`` None where the value breaks no rule, ``shown`` the value as a problem shows
    it (trimmed; masked under a privacy rule).
    """

    values: np.ndarray
    missing: np.ndarray
    rule: np.ndarray
    sev: np.ndarray
    shown: np.ndarray


def _classify(uniq: Any, f: Field, censor_flag: bool = False) -> _Classes:
    """Apply every value rule of field ``f`` to distinct raw values ``uniq`` (strings)."""
    # string work runs on the distinct values with Arrow kernels (RE2 regexes, C++ trim/lower)
    if isinstance(uniq, pa.Array):  # a dictionary from Arrow: wrapped, not converted
        ua = pd.Series(pd.arrays.ArrowStringArray(uniq), copy=False).str.strip()
    else:
        ua = pd.Series(uniq, dtype="string[pyarrow]").str.strip()
    u = ua.to_numpy(dtype=object)
    low = ua.str.lower()
    missing_u = low.isin(list(MISSING_TOKENS)).to_numpy(dtype=bool)
    m = len(u)
    rule = np.full(m + 1, None, dtype=object)
    sev = np.full(m + 1, "error", dtype=object)
    shown = np.append(u, "")
    missing_u = np.append(missing_u, True)
    if f.required:
        rule[missing_u] = RULE_REQUIRED
    present = ~missing_u[:m]
    kind = f.kind
    if kind in ("days", "int", "float"):
        num = pd.to_numeric(pd.Series(np.where(present, u, None)), errors="coerce").to_numpy(
            dtype=np.float64
        )
        finite = np.isfinite(num)
        bad = present & ~finite
        if kind in ("days", "int"):
            with np.errstate(invalid="ignore"):
                bad |= present & finite & (np.mod(num, 1) != 0)
        for i in np.flatnonzero(bad):
            shape = value_shape(u[i])
            rule[i] = shape or RULE_TYPE[kind]
            if shape:
                shown[i] = mask(u[i])
        num[bad] = np.nan
        ok = present & ~bad
        for r in RANGE_RULES:
            if f.name not in r.fields:
                continue
            with np.errstate(invalid="ignore"):
                hit = ok & r.test(num) & pd.isna(rule[:m])
            rule[:m][hit] = r.rule
            sev[:m][hit] = r.severity
            if r.severity == "error":
                num[hit] = np.nan
                ok &= ~hit
        if kind in ("days", "int"):  # a whole number the table's INTEGER cannot hold
            with np.errstate(invalid="ignore"):
                big = ok & (num > INT_MAX)
            rule[:m][big], sev[:m][big], num[big] = RULE_TOO_LARGE, "error", np.nan
        if f.name == "age":
            num = np.where(num > AGE_CAP - 1, AGE_CAP, num)
        typed: np.ndarray = np.append(num, np.nan)
    elif kind in ("code", "bool", "event"):
        if kind == "code":
            table_ = _LOOKUPS.get(f.name) or code_lookup(f)
            keys = [_compact(x) for x in u]
            bad_rule = f"not a valid code; allowed: {', '.join(f.codes)}"
        else:
            keys = low.to_numpy(dtype=object)
            if kind == "bool":
                table_, bad_rule = _BOOL_MAP, RULE_BOOL
            else:
                digits = (
                    {k: 1 - v for k, v in _EVENT_DIGITS.items()} if censor_flag else _EVENT_DIGITS
                )
                table_, bad_rule = (
                    {**digits, **_EVENT_WORDS},
                    RULE_CNSR if censor_flag else RULE_EVENT,
                )
        parsed = np.full(m + 1, None, dtype=object)
        for i in np.flatnonzero(present):
            v = table_.get(keys[i])
            if kind != "code" and v is not None:
                v = float(v)
            if v is None:
                shape = value_shape(u[i])
                if shape:
                    rule[i], shown[i] = shape, mask(u[i])
                elif kind == "event" and not censor_flag and keys[i] in ("2", "2.0"):
                    rule[i] = RULE_EVENT_R
                else:
                    rule[i] = bad_rule
            else:
                parsed[i] = v
        if kind == "code":
            typed = parsed
        else:
            typed = np.where(pd.isna(parsed), np.nan, parsed).astype(np.float64)
    else:  # text: patient ids
        screen = ua[present]
        opaque = screen.str.fullmatch(_PATIENT_ID_RE).to_numpy(dtype=bool)
        shaped = screen.str.fullmatch(_ANY_SHAPE_RE, case=False).to_numpy(dtype=bool)
        idx = np.flatnonzero(present)
        lead = screen.str.match(r"[._-]").to_numpy(dtype=bool)
        for i in idx[~opaque | shaped | lead]:
            shape = value_shape(u[i])
            if shape:
                rule[i], shown[i] = shape, mask(u[i])
            elif _re_full(_PATIENT_ID_RE, u[i]):
                rule[i] = RULE_ID_START
            else:
                rule[i] = RULE_PATIENT_ID
        typed = np.where(missing_u, None, np.append(u, None))
    return _Classes(typed, missing_u, rule, sev, shown)


def _check_column(
    s: pd.Series,
    f: Field,
    label: str,
    rownum: np.ndarray,
    p: _Problems,
    censor_flag: bool = False,
) -> _Column:
    """Validate one column on its distinct values; emit problems per row; return typed values."""
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    c = _classify(uniq, f, censor_flag)
    kind = f.kind
    if kind in ("code", "text"):
        values = pd.Series(c.values[codes], dtype=object)
    else:
        out = "float" if kind == "float" else "bool" if kind == "bool" else "int"
        values = _masked(c.values[codes], out)
    hit_rows = np.flatnonzero(~pd.isna(c.rule)[codes])
    if hit_rows.size:
        k = codes[hit_rows]
        p.add(label, c.rule[k], c.sev[k], rownum[hit_rows], c.shown[k])
    return _Column(values, c.missing[codes], c.shown, codes)


# ---------------------------------------------------------------------------------------------
# Prepare: validate everything, build typed frames
# ---------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """Validated, typed rows and every problem found.

    The patients are held as an Arrow table (``typed``: ``_row``, ``_seq`` and every patient
    field with its storage type, in no particular order); :attr:`patients` gives them as a
    pandas frame in file order, built on first use (the import itself never builds it).
    """

    typed: pa.Table
    treatments: pd.DataFrame
    problems: pd.DataFrame
    fields: dict[str, str]
    source: str = ""
    provenance: str = Provenance.IMPORTED.value
    """``synthetic`` only for the project's own example file, declared and unchanged."""
    fingerprint: str = ""
    """What :func:`data_version` hashes (input bytes, mapping, censor flag, rules version)."""

    @property
    def n_rows(self) -> int:
        return self.typed.num_rows

    @functools.cached_property
    def _frame(self) -> pd.DataFrame:
        return import_sql.sorted_frame(self.typed)

    @property
    def patients(self) -> pd.DataFrame:
        """The typed patients in file order (pandas; file ids, before pseudonymisation)."""
        return self._frame.drop(columns=["_row", "_seq"])

    @property
    def row_numbers(self) -> np.ndarray:
        return self._frame["_row"].to_numpy(dtype=np.int64)

    @property
    def ok(self) -> bool:
        return n_errors(self.problems) == 0

    @property
    def n_errors(self) -> int:
        return n_errors(self.problems)

    @property
    def n_warnings(self) -> int:
        return n_warnings(self.problems)

    def status(self) -> tuple[str, str]:
        """(streamlit level, sentence) summarising the check: error, warning or success."""
        counts = (
            f"{self.n_errors:,} error(s), {self.n_warnings:,} warning(s) in {self.n_rows:,} rows."
        )
        if self.n_errors:
            return (
                "error",
                f"{counts} Fix the errors in the file (or the mapping) and upload it again.",
            )
        if self.n_warnings:
            return "warning", f"{counts} Warnings do not block the import; check them."
        return "success", f"No problems found in {self.n_rows:,} rows."

    def preview(self, n: int = 10) -> pd.DataFrame:
        """The first ``n`` rows as they will be stored (mapped fields only), with row numbers."""
        cols = [f.name for f in PATIENT_FIELDS if f.name in self.fields]
        first = pc.less_equal(self.typed.column("_seq"), n)
        head = import_sql.sorted_frame(self.typed.filter(first))
        out = head[cols].copy()
        out.insert(0, "row", head["_row"].to_numpy(dtype=np.int64))
        return out


def _all_missing(kind: str, n: int) -> Any:
    """A length-``n`` column of missing values with the storage dtype of ``kind``."""
    mask_ = np.ones(n, dtype=bool)
    if kind in ("code", "text"):
        return np.full(n, None, dtype=object)
    if kind == "float":
        return pd.arrays.FloatingArray(np.zeros(n), mask_)
    if kind == "bool":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), mask_)
    return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), mask_)


def _empty_treatments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series(dtype=object),
            "cycle": pd.Series(dtype="Int64"),
            "day": pd.Series(dtype="Int64"),
            "route": pd.Series(dtype=object),
            "agent": pd.Series(dtype=object),
            "activity_mbq": pd.Series(dtype="Float64"),
            "approximated": pd.Series(dtype=bool),
        }
    )


def _rules(template: str, numbers: Iterable[Any]) -> np.ndarray:
    """Per-row rule texts (only rows that break a rule are formatted)."""
    return np.array([template.format(x) for x in numbers], dtype=object)


_PFS = ("pfs_imaging", "pfs_symptom", "pfs_biochem")
_AFTER_OS = ("pfs_imaging_days", "pfs_symptom_days", "pfs_biochem_days", "imaging_response_days")
TRACKED = frozenset(
    {f"{n}_{x}" for n in _PFS for x in ("days", "event")}
    | {"imaging_response_days", "cumulative_activity_mbq", "os_days", "death_cause"}
)
"""Fields whose per-row class index and missing flag the cross-field checks need."""


def _cross_checks(
    st: import_sql.Staging, fields: set[str], shown: dict[str, np.ndarray], p: _Problems
) -> None:
    """Rules between fields, as SQL over the typed rows (values shown as the file has them):
    every rule's rows from one scan, reported rule by rule in the order below."""
    checks: list[tuple[str, tuple[str, ...]]] = []
    report: list[tuple[str, Callable[[dict[str, np.ndarray]], Any]]] = []

    def check(
        name: str, cond: str, rule: Callable[[dict[str, np.ndarray]], Any], *more: str
    ) -> None:
        checks.append((cond, (f"k_{name}", *more)))
        report.append((name, rule))

    for name in _PFS:
        t, e = f"{name}_days", f"{name}_event"
        if e in fields:
            cond = import_sql.cross_condition("event_without_time", e, t if t in fields else None)
            check(e, cond, lambda _r, t=t: f"event given without {t}")
        if t in fields:
            cond = import_sql.cross_condition("event_without_time", t, e if e in fields else None)
            check(t, cond, lambda _r, e=e: f"time given without {e}")
    if "os_days" in fields:
        for name in _AFTER_OS:
            if name in fields:
                cond = import_sql.cross_condition("after", name, "os_days")
                check(
                    name,
                    cond,
                    lambda r: _rules("must not be after os_days ({:.0f})", r["os_days"]),
                    "os_days",
                )
    if {"death_cause", "os_event"} <= fields:
        cond = import_sql.cross_condition("given_when_zero", "death_cause", "os_event")
        check("death_cause", cond, lambda _r: death_cause.RULE)
    if {"first_activity_mbq", "cumulative_activity_mbq"} <= fields:
        name = "cumulative_activity_mbq"
        cond = import_sql.cross_condition("below", name, "first_activity_mbq")
        check(
            name,
            cond,
            lambda r: _rules(
                "must not be less than first_activity_mbq ({:g})", r["first_activity_mbq"]
            ),
            "first_activity_mbq",
        )
    for (name, rule), res in zip(report, import_sql.rows_where_each(st, checks), strict=True):
        k = res[f"k_{name}"].astype(np.int64)
        p.add(name, rule(res), "error", res["_row"], shown[name][k])


def _duplicates(
    ids: _Column,
    rownum: np.ndarray,
    label: str,
    rule: str,
    p: _Problems,
    key: np.ndarray | None = None,
) -> None:
    """Report every later occurrence of a key, naming the row where it was first seen."""
    codes = ids.codes if key is None else key
    valid = (~ids.missing) & (codes >= 0)
    if not valid.any():
        return
    first = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    pos = np.flatnonzero(valid)
    uc, fi = np.unique(codes[pos], return_index=True)
    first[uc] = pos[fi]
    later = valid & (first[np.where(codes >= 0, codes, 0)] != np.arange(codes.size))
    rows = np.flatnonzero(later)
    if rows.size:
        p.add(
            label,
            _rules(rule + " (first seen in row {})", rownum[first[codes[rows]]]),
            "error",
            rownum[rows],
            ids.raw_at(rows),
        )


def _check_unmapped(sheet: Sheet, i: int, label: str, p: _Problems, suggestion: str | None) -> None:
    """Refuse a column outside the data model, naming identifier-shaped values if any."""
    head = sheet.column(i).slice(0, 5000).to_pylist()
    rows = sheet.table.column("_row").slice(0, 5000).to_pylist()
    for v, row in zip(head, rows, strict=True):
        v = str(v).strip()
        if v and (shape := value_shape(v)):
            p.add(
                label,
                f"column is not in the data model and holds {_SHAPE_NOUN[shape]}; "
                "identifiers and dates are not allowed: remove the column",
                "error",
                [row],
                [mask(v)],
            )
            return
    hint = f" (did you mean {suggestion}?)" if suggestion else ""
    p.add(label, f"column is not in the data model{hint}; map it to a field or drop it")


def _column_guard(col: str, p: _Problems, label: str | None = None) -> bool:
    """Identifier- or date-named column: report it and return False (its values are not read)."""
    what = identifier_name(col)
    if what:
        p.add(label or col, _rule_identifier_name(what))
        return False
    if date_name(col):
        p.add(label or col, RULE_DATE_NAME)
        return False
    return True


class _Stage:
    def __init__(self, progress: Progress | None, lo: float, hi: float) -> None:
        self.progress, self.lo, self.hi = progress, lo, hi

    def __call__(self, frac: float, msg: str) -> None:
        if self.progress:
            self.progress(self.lo + (self.hi - self.lo) * min(max(frac, 0.0), 1.0), msg)


RULE_DECLARED = (
    "the file declares provenance '{}', but only the project's own synthetic example "
    "(data/import_example.csv, unchanged) keeps a declared provenance: it is imported as real "
    "data ('imported')"
)


@functools.lru_cache(maxsize=4)
def _example_hash(_stamp: tuple[int, int]) -> tuple[int, str]:
    prepared = _prepare(read_input(EXAMPLE_PATH))
    frames = CohortFrames(prepared.patients, prepared.treatments, pd.DataFrame())
    return prepared.n_rows, content_hash(frames)


def is_project_example(prepared: Prepared) -> bool:
    """True when ``prepared`` holds exactly the rows of the project's synthetic example file."""
    if not prepared.ok or len(prepared.treatments) or not EXAMPLE_PATH.exists():
        return False
    st_ = EXAMPLE_PATH.stat()
    n, want = _example_hash((st_.st_mtime_ns, st_.st_size))
    if prepared.n_rows != n:  # a large file is told apart without building its frame
        return False
    frames = CohortFrames(prepared.patients, prepared.treatments, pd.DataFrame())
    return content_hash(frames) == want


DATA_VERSION_TAG = "net-import-2"
"""Bumped whenever the import rules change what a given file stores."""


def _fingerprint(raw: RawInput, fields: dict[str, str], censor_flag: bool) -> str:
    h = hashlib.sha256(DATA_VERSION_TAG.encode())
    h.update(raw.digest.encode())
    h.update(repr(sorted(fields.items())).encode())
    h.update(b"cnsr" if censor_flag else b"event")
    return h.hexdigest()


def data_version(prepared: Prepared, cohort_id: str) -> str:
    """The data version of an import: the first 12 hex digits of a SHA-256 over the rules
    version (:data:`DATA_VERSION_TAG`), the SHA-256 of the input file's bytes (and of the
    treatments file's), the column mapping, the censor-flag setting and the cohort id.

    Deterministic (the same file imported the same way under the same id gets the same
    version), independent of the DuckDB version, and cheap (the bytes are hashed once while
    reading, about 0.06 s for 68 MB).
    """
    h = hashlib.sha256(prepared.fingerprint.encode())
    h.update(cohort_id.encode())
    return h.hexdigest()[:12]


def prepare(
    raw: RawInput,
    mapping: dict[str, str | None] | None = None,
    *,
    censor_flag: bool = False,
    progress: Progress | None = None,
) -> Prepared:
    """Validate ``raw`` under ``mapping``; every problem is reported, nothing is written.

    The result's provenance is ``imported`` (real data) unless the file declares
    ``# provenance: synthetic`` and its rows are exactly those of the project's example file;
    any other declaration is ignored with a warning.
    """
    prepared = _prepare(raw, mapping, censor_flag=censor_flag, progress=progress)
    declared = raw.declared_provenance
    if declared is None:
        return prepared
    if declared == Provenance.SYNTHETIC.value and is_project_example(prepared):
        return dataclasses.replace(prepared, provenance=Provenance.SYNTHETIC.value)
    p = _Problems()
    p.extend(prepared.problems)
    p.add("file", RULE_DECLARED.format(declared[:40]), "warning")
    return dataclasses.replace(prepared, problems=p.frame())


_ARROW_TYPES = {
    "code": pa.dictionary(pa.int32(), pa.string()),
    "text": pa.string(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "int": pa.int32(),
    "days": pa.int32(),
    "event": pa.int8(),
}
"""The checked rows' types: those of the table (INTEGER, TINYINT, ...), so the insert casts
nothing per row; a code column is the codes of its distinct values with an index per row."""


def _classes_values(c: _Classes, m: int, kind: str) -> pa.Array:
    """The typed value of each distinct value, with its storage type (null where missing or
    breaking an error rule)."""
    if kind in ("code", "text"):
        return pa.array(c.values[:m], type=pa.string())
    x = np.asarray(c.values[:m], dtype=np.float64)
    na = np.isnan(x)
    filled = np.where(na, 0, x)
    if kind == "float":
        return pa.array(filled, mask=na)
    if kind == "bool":
        return pa.array(filled == 1, mask=na)
    return pa.array(filled.astype(np.int8 if kind == "event" else np.int32), mask=na)


_ID_OK_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""A study code that needs no further look: :data:`_PATIENT_ID_RE`, starting with a letter or
digit, with nothing to trim."""
_ID_SUSPECT_RE = (
    f"^(?:{_ANY_SHAPE_RE}|{'|'.join(sorted(t for t in MISSING_TOKENS if t.isalpha()))})$"
)
"""Study-code-like ids that still need a look: identifier or date shapes, missing tokens."""


class _Inline:
    """An executor that runs each task at once (threads cost more than they save on small
    files)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        done: Future = Future()
        done.set_result(fn(*args))
        return done

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None


PARALLEL_ROWS = 50_000
"""From this many rows the column work runs on two threads (Arrow kernels release the GIL)."""


def _pool(n_rows: int) -> ThreadPoolExecutor | _Inline:
    return ThreadPoolExecutor(max_workers=2) if n_rows >= PARALLEL_ROWS else _Inline()


def _encode(col: pa.ChunkedArray) -> pa.DictionaryArray:
    """A column's distinct values and, per row, the index of its value (an absent cell, which
    the readers never produce, counts as an empty one)."""
    col = col.combine_chunks()
    return pc.dictionary_encode(pc.fill_null(col, "") if col.null_count else col)


def _all_distinct(ids: pa.Array) -> bool:
    """Whether the given (non-null) ids are all different: one hash pass, which lets the
    common case skip the duplicate query. Ids that rise strictly from row to row (a file
    sorted by id, common for exports) are distinct without hashing: one comparison pass."""
    if ids.null_count == 0 and len(ids) > 1:
        rising = pc.all(pc.greater(ids.slice(1), ids.slice(0, len(ids) - 1))).as_py()
        if rising:
            return True
    return len(pc.unique(ids)) - (1 if ids.null_count else 0) == len(ids) - ids.null_count


def _screen_ids(col: pa.ChunkedArray, f: Field) -> tuple[pa.Array, np.ndarray, _Classes]:
    """Patient ids, screened row by row with two RE2 passes (ids are nearly all distinct, so
    there is nothing to gain from distinct values); only flagged ids reach Python, where
    :func:`_classify` applies the rule table to them.

    Flagged: anything but a study code starting with a letter or digit (surrounding spaces,
    missing tokens, other characters, too long) and any id shaped like an identifier or a
    date. Returns the trimmed ids (null where missing), the positions of flagged rows and
    their classes (one per flagged row, in that order).
    """
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    col = pc.fill_null(col, "") if col.null_count else col  # (the readers give no nulls)
    ok = pc.match_substring_regex(col, _ID_OK_RE)
    suspect = pc.match_substring_regex(col, _ID_SUSPECT_RE, ignore_case=True)
    hit = np.flatnonzero(pc.or_(pc.invert(ok), suspect).to_numpy(zero_copy_only=False))
    raw_hit = col.take(pa.array(hit, type=pa.int64())).to_numpy(zero_copy_only=False)
    classes = _classify(raw_hit, f)
    ids: pa.Array = col
    if hit.size:  # flagged ids are stored trimmed, or as null when missing
        fixed = np.where(classes.missing[: hit.size], None, classes.values[: hit.size])
        mask_ = np.zeros(len(col), dtype=bool)
        mask_[hit] = True
        ids = pc.replace_with_mask(col, pa.array(mask_), pa.array(fixed, type=pa.string()))
    return ids, hit, classes


_BREAK_RULES = frozenset(RULE_CONTROL.format(f"U+{ord(c):04X}") for c in "\t\n\r")


def _without_dropped_breaks(
    problems: pd.DataFrame, mapping: dict[str, str | None] | None
) -> pd.DataFrame:
    """The reading's problems less a tab or line break inside a cell of a dropped column (a
    multi-line comment the user drops is not read); other control characters still count."""
    dropped = {shorten(_shown_column(c)) for c, f in (mapping or {}).items() if f is None}
    if not dropped or problems.empty:
        return problems
    return problems[~(problems["column"].isin(dropped) & problems["rule"].isin(_BREAK_RULES))]


def _prepare(
    raw: RawInput,
    mapping: dict[str, str | None] | None = None,
    *,
    censor_flag: bool = False,
    progress: Progress | None = None,
) -> Prepared:
    """Check every rule; the row-level work is SQL over the staged rows (see docs/IMPORT.md).

    Each mapped column's distinct raw values are classified once by :func:`_classify` (the
    rule table; messages, masking and typed values); the classes are joined back to the rows
    in DuckDB, which also runs the duplicate and cross-field checks and the derivations from
    treatments. Patient ids are screened row by row with Arrow kernels.
    """
    say = _Stage(progress, 0.0, 1.0)
    p = _Problems()
    p.extend(_without_dropped_breaks(raw.problems, mapping))
    sheet = raw.sheet
    names = list(sheet.names)
    res = resolve_mapping(names, mapping)
    p.extend(res.problems)
    suggestions = suggest_mapping(res.unknown)
    for col in res.unknown:
        if _column_guard(col, p):
            _check_unmapped(sheet, names.index(col), col, p, suggestions.get(col))
    fields = {f: c for f, c in res.fields.items() if _column_guard(c, p)}
    for f in PATIENT_FIELDS:
        if names and f.required and f.name not in res.fields:
            p.add(f.name, RULE_REQUIRED_COLUMN)
    ordered = sorted(fields.items(), key=lambda kv: names.index(kv[1]))  # file order
    raw_col = {fname: f"c{names.index(user)}" for fname, user in ordered}
    table = sheet.table
    pid_shown: dict[str, str] = {}
    parts: dict[str, tuple[np.ndarray, np.ndarray, _Classes]] = {}
    shown: dict[str, np.ndarray] = {}
    rows_all = sheet.rows
    cols: dict[str, Any] = {"_row": table.column("_row"), "_seq": table.column("_seq")}
    with _pool(len(sheet)) as pool:
        encoded = {
            fname: pool.submit(_encode, table.column(raw_col[fname]))
            for fname, _ in ordered
            if fname != "patient_id"
        }
        if "patient_id" in fields:
            say(0.05, "Checking patient_id")
            ids, hit, cls = _screen_ids(
                sheet.table.column(raw_col["patient_id"]), PATIENTS["patient_id"]
            )
            table = table.append_column("_pid", ids)
            distinct = pool.submit(_all_distinct, ids)
            parts["patient_id"] = (rows_all[hit], np.arange(hit.size), cls)
            pid_shown = {
                str(u): str(sh)
                for u, sh in zip(cls.values[: hit.size], cls.shown[: hit.size], strict=True)
                if u is not None and u != sh
            }
        for i, (fname, _) in enumerate(ordered):
            if fname == "patient_id":
                continue
            say(0.1 + 0.5 * i / max(len(ordered), 1), f"Checking {fname}")
            f = PATIENTS[fname]
            d = encoded[fname].result()
            idx = d.indices.to_numpy()  # int32, no copy (cells are never null)
            cls = _classify(d.dictionary, f, censor_flag)
            m = len(d.dictionary)
            shown[fname] = cls.shown
            flag_u = ~pd.isna(cls.rule[:m])
            if flag_u.any():
                hit = np.flatnonzero(flag_u[idx])
                parts[fname] = (rows_all[hit], idx[hit], cls)
            vals = _classes_values(cls, m, f.kind)
            cols[fname] = (
                pa.DictionaryArray.from_arrays(d.indices, vals)
                if f.kind == "code"
                else pool.submit(pc.take, vals, d.indices)
            )
            if fname in TRACKED:
                cols[f"k_{fname}"] = d.indices
                cols[f"m_{fname}"] = pa.array(cls.missing[:m][idx])
        cols = {k: v.result() if isinstance(v, Future) else v for k, v in cols.items()}
    for fname, _ in ordered:  # problems in file order of the columns
        if fname in parts:
            rows, k, cls = parts[fname]
            keep = ~pd.isna(cls.rule[k])
            p.add(fname, cls.rule[k[keep]], cls.sev[k[keep]], rows[keep], cls.shown[k[keep]])
    say(0.65, "Typing the rows")
    typed_cols: dict[str, Any] = {"_row": cols["_row"], "_seq": cols["_seq"]}
    for f in PATIENT_FIELDS:  # the file's fields only: SQL sees the others as NULL columns
        if f.name == "patient_id" and "patient_id" in fields:
            typed_cols[f.name] = table.column("_pid")
        elif f.name in cols:
            typed_cols[f.name] = cols[f.name]
    extra = {k: v for k, v in cols.items() if k[:2] in ("k_", "m_")}
    typed = pa.table(typed_cols)
    with import_sql.Staging(pa.table({**typed_cols, **extra})) as st:
        say(0.75, "Checking consistency between fields")
        if "patient_id" in fields and not distinct.result():
            rows, first, ids = import_sql.duplicate_ids(st)
            p.add(
                "patient_id",
                _rules("duplicate patient_id (first seen in row {})", first),
                "error",
                rows,
                np.array([pid_shown.get(v, v) for v in ids], dtype=object),
            )
        _cross_checks(st, set(fields), shown, p)
        treatments = _empty_treatments()
        if raw.treatments is not None:
            say(0.85, "Checking treatments")
            pts = import_sql.id_and_os(st)
            treatments = _prepare_treatments(raw.treatments, pts, set(fields), p)
            tx = pa.Table.from_pandas(treatments, preserve_index=False)
            rows, given, count, derived = import_sql.derive_from_treatments(
                st, tx, frozenset(fields) & DERIVED_FIELDS
            )
            if derived is not None:  # the file's fields and the derived summaries
                keep = [
                    c
                    for c in derived.column_names
                    if c in typed.column_names or c in DERIVED_FIELDS
                ]
                typed = derived.select(keep).cast(
                    pa.schema(
                        (c, _ARROW_TYPES[PATIENTS[c].kind]) if c in PATIENTS else typed.field(c)
                        for c in keep
                    )
                )
            p.add(
                "n_treatments",
                _rules("does not match the {} administrations in the treatments", count),
                "warning",
                rows,
                given.astype(str).astype(object),
            )
    say(1.0, "Checked")
    return Prepared(
        typed,
        treatments,
        p.frame(),
        fields,
        raw.source,
        fingerprint=_fingerprint(raw, fields, censor_flag),
    )


DERIVED_FIELDS = frozenset(
    {"n_treatments", "first_activity_mbq", "cumulative_activity_mbq", "route", "agent"}
)


def _prepare_treatments(
    df: pd.DataFrame, patients: pd.DataFrame, pcols: set[str], p: _Problems
) -> pd.DataFrame:
    rownum = np.asarray(df.index, dtype=np.int64)
    by_compact = {_compact(k): k for k in TREATMENT_FIELDS}
    fields: dict[str, str] = {}
    for col in df.columns:
        label = f"treatments.{col}"
        if not _column_guard(col, p, label):
            continue
        target = by_compact.get(_compact(col))
        if target is None:
            p.add(label, f"not a treatments column; allowed: {', '.join(TREATMENT_FIELDS)}")
        elif target in fields:
            p.add(
                f"treatments.{target}",
                f'columns "{fields[target]}" and "{col}" are both {target}; keep one',
            )
        else:
            fields[target] = col
    for name, f in TREATMENT_FIELDS.items():
        if f.required and name not in fields:
            p.add(f"treatments.{name}", RULE_REQUIRED_COLUMN)
    n = len(df)
    tx = pd.DataFrame(
        {
            k: pd.Series(
                [None] * n if v.dtype == object else pd.NA,
                index=range(n),
                dtype="boolean" if v.dtype == bool else v.dtype,
            )
            for k, v in _empty_treatments().items()
        }
    )
    cols: dict[str, _Column] = {}
    for name, user_col in fields.items():
        c = _check_column(df[user_col], TREATMENT_FIELDS[name], f"treatments.{name}", rownum, p)
        cols[name] = c
        tx[name] = c.values
    if "patient_id" in cols and "patient_id" in pcols:
        known = tx["patient_id"].isin(patients["patient_id"].dropna()).to_numpy()
        rows = np.flatnonzero(~known & ~cols["patient_id"].missing)
        p.add(
            "treatments.patient_id",
            "no such patient_id in the patients file",
            "error",
            rownum[rows],
            cols["patient_id"].raw_at(rows),
        )
        if "cycle" in cols:
            key = pd.MultiIndex.from_arrays([tx["patient_id"], tx["cycle"]])
            kcodes, _ = pd.factorize(key, use_na_sentinel=True)
            _duplicates(
                cols["cycle"],
                rownum,
                "treatments.cycle",
                "this cycle is already given for the patient",
                p,
                key=np.where(cols["cycle"].missing | cols["patient_id"].missing, -1, kcodes),
            )
        if "day" in cols and "os_days" in patients:
            os_map = pd.Series(
                patients["os_days"].to_numpy(dtype=np.float64, na_value=np.nan),
                index=patients["patient_id"],
            ).dropna()
            os_map = os_map[~os_map.index.duplicated()]
            osd = tx["patient_id"].map(os_map).to_numpy(dtype=np.float64, na_value=np.nan)
            d = tx["day"].to_numpy(dtype=np.float64, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                rows = np.flatnonzero(d > osd)
            rules = _rules("must not be after the patient's os_days ({:.0f})", osd[rows])
            p.add(
                "treatments.day",
                rules,
                "error",
                rownum[rows],
                cols["day"].raw_at(rows),
            )
    tx["approximated"] = tx["approximated"].fillna(False).astype(bool)
    return tx.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    ok: bool
    cohort_id: str
    problems: pd.DataFrame
    action: str = ""
    n_patients: int = 0
    n_treatments: int = 0
    content_hash: str = ""
    replaced_n: int | None = None
    seconds: float = 0.0
    db_path: str = ""
    provenance: str = Provenance.IMPORTED.value
    key_source: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)
    timings: tuple[tuple[str, float], ...] = ()
    """Seconds per stage, for ``speed/import_speed.py``: ``read``, ``check``, ``open`` (the
    target's check, the lock and the copy of the database), ``write`` (staging, checks and
    inserts), ``publish`` (commit, checkpoint and rename)."""
    replaced_provenance: str = ""
    """The provenance of the cohort a replace removed ('' for a new cohort)."""

    @functools.cached_property
    def pseudonyms(self) -> pd.DataFrame | None:
        """The user's key: ``row, patient_id_in_file, study_id`` (never stored in the
        database); built on first use."""
        return self.key_source() if self.key_source is not None else None

    @property
    def n_errors(self) -> int:
        return n_errors(self.problems)

    @property
    def n_warnings(self) -> int:
        return n_warnings(self.problems)

    def summary(self, before: str | None = None) -> str:
        """One paragraph; ``before``: the replaced cohort's size as the viewer may see it
        (the page passes '<11' in protected mode), else the exact number."""
        if not self.ok:
            first = messages(self.problems[self.problems["severity"] == "error"].head(1))
            return (
                f"Nothing was imported: {self.n_errors} error(s) and {self.n_warnings} warning(s); "
                f"the database was not changed. First error: {first[0] if first else '-'}"
            )
        before = before or f"{self.replaced_n or 0:,}"
        verb = (
            f"Replaced cohort {self.cohort_id} ({before} patients before)"
            if self.action == "replace"
            else f"Imported cohort {self.cohort_id}"
        )
        warn = f" with {self.n_warnings:,} warning(s)" if self.n_warnings else " with no warnings"
        return (
            f"{verb}: {self.n_patients:,} patients and {self.n_treatments:,} administrations{warn}; "
            f"data version {self.content_hash}, provenance '{self.provenance}'. "
            f"Patient ids were replaced by study pseudonyms ({pseudonym(self.cohort_id, 1, 1)} "
            f"...); the file's ids are not stored. Logged as '{self.action}' in the import log "
            f"({self.seconds:.1f} s)."
        )


class StagingCheckFailed(RuntimeError):
    """A re-check of the staged or written rows failed (a validation bug, or rows of the
    cohort left in the database without its ``cohorts`` row); nothing was written."""


def validate_cohort_id(cohort_id: str) -> str | None:
    if not COHORT_ID_RE.fullmatch(cohort_id or ""):
        return "cohort id must be 1-40 characters of lowercase letters, digits and '-'"
    if not cohort_id[0].isalnum():
        return "cohort id must start with a letter or digit"
    return None


def _exists_rule(cohort_id: str) -> str:
    return (
        f'cohort "{cohort_id}" already exists; use --replace '
        "(on the page: 'Replace the existing cohort') to replace it"
    )


def _protected_rule(cohort_id: str, provenance: str, verb: str) -> str:
    return (
        f'cohort "{cohort_id}" is a default {provenance} cohort; {verb} it needs --force '
        "(restore the defaults with `python -m core build --force`)"
    )


def _stage(con: Any, prepared: Prepared) -> None:
    try:
        import_sql.stage(con, prepared.typed.drop_columns(["_row"]), prepared.treatments)
    except ValueError as exc:
        raise StagingCheckFailed(str(exc)) from exc


def _check_staged(con: Any, n_patients: int, n_treatments: int) -> None:
    """Re-check the staged rows in SQL: counts, unique ids, OS present, PFS <= OS, references."""
    name = import_sql.failed_staging_check(con, n_patients, n_treatments)
    if name is not None:
        raise StagingCheckFailed(f"staged rows failed the '{name}' check; nothing was written")


def _delete_rows(con: Any, cohort_id: str) -> None:
    import_sql.delete_rows(con, cohort_id)


def _insert_from_stage(
    con: Any, cohort_id: str, meta: dict, version: str, n: int, n_treatments: int | None = None
) -> None:
    try:
        import_sql.insert_from_stage(
            con,
            cohort_id,
            title=meta["title"],
            description=meta["description"],
            provenance=meta["provenance"],
            n_patients=n,
            version=version,
            width=_pseudonym_width(n),
            n_treatments=n_treatments,
        )
    except ValueError as exc:  # a count check after the insert (the transaction is undone)
        raise StagingCheckFailed(str(exc)) from exc


def _write_log(con: Any, cohort_id: str, action: str, n_rows: int, version: str) -> None:
    import_sql.write_log(con, cohort_id, action, n_rows, version)


def pseudonym(cohort_id: str, i: int, n: int) -> str:
    """The study id of the ``i``-th patient (1-based, file order) of ``n``: ``<cohort>-0001``."""
    return f"{cohort_id}-{i:0{max(4, len(str(n)))}d}"


def _pseudonym_width(n: int) -> int:
    return max(4, len(str(n)))


def pseudonym_key(prepared: Prepared, cohort_id: str) -> pd.DataFrame:
    """The key linking study pseudonyms to the file's ids: ``row, patient_id_in_file,
    study_id`` in file order. Pseudonyms are ``<cohort>-0001``, ``<cohort>-0002``, ... in file
    order: they carry nothing of the file's id (no hash that could be recomputed from a guessed
    id), and the key goes only to the user, never to the database."""
    return import_sql.key_frame(
        prepared.typed.select(["_row", "_seq", "patient_id"]),
        cohort_id,
        _pseudonym_width(prepared.n_rows),
    )


def _clean_title(title: str | None, cohort_id: str) -> str:
    t = re.sub(r"[\x00-\x1f\x7f]", " ", (title or "").strip())[:200]
    return t or f"Imported cohort {cohort_id}"


def removable_cohorts(db: Path | str | None = None) -> list[str]:
    """Cohorts a user added by an import: replaceable and deletable without ``force``."""
    return import_sql.imported_cohort_ids(db)


def precheck(
    cohort_id: str, db: Path | str | None, replace: bool, force: bool = False
) -> pd.DataFrame:
    """Problems with the target (cohort id, existing cohort) seen from a read-only connection."""
    p = _Problems()
    bad = validate_cohort_id(cohort_id)
    if bad:
        p.add("cohort_id", bad, "error", None, cohort_id)
        return p.frame()
    info = core_db.cohort_info(cohort_id, db)
    if info is not None:
        if not replace:
            p.add("cohort_id", _exists_rule(cohort_id), "error", None, cohort_id)
        elif (
            info.provenance != Provenance.IMPORTED.value
            and not force
            and cohort_id not in removable_cohorts(db)
        ):
            p.add(
                "cohort_id",
                _protected_rule(cohort_id, info.provenance, "replacing"),
                "error",
                None,
                cohort_id,
            )
    return p.frame()


def commit(
    prepared: Prepared,
    cohort_id: str,
    *,
    title: str | None = None,
    db: Path | str | None = None,
    replace: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    wait: bool = True,
    target: pd.DataFrame | None = None,
) -> ImportReport:
    """Write a validated cohort atomically; refuse (nothing written) on any error.

    ``target``: the problems :func:`precheck` found for this cohort id, database, ``replace``
    and ``force`` (:func:`import_file` runs it while the file is read); None: run it here.
    The write transaction checks the target again under the writers' lock either way.
    """
    t0 = t_open = time.perf_counter()
    say = _Stage(progress, 0.0, 1.0)
    path = Path(db) if db is not None else core_db.default_db_path()
    problems = prepared.problems
    if target is None:
        target = precheck(cohort_id, path, replace, force)
    if len(target):
        p = _Problems()
        p.extend(target)
        p.extend(problems)
        problems = p.frame()
    if n_errors(problems):
        return ImportReport(False, cohort_id, problems, db_path=str(path))
    n, n_tx = prepared.n_rows, len(prepared.treatments)
    say(0.05, "Computing the data version")
    version = data_version(prepared, cohort_id)
    synthetic = prepared.provenance == Provenance.SYNTHETIC.value
    meta = {
        "title": _clean_title(title, cohort_id),
        "provenance": prepared.provenance,
        "description": (
            f"The project's synthetic example file (data/import_example.csv), imported: "
            f"{n:,} generated patients, not real ones."
            if synthetic
            else f"Real de-identified data imported by a user: {n:,} patients, "
            f"{n_tx:,} administrations. Validated on import (see docs/IMPORT.md)."
        ),
    }
    say(0.15, "Copying the database")
    try:
        with write_transaction(path, wait=wait) as con:
            t_write = time.perf_counter()
            existing = import_sql.cohort_row(con, cohort_id)
            if existing and not replace:
                raise _refuse("cohort_id", _exists_rule(cohort_id), cohort_id)
            if (
                existing
                and existing[0] != Provenance.IMPORTED.value
                and not force
                and not import_sql.was_imported(con, cohort_id)
            ):
                raise _refuse(
                    "cohort_id", _protected_rule(cohort_id, existing[0], "replacing"), cohort_id
                )
            say(0.35, "Staging rows (study pseudonyms replace the file's ids)")
            _stage(con, prepared)
            say(0.55, "Checking staged rows")
            _check_staged(con, n, n_tx)
            if existing:
                _delete_rows(con, cohort_id)
            say(0.7, "Writing rows")
            _insert_from_stage(con, cohort_id, meta, version, n, n_treatments=n_tx)
            action = "replace" if existing else "import"
            _write_log(con, cohort_id, action, n, version)
            say(0.85, "Publishing")
            t_publish = time.perf_counter()
    except ImportRefused as exc:
        return ImportReport(False, cohort_id, exc.problems, db_path=str(path))
    t_done = time.perf_counter()
    say(1.0, "Done")
    return ImportReport(
        True,
        cohort_id,
        problems,
        action=action,
        n_patients=n,
        n_treatments=n_tx,
        content_hash=version,
        replaced_n=int(existing[1]) if existing else None,
        replaced_provenance=existing[0] if existing else "",
        seconds=time.perf_counter() - t0,
        db_path=str(path),
        provenance=prepared.provenance,
        key_source=functools.partial(pseudonym_key, prepared, cohort_id),
        timings=(
            ("open", t_write - t_open),
            ("write", t_publish - t_write),
            ("publish", t_done - t_publish),
        ),
    )


def import_file(
    source: Source,
    cohort_id: str,
    *,
    filename: str | None = None,
    title: str | None = None,
    db: Path | str | None = None,
    replace: bool = False,
    force: bool = False,
    censor_flag: bool = False,
    treatments: Source | None = None,
    treatments_filename: str | None = None,
    mapping: dict[str, str | None] | None = None,
    progress: Progress | None = None,
    wait: bool = True,
) -> ImportReport:
    """Read, validate and import one file; see the module docstring. Never raises on bad input:
    the report's ``ok`` is False and ``problems`` says why (the database is untouched)."""
    t0 = time.perf_counter()
    say = progress or (lambda _f, _m: None)
    say(0.0, "Reading the file")
    # The target's check (a read-only look at the database) runs while the file is read.
    with ThreadPoolExecutor(max_workers=1) as ex:
        target = ex.submit(precheck, cohort_id, db, replace, force)
        raw = read_input(
            source, filename, treatments=treatments, treatments_filename=treatments_filename
        )
        t_read = time.perf_counter()
        prepared = prepare(
            raw, mapping, censor_flag=censor_flag, progress=_Stage(progress, 0.1, 0.6)
        )
        t_check = time.perf_counter()
        target_problems = target.result()
    report = commit(
        prepared,
        cohort_id,
        title=title,
        db=db,
        replace=replace,
        force=force,
        progress=_Stage(progress, 0.6, 1.0),
        wait=wait,
        target=target_problems,
    )
    stages = (("read", t_read - t0), ("check", t_check - t_read), *report.timings)
    return dataclasses.replace(report, seconds=time.perf_counter() - t0, timings=stages)


@dataclass(frozen=True)
class DeleteReport:
    cohort_id: str
    provenance: str
    n_patients: int
    content_hash: str

    def summary(self, n_text: str | None = None) -> str:
        """One sentence; ``n_text``: the cohort's size as the viewer may see it (the page
        passes '<11' in protected mode), else the exact number."""
        n = n_text or f"{self.n_patients:,}"
        return (
            f"Deleted cohort {self.cohort_id} ({self.provenance}, {n} patients, "
            f"data version {self.content_hash}); logged as 'delete' in import_log."
        )


class DeleteRefused(ValueError):
    """The cohort does not exist, or is a default cohort and ``force`` was not given."""


def delete_cohort(
    cohort_id: str, db: Path | str | None = None, *, force: bool = False, wait: bool = True
) -> DeleteReport:
    """Delete a cohort and everything that belongs to it, atomically, and log it.

    Cohorts added by an import can always be deleted (including the project's example file,
    imported as ``synthetic``); default (synthetic / published-cases) cohorts only with
    ``force=True`` (they come back with ``python -m core build --force``).
    """
    path = Path(db) if db is not None else core_db.default_db_path()
    with write_transaction(path, wait=wait) as con:
        row = import_sql.cohort_row(con, cohort_id)
        if row is None:
            have = import_sql.cohort_ids(con)
            raise DeleteRefused(f'no cohort "{cohort_id}" (have: {", ".join(have) or "none"})')
        if (
            row[0] != Provenance.IMPORTED.value
            and not force
            and not import_sql.was_imported(con, cohort_id)
        ):
            raise DeleteRefused(_protected_rule(cohort_id, row[0], "deleting"))
        _delete_rows(con, cohort_id)
        _write_log(con, cohort_id, "delete", int(row[1]), row[2])
    return DeleteReport(cohort_id, row[0], int(row[1]), row[2])


def import_log(db: Path | str | None = None) -> pd.DataFrame:
    """The import log, oldest first."""
    return import_sql.import_log_frame(db)


# ---------------------------------------------------------------------------------------------
# Page helpers
# ---------------------------------------------------------------------------------------------

FORMAT_HELP = (
    "- One row per patient; CSV or XLSX; field names and codes of the Data dictionary. Required: "
    "`patient_id` (a study code, never a real identifier), `os_days`, `os_event`; every other "
    "field is optional.\n"
    "- Times are whole days from the index date (first radionuclide administration).\n"
    "- Treatments (optional): a sheet named `treatments` in the XLSX, or a second file, one row "
    "per administration: `patient_id, cycle, day, route, agent, activity_mbq`.\n"
    "- Refused: names, record numbers, addresses, phone numbers, emails, any calendar date, "
    "control characters, and any column outside the data model (drop it in step 1). Ages over "
    "89 are stored as 90.\n"
    "- Your patient ids are **not stored**: on import each patient gets a study pseudonym "
    "(`<cohort>-0001`, `<cohort>-0002`, ... in file order). The key linking them to your ids "
    "is offered once as a download after the import (CLI: `--mapping-out FILE`); keep it with "
    "your source data.\n"
    "- Full rules: docs/IMPORT.md."
)


def cohort_rows(cards: Iterable[Any]) -> list[dict]:
    """Rows for a cohort table: id, provenance, size as the viewer may see it, data version,
    title; from the analysis layer's cohort cards (``core.analyses.cohorts.CohortCard``)."""
    return [
        {
            "Cohort": c.info.cohort_id,
            "Provenance": c.info.provenance,
            "Patients": c.n_text,
            "Data version": c.info.data_version,
            "Title": c.info.title,
        }
        for c in cards
    ]


DROP_CHOICE = "(drop: do not import)"
UNMAPPED_CHOICE = "(choose a field)"
FIELD_CHOICES: tuple[str, ...] = (UNMAPPED_CHOICE, DROP_CHOICE, *PATIENTS)


def default_choice(column_name: str, remembered: dict[str, str] | None = None) -> str:
    """The mapping choice to pre-select for a column: remembered, suggested, or unmapped."""
    if remembered and column_name in remembered and remembered[column_name] in FIELD_CHOICES:
        return remembered[column_name]
    return suggest_mapping([column_name]).get(column_name, UNMAPPED_CHOICE)


def mapping_from_choices(choices: dict[str, str]) -> dict[str, str | None]:
    """Turn page choices into a mapping: a field, ``None`` (drop) or absent (unmapped)."""
    out: dict[str, str | None] = {}
    for col, choice in choices.items():
        if choice == DROP_CHOICE:
            out[col] = None
        elif choice in PATIENTS:
            out[col] = choice
    return out


def problems_text(problems: pd.DataFrame, limit: int = 200) -> str:
    """Aligned text table of problems (at most ``limit`` rows) with a count line."""
    if not len(problems):
        return "no problems"
    shown = problems.head(limit).copy()
    shown["row"] = shown["row"].astype(object).where(shown["row"].notna(), "")
    shown["value"] = shown["value"].map(shorten)
    text = shown.to_string(index=False)
    more = len(problems) - len(shown)
    tail = f"\n… and {more:,} more" if more > 0 else ""
    return f"{text}{tail}\n{n_errors(problems):,} error(s), {n_warnings(problems):,} warning(s)"
