"""Collect every output a viewer can get, as ``(path, text)`` pairs, and scan them for counts.

An *output path* is one way of getting figures out of the product: one CLI command with one set
of options (text or JSON), one file of a ``report`` folder, or one page with one URL. The
collectors here run each path once and return every piece of text it produces (markdown,
captions, metrics, tables, widget text, chart titles and the data sent to the chart frontend,
files), so the scans and the differencing attacks can read them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

THRESHOLD = 11
MODE_ENV = "NET_EXPLORER_DISCLOSURE"
SMALL_CELL_ENV = "NET_EXPLORER_SMALL_CELL"
DB_ENV = "NET_EXPLORER_DB"
HIDDEN = ("<11", "suppressed", "withheld", "not shown", "–", "")

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------------ environment


@contextlib.contextmanager
def disclosure_env(mode: str | None) -> Iterator[None]:
    """Run with ``NET_EXPLORER_DISCLOSURE`` set to ``mode`` (None: unset) and the default
    threshold; restore the environment afterwards."""
    saved = {k: os.environ.get(k) for k in (MODE_ENV, SMALL_CELL_ENV)}
    os.environ.pop(SMALL_CELL_ENV, None)
    if mode is None:
        os.environ.pop(MODE_ENV, None)
    else:
        os.environ[MODE_ENV] = mode
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ------------------------------------------------------------------------------ CLI


def run_cli(argv: list[str], mode: str | None = None) -> tuple[int, str, str]:
    """Run ``python -m core ARGV`` in-process; (exit code, stdout, stderr).

    A crash is an output too: its traceback is returned on stderr with exit code -1, so a
    test reading it fails with the reason (a crash is not a pass).
    """
    from core import cli
    from core.data.db import close_all

    out, err = io.StringIO(), io.StringIO()
    with disclosure_env(mode), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:  # argparse
            rc = int(exc.code or 0) if isinstance(exc.code, int) else 2
        except Exception:  # noqa: BLE001 - the crash is the finding
            rc = -1
            err.write("CRASH\n" + traceback.format_exc())
        finally:
            close_all()
    return rc, out.getvalue(), err.getvalue()


def report_files(folder: Path) -> list[tuple[str, str]]:
    """Every text file of a ``report`` folder (CSV, txt, json, svg) as (name, text)."""
    pairs = []
    if not folder.is_dir():
        return pairs
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix.lower() in (".csv", ".txt", ".json", ".svg", ".md", ".html"):
            pairs.append((f.name, f.read_text(errors="replace")))
    return pairs


# ------------------------------------------------------------------------------ pages


def run_page(page: str, query: Mapping[str, str] | None = None, timeout: float = 60):
    """Run app.py switched to ``page`` with URL query parameters (as tests/app does)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if page != "pages/overview.py":
        at.switch_page(page)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at


def _arrow_rows(data: bytes) -> list[dict]:
    import pyarrow as pa

    if not data:
        return []
    table = pa.ipc.open_stream(data).read_all()
    return table.to_pandas().to_dict(orient="records")


def chart_payload(proto) -> dict[str, Any]:
    """What a chart element sends to the frontend: its spec and every dataset (decoded)."""
    spec = json.loads(proto.spec) if proto.spec else {}
    tables: dict[str, list[dict]] = {}
    for name, rows in (spec.get("datasets") or {}).items():
        tables[name] = rows

    def walk(node, path):
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                tables[f"inline{path}"] = data["values"]
            for k, v in node.items():
                if k != "datasets":
                    walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")

    walk(spec, "")
    for ds in getattr(proto, "datasets", []):
        tables[ds.name] = _arrow_rows(ds.data.data)
    if getattr(proto, "HasField", None) and _has(proto, "data"):
        tables["data"] = _arrow_rows(proto.data.data)
    return {"spec": spec, "tables": tables}


def _has(proto, name: str) -> bool:
    try:
        return proto.HasField(name)
    except ValueError:
        return False


