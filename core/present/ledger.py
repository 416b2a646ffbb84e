"""The multiplicity ledger as a table, a CSV and the sentence exports carry."""

from __future__ import annotations

import unicodedata

import pandas as pd

from core.analyses.disclosure import Mode
from core.analyses.ledger import SHARE_NOTE, Ledger, Row
from core.vocab.formatting import fmt_p, formula_safe_frame


def sentence(row: Row | None, ledger: Ledger) -> str:
    """One sentence for an export: how many tests this session made and this test's adjusted p.

    Empty when the export shows no test.
    """
    if row is None:
        return ""
    n = len(ledger)
    if n == 1:
        return (
            f"This {row.test.kind} test is the only test made in this session "
            f"({fmt_p(row.test.p)}, no multiplicity adjustment needed)."
        )
    return (
        f"This {row.test.kind} test is one of {n} tests made in this session; adjusted over "
        f"all {n}: Holm {fmt_p(row.holm)}, Benjamini-Hochberg {fmt_p(row.bh)} "
        f"(unadjusted {fmt_p(row.test.p)})."
    )


def frame(ledger: Ledger) -> pd.DataFrame:
    """The ledger as a table: one row per test, numeric p values."""
    return pd.DataFrame(
        [
            {
                "No.": r.number,
                "Page": r.test.page,
                "Test": r.test.kind,
                "Hypothesis": r.test.hypothesis,
                "p": r.test.p,
                "p (Holm)": r.holm,
                "p (Benjamini-Hochberg)": r.bh,
            }
            for r in ledger.rows()
        ],
        columns=["No.", "Page", "Test", "Hypothesis", "p", "p (Holm)", "p (Benjamini-Hochberg)"],
    )


def _one_line(text: object) -> object:
    """Text cells of the CSV on one line, in compatibility form: a carriage return or line
    feed inside a cell would start a new spreadsheet row (whose first cell could be a
    formula), and a full-width '＝' or a leading space would slip past the formula guard."""
    if not isinstance(text, str):
        return text
    return " ".join(unicodedata.normalize("NFKC", text).split())


def csv(ledger: Ledger, generated: str, mode: Mode | None = None) -> str:
    """The ledger as CSV with ``# `` provenance lines (numeric p values, full precision).

    ``mode``: the viewer's disclosure mode, stated in the provenance lines (the ledger lists
    only the tests shown to this viewer, so which tests are in it depends on the mode).
    """
    head = [
        "# NET Outcomes Explorer: tests made in one session, adjusted for multiplicity",
        "# Methods: Holm (family-wise error rate) and Benjamini-Hochberg (false discovery "
        "rate) over every test listed; R: p.adjust(p, 'holm'), p.adjust(p, 'BH')",
        f"# {SHARE_NOTE}",
        f"# Generated: {generated}",
    ]
    if mode is not None:
        head.append(
            f"# Disclosure: {Mode(mode).value} mode; only the tests shown to this viewer are listed"
        )
    text = frame(ledger)
    for col in ("Page", "Test", "Hypothesis"):
        text[col] = text[col].map(_one_line)
    body = formula_safe_frame(text).to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return "\n".join(head) + "\n" + body
