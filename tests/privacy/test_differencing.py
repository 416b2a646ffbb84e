"""Attacks 2..: small counts *derived* from figures that are each allowed on their own.

Every test is an attack written as an attacker would do the arithmetic on what is shown
(table margins, percentages, two views, chart data); it fails while the derivation gives a
count 1..10 and passes once the outputs stop allowing it.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from tests.privacy.attacks import (
    count,
    csv_frame,
    derived_denominator,
    header_n,
    hidden,
    numeric,
    partition_gap,
    small,
)
from tests.privacy.cohort import SMALL, real_cohort
from tests.privacy.collect import THRESHOLD, is_count_key
from tests.privacy.outputs import CLI_CASES

MONTH = 30.4375
PARTITIONS = {
    "Sex": None,
    "Race": None,
    "Primary site": None,
    "Grade": None,
    "Route": None,
    "Agent": None,
    "Treatments": ("Single", "Multiple"),
}
"""Table 1 sections whose rows add up to the column's n (with their Missing row)."""


def _table1(outputs, case: str):
    rc, out, err = outputs.cli(case)
    assert rc == 0, f"{case}: exit {rc}: {err[-1500:]}"
    return csv_frame(out)


def _page_table(outputs, case: str, *columns: str):
    run = outputs.page(case)
    for t in run.tables:
        if all(c in t.columns for c in columns):
            return t
    return None


TABLE1_SPLITS = [
    "table1 --csv",
    "table1 --by primary_site --csv",
    "table1 --by grade --csv",
    "table1 --by n_treatments_group --csv",
]


def _table1_derivations(frame) -> list[str]:
    """Every count 1..10 derivable from a Table 1 by row and column margins and percentages."""
    found: list[str] = []
    cols = list(frame.columns[2:])
    all_col = cols[0]
    split_cols = cols[1:]
    col_n = {c: header_n(c) for c in cols}
    # hidden column size from All minus the other columns
    if split_cols and col_n[all_col] is not None:
        gap = partition_gap(col_n[all_col], [col_n[c] for c in split_cols])
        if small(gap):
            found.append(f"column sizes: {all_col} minus shown columns = {gap}")
    for _, row in frame.iterrows():
        label = f"{row.iloc[0]} / {row.iloc[1]}"
        # row margin: All minus the shown split cells
        if split_cols:
            gap = partition_gap(count(row[all_col]), [row[c] for c in split_cols])
            if small(gap):
                found.append(f"row {label}: All {row[all_col]!r} minus shown split cells = {gap}")
    # column margins within a section that partitions the patients
    for section, only in PARTITIONS.items():
        rows = frame[frame.iloc[:, 0] == section]
        if only:
            rows = rows[rows.iloc[:, 1].isin(only)]
        if rows.empty:
            continue
        for c in cols:
            cells = list(rows[c])
            gap = partition_gap(col_n[c], cells)
            if small(gap):
                found.append(f"{section} in {c}: column n minus shown rows = {gap}")
            # hidden 'Missing' (or any hidden remainder) from percentages of known values
            denom = derived_denominator(cells)
            if denom is not None and col_n[c] is not None:
                missing = col_n[c] - denom
                if small(missing):
                    found.append(
                        f"{section} in {c}: n {col_n[c]} minus denominator {denom} implied by "
                        f"the percentages = {missing} missing"
                    )
                known_rows = ~rows.iloc[:, 1].str.lower().eq("missing").to_numpy()
                shown = [count(x) for x, k in zip(cells, known_rows, strict=True) if k]
                if any(v is None for v in shown):
                    rest = denom - sum(v for v in shown if v is not None)
                    if small(rest):
                        found.append(
                            f"{section} in {c}: denominator {denom} from percentages minus shown "
                            f"rows = {rest}"
                        )
            # a hidden column size recovered from the percentages
            recovered = col_n[c] is None and denom is not None
            if recovered and section in ("Sex", "Primary site") and small(denom):
                found.append(f"{c}: size {denom} recovered from percentages")
    return found