def _walk_elements(node) -> Iterator[Any]:
    from streamlit.testing.v1.element_tree import Block

    if isinstance(node, Block):
        if type(node).__name__ in ("Expander", "Tab", "Popover"):
            yield node
        for child in node.children.values():
            yield from _walk_elements(child)
        return
    yield node


def page_texts(at) -> list[tuple[str, str]]:
    """Every piece of text a page run shows or sends: (element kind, text).

    Charts contribute their whole spec and their decoded datasets (JSON), tables their CSV,
    every other element its protobuf (body, label, help, value, options).
    """
    from google.protobuf import text_format

    pairs: list[tuple[str, str]] = []
    for el in _walk_elements(at._tree):
        kind = type(el).__name__
        proto = getattr(el, "proto", None)
        if kind == "Dataframe":
            try:
                pairs.append(("dataframe", el.value.to_csv(index=False)))
            except Exception:  # noqa: BLE001
                pairs.append(("dataframe", str(proto)))
            continue
        if proto is not None and hasattr(proto, "spec") and hasattr(proto, "datasets"):
            payload = chart_payload(proto)
            pairs.append(("chart", json.dumps(payload, default=str)))
            continue
        if proto is None:
            continue
        if kind == "Metric":
            pairs.append(("metric", f"{proto.label}: n = {proto.body} ({proto.help})"))
            continue
        try:
            text = text_format.MessageToString(proto, as_utf8=True)
        except Exception:  # noqa: BLE001
            text = str(proto)
        pairs.append((kind.lower(), text))
    for exc in at.exception:
        pairs.append(("exception", exc.value if hasattr(exc, "value") else str(exc)))
    return pairs


def page_charts(at) -> list[dict[str, Any]]:
    out = []
    for el in _walk_elements(at._tree):
        proto = getattr(el, "proto", None)
        if proto is not None and hasattr(proto, "spec") and hasattr(proto, "datasets"):
            out.append(chart_payload(proto))
    return out


def page_tables(at) -> list:
    return [df.value for df in at.dataframe]


# ------------------------------------------------------------------------------ scanning

_NUM = r"(?<![\d.,\w+-])(\d{1,3}(?:,\d{3})*|\d+)(?![\d.,]\d)"
COUNT_WORDS = (
    r"patients?|events?|deaths?|died|observed(?: events?)?|evaluable|excluded|censored|"
    r"at risk|responders?|men|women|males?|females?|cases|subjects|dropped|missing|"
    r"with an event|with a missing|administrations? received|progressions?"
)
TEXT_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("n = k", re.compile(r"\bn\s*[=:]\s*" + _NUM, re.I)),
    ("k of m", re.compile(_NUM + r"\s+of\s+(?:the\s+)?" + _NUM, re.I)),
    ("k/m", re.compile(_NUM + r"\s*/\s*" + _NUM)),
    ("(k)", re.compile(r"(?:(?<=\s)|^)\(\s*" + _NUM + r"\s*\)")),
    ("k (p%)", re.compile(_NUM + r"\s*\(\s*\d+(?:\.\d+)?\s*%?\s*[;)]")),
    ("k patients", re.compile(_NUM + r"\s+(?:" + COUNT_WORDS + r")\b", re.I)),
    ("O = k", re.compile(r"\bO\s*=\s*" + _NUM)),
    ("n k", re.compile(r"\b(?:n|events|deaths)\s+" + _NUM + r"\b(?!\s*(?:months?|years?|days?))")),
)
NARROWING = re.compile(
    r"(?:(?:fewer than|less than|under|below|at most)\s+|(?<![\d.]\s)[<≤])(\d+)(?![\d.])", re.I
)
RULE_WORDS = ("at least ", "needs ", "minimum of ", "more than ", "per ")
"""Words before a number that make it a rule, not a count ("needs at least 5 events")."""
HIDDEN_PCT = re.compile(r"(?:<\s*\d+|suppressed)\s*\(\s*\d+(?:\.\d+)?\s*%", re.I)
COUNT_KEYS = frozenset(
    {
        "n",
        "events",
        "at_risk",
        "count",
        "n_risk",
        "observed",
        "evaluable",
        "censored",
        "excluded",
        "deaths",
        "missing",
        "n_patients",
        "n_event",
        "n_events",
        "n_censor",
        "n_censored",
        "n_excluded",
        "n_missing",
        "n_evaluable",
        "n_analysed",
        "n_selected",
        "n_dropped",
        "responders",
        "size",
    }
)
NON_COUNT_KEYS = frozenset({"threshold", "df", "n_boot", "n_terms", "ties", "digits"})


