"""Red team for the effect differences (Survival) and the duration of response (Response):
in protected mode no count 1-10 of ``real-60`` is shown or derivable from them, no comparison
involves a suppressed group, the swimmer export is not offered; exact mode shows the small
counts (so the checks cannot pass by showing nothing)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.privacy.cohort import REAL, SMALL, real_cohort, write_csv
from tests.privacy.collect import leaks, page_texts, run_cli, run_page


def _cli_json(argv: list[str], mode: str | None = None) -> dict:
    rc, out, err = run_cli(argv, mode)
    assert rc == 0, err[-1500:]
    return json.loads(out)


def _groups_in(js: dict) -> set[str]:
    return {r["group"] for r in js["rmst_difference"] + js["survival_difference"]} | {
        r["reference"] for r in js["rmst_difference"] + js["survival_difference"]
    }


def test_effect_differences_never_involve_a_small_group():
    """Men (8) and lung primaries (4) are suppressed: no difference names them in protected
    mode, and the JSON has no small count; exact mode compares them."""
    for by, small in (("sex", "Male"), ("primary_site", "Lung")):
        argv = ["survival", "--cohort", REAL, "--by", by, "--rmst-horizon", "12", "--json"]
        js = _cli_json(argv)
        assert js["disclosure"]["mode"] == "protected" and js["disclosure"]["threshold"] == 11
        assert small not in _groups_in(js)
        assert not leaks(json.dumps(js))
        exact = _cli_json([*argv, "--disclosure", "exact"])
        assert small in _groups_in(exact)
        assert any(r["estimate"] is not None for r in exact["rmst_difference"])


def test_effect_text_output_has_no_small_count():
    rc, out, err = run_cli(["survival", "--cohort", REAL, "--by", "primary_site"])
    assert rc == 0, err[-1500:]
    assert "effect differences: Fewer than two groups can be compared." in out
    assert not leaks(out)


def test_duration_of_response_left_out_responders_refuse_it():
    """real-60: CR 2 and PR 15; 2 responders' imaging PFS ends on or before the response day
    (day 90). Protected: withheld (17 beside 15 analysed would give the 2 away), nothing but
    the reason; exact: 17 responders, 15 analysed, 2 excluded."""
    argv = ["responses", "--cohort", REAL, "--duration", "--json"]
    prot = _cli_json(argv)
    assert not leaks(json.dumps(prot))
    dor = prot["duration_of_response"]
    assert "left out" in dor["withheld"] and set(dor) == {"withheld", "method"}
    assert prot["time_to_response"] is None
    exact = _cli_json([*argv, "--disclosure", "exact"])
    edor = exact["duration_of_response"]
    assert edor["n_responders"] == SMALL["cr"] + 15
    assert edor["n_analysed"] + sum(edor["excluded"].values()) == edor["n_responders"]
    assert edor["excluded"]["n_pfs_ends_on_or_before_response"] == 2
    assert exact["disclosure"]["mode"] == "exact"


@pytest.fixture(scope="module")
def shown_db(tmp_path_factory):
    """real-60 imported again as ``real-dor`` with CR 12 / PR 20 / SD 15 / PD 13, every
    response assessed on day 20 and every imaging PFS after it: the duration is shown under
    protection, with small numbers at risk and events late in the curve."""
    from core.data.build import build_synthetic
    from core.data.db import close_all

    folder = tmp_path_factory.mktemp("effdor")
    db = folder / "cohorts.duckdb"
    build_synthetic(40, db, seed=5)
    df = real_cohort()
    rng = np.random.default_rng(4)
    df["imaging_response"] = rng.permutation(["CR"] * 12 + ["PR"] * 20 + ["SD"] * 15 + ["PD"] * 13)
    df["imaging_response_days"] = 20
    df["pfs_imaging_days"] = np.maximum(df["pfs_imaging_days"].astype(int), 21)
    df["os_days"] = np.maximum(df["os_days"].astype(int), df["pfs_imaging_days"])
    csv = write_csv(df, folder / "real-dor.csv")
    rc, out, err = run_cli(["import", str(csv), "--cohort", "real-dor", "--db", str(db)])
    assert rc == 0, out + err
    close_all()
    yield db
    close_all()


def test_duration_shown_under_protection_gives_no_small_count(shown_db):
    argv = ["responses", "--cohort", "real-dor", "--db", str(shown_db), "--duration", "--json"]
    prot = _cli_json(argv)
    dor = prot["duration_of_response"]
    # the ORR numerator, shown by the response table too (counts as text, as every JSON here)
    assert (str(dor["n_responders"]), str(dor["n_analysed"])) == ("32", "32")
    assert not leaks(json.dumps(prot))
    assert all(a["at_risk"] == "<11" or int(a["at_risk"]) % 5 == 0 for a in dor["at"])
    assert prot["time_to_response"]["range"] is None
    exact = _cli_json([*argv, "--disclosure", "exact"])
    assert exact["time_to_response"]["range"] is not None
    ex_at = exact["duration_of_response"]["at"]
    small = [a[k] for a in ex_at for k in ("events", "censored") if 0 < a[k] < 11]
    assert small and leaks(json.dumps(exact)), ex_at  # the small numbers exist, exactly
    assert [a["at_risk"] for a in ex_at] != [int(a["at_risk"]) for a in dor["at"]]  # rounded
    rc, out, err = run_cli(argv[:-1])
    assert rc == 0 and "Duration of response: 32 responders" in out and not leaks(out)


def test_response_page_protected_shows_no_small_count_and_no_swimmer_export():
    at = run_page("pages/response.py", {"cohort": REAL})
    assert not at.exception
    texts = page_texts(at)
    assert any("Duration of response" in t for _, t in texts)
    found = [x for _, t in texts for x in leaks(t)]
    assert not found, found[:5]
    labels = [b.proto.label for b in at.get("download_button")]
    assert not any(label.startswith("Swimmer plot") for label in labels)