@pytest.mark.parametrize("case", [*TABLE1_SPLITS, "table1 --by sex (Overview page)"])
def test_table1_margins_and_percentages_reveal_no_hidden_cell(outputs, case):
    """Split columns vs All, 'Single' from 'Multiple', hidden 'Missing' from percentages."""
    if case.endswith("(Overview page)"):
        frame = _page_table(outputs, "overview split=sex", "Section", "Characteristic")
        assert frame is not None, "Overview split=sex shows no Table 1"
        frame = frame.astype(str)
    else:
        frame = _table1(outputs, case)
    found = _table1_derivations(frame)
    assert not found, f"{case}: hidden counts derived:\n  " + "\n  ".join(found[:12])


def test_single_from_multiple(outputs):
    """'Single' shown and the total shown give 'Multiple' (6 patients)."""
    frame = _table1(outputs, "table1 --csv")
    all_col = frame.columns[2]
    n = header_n(all_col)
    single = frame[(frame.iloc[:, 0] == "Treatments") & (frame.iloc[:, 1] == "Single")]
    assert len(single) == 1, "Table 1 has no 'Single' row"
    k = count(single[all_col].iloc[0])
    if n is not None and k is not None:
        assert not small(n - k), f"n {n} - Single {k} = Multiple {n - k}"


# ------------------------------------------------------------------------------ Cox margins
@pytest.mark.parametrize("case", ["cox", "cox sex,prior_ssa", "cox primary_site"])
def test_cox_hidden_level_from_model_total(outputs, case):
    """Cox page: model n minus the shown levels of a covariate gives the hidden level
    (sex: 60 - 52 women = 8 men)."""
    levels = _page_table(outputs, case, "Covariate", "Level", "n")
    run = outputs.page(case)
    if levels is None:
        shown = [t for t in run.tables if any("HR" in str(c) for c in t.columns)]
        assert not shown, f"{case}: hazard ratios shown without the per-level table"
        return
    titles = " ".join(t for k, t in run.texts if k in ("chart", "caption", "markdown"))
    totals = {int(m.group(1)) for m in re.finditer(r"\bn\s*=\s*(\d+)", titles)}
    found = []
    for total in totals:
        for cov, rows in levels.groupby("Covariate"):
            gap = partition_gap(total, list(rows["n"]))
            if small(gap):
                found.append(f"{cov}: model n {total} minus shown levels = {gap}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "case",
    [
        "cox sex,grade --json",
        "cox sex,prior_ssa --json",
        "cox prior_ssa --landmark 3 --json",
        "survival --landmark 3 --json",
        "survival --origin diagnosis --json",
    ],
)
def test_counts_shown_side_by_side_do_not_differ_by_a_small_count(outputs, case):
    """n_selected - n (missing covariates, landmark exclusions) and similar siblings.

    A refusal (exit 2, no figures) passes; its message is scanned in test_scan.
    """
    rc, out, _ = outputs.cli(case)
    if rc == 2:
        return
    js = outputs.cli_json(case)
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            shown = {
                k: count(v)
                for k, v in node.items()
                if is_count_key(k) and not isinstance(v, dict | list) and count(v) is not None
            }
            keys = sorted(shown)
            for i, a in enumerate(keys):
                for b in keys[i + 1 :]:
                    d = abs(shown[a] - shown[b])
                    if small(d) and {a, b} != {"n", "events"} and shown[a] and shown[b]:
                        found.append(f"{path}: {a}={shown[a]} vs {b}={shown[b]} (difference {d})")
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(js, "$")
    assert not found, "\n".join(found)


# ------------------------------------------------------------------------------ suppressed groups
SMALL_GROUPS = {"sex": {"Male"}, "primary_site": {"Lung"}}
"""Groups of real-60 with fewer than 11 patients (ground truth from the fixture)."""