def is_count_key(key: str) -> bool:
    k = key.lower().strip()
    if k in NON_COUNT_KEYS:
        return False
    return (
        k in COUNT_KEYS
        or k.startswith("n_")
        or k.endswith("_n")
        or k.endswith("count")
        or k.startswith("events")
        or k.endswith("_events")
        or "at risk" in k
        or "at_risk" in k
        or k in ("censored", "n_censor")
        or k in ("patients", "evaluable", "events")
    )


def _small(value: str) -> bool:
    v = value.replace(",", "")
    return v.isdigit() and 0 < int(v) < THRESHOLD


def text_leaks(text: str) -> list[str]:
    """Count-shaped snippets of ``text`` with a value 1..10 (each with a little context)."""
    found = []
    for name, pat in TEXT_PATTERNS:
        for m in pat.finditer(text):
            if text[max(m.start() - 12, 0) : m.start()].lower().endswith(RULE_WORDS):
                continue
            if any(g is not None and _small(g) for g in m.groups()):
                a, b = max(m.start() - 40, 0), min(m.end() + 40, len(text))
                found.append(f"[{name}] …{text[a:b]}…".replace("\n", " "))
    for m in NARROWING.finditer(text):
        if 0 < int(m.group(1)) < THRESHOLD:
            a, b = max(m.start() - 40, 0), min(m.end() + 40, len(text))
            found.append(f"[narrowing] …{text[a:b]}…".replace("\n", " "))
    for m in HIDDEN_PCT.finditer(text):
        a, b = max(m.start() - 40, 0), min(m.end() + 40, len(text))
        found.append(f"[% of hidden] …{text[a:b]}…".replace("\n", " "))
    return found


def json_leaks(obj: Any, path: str = "$") -> list[str]:
    """Count-named members of a JSON value with an integer 1..10, and statistics given for a
    group whose count is hidden."""
    found: list[str] = []
    if isinstance(obj, dict):
        hidden_here = any(
            str(k).lower() in SIZE_KEYS and isinstance(v, str) and v.strip().lower() in HIDDEN[:3]
            for k, v in obj.items()
        )
        for k, v in obj.items():
            p = f"{path}.{k}"
            if is_count_key(str(k)):
                if isinstance(v, bool):
                    pass
                elif isinstance(v, int | float) and float(v).is_integer() and 0 < v < THRESHOLD:
                    found.append(f"{p} = {v}")
                elif isinstance(v, str) and _small(v.strip()):
                    found.append(f"{p} = {v!r}")
            if hidden_here and str(k).lower() in STAT_KEYS and _numeric(v):
                found.append(f"{p} = {v!r} (statistic of a hidden group)")
            if isinstance(v, str):
                found.extend(f"{p}: {s}" for s in text_leaks(v))
            else:
                found.extend(json_leaks(v, p))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found.extend(json_leaks(v, f"{path}[{i}]"))
    elif isinstance(obj, str):
        found.extend(f"{path}: {s}" for s in text_leaks(obj))
    return found


SIZE_KEYS = frozenset(
    {"n", "n_patients", "patients", "size", "n_selected", "n_analysed", "evaluable", "n_evaluable"}
)
"""Members giving a group's size: when hidden, the group's statistics must be withheld too."""
STAT_KEYS = frozenset(
    {
        "median",
        "survival",
        "hr",
        "pct",
        "percent",
        "proportion",
        "rate",
        "estimate",
        "coef",
        "p",
        "rmst",
        "lower",
        "upper",
    }
)


