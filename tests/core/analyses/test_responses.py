"""Response views: seed 002 tables through the views and the CLI, grouping, chart frames,
swimmer lanes, adverse events and small-cell protection."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.analyses.responses import (
    ADMINISTRATION,
    ALIVE,
    DIED,
    PROGRESSION,
    RESPONSE_GROUPINGS,
    SWIMMER_MAX_PATIENTS,
    ResponseSpec,
    adverse_event_export_frame,
    adverse_event_frame,
    adverse_event_message,
    adverse_event_view,
    analyse,
    bar_frame,
    export_frame,
    grouped_frame,
    load_inputs,
    method_line,
    percentages,
    protected_json,
    protected_table,
    protection,
    rate_frame,
    response_analysis,
    response_event,
    swimmer,
    swimmer_message,
    table_frame,
    table_notes,
    test_text,
)
from core.analyses.survival import GROUPINGS
from core.cli import main
from core.data.filters import Filters
from core.present.charts_response import response_chart, swimmer_chart
from core.stats.responses import GroupTestMethod, binomial_ci, to_json_dict
from core.vocab.methods import DAYS_PER_MONTH, BinomialCI, Denominator, ResponseDomain

PGEP = "pgep-mibg-211"
IA = "ia-hepatic-6"

# Seed 002 (manuscript), Results: imaging CR 2%, PR 18%, SD 60%, PD 20% of 125 evaluable;
# symptomatic improvement 71% of 158; biochemical response 34%, stable 48%, progression 18%
# of 62 with markers.
SEED = {
    "imaging": (125, {"CR": 2, "PR": 18, "SD": 60, "PD": 20}),
    "symptomatic": (158, {"improved": 71}),
    "biochemical": (62, {"response": 34, "stable": 48, "progression": 18}),
}


@pytest.fixture(scope="module")
def pgep(default_db):
    return load_inputs(Filters(cohorts=(PGEP,)), default_db)


@pytest.fixture(scope="module")
def ia(default_db):
    return load_inputs(Filters(cohorts=(IA,)), default_db)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


# ------------------------------------------------------------------ seed 002 through the views
@pytest.mark.parametrize("domain", list(SEED))
def test_seed_percentages_and_denominators_through_the_views(pgep, domain):
    n_eval, expected = SEED[domain]
    table = response_analysis(pgep.patients, ResponseSpec(domain=domain))
    assert table.overall.n == 211 and table.overall.n_evaluable == n_eval
    pcts = percentages(table)
    assert {code: round(pcts[code]) for code in expected} == expected
    assert all(p.denominator == n_eval for p in table.overall.categories.values())
    frame = table_frame(table)
    assert frame.loc[0, "Denominator (evaluable patients)"] == n_eval
    assert frame.loc[0, "Patients"] == 211
    assert (
        frame.loc[0, "Evaluable"] + frame.loc[0, "Not evaluable (NE)"] + frame.loc[0, "Missing"]
        == 211
    )


def test_seed_imaging_cells_read_count_percent_and_exact_interval(pgep):
    table = response_analysis(pgep.patients, ResponseSpec())
    row = table_frame(table).iloc[0]
    lo, hi = binomial_ci(3, 125)
    assert row["Complete response, n (%; 95% CI)"] == f"3 (2.4%; {100 * lo:.1f}–{100 * hi:.1f})"
    assert row["Objective response rate (CR + PR), n (%; 95% CI)"].startswith("25 (20.0%; ")
    assert row["Disease control rate (CR + PR + SD), n (%; 95% CI)"].startswith("100 (80.0%; ")
    assert row["Not evaluable (NE)"] == 18 and row["Missing"] == 68


def test_all_treated_denominator_changes_every_rate(pgep):
    table = response_analysis(pgep.patients, ResponseSpec(denominator=Denominator.ALL))
    assert table.overall.categories["CR"].denominator == 211
    assert table.overall.categories["CR"].pct == pytest.approx(100 * 3 / 211)
    assert "Denominator (all treated patients)" in table_frame(table).columns
    bars = bar_frame(table)
    # the not-evaluable/missing segment closes the bar at 100% of all treated patients
    assert bars["pct"].sum() == pytest.approx(100.0)
    assert bars.loc[bars["code"] == "NE", "n"].item() == 86


# ------------------------------------------------------------------ seed 002 through the CLI
@pytest.mark.parametrize("domain", list(SEED))
def test_seed_tables_through_the_cli(default_db, capsys, domain):
    rc, out, err = _cli(
        capsys, "responses", "--cohort", PGEP, "--db", str(default_db), "--domain", domain, "--json"
    )
    assert rc == 0, err
    data = json.loads(out)
    assert set(data) == {"domain", "ci_method", "groups", "test", "disclosure"}
    # published cases: nothing to protect, and the output says which mode it is in
    assert data["disclosure"] == {"mode": "protected", "threshold": None, "real_data": False}
    assert (data["domain"], data["ci_method"], data["test"]) == (domain, "clopper-pearson", None)
    (group,) = data["groups"]
    n_eval, expected = SEED[domain]
    assert (group["label"], group["n"], group["n_evaluable"]) == ("All", 211, n_eval)
    cats = group["categories"]
    assert {code: round(cats[code]["pct"]) for code in expected} == expected
    for cell in cats.values():
        lo, hi = binomial_ci(cell["n"], n_eval)
        assert cell["ci"] == pytest.approx([100 * lo, 100 * hi], abs=1e-9)
    if domain == "imaging":
        assert (group["orr"]["n"], group["dcr"]["n"]) == (25, 100)
        assert group["orr"]["pct"] == pytest.approx(20.0)
    else:
        assert group["orr"] is None and group["dcr"] is None


def test_cli_grouping_denominator_and_interval(default_db, capsys):
    rc, out, _ = _cli(
        capsys,
        "responses",
        "--cohort",
        PGEP,
        "--db",
        str(default_db),
        "--by",
        "sex",
        "--denominator",
        "all",
        "--ci",
        "wilson",
        "--json",
    )
    assert rc == 0
    data = json.loads(out)
    assert data["ci_method"] == "wilson"
    assert [g["label"] for g in data["groups"]] == ["Female", "Male"]
    assert sum(g["n"] for g in data["groups"]) == 211
    assert data["test"]["method"] in GroupTestMethod.codes()
    assert 0.0 <= data["test"]["p"] <= 1.0
    female = data["groups"][0]
    cr = female["categories"]["CR"]
    lo, hi = binomial_ci(cr["n"], female["n"], BinomialCI.WILSON)
    assert cr["ci"] == pytest.approx([100 * lo, 100 * hi], abs=1e-9)
    # the CLI prints exactly what to_json_dict gives for the same table
    spec = ResponseSpec(denominator="all", ci="wilson", by="sex")
    result = analyse(Filters(cohorts=(PGEP,)), spec, default_db)
    data.pop("disclosure")
    assert data == json.loads(json.dumps(to_json_dict(result.table)))


def test_cli_text_output_and_filters(default_db, capsys):
    rc, out, _ = _cli(
        capsys,
        "responses",
        "--cohort",
        PGEP,
        "--db",
        str(default_db),
        "--filter",
        "primary_site=small_bowel",
        "--by",
        "grade",
    )
    assert rc == 0
    assert out.startswith("pgep-mibg-211 · small bowel · n=67")
    assert "Complete response" in out and "Fisher" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--filter", "colour=red"], "--filter 'colour=red'"),
        (["--filter", "grade=G9"], "grade"),
    ],
)
def test_cli_rejects_bad_input_with_exit_2(default_db, capsys, args, message):
    rc, out, err = _cli(capsys, "responses", "--cohort", PGEP, "--db", str(default_db), *args)
    assert rc == 2 and out == ""
    assert message in err


def test_cli_rejects_post_baseline_grouping(default_db, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["responses", "--cohort", PGEP, "--db", str(default_db), "--by", "imaging_response"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# ------------------------------------------------------------------ grouping
def test_groupings_are_the_baseline_survival_groupings():
    assert set(RESPONSE_GROUPINGS) == {k for k, g in GROUPINGS.items() if not g.post_baseline}
    assert "cohort_id" in RESPONSE_GROUPINGS and "treatments" not in RESPONSE_GROUPINGS
    with pytest.raises(ValueError, match="cannot group responses by 'imaging_response'"):
        ResponseSpec(by="imaging_response")
    with pytest.raises(ValueError, match="unknown BinomialCI"):
        ResponseSpec(ci="wald")


def test_grouping_labels_merge_values_and_keep_the_order(pgep):
    frame = grouped_frame(pgep.patients, ResponseSpec(by="age_65"))
    assert list(frame["age_65"].cat.categories) == ["Under 65", "65 or older"]
    older = (pgep.patients["age"] >= 65).sum()
    assert (frame["age_65"] == "65 or older").sum() == older
    table = response_analysis(pgep.patients, ResponseSpec(by="age_65"))
    assert [g.n for g in table.groups] == [211 - older, older]
    assert table.test is not None


def test_missing_grouping_values_are_counted_in_all_and_noted(ia):
    # the poster gives no individual ages: every patient is in no age group
    table = response_analysis(ia.patients, ResponseSpec(domain="symptomatic", by="age_65"))
    assert table.groups == () and table.n_by_missing == 6 and table.test is None
    frame = table_frame(table)
    assert list(frame["Group"]) == ["All"]
    assert any("6 patient(s) with no recorded age 65 or older" in n for n in table_notes(table))
    assert test_text(table).startswith("Fewer than two groups")


def test_group_test_is_named_and_matches_the_table(pgep):
    table = response_analysis(pgep.patients, ResponseSpec(by="grade"))
    text = test_text(table)
    assert text.startswith(table.test.method.label)
    assert test_text(response_analysis(pgep.patients, ResponseSpec())) == ""
    frame = table_frame(table)
    assert list(frame["Group"]) == ["G1", "G2", "G3", "GX (not assessed)", "All"]
    assert frame["Patients"].iloc[:-1].sum() == frame["Patients"].iloc[-1] == 211


def test_method_line_names_denominator_interval_and_tests():
    line = method_line(ResponseSpec(domain="biochemical", ci="jeffreys", by="sex"))
    assert ResponseDomain.BIOCHEMICAL.label in line
    assert BinomialCI.JEFFREYS.label in line and "evaluable patients" in line
    assert "Fisher-Freeman-Halton" in line and "Monte Carlo" in line and "chi-square" not in line
    assert "Fisher" not in method_line(ResponseSpec())


# ------------------------------------------------------------------ chart frames
@pytest.mark.parametrize("domain", list(SEED))
def test_bar_and_rate_frames_follow_the_table(pgep, domain):
    table = response_analysis(pgep.patients, ResponseSpec(domain=domain, by="sex"))
    bars = bar_frame(table)
    for bar, part in bars.groupby("bar"):
        assert part["pct"].sum() == pytest.approx(100.0)
        assert part["n"].sum() == part["n_bar"].iloc[0]
        assert f"n = {part['n_bar'].iloc[0]} evaluable" in bar
    assert set(bars["group"]) == {"Female", "Male", "All"}
    rates = rate_frame(table)
    spec_rates = {"imaging": {"orr", "dcr"}, "symptomatic": {"improved"}}
    assert set(rates["rate"]) == spec_rates.get(domain, {"response", "response_or_stable"})
    for r in rates.itertuples():
        g = (
            table.overall
            if r.group == "All"
            else next(x for x in table.groups if x.label == r.group)
        )
        p = g.derived[r.rate]
        assert (r.n, r.denominator, r.pct, r.lower, r.upper) == (
            p.n,
            p.denominator,
            p.pct,
            p.lower,
            p.upper,
        )
        assert f"(n = {p.denominator} evaluable)" in r.row


def test_export_frame_is_numeric_and_complete(pgep):
    table = response_analysis(pgep.patients, ResponseSpec(by="sex"))
    ex = export_frame(table)
    # 3 rows (Female, Male, All) x (4 categories + 2 rates + NE/missing)
    assert len(ex) == 3 * 7
    cr = ex[(ex["group"] == "All") & (ex["code"] == "CR")].iloc[0]
    assert (cr["n"], cr["denominator"], cr["pct"]) == (3, 125, pytest.approx(2.4))
    ne = ex[(ex["group"] == "All") & (ex["kind"] == "not_evaluable_or_missing")].iloc[0]
    assert (ne["n"], ne["denominator"]) == (86, 211)
    assert set(ex["test"]) == {table.test.method.value}


def test_charts_build_with_percent_axes_and_n(pgep, ia):
    table = response_analysis(pgep.patients, ResponseSpec(by="grade"))
    spec = json.dumps(response_chart(table).to_dict())
    assert "Patients (% of evaluable patients)" in spec
    assert "datum.value + '%'" in spec
    assert "'n = ' + datum.n_bar" in spec
    assert "Objective response rate (CR + PR) (% of evaluable patients" in spec
    sw = swimmer(ia)
    swim = swimmer_chart(sw).to_dict()
    spec = json.dumps(swim)
    assert f"Months from first treatment (days / {DAYS_PER_MONTH:g})" in spec
    assert "Published case note" in spec
    assert swim["height"] == 20 * 6
    # Streamlit's default autosize ("fit") would squeeze a short chart's lanes to nothing
    assert swim["autosize"]["type"] == "pad"
    assert response_chart(table).to_dict()["autosize"]["type"] == "pad"


def test_chart_with_no_denominator_says_so(default_db):
    inputs = load_inputs(Filters(cohorts=("nguyen-2004",)), default_db)
    table = response_analysis(inputs.patients, ResponseSpec())  # nobody imaged
    assert bar_frame(table).empty and rate_frame(table).empty
    assert "No rates to draw" in json.dumps(response_chart(table).to_dict())
    assert any("No evaluable patients in this selection" in n for n in table_notes(table))


# ------------------------------------------------------------------ swimmer
def test_swimmer_lanes_markers_and_notes_on_the_published_cases(ia):
    sw = swimmer(ia)
    assert sw is not None and sw.n == 6
    # ordered by follow-up, longest first
    assert list(sw.lanes["months"]) == sorted(sw.lanes["months"], reverse=True)
    assert list(sw.lanes["lane"][:2]) == ["ia-01", "ia-04"]
    status = dict(zip(sw.lanes["lane"], sw.lanes["status"], strict=True))
    assert {k for k, v in status.items() if v == DIED} == {"ia-02", "ia-03", "ia-05"}
    ev = sw.events
    admin = ev[ev["event"] == ADMINISTRATION]
    # 11 infusions, 4 with an unknown day (ia-01 and ia-04 cycles 2-3) are not drawn
    assert len(admin) == 7
    ia05 = admin[admin["lane"] == "ia-05"]
    assert list(ia05["day"]) == [0, 108]
    assert ia05["months"].iloc[1] == pytest.approx(108 / DAYS_PER_MONTH)
    assert "7,400 MBq" in ia05["detail"].iloc[1] and "approximated" in ia05["detail"].iloc[1]
    # progression only where it is not the death itself
    prog = ev[ev["event"] == PROGRESSION]
    assert list(prog["lane"]) == ["ia-05"] and list(prog["day"]) == [171]
    assert (ev["event"] == DIED).sum() == 3 and (ev["event"] == ALIVE).sum() == 3
    assert "ia-01: cycle 2 (7,400 MBq), cycle 3 (7,400 MBq)" in sw.not_drawn[0]
    assert "ia-01 (SD)" in sw.not_drawn[1]
    ia01 = sw.lanes[sw.lanes["lane"] == "ia-01"].iloc[0]
    assert ia01["unknown_day_cycles"].startswith("cycle 2")
    assert "Midgut carcinoid" in ia01["note"]


def test_swimmer_marks_responses_at_their_day(default_db):
    inputs = load_inputs(Filters(cohorts=("stage4-unselected-50",)), default_db)
    sw = swimmer(inputs)
    assert sw.n == 50
    resp = sw.events[sw.events["event"].str.startswith("Imaging response")]
    pts = inputs.patients.set_index("patient_id")
    assessed = pts[pts["imaging_response_days"].notna()]
    assert len(resp) == len(assessed)
    row = resp.iloc[0]
    assert row["event"] == response_event(pts.loc[row["lane"], "imaging_response"])
    assert row["day"] == pts.loc[row["lane"], "imaging_response_days"]


def test_swimmer_includes_untreated_patients_and_refuses_large_views(default_db, pgep):
    inputs = load_inputs(Filters(cohorts=("nguyen-2004",)), default_db)
    sw = swimmer(inputs)
    assert sw.n == 32
    untreated = sw.lanes[sw.lanes["lane"].str.endswith("(untreated)")]
    assert len(untreated) == (inputs.patients["agent"] == "none").sum() > 0
    assert not set(untreated["lane"]) & set(
        sw.events.loc[sw.events["event"] == ADMINISTRATION, "lane"]
    )
    assert swimmer(pgep) is None
    msg = swimmer_message(pgep.n)
    assert f"up to {SWIMMER_MAX_PATIENTS}" in msg and "has 211" in msg and "Narrow" in msg
    assert swimmer_message(SWIMMER_MAX_PATIENTS) is None


def test_swimmer_lanes_name_the_cohort_when_several_are_in_view(default_db):
    inputs = load_inputs(Filters(cohorts=(IA, "nguyen-2004")), default_db)
    sw = swimmer(inputs)
    assert sw.n == 38
    assert "ia-hepatic-6 · ia-05" in set(sw.lanes["lane"])


# ------------------------------------------------------------------ adverse events
def test_adverse_events_on_the_published_cases(ia):
    view = adverse_event_view(ia)
    assert view.has_data and view.n_patients == 6
    frame = adverse_event_frame(view)
    rows = dict(zip(frame["Term"], frame["Any grade, n (%; 95% CI)"], strict=True))
    lo, hi = binomial_ci(3, 6)
    assert rows["Platelet count decreased"] == f"3 (50.0%; {100 * lo:.1f}–{100 * hi:.1f})"
    assert rows["Nausea"].startswith("1 (16.7%; ")
    g3 = dict(zip(frame["Term"], frame["Grade ≥3, n (%; 95% CI)"], strict=True))
    assert g3["Platelet count decreased"].startswith("1 (16.7%") and g3["Nausea"].startswith("0 ")
    ex = adverse_event_export_frame(view)
    plt = ex[(ex["term"] == "Platelet count decreased") & (ex["grade"] == "any")].iloc[0]
    assert (plt["n"], plt["denominator"]) == (3, 6)
    assert plt["ci_lower"] == pytest.approx(100 * lo)
    assert "over all 6 patients in view" in adverse_event_message(view)


def test_cohort_without_adverse_event_data_says_so(pgep):
    view = adverse_event_view(pgep)
    assert not view.has_data and view.rows == ()
    msg = adverse_event_message(view)
    assert "No adverse-event data" in msg and "pgep-mibg-211" in msg and "reported" in msg


def test_adverse_event_denominator_leaves_out_cohorts_without_data(default_db):
    inputs = load_inputs(Filters(cohorts=(IA, PGEP)), default_db)
    view = adverse_event_view(inputs, BinomialCI.WILSON)
    assert view.n_patients == 6 and view.n_in_view == 217
    assert view.cohorts_without_data == (PGEP,)
    assert view.rows[0].any_grade.denominator == 6
    assert view.rows[0].any_grade.method is BinomialCI.WILSON
    assert "their 211 patients are left out of the denominator" in adverse_event_message(view)


def test_adverse_events_of_a_subset_without_events_count_zero(default_db):
    # ia-06 (rectum) had no adverse event, but the cohort records them: 0 of 1, no message
    inputs = load_inputs(Filters(cohorts=(IA,), primary_site=("rectum",)), default_db)
    view = adverse_event_view(inputs)
    assert view.has_data and view.n_patients == 1 and view.rows == ()
    assert "No patient in this selection had a recorded adverse event" in (
        adverse_event_message(view)
    )


# ------------------------------------------------------------------ disclosure control
# Unit rules on hand-made tables, then attacks on an imported cohort built by code
# (tests/core/analyses/_small_cohort.py): imaging CR 3, PR 20, SD 30, PD 15, NE 4, missing 8;
# nausea in 8 patients, thrombocytopenia in 25 (4 at grade 3); and an 8-patient cohort.
import re  # noqa: E402

import numpy as np  # noqa: E402

from core.analyses.disclosure import Disclosure, Mode  # noqa: E402
from core.analyses.responses import _rows  # noqa: E402
from core.present.paragraphs import results_paragraph  # noqa: E402
from core.stats.responses import RESPONSE_DOMAINS, AERow  # noqa: E402
from tests.core.analyses import _small_cohort as sc  # noqa: E402

SMALL = Disclosure(11)
T = sc.T


def _patients(groups: dict[str, dict[str | None, int]]) -> pd.DataFrame:
    rows = []
    for label, counts in groups.items():
        for code, k in counts.items():
            rows += [{"sex": label, "imaging_response": code}] * k
    return pd.DataFrame(rows)


def _lead(text: object) -> int | None:
    m = re.match(r"^(\d+)( \(|$)", str(text))
    return int(m.group(1)) if m else None


def _solve(table, frame: pd.DataFrame, notes: list[str]) -> list[tuple]:
    """Hidden counts a reader can solve for from the shown frame and notes (linear algebra
    over the table's additive structure, written independently of the suppression code)."""
    spec = RESPONSE_DOMAINS[table.domain]
    var: dict[tuple, int] = {}
    truth: list[int] = []
    eqs: list[dict[int, float]] = []

    def v(row, key, value):
        if (row, key) not in var:
            var[(row, key)] = len(truth)
            truth.append(int(value))
        return var[(row, key)]

    rows = _rows(table)
    cells_of = {}
    for g in rows:
        c = {"n": g.n, "eval": g.n_evaluable, "ne": g.n_not_evaluable, "miss": g.n_missing}
        c.update({code: p.n for code, p in g.categories.items()})
        c.update({d.name: g.derived[d.name].n for d in spec.derived})
        cells_of[g.label] = c
    if table.by is not None:
        total = cells_of["All"]
        cells_of["none"] = {
            k: total[k] - sum(cells_of[g.label][k] for g in table.groups) for k in total
        }
    for row, c in cells_of.items():
        for k, value in c.items():
            v(row, k, value)
        eqs.append({**{var[(row, code)]: 1 for code in spec.codes}, var[(row, "eval")]: -1})
        eqs.append({var[(row, k)]: 1 for k in ("eval", "ne", "miss")} | {var[(row, "n")]: -1})
        for d in spec.derived:
            if len(d.members) > 1:
                eq = {var[(row, m)]: 1 for m in d.members}
                eq[var[(row, d.name)]] = -1
                eqs.append(eq)
    if table.by is not None:
        for k in cells_of["All"]:
            eq = {var[(g.label, k)]: 1 for g in table.groups}
            eq[var[("none", k)]] = 1
            eq[var[("All", k)]] = -1
            eqs.append(eq)
    known: dict[int, int] = {}
    ci = f"{round(100 * table.conf_level)}% CI"
    columns = {"Patients": "n", "Evaluable": "eval", "Not evaluable (NE)": "ne", "Missing": "miss"}
    columns.update({f"{spec.code_labels[c]}, n (%; {ci})": c for c in spec.codes})
    columns.update({f"{d.label}, n (%; {ci})": d.name for d in spec.derived})
    for rec in frame.to_dict("records"):
        for col, key in columns.items():
            x = _lead(rec[col])
            if x is not None:
                known[var[(rec["Group"], key)]] = x
    for note in notes:
        m = re.match(r"^(\d+) patient\(s\) with no recorded", note)
        if m:
            known[var[("none", "n")]] = int(m.group(1))
    a = np.zeros((len(eqs), len(truth)))
    for j, eq in enumerate(eqs):
        for i, coef in eq.items():
            a[j, i] += coef
    for i, x in known.items():
        assert truth[i] == x
        a[:, i] = 0
    unknown = [i for i in range(len(truth)) if i not in known]
    _, s, vt = np.linalg.svd(a[:, unknown])
    null = vt[int((s > 1e-9).sum()) :]
    names = {i: k for k, i in var.items()}
    return [
        (names[i], truth[i])
        for j, i in enumerate(unknown)
        if np.abs(null[:, j]).max(initial=0) < 1e-9 and 0 < truth[i] < T
    ]


SMALL_COUNT = re.compile(r"(?<![\w.,])([1-9]|10)(?: \(|/\d| of \d)|\bn ?= ?([1-9]|10)\b")
"""A count below 11 as it would read in a table cell, a rate, a sentence or a bar label."""


def _small_counts(text: str) -> list[str]:
    return [m.group(0) for m in SMALL_COUNT.finditer(text)]


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    from core.data.db import close_all

    path = sc.build(tmp_path_factory.mktemp("resppriv") / "small.duckdb")
    yield path
    close_all()


def test_a_small_count_withholds_complements_in_its_row_and_column():
    df = _patients(
        {
            "female": {"CR": 3, "PR": 20, "SD": 30, "PD": 15},  # CR 3
            "male": {"CR": 12, "PR": 20, "SD": 30, "PD": 15, None: 11},
        }
    )
    table = response_analysis(df, ResponseSpec(by="sex"))
    prot = protection(table, SMALL)
    frame = table_frame(table, prot).set_index("Group")
    assert frame.loc["Female", "Complete response, n (%; 95% CI)"] == "<11"
    # All minus Male would give Female's CR: Male's CR is withheld too
    assert frame.loc["Male", "Complete response, n (%; 95% CI)"] == "suppressed"
    assert frame.loc["All", "Complete response, n (%; 95% CI)"].startswith("15 (")
    assert _solve(table, table_frame(table, prot), table_notes(table, prot)) == []
    # against the small count alone, the attack recovers it
    naive = table_frame(table).astype(str)
    naive.loc[naive["Group"] == "Female", "Complete response, n (%; 95% CI)"] = "<11"
    assert _solve(table, naive, []) == [(("Female", "CR"), 3)]
    # charts and text carry only rows whose every count is shown; the test is withheld
    assert set(bar_frame(table, prot)["group"]) == {"All"}
    rates = rate_frame(table, prot)
    assert len(rates) and not any(prot.hides(r.group, r.rate) for r in rates.itertuples())
    assert prot.test_withheld and "withheld" in test_text(table, prot)
    shown = protected_table(table, prot)
    assert shown.groups == () and shown.test is None
    data = protected_json(to_json_dict(table), table, prot)
    assert data["groups"][0]["categories"]["CR"] == {"n": None, "pct": None, "ci": [None, None]}
    assert data["test"] is None


def test_a_small_group_size_and_its_complement_are_withheld():
    df = _patients(
        {
            "female": {"CR": 11, "PR": 20, "SD": 30, "PD": 15},
            "male": {"CR": 12, "PR": 20, "SD": 30, "PD": 15},
            "unknown": {"SD": 4},
        }
    )
    table = response_analysis(df, ResponseSpec(by="sex"))
    prot = protection(table, SMALL)
    frame = table_frame(table, prot).set_index("Group")
    assert frame.loc["Unknown", "Patients"] == "<11"
    assert "suppressed" in {frame.loc["Female", "Patients"], frame.loc["Male", "Patients"]}
    assert _solve(table, table_frame(table, prot), table_notes(table, prot)) == []
    small = response_analysis(df[df["sex"] == "unknown"], ResponseSpec())
    assert protected_table(small, protection(small, SMALL)) is None
    # no protection for exempt data: the same objects come back
    assert protection(table).hidden == frozenset()
    assert protected_table(table, protection(table)) is table
    assert protected_json({"x": 1}, table, protection(table)) == {"x": 1}


@pytest.mark.parametrize("by", [None, "sex", "grade", "race"])
@pytest.mark.parametrize("domain", ["imaging", "symptomatic", "biochemical"])
@pytest.mark.parametrize("denominator", ["evaluable", "all"])
def test_no_hidden_response_count_can_be_solved_for(small_db, by, domain, denominator):
    spec = ResponseSpec(domain=domain, denominator=denominator, by=by)
    result = analyse(Filters(cohorts=(sc.REAL,)), spec, small_db)
    assert result.disclosure.active and not result.refused
    assert _solve(result.table, result.frame(), result.notes()) == []
    for text in (
        result.frame().to_csv(),
        result.export().to_csv(),
        json.dumps(result.json()),
        " ".join(result.notes()),
        result.test_text(),
        json.dumps(response_chart(result.table, result.protection).to_dict()),
        results_paragraph(None, responses=[result.shown_table()]),
    ):
        assert _small_counts(text) == [], text[:300]


def test_imaging_counts_of_the_imported_cohort(small_db):
    # CR 3 of 68 evaluable: "3 (4.4%; ...)" and "3/68" were shown before
    result = analyse(Filters(cohorts=(sc.REAL,)), ResponseSpec(), small_db)
    row = result.frame().iloc[0]
    assert row["Complete response, n (%; 95% CI)"] == "<11"
    assert row["Not evaluable (NE)"] == "<11" and row["Missing"] == "<11"
    assert row["Patients"] == "80" and row["Evaluable"] == "68"
    cr = next(r for r in result.export().to_dict("records") if r["code"] == "CR")
    assert pd.isna(cr["n"]) and pd.isna(cr["pct"]) and pd.isna(cr["ci_lower"])
    data = result.json()
    assert data["groups"][0]["categories"]["CR"]["n"] is None
    assert data["disclosure"] == {"mode": "protected", "threshold": 11, "real_data": True}


def test_exact_mode_shows_every_count_and_the_statistics_are_the_same(small_db):
    f = Filters(cohorts=(sc.REAL,))
    spec = ResponseSpec(by="grade")
    exact = analyse(f, spec, small_db, mode=Mode.EXACT)
    shown = analyse(f, spec, small_db)
    assert exact.protection.hidden == frozenset() and not exact.disclosure.active
    assert exact.json()["disclosure"]["mode"] == "exact"
    assert exact.table == shown.table  # protected mode only changes what is shown
    assert exact.frame().iloc[-1]["Complete response, n (%; 95% CI)"].startswith("3 (4.4%; ")
    assert exact.json()["test"]["p"] == pytest.approx(shown.table.test.p, abs=0)
    assert shown.json()["test"] is None  # G3 and GX groups have small counts


def test_cli_json_and_text_carry_the_mode_and_no_small_count(small_db, capsys):
    base = ["responses", "--cohort", sc.REAL, "--db", str(small_db), "--by", "sex"]
    rc, out, _ = _cli(capsys, *base, "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["disclosure"]["mode"] == "protected" and data["disclosure"]["threshold"] == 11
    for g in data["groups"]:
        for key in ("n", "n_evaluable"):
            assert g[key] is None or g[key] == 0 or g[key] >= T
    rc, out, _ = _cli(capsys, *base)
    assert rc == 0 and _small_counts(out) == []
    assert "Protected figures: counts below 11 withheld" in out
    rc, out, _ = _cli(capsys, *base, "--json", "--disclosure", "exact")
    exact = json.loads(out)
    assert exact["disclosure"]["mode"] == "exact"
    assert sum(g["categories"]["CR"]["n"] for g in exact["groups"]) == 3


def test_a_small_imported_selection_is_refused_everywhere(small_db, capsys):
    f = Filters(cohorts=(sc.TINY,))
    result = analyse(f, ResponseSpec(), small_db)
    assert result.refused and result.table is None and result.frame().empty
    assert result.json()["groups"] == [] and "fewer than 11" in result.json()["refusal"]
    inputs = load_inputs(f, small_db)
    assert inputs.refused and inputs.n == 0 and swimmer(inputs) is None
    assert adverse_event_view(inputs).rows == ()
    rc, out, _ = _cli(capsys, "responses", "--cohort", sc.TINY, "--db", str(small_db))
    assert rc == 0 and "fewer than 11" in out and "n=8" not in out
    assert not analyse(f, ResponseSpec(), small_db, mode=Mode.EXACT).refused


def test_no_swimmer_lanes_for_imported_data_in_protected_mode(small_db):
    f = Filters(cohorts=(sc.REAL,))
    protected = load_inputs(f, small_db)
    assert swimmer(protected) is None
    assert "not drawn when imported" in swimmer_message(protected.n, disclosure=SMALL)
    assert swimmer(load_inputs(f, small_db, mode=Mode.EXACT)).n == 80


def test_adverse_event_counts_of_the_imported_cohort(small_db):
    f = Filters(cohorts=(sc.REAL,))
    view = adverse_event_view(load_inputs(f, small_db))
    frame = adverse_event_frame(view).set_index("Term")
    assert frame.loc["Nausea", "Any grade, n (%; 95% CI)"] == "<11"
    assert frame.loc["Thrombocytopenia", "Grade ≥3, n (%; 95% CI)"] == "<11"
    assert frame.loc["Thrombocytopenia", "Any grade, n (%; 95% CI)"].startswith("25 (31.2%; ")
    assert frame.loc["Nausea", "Grade ≥3, n (%; 95% CI)"].startswith("0 (")
    ex = adverse_event_export_frame(view)
    assert set(zip(ex["term"], ex["grade"], strict=True)) == {
        ("Thrombocytopenia", "any"),
        ("Nausea", "grade3plus"),
    }
    text = " ".join([adverse_event_message(view), frame.to_csv(), ex.to_csv()])
    assert _small_counts(text) == []
    exact = adverse_event_view(load_inputs(f, small_db, mode=Mode.EXACT))
    assert (
        adverse_event_frame(exact)
        .set_index("Term")
        .loc["Nausea", "Any grade, n (%; 95% CI)"]
        .startswith("8 (10.0%; ")
    )


def test_protected_adverse_events_hide_a_lone_small_cell_with_its_complement():
    # grade 1-2 = any - grade >= 3: a small grade >= 3 count with the any-grade count shown
    # is safe only because grade 1-2 is not shown; a small "no event" count hides any-grade
    from core.analyses.responses import _ae_protection
    from core.stats.responses import proportion

    def row(term, any_n, g3):
        return AERow(term, proportion(any_n, 40), proportion(g3, 40))

    hidden, withheld = _ae_protection((row("Fatigue", 35, 20), row("Rash", 12, 3)), 40, 40, SMALL)
    assert withheld == ""
    assert ("Fatigue", "any") in hidden  # 40 - 35 = 5 patients without fatigue
    assert ("Rash", "grade3plus") in hidden and ("Rash", "any") not in hidden
    _, withheld = _ae_protection((row("Rash", 12, 3),), 40, 45, SMALL)
    assert "not shown" in withheld  # 5 patients left out of the denominator