def _hidden_groups(summary, by: str) -> set[str]:
    groups = set(SMALL_GROUPS[by])
    if summary is not None and "Group" in summary.columns and "n" in summary.columns:
        groups |= {str(g) for g, n in zip(summary["Group"], summary["n"], strict=True) if hidden(n)}
    return groups


@pytest.mark.parametrize("case", ["survival by=sex", "survival by=primary_site"])
def test_no_hazard_ratio_or_pairwise_row_for_a_suppressed_group(outputs, case):
    summary = _page_table(outputs, case, "Group", "n")
    hidden_groups = _hidden_groups(summary, case.split("=")[1])
    run = outputs.page(case)
    found = []
    for t in run.tables:
        cols = [c for c in t.columns if re.search(r"hazard|HR|p \(|Holm|χ²|chi", str(c), re.I)]
        if not cols or "Group" not in t.columns and "Comparison" not in t.columns:
            continue
        for _, row in t.iterrows():
            names = " ".join(str(row[c]) for c in t.columns if c not in cols)
            named = any(re.search(rf"\b{re.escape(g)}\b", names) for g in hidden_groups)
            if named and any(numeric(row[c]) for c in cols):
                found.append(" | ".join(str(v) for v in row.values))
    assert not found, f"{case}: test rows for suppressed groups {hidden_groups}:\n" + "\n".join(
        found
    )


@pytest.mark.parametrize("case", ["report --by sex", "report --by primary_site"])
def test_report_has_no_hazard_ratio_for_a_suppressed_group(outputs, case):
    rc, log, files = outputs.report(case)
    assert rc in (0, 2), f"{case} failed: {log[-1500:]}"
    texts = dict(files)
    summary = csv_frame(_strip_comments(texts["summary.csv"])) if "summary.csv" in texts else None
    hidden_groups = _hidden_groups(summary, case.split("--by ")[1])
    found = []
    for name in ("hazard_ratios.csv", "pairwise.csv"):
        if name not in texts:
            continue
        frame = csv_frame(_strip_comments(texts[name]))
        for _, row in frame.iterrows():
            line = " | ".join(str(v) for v in row.values)
            if any(re.search(rf"\b{re.escape(g)}\b", line) for g in hidden_groups):
                found.append(f"{name}: {line}")
    assert not found, "\n".join(found)


def _strip_comments(text: str) -> str:
    lines = text.lstrip("\ufeff").splitlines()
    return "\n".join(line for line in lines if not line.lstrip("\ufeff").startswith("#"))