def _numeric(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return v == v  # not NaN
    if isinstance(v, list):
        return any(_numeric(x) for x in v)
    return False


def leaks(text: str) -> list[str]:
    """Scan one output: JSON structurally (plus its strings), anything else as text."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            return json_leaks(json.loads(stripped))
        except ValueError:
            pass
    return text_leaks(text)


COUNT_HEADER = re.compile(
    r"^(n|patients|events|deaths|at[ _]risk|evaluable|not evaluable.*|missing|censored|observed|"
    r"count|responders|excluded)$|\bn \(%|, n$|\(n\)$",
    re.I,
)
"""Table columns that hold counts ('n', 'Patients', 'Events', 'Complete response, n (%)')."""


STAT_HEADER = re.compile(
    r"median|percentile|hazard|\bHR\b|survival|RMST|%|rate|coefficient|mean", re.I
)


def csv_leaks(text: str) -> list[str]:
    """Cells 1..10 in the count columns of a CSV table (comment lines and BOM skipped)."""
    import pandas as pd

    lines = [
        ln for ln in text.lstrip("\ufeff").splitlines() if not ln.lstrip("\ufeff").startswith("#")
    ]
    if len(lines) < 2:
        return []
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)
    except Exception:  # noqa: BLE001 - not a table
        return []
    found = []
    size_col = next((c for c in frame.columns if str(c).strip().lower() in ("n", "patients")), None)
    stat_cols = [c for c in frame.columns if STAT_HEADER.search(str(c))]
    if size_col is not None:
        for i, size in enumerate(frame[size_col]):
            if not re.match(r"^\s*(<\s*\d+|suppressed|withheld)", str(size), re.I):
                continue
            for c in stat_cols:
                cell = str(frame[c].iloc[i])
                is_count = COUNT_HEADER.search(str(c).strip())
                # a count column may show a count >= the threshold; a percentage beside it
                # (or any statistic) gives the hidden group's size
                pattern = r"^\s*\d+\s*\(\s*\d" if is_count else r"^\s*-?\d+(\.\d+)?"
                if re.match(pattern, cell):
                    row = " | ".join(str(v) for v in frame.iloc[i].values)[:160]
                    found.append(f"[hidden group statistic] {c} = {frame[c].iloc[i]!r} in: {row}")
    for col in frame.columns:
        if not COUNT_HEADER.search(str(col).strip()):
            continue
        for i, cell in enumerate(frame[col]):
            m = re.match(r"^\s*(\d[\d,]*)\b", str(cell))
            if m and _small(m.group(1)):
                row = " | ".join(str(v) for v in frame.iloc[i].values)[:160]
                found.append(f"[table cell] {col} = {cell!r} in row: {row}")
    return found


TEXT_TABLE_HEADER = re.compile(
    r"(?<!\S)(?<!, )(n|Events|Patients|At risk|Evaluable|Missing|Deaths|Observed|"
    r"Not evaluable \(NE\)|Not evaluable/missing)(?!\S)"
)


def text_table_leaks(text: str) -> list[str]:
    """Cells 1..10 under count headers of aligned text tables (pandas ``to_string``): values
    are right-aligned with their header, so the cell is the token ending at the header's end."""
    found = []
    lines = text.splitlines()
    for i, header in enumerate(lines):
        spans = [m.span() for m in TEXT_TABLE_HEADER.finditer(header)]
        if not spans or len(header.split()) < 3:
            continue
        for line in lines[i + 1 :]:
            if (
                not line.strip()
                or TEXT_TABLE_HEADER.search(line)
                and line.split() == header.split()
            ):
                break
            for start, end in spans:
                if len(line) < end:
                    continue
                token = line[:end].split()[-1] if line[:end].split() else ""
                if line[end : end + 1] not in ("", " "):
                    continue
                if _small(token):
                    found.append(
                        f"[text table] {header[start:end]} = {token} in: {line.strip()[:120]}"
                    )
    return found