@pytest.mark.parametrize("case", ["cox", "cox primary_site", "cox sex,prior_ssa"])
def test_cox_page_has_no_term_for_a_suppressed_level(outputs, case):
    model = _page_table(outputs, case, "Term", "n")
    small_terms = ("Sex: Male", "Primary site: Lung", "Grade: G3")
    bad = [
        " | ".join(str(v) for v in row.values)
        for _, row in (model.iterrows() if model is not None else [])
        if (hidden(row["n"]) or str(row["Term"]).startswith(small_terms))
        and any(numeric(row[c]) for c in model.columns if "HR" in str(c) or "Coef" in str(c))
    ]
    run = outputs.page(case)
    for chart in run.charts:
        for rows in chart["tables"].values():
            for r in rows:
                label = str(r.get("label", ""))
                is_small = "n=<" in label or label.startswith(small_terms)
                if is_small and r.get("kind") == "estimate" and numeric(r.get("value")):
                    bad.append(f"forest chart: {label} HR {r.get('value'):.3f}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("case", ["survival --by sex --json", "survival --by primary_site --json"])
def test_no_logrank_over_a_suppressed_group(outputs, case):
    js = outputs.cli_json(case)
    groups = js.get("groups", [])
    shown = [g for g in groups if not hidden(g.get("n")) and count(g.get("n")) is not None]
    lr = js.get("logrank")
    if lr:
        assert lr.get("df") == len(shown) - 1, (
            f"log-rank df {lr.get('df')} over {len(groups)} groups, {len(shown)} shown: "
            "the test includes a suppressed group"
        )


@pytest.mark.parametrize("by", ["sex", "primary_site", "grade", "treatments"])
def test_overall_minus_shown_groups_reveals_no_hidden_group(outputs, by):
    """The ungrouped view's n and events minus the shown groups of a grouped view."""
    overall = _json(outputs, "survival --json")
    case = f"survival --by {by} --json"
    if case not in CLI_CASES:
        case = next(c for c in CLI_CASES if c.startswith(f"survival --by {by} ") and "json" in c)
    grouped = _json(outputs, case)
    n_all, ev_all = _view_n(overall)
    groups = grouped.get("groups", []) if isinstance(grouped, dict) else []
    found = []
    for key, total in (("n", n_all), ("events", ev_all)):
        gap = partition_gap(total, [g.get(key) for g in groups])
        if groups and small(gap):
            found.append(f"{key}: overall {total} minus shown groups = {gap}")
    assert not found, f"{case}: " + "; ".join(found)


# ------------------------------------------------------------------------------ two views
def _view_n(js) -> tuple[int | None, int | None]:
    """(n, events) a JSON view shows for its whole selection."""
    if not isinstance(js, dict):
        return None, None
    n = count(js.get("n_analysed", js.get("n")))
    ev = count(js.get("events"))
    if n is None:
        m = re.search(r"n\s*=\s*(\d[\d,]*)", str(js.get("description", "")))
        n = count(m.group(1)) if m else None
    groups = js.get("groups") or []
    if len(groups) == 1:
        n = n if n is not None else count(groups[0].get("n"))
        ev = ev if ev is not None else count(groups[0].get("events"))
    return n, ev


def _json(outputs, case, argv=None):
    if argv is not None:
        case = " ".join(argv)
    rc, out, _ = outputs.cli(case, argv=argv)
    try:
        return json.loads(out) if rc == 0 else {}
    except ValueError:
        return {}


PAIRS = [
    ("survival age_min=67 --json", "survival age_min=68 --json"),
    ("survival age_max=66 --json", "survival age_max=67 --json"),
    ("survival --json", "survival sites-but-lung --json"),
    ("survival --json", "survival --landmark 3 --json"),
    ("survival --json", "survival --origin diagnosis --json"),
    ("survival --json", "survival sex=male --json"),
    # overlapping filters: adjacent age bands, a site set with and without lung, grade sets
    ("survival age_min=65 --json", "survival age_min=70 --json"),
    ("survival primary_site=pancreas --json", "survival primary_site=pancreas,lung --json"),
    ("survival grade=G1 --json", "survival grade=G1,G3 --json"),
]


def _json_mode(outputs, case, mode):
    rc, out, _ = outputs.cli(case, mode)
    try:
        return json.loads(out) if rc == 0 else {}
    except ValueError:
        return {}


def _exact_difference(shown: tuple, truth: tuple) -> int | None:
    """|a - b| when both shown counts equal the exact ones (so the difference is exact)."""
    (a, b), (ta, tb) = shown, truth
    if None in (a, b) or (a, b) != (ta, tb):
        return None
    return abs(a - b)


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a} vs {b}" for a, b in PAIRS])
def test_two_allowed_views_do_not_differ_by_a_small_count(outputs, a, b):
    """age_min=67 vs 68 (one patient aged 67, who died), adjacent age bands, all sites vs all
    but lung, overlapping site and grade sets, landmark and from-diagnosis exclusions: the
    difference of two shown exact counts is a count too. (Exact mode gives the truth; shown
    counts that are rounded or otherwise inexact do not give an exact difference.)"""
    na, ea = _view_n(_json(outputs, a))
    nb, eb = _view_n(_json(outputs, b))
    xna, xea = _view_n(_json_mode(outputs, a, "exact"))
    xnb, xeb = _view_n(_json_mode(outputs, b, "exact"))
    found = []
    d = _exact_difference((na, nb), (xna, xnb))
    if small(d):
        found.append(f"n {na} vs {nb}: {d} patients")
    d = _exact_difference((ea, eb), (xea, xeb))
    if small(d):
        found.append(f"events {ea} vs {eb}: {d} events")
    assert not found, f"{a} vs {b}: " + "; ".join(found)


AGE_SWEEP = [f"age_min={a}" for a in (50, 60, 65, 70, 75, 80)] + [
    f"age_max={a}" for a in (49, 59, 64, 69, 74, 79)
]


def _effective_age(requested: str, js: dict) -> tuple[int, int]:
    """The age bounds a view really used: protected mode's band notice, else the request."""
    lo, hi = 0, 200
    key, _, value = requested.partition("=")
    if key == "age_min":
        lo = int(value)
    else:
        hi = int(value)
    for note in js.get("notices", []) if isinstance(js, dict) else []:
        m = re.search(r"age (\d+|any)-(\d+|any)", str(note))
        if m:
            lo = 0 if m.group(1) == "any" else int(m.group(1))
            hi = 200 if m.group(2) == "any" else int(m.group(2))
    return lo, hi


def test_age_filter_sweep_isolates_no_small_group(outputs):
    """Every pair of age-bounded views (5-year steps, both directions): the difference of two
    shown counts that are exact for the bounds really used is a count of patients."""
    frame = real_cohort()
    age = frame["age"].astype(int)
    died = frame["os_event"].astype(int) == 1
    views = {}
    for f in AGE_SWEEP:
        js = _json(outputs, "x", argv=["survival", "--cohort", "real-60", "--filter", f, "--json"])
        n, ev = _view_n(js)
        if n is None:
            continue
        lo, hi = _effective_age(f, js)
        inside = (age >= lo) & (age <= hi)
        truth = (int(inside.sum()), int((inside & died).sum()))
        views[f] = (n, ev, truth, (lo, hi))
    found = []
    names = sorted(views)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            (na, ea, ta, ia), (nb, eb, tb, ib) = views[a], views[b]
            nested = (ia[0] <= ib[0] and ib[1] <= ia[1]) or (ib[0] <= ia[0] and ia[1] <= ib[1])
            if not nested:
                continue  # only a view inside another leaves a difference that counts patients
            if (na, nb) == (ta[0], tb[0]) and small(abs(na - nb)):
                found.append(f"{a} (n {na}) vs {b} (n {nb}): {abs(na - nb)} patients")
            if (ea, eb) == (ta[1], tb[1]) and small(abs(ea - eb)):
                found.append(f"{a} (events {ea}) vs {b} (events {eb}): {abs(ea - eb)} events")
    assert not found, "\n".join(found[:10])


PAGE_PAIRS = [
    ("survival age_min=67", "survival age_min=68"),
    ("survival age_min=67", "survival age_min=70"),
    ("survival pancreas", "survival pancreas,lung"),
    ("overview pancreas", "overview pancreas,lung"),
    ("survival", "survival sites-but-lung"),
    ("survival", "survival origin=diagnosis"),
]


def _page_n(outputs, case, mode=None) -> set[int]:
    run = outputs.page(case, mode)
    ns = set()
    for kind, text in run.texts:
        if kind in ("caption", "chart", "markdown", "subheader", "title", "metric"):
            for m in re.finditer(r"\bn\s*=\s*(\d[\d,]*)", text):
                ns.add(int(m.group(1).replace(",", "")))
    summary = next((t for t in run.tables if {"Group", "n"} <= set(t.columns)), None)
    if summary is not None and len(summary) == 1 and count(summary["n"].iloc[0]) is not None:
        ns.add(count(summary["n"].iloc[0]))
    return ns


@pytest.mark.parametrize(("a", "b"), PAGE_PAIRS, ids=[f"{a} vs {b}" for a, b in PAGE_PAIRS])
def test_two_page_views_do_not_differ_by_a_small_count(outputs, a, b):
    na, nb = _page_n(outputs, a), _page_n(outputs, b)
    truth = {abs(x - y) for x in _page_n(outputs, a, "exact") for y in _page_n(outputs, b, "exact")}
    diffs = sorted({abs(x - y) for x in na for y in nb if small(abs(x - y))} & truth)
    assert not diffs, f"page {a} shows n {sorted(na)}, page {b} shows n {sorted(nb)}: {diffs}"


@pytest.mark.parametrize(
    "case", ["survival sex=male --json", "survival sites-but-lung --json", "survival tiny-8 --json"]
)
def test_query_set_restriction_shows_no_figures(outputs, case):
    """A selection under 11, or leaving out fewer than 11 of the cohort, is not shown at all."""
    js = _json(outputs, case)
    stats = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("median", "survival", "chi2", "rmst") and isinstance(v, int | float):
                    stats.append(f"{path}.{k}={v}")
                if is_count_key(k) and count(v) is not None and count(v) > 0:
                    stats.append(f"{path}.{k}={v}")
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(js, "$")
    assert not stats, f"{case} shows figures: {stats[:8]}"


# ------------------------------------------------------------------------------ chart data
def _curve_rows(outputs, case):
    run = outputs.page(case)
    curves = []
    for chart in run.charts:
        for name, rows in chart["tables"].items():
            if rows and "time" in rows[0] and any(k in rows[0] for k in ("surv", "survival")):
                curves.append((name, rows))
    return curves


@pytest.mark.parametrize("case", ["survival", "survival by=primary_site", "survival landmark"])
def test_km_chart_data_give_no_deaths_per_step(outputs, case):
    """Per-step tooltips: survival and at-risk per step give deaths per step (n * (1 - S/S-))."""
    found = []
    for _name, rows in _curve_rows(outputs, case):
        skey = "surv" if "surv" in rows[0] else "survival"
        rkey = next((k for k in rows[0] if "risk" in k.lower() or k == "n"), None)
        by_group: dict[str, list] = {}
        for r in rows:
            by_group.setdefault(str(r.get("group", "")), []).append(r)
        for g, rs in by_group.items():
            rs = sorted(rs, key=lambda r: r["time"])
            for prev, cur in zip(rs, rs[1:], strict=False):
                if rkey is None:
                    break
                n_prev = count(cur.get(rkey))
                s0, s1 = prev.get(skey), cur.get(skey)
                if n_prev and s0 and s1 is not None and s0 > 0 and s1 < s0:
                    deaths = round(n_prev * (1 - s1 / s0))
                    if small(deaths):
                        found.append(
                            f"{g} at {cur['time']:.3f}: at risk {n_prev}, S {s0:.4f}->{s1:.4f}: "
                            f"{deaths} death(s)"
                        )
    assert not found, f"{case}: {len(found)} steps reveal deaths, e.g.\n  " + "\n  ".join(found[:6])


@pytest.mark.parametrize("case", ["survival", "survival by=primary_site", "survival landmark"])
def test_km_curves_step_on_whole_months_and_stop_at_the_threshold(outputs, case):
    frame = real_cohort()
    os_days = frame["os_days"].astype(float)
    found = []
    for name, rows in _curve_rows(outputs, case):
        times = sorted({float(r["time"]) for r in rows})
        odd = [t for t in times if abs(t - round(t)) > 1e-6]
        if odd:
            found.append(f"{name}: {len(odd)} step times off whole months, e.g. {odd[:3]}")
        if case == "survival" and times:
            last = max(times)
            at_risk = int((os_days >= last * MONTH - 1e-6).sum())
            if at_risk < THRESHOLD:
                found.append(f"{name}: curve drawn to {last:.2f} months with {at_risk} at risk")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("case", ["survival", "survival by=primary_site", "survival landmark"])
def test_no_censor_ticks(outputs, case):
    run = outputs.page(case)
    found = []
    for chart in run.charts:
        spec = json.dumps(chart["spec"])
        if re.search(r'"mark":\s*(\{[^}]*"type":\s*)?"tick"', spec):
            found.append("tick mark in spec")
        for name, rows in chart["tables"].items():
            if rows and any("censor" in str(k).lower() for k in rows[0]):
                found.append(f"{name}: censor column with {len(rows)} rows")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("case", ["cox", "cox sex,prior_ssa", "cox prior_ssa,age"])
def test_cox_page_sends_no_residual_points(outputs, case):
    """One point per death with its exact time (and a residual whose sign gives the sex)."""
    run = outputs.page(case)
    found = []
    for chart in run.charts:
        for name, rows in chart["tables"].items():
            if rows and any("resid" in str(k).lower() for k in rows[0]):
                times = [r.get("time") for r in rows if isinstance(r.get("time"), int | float)]
                off = [t for t in times if abs(t - round(t)) > 1e-6]
                found.append(f"{name}: {len(rows)} residual rows ({len(off)} at exact event times)")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("case", ["response", "response rby=sex"])
def test_no_swimmer_lanes(outputs, case):
    run = outputs.page(case)
    lanes = [
        name
        for chart in run.charts
        for name, rows in chart["tables"].items()
        if rows and any(str(k).lower() in ("patient", "patient_id", "lane") for k in rows[0])
    ]
    assert not lanes, f"{case}: per-patient lanes sent to the browser: {lanes}"


# ------------------------------------------------------------------------------ medians
@pytest.mark.parametrize("case", ["survival --json", "survival --by primary_site --json"])
def test_medians_are_whole_months(outputs, case):
    js = outputs.cli_json(case)
    odd = []
    for g in js.get("groups", []):
        for key in ("median",):
            v = g.get(key)
            if isinstance(v, int | float) and math.isfinite(v) and abs(v - round(v)) > 1e-9:
                odd.append(f"{g.get('label')}: {key} {v}")
        for v in g.get("median_ci") or []:
            if isinstance(v, int | float) and abs(v - round(v)) > 1e-9:
                odd.append(f"{g.get('label')}: median CI bound {v}")
    assert not odd, "; ".join(odd[:6])


@pytest.mark.parametrize("case", ["survival --json", "survival --by primary_site --json"])
def test_no_quantile_from_where_fewer_than_11_are_at_risk(outputs, case):
    """A median, quartile or CI bound placed where fewer than 11 remain at risk describes the
    tail the curve may not show (real-60: 10 at risk from month 74)."""
    js = outputs.cli_json(case)
    frame = real_cohort()
    os_days = frame["os_days"].astype(float)
    found = []
    for g in js.get("groups", []):
        if g.get("label") not in ("All", "Overall", "Small bowel") and len(js["groups"]) > 1:
            continue
        sel = (
            os_days
            if g.get("label") != "Small bowel"
            else os_days[frame["primary_site"] == "small_bowel"]
        )
        values = [g.get("median"), *(g.get("median_ci") or [])]
        for key in ("q25", "q75", "quartiles", "p25", "p75"):
            v = g.get(key)
            values += v if isinstance(v, list) else [v]
        for v in values:
            if isinstance(v, int | float) and math.isfinite(v):
                at_risk = int((sel >= v * MONTH - 1e-6).sum())
                if at_risk < THRESHOLD:
                    found.append(f"{g.get('label')}: {v:.2f} months with {at_risk} at risk")
    assert not found, "; ".join(found)


@pytest.mark.parametrize("case", ["survival"])
def test_page_quantiles_not_from_the_hidden_tail(outputs, case):
    summary = _page_table(outputs, case, "Group", "n")
    assert summary is not None
    os_days = real_cohort()["os_days"].astype(float)
    found = []
    for col in summary.columns:
        if "percentile" in str(col) or "Median" in str(col):
            for cell in summary[col]:
                for v in re.findall(r"\d+(?:\.\d+)?", str(cell)):
                    at_risk = int((os_days >= float(v) * MONTH - 1e-6).sum())
                    if at_risk < THRESHOLD:
                        found.append(f"{col}: {cell} ({v} months: {at_risk} at risk)")
    assert not found, "; ".join(found)


# ------------------------------------------------------------------------------ responses
@pytest.mark.parametrize(
    "case",
    [
        "responses --json",
        "responses --denominator all --json",
        "responses --domain symptomatic --json",
    ],
)
def test_response_counts_do_not_derive_hidden_categories(outputs, case):
    """ORR - PR = CR, DCR - ORR = SD, evaluable - sum of categories, patients - evaluable."""
    js = outputs.cli_json(case)
    found = []
    for g in js.get("groups", []) + (
        [js["overall"]] if isinstance(js.get("overall"), dict) else []
    ):
        cats = {k: count((v or {}).get("n")) for k, v in (g.get("categories") or {}).items()}
        orr = count((g.get("orr") or {}).get("n"))
        dcr = count((g.get("dcr") or {}).get("n"))
        n, ev = count(g.get("n")), count(g.get("n_evaluable"))
        checks = []
        if orr is not None and cats.get("PR") is not None:
            checks.append(("ORR - PR (= CR)", orr - cats["PR"]))
        if orr is not None and cats.get("CR") is not None:
            checks.append(("ORR - CR (= PR)", orr - cats["CR"]))
        if dcr is not None and orr is not None:
            checks.append(("DCR - ORR (= SD)", dcr - orr))
        if n is not None and ev is not None:
            checks.append(("patients - evaluable (= NE + missing)", n - ev))
        if ev is not None and cats:
            gap = partition_gap(ev, list(cats.values()))
            if gap is not None:
                checks.append(("evaluable - shown categories", gap))
        for k, v in (g.get("categories") or {}).items():
            p = (v or {}).get("pct")
            if count((v or {}).get("n")) is None and isinstance(p, int | float) and p > 0:
                base = ev if ev is not None else n
                if base:
                    checks.append((f"{k} from its percentage", round(p * base / 100)))
        found += [f"{g.get('label')}: {name} = {v}" for name, v in checks if small(v)]
    assert not found, "\n".join(found)


def _margin_leaks(frame) -> list[str]:
    """A grouped table with an 'All' row: All minus the shown group cells, per count column."""
    from tests.privacy.collect import COUNT_HEADER

    if "Group" not in frame.columns:
        return []
    is_all = frame["Group"].astype(str).str.strip().isin(["All", "Overall", "Total"])
    if is_all.sum() != 1 or len(frame) < 3:
        return []
    total_row, groups = frame[is_all].iloc[0], frame[~is_all]
    found = []
    for col in frame.columns:
        if not COUNT_HEADER.search(str(col).strip()):
            continue
        gap = partition_gap(count(total_row[col]), list(groups[col]))
        if small(gap):
            found.append(f"{col}: All {total_row[col]!r} minus shown groups = {gap}")
    return found


@pytest.mark.parametrize(
    "case",
    [
        "response rby=sex",
        "response rby=primary_site",
        "report --by sex",
        "report --by primary_site",
    ],
)
def test_grouped_response_tables_have_no_margin_leak(outputs, case):
    frames = []
    if case.startswith("report"):
        rc, _, files = outputs.report(case)
        frames = [
            csv_frame(_strip_comments(text))
            for name, text in files
            if name.startswith("responses_") and name.endswith(".csv")
        ]
    else:
        frames = [t.astype(str) for t in outputs.page(case).tables if "Group" in t.columns]
    found = [s for f in frames for s in _margin_leaks(f)]
    assert not found, f"{case}: " + "; ".join(found[:8])


# ------------------------------------------------------------------------------ planted facts
def test_the_fixture_holds_the_small_cells_the_attacks_need():
    """The planted counts are really there (so passing attacks are not vacuous)."""
    from tests.privacy.cohort import facts

    assert facts(real_cohort()) == SMALL
    assert all(0 < v < THRESHOLD for v in SMALL.values())
