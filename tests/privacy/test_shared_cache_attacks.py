"""Red-team attacks on the caches shared between sessions (pages._data._reused / view) and on
the viewer's mode decided once per script run (pages._access.mode).

The policy (docs/PRIVACY.md): an imported cohort is shown exactly to exact-mode viewers only;
a protected viewer must never get, or derive, a count of 1 to 10. Since the in-process map is
shared by every session, each attack lets an exact-mode viewer fill it first and then asks the
same thing as a protected viewer: what the protected viewer gets must be what a protected
viewer gets from an empty cache. Every test asserts the safe behaviour (passes when nothing
leaks).
"""

from __future__ import annotations

import json
import re
import threading
import types
from functools import partial

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.analyses import comparison as benchmark_views
from core.analyses import survival as survival_data
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, reference_group
from core.analyses.view import selection_size
from core.data.filters import Filters
from pages import _access, _data
from tests.app.conftest import ROOT
from tests.privacy.cohort import REAL, SMALL, TINY
from tests.privacy.collect import (
    MODE_ENV,
    csv_leaks,
    disclosure_env,
    json_leaks,
    page_charts,
    page_tables,
    page_texts,
    run_page,
    text_leaks,
)
from tests.privacy.outputs import PAGE_CASES

# ------------------------------------------------------------------------------ helpers


def _snapshot(at) -> str:
    """Everything a viewer receives of a page run (texts, tables, chart payloads), as text."""
    texts = [f"{kind}: {text}" for kind, text in page_texts(at)]
    tables = [
        t.to_csv(index=False) if isinstance(t, pd.DataFrame) else repr(t) for t in page_tables(at)
    ]
    charts = [json.dumps(c, sort_keys=True, default=str) for c in page_charts(at)]
    text = "\n".join([*texts, "--tables--", *tables, "--charts--", *charts])
    return _VOLATILE.sub("<id>", text)  # media file ids and URLs differ per run


_VOLATILE = re.compile(r"[0-9a-f]{32}")


def _run(case: str, mode: str | None, widgets: dict | None = None):
    page, query = PAGE_CASES[case] if isinstance(case, str) else case
    with disclosure_env(mode):
        at = run_page(page, query)
        assert not at.exception, at.exception
        for key, value in (widgets or {}).items():
            at.selectbox(key=key).set_value(value)
        if widgets:
            at.run()
            assert not at.exception, at.exception
    return at


def _exact_then_protected(case, widgets: dict | None = None) -> tuple[str, str, str]:
    """(protected from an empty cache, exact, protected after the exact viewer filled it)."""
    _data.clear()
    cold = _snapshot(_run(case, None, widgets))
    _data.clear()
    exact = _snapshot(_run(case, "exact", widgets))
    warm = _snapshot(_run(case, None, widgets))
    return cold, exact, warm


def _assert_same_as_cold(case, widgets: dict | None = None) -> None:
    cold, exact, warm = _exact_then_protected(case, widgets)
    assert "Exact figures" in exact, f"{case}: the exact run is not in exact mode"
    assert exact != cold, f"{case}: exact and protected views are the same (nothing to leak)"
    assert "Exact figures" not in warm, f"{case}: a protected viewer got the exact banner"
    assert warm == cold, f"{case}: a protected viewer got what the exact viewer left in the cache"


@pytest.fixture
def as_mode(monkeypatch):
    """Set the viewer's mode for direct calls into pages._data (no script run)."""
    state = {"mode": Mode.PROTECTED}
    monkeypatch.setattr(_access, "mode", lambda: state["mode"])

    def set_mode(mode: Mode) -> None:
        state["mode"] = mode

    _data.clear()
    yield set_mode
    _data.clear()


BY_SEX = SurvivalSpec(by="sex")
ALL = f"synth-120,{REAL},{TINY}"  # every cohort of the privacy database


def _filters() -> Filters:
    return Filters(cohorts=(REAL,))


# ------------------------------------------------------------------------------ pages, two sessions


# Each page case: an exact viewer's session first, then a protected viewer's (same URL).
CROSS_SESSION_CASES = [
    "survival by=sex",  # figure, summary, tests, hazard ratios, export outline kept per view
    "survival by=primary_site",
    "survival by=sex cif",  # the CIF analysis via _data.shared and its figure via view
    "survival groups",  # user-defined groups: defined_groups:compare_survival via view
    "response rby=sex",  # response table (_reused), rates table and figures via view
    "cox sex,prior_ssa",  # the Cox model via _data.shared, its tables via view
    "benchmarks",  # forest plots and their captions via view(_data.benchmarks)
    "benchmarks bench=netter1-lu177-orr",  # a benchmark comparison (_data.benchmark_comparison)
    # every cohort: the protected view shows and tests groups (hazard ratios, effects, risk
    # tables), so there is something exact to be left behind in the shared map
    ("pages/survival.py", {"cohort": ALL, "by": "primary_site"}),
    ("pages/survival.py", {"cohort": ALL, "by": "grade", "cif": "1"}),
    ("pages/survival.py", {"cohort": REAL, "arm": "radiant4-everolimus-pfs"}),
    ("pages/survival.py", {"cohort": ALL, "by": "sex", "arm": "radiant4-everolimus-pfs"}),
    ("pages/response.py", {"cohort": ALL, "rby": "primary_site"}),
    ("pages/cox.py", {"cohort": ALL, "covariates": "primary_site,age"}),
    ("pages/cox.py", {"cohort": ALL, "sg": "treatments=Multiple;by=sex,grade,primary_site"}),
    ("pages/cox.py", {"cohort": REAL, "sg": "sex=Male;by=grade,primary_site"}),
]


@pytest.mark.parametrize(
    "case",
    CROSS_SESSION_CASES,
    ids=[c if isinstance(c, str) else repr(c[1]) for c in CROSS_SESSION_CASES],
)
def test_protected_viewer_after_exact_viewer_gets_the_cold_protected_page(case):
    _assert_same_as_cold(case)


def test_arm_comparison_kept_per_view_is_not_served_across_modes():
    """The Benchmarks page's kept arm comparison (figure, risk table, CSV/JSON/paragraph)."""
    _assert_same_as_cold(("pages/benchmarks.py", {"cohort": ALL}), {"arm_choice": _an_arm()})


def test_survival_male_group_is_not_shown_after_an_exact_session():
    """The planted 8 men: exact session sees them; the protected one right after must not."""
    _data.clear()
    exact = _run("survival by=sex", "exact")
    assert any("Male" in t.to_csv() for t in page_tables(exact))
    protected = _run("survival by=sex", None)
    for t in page_tables(protected):
        if "n" in t.columns:
            rows = t[t.astype(str).apply(lambda r: r.str.strip().eq("Male").any(), axis=1)]
            assert not (rows["n"].astype(str).str.strip() == str(SMALL["male"])).any()


# ------------------------------------------------------------------------------ direct calls


def test_every_shared_entry_point_keys_on_the_mode(as_mode):
    """Fill each kept result as exact, then ask as protected: equal to the protected result."""
    f = _filters()
    as_mode(Mode.EXACT)
    exact = {
        "count": _data.count(Filters(cohorts=(REAL,), sex=("male",))),
        "survival": _data.survival(f, BY_SEX),
        "shared": _data.shared("survival:analyse", f, BY_SEX),
        "compare": _data.benchmark_comparison(f, _data.benchmarks()[0].id),
    }
    ref_exact = reference_group(exact["survival"])
    exact["hr"] = _data.hazard_ratios(f, BY_SEX, ref_exact)
    as_mode(Mode.PROTECTED)
    male = Filters(cohorts=(REAL,), sex=("male",))
    assert _data.count(male) == selection_size(male, Mode.PROTECTED)
    prot = _data.survival(f, BY_SEX)
    cold = survival_data.analyse(f, BY_SEX, mode=Mode.PROTECTED)
    assert prot is not exact["survival"]
    assert prot.disclosure.mode is Mode.PROTECTED
    assert repr(prot) == repr(cold)
    assert _data.shared("survival:analyse", f, BY_SEX) is not exact["shared"]
    assert repr(_data.shared("survival:analyse", f, BY_SEX)) == repr(cold)
    hr = _data.hazard_ratios(f, BY_SEX, ref_exact)
    assert hr is not exact["hr"]
    assert repr(hr) == repr(survival_data.hazard_ratios(f, BY_SEX, ref_exact, mode=Mode.PROTECTED))
    bench = _data.benchmarks()[0]
    comp = _data.benchmark_comparison(f, bench.id)
    assert comp is not exact["compare"]
    pool = _data.benchmarks()
    assert repr(comp) == repr(benchmark_views.compare(f, bench, pool=pool, mode=Mode.PROTECTED))


def test_response_table_keys_on_the_mode(as_mode):
    from core.analyses.responses import ResponseSpec

    f = _filters()
    spec = ResponseSpec(by="sex")
    as_mode(Mode.EXACT)
    exact = _data.response_table(f, spec)
    as_mode(Mode.PROTECTED)
    prot = _data.response_table(f, spec)
    assert prot is not exact
    assert prot.disclosure.mode is Mode.PROTECTED


def test_view_keys_on_the_mode(as_mode):
    """A figure/table kept per view for an exact viewer is not handed to a protected one."""
    f = _filters()
    made = partial(_tag)
    as_mode(Mode.EXACT)
    exact = _data.view(made, _data.survival, f, BY_SEX)
    as_mode(Mode.PROTECTED)
    prot = _data.view(made, _data.survival, f, BY_SEX)
    assert exact[0] is Mode.EXACT and prot[0] is Mode.PROTECTED


def _tag(analysis):
    return (analysis.disclosure.mode, analysis)


def _first(value):
    return ("first", value)


def test_view_of_two_functions_with_one_name_do_not_share_an_entry(as_mode):
    """``view`` keys ``of`` by name: a function of another module with the same name (e.g. a
    page helper called ``survival`` that reads other patients) must not get the entry."""
    one = types.ModuleType("attack_one")
    two = types.ModuleType("attack_two")
    exec("def survival(x):\n    return ('exact rows', x)", one.__dict__)
    exec("def survival(x):\n    return ('protected rows', x)", two.__dict__)
    made = partial(_first)
    assert _data.view(made, one.survival, 1)[1][0] == "exact rows"
    assert _data.view(made, two.survival, 1)[1][0] == "protected rows"


def test_view_partials_of_different_values_do_not_share_an_entry(as_mode):
    """Two partials whose values differ but whose repr could be truncated (long tuples)."""
    long_a = tuple(range(2000))
    long_b = (*range(1999), -1)
    a = _data.view(partial(_first_kw, values=long_a), _data.benchmarks)
    b = _data.view(partial(_first_kw, values=long_b), _data.benchmarks)
    assert a != b


def _first_kw(pool, *, values):
    return values[-1]


def test_risk_table_is_not_in_repr_or_cache_keys():
    """``SurvivalAnalysis.risk_table`` (exact numbers at risk of the tested groups) stays out
    of repr (cache keys are reprs) and of every protected output of the Survival page's
    export bundle."""
    from core.present.bundle import survival_bundle

    f = Filters()  # every cohort: three sites shown and tested, eleven small ones hidden
    a = survival_data.analyse(f, SurvivalSpec(by="primary_site"), mode=Mode.PROTECTED)
    assert a.disclosure.active and a.risk_table is not None
    assert "RiskTable" not in repr(a)
    ref = reference_group(a)
    hrs = survival_data.hazard_ratios_of(a, ref)
    infos = tuple(_data.cohorts())  # synth-120, real-60 and tiny-8
    bundle = survival_bundle(a, cohorts=infos, hazard_ratios=hrs, clean=True)
    problems = []
    for file in bundle.files:
        if file.mime.startswith("image/png") or file.name.endswith(".R"):
            continue
        data = file.make()
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if file.mime == "application/json":
            problems += [f"{file.name}: {p}" for p in json_leaks(json.loads(text))]
        elif file.mime == "text/csv":
            problems += [f"{file.name}: {p}" for p in csv_leaks(text)]
        else:
            problems += [f"{file.name}: {p}" for p in text_leaks(text)]
    assert not problems, problems


# ------------------------------------------------------------------------------ the mode memo


class _Ctx:
    """What pages._access.mode reads of a script run context: its cursors (new each run)."""

    def __init__(self) -> None:
        self.cursors: dict = {}

    def reset(self) -> None:  # as ScriptRunContext.reset: a new dict
        self.cursors = {}


def test_mode_memo_is_per_run_and_per_session(monkeypatch):
    """The memo must not carry an exact decision into the next run of the same session, nor
    into another session's run on the same thread."""
    current: dict = {}
    monkeypatch.setattr(_access, "get_script_run_ctx", lambda: current.get("ctx"))
    monkeypatch.setattr(_access, "_secrets", lambda: {})
    owner, visitor = _Ctx(), _Ctx()
    monkeypatch.setenv(MODE_ENV, "exact")
    current["ctx"] = owner
    assert _access.mode() is Mode.EXACT
    monkeypatch.delenv(MODE_ENV)  # the configuration changes: protected from now on
    assert _access.mode() is Mode.EXACT  # (decided once per run: the rest of this run)
    current["ctx"] = visitor  # another session's run on the same thread
    assert _access.mode() is Mode.PROTECTED
    current["ctx"] = owner
    owner.reset()  # the owner's next run
    assert _access.mode() is Mode.PROTECTED
    current["ctx"] = None  # off the script thread (e.g. a download made on click)
    assert _access.mode() is Mode.PROTECTED


def test_mode_memo_is_not_seen_by_another_thread(monkeypatch):
    monkeypatch.setattr(_access, "_secrets", lambda: {})
    ctx = _Ctx()
    monkeypatch.setattr(_access, "get_script_run_ctx", lambda: ctx)
    monkeypatch.setenv(MODE_ENV, "exact")
    assert _access.mode() is Mode.EXACT
    monkeypatch.delenv(MODE_ENV)
    seen = []
    t = threading.Thread(target=lambda: seen.append(_access.mode()))
    t.start()
    t.join()
    assert seen == [Mode.PROTECTED]


AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "0123456789abcdef0123456789abcdef-test",
        "client_id": "x",
        "client_secret": "y",
        "server_metadata_url": "https://example.org/.well-known/openid-configuration",
    },
    "access": {"allowed_domains": ["hospital.org"]},
    "disclosure": {"analysts": ["owner@hospital.org"]},
}


def _male_n_shown(at) -> bool:
    for t in page_tables(at):
        if "n" not in t.columns:
            continue
        for _, row in t.iterrows():
            if any(str(v).strip() == "Male" for v in row.values) and str(row["n"]).strip() == str(
                SMALL["male"]
            ):
                return True
    return False


def _logged_in(email: str) -> dict:
    return {"is_logged_in": True, "email": email, "email_verified": True}


def _survival_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets.update(AUTH)
    at.switch_page("pages/survival.py")
    at.query_params["cohort"] = REAL
    at.query_params["by"] = "sex"
    return at


def test_next_run_after_the_user_changes_is_protected():
    """Same AppTest session: the analyst's run, then a colleague's run (another user)."""
    _data.clear()
    at = _survival_app()
    at.user = _logged_in("owner@hospital.org")
    at.run()
    assert not at.exception
    assert _male_n_shown(at), "the analyst should see the 8 men"
    at.user = _logged_in("colleague@hospital.org")
    at.run()
    assert not at.exception
    assert not _male_n_shown(at), "the colleague got the analyst's exact figures"
    assert not any("Exact figures" in t for _, t in page_texts(at))


def test_next_run_after_the_analyst_list_changes_is_protected():
    """The administrator removes the analyst: the session's next run is protected."""
    _data.clear()
    at = _survival_app()
    at.user = _logged_in("owner@hospital.org")
    at.run()
    assert _male_n_shown(at)
    at.secrets["disclosure"] = {"analysts": []}
    at.run()
    assert not at.exception
    assert not _male_n_shown(at), "the removed analyst still sees exact figures"


def test_colleague_session_after_analyst_session_gets_protected_figures():
    """Two sessions: the analyst fills the shared map, then a colleague opens the same URL."""
    _data.clear()
    owner = _survival_app()
    owner.user = _logged_in("owner@hospital.org")
    owner.run()
    assert _male_n_shown(owner)
    colleague = _survival_app()
    colleague.user = _logged_in("colleague@hospital.org")
    colleague.run()
    assert not colleague.exception
    assert not _male_n_shown(colleague)
    assert not any("Exact figures" in t for _, t in page_texts(colleague))


# ------------------------------------------------------------------------------ downloads on click


@pytest.fixture
def clicked(monkeypatch):
    """The files a page offers (deferred downloads made on click and bytes given at once),
    read as text; figures (SVG, PNG, ZIP) left out. The export time is fixed."""
    import datetime as dt

    from streamlit.runtime.media_file_manager import MediaFileManager

    from core.present import export

    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    given: dict[str, bytes | str] = {}
    add = MediaFileManager.add

    def spy_add(self, path_or_data, mimetype, coordinates, file_name=None, **kw):
        if file_name:
            given[file_name] = path_or_data
        return add(self, path_or_data, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    monkeypatch.setattr(MediaFileManager, "add", spy_add)
    monkeypatch.setattr(export, "utc_now", lambda: dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC))

    def files(case, mode: str | None, widgets: dict | None = None) -> dict[str, str]:
        made.clear()
        given.clear()
        _run(case, mode, widgets)
        out = {}
        for name, make in sorted(made.items()):
            if str(name).endswith((".svg", ".png", ".zip")):
                continue
            with disclosure_env(mode):  # a click: the same viewer, off the script thread
                data = make()
            out[name] = data.decode("utf-8-sig") if isinstance(data, bytes) else str(data)
        for name, data in given.items():  # files given as bytes (e.g. an arm's comparison)
            if not str(name).endswith((".svg", ".png", ".zip")):
                text = data.decode("utf-8-sig") if isinstance(data, bytes) else str(data)
                out[f"given:{name}"] = text
        return out

    return files


DOWNLOAD_CASES = [
    ("pages/survival.py", {"cohort": ALL, "by": "primary_site"}),
    ("pages/survival.py", {"cohort": REAL, "by": "grade"}),
    ("pages/cox.py", {"cohort": ALL, "covariates": "primary_site,age"}),
    ("pages/response.py", {"cohort": ALL, "rby": "primary_site"}),
    ("pages/benchmarks.py", {"cohort": REAL}),
]


@pytest.mark.parametrize("case", DOWNLOAD_CASES, ids=[repr(c[1]) for c in DOWNLOAD_CASES])
def test_files_made_on_click_after_an_exact_session_are_the_protected_ones(clicked, case):
    _files_same_as_cold(clicked, case)


def test_arm_comparison_files_after_an_exact_session_are_the_protected_ones(clicked):
    """The arm comparison's CSV, paragraph and JSON (bytes kept per view, given at once)."""
    case = ("pages/benchmarks.py", {"cohort": ALL})
    _files_same_as_cold(clicked, case, {"arm_choice": _an_arm()})


def _an_arm() -> str:
    with disclosure_env("exact"):
        return next(a.id for a in _data.analysis("arms:arm_list"))


def _files_same_as_cold(clicked, case, widgets: dict | None = None) -> None:
    _data.clear()
    cold = clicked(case, None, widgets)
    _data.clear()
    exact = clicked(case, "exact", widgets)
    warm = clicked(case, None, widgets)
    assert cold, f"{case}: no file offered"
    assert exact != cold, f"{case}: exact files equal protected ones (nothing to leak)"
    assert sorted(warm) == sorted(cold)
    for name in cold:
        assert warm[name] == cold[name], f"{case}: {name} differs from a cold protected run"


# ------------------------------------------------------------------------------ more of the memo


def test_open_instance_switched_to_protected_serves_protected_on_the_next_run():
    """``[disclosure] mode`` changed from exact to protected in secrets.toml (no restart)."""
    _data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["disclosure"] = {"mode": "exact"}
    at.switch_page("pages/survival.py")
    at.query_params["cohort"] = REAL
    at.query_params["by"] = "sex"
    at.run()
    assert not at.exception
    assert _male_n_shown(at)
    at.secrets["disclosure"] = {"mode": "protected"}
    at.run()
    assert not at.exception
    assert not _male_n_shown(at)
    assert not any("Exact figures" in t for _, t in page_texts(at))


def test_concurrent_sessions_of_both_modes_each_get_their_own_results(monkeypatch):
    """Exact and protected viewers' runs at the same time on their own threads."""
    by_thread: dict[int, Mode] = {}
    ctxs: dict[int, _Ctx] = {}
    monkeypatch.setattr(_access, "_decide", lambda: by_thread[threading.get_ident()])
    monkeypatch.setattr(
        _access, "get_script_run_ctx", lambda: ctxs.setdefault(threading.get_ident(), _Ctx())
    )
    _data.clear()
    f = Filters()
    spec = SurvivalSpec(by="primary_site")
    got: list[tuple[Mode, Mode, int]] = []
    start = threading.Barrier(6)

    def viewer(mode: Mode) -> None:
        by_thread[threading.get_ident()] = mode
        start.wait()
        a = _data.survival(f, spec)
        hr = _data.hazard_ratios(f, spec, reference_group(a))
        got.append((mode, a.disclosure.mode, len(a.groups)))
        got.append((mode, hr.disclosure.mode, 0))

    threads = [
        threading.Thread(target=viewer, args=(Mode.EXACT if i % 2 else Mode.PROTECTED,))
        for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 12
    assert all(asked is served for asked, served, _ in got), got
    _data.clear()


# ------------------------------------------------------------------------------ risk_table


@pytest.mark.parametrize("by", ["primary_site", "grade", "sex"])
def test_hazard_ratios_from_the_kept_analysis_equal_the_counted_ones(by):
    """Protected hazard ratios read the kept analysis's ``risk_table`` (tested groups only):
    they must be the ones counted afresh, with no row or number for a hidden group."""
    f, spec = Filters(), SurvivalSpec(by=by)
    a = survival_data.analyse(f, spec, mode=Mode.PROTECTED)
    assert a.disclosure.active
    ref = reference_group(a)
    kept = survival_data.hazard_ratios_of(a, ref)
    counted = survival_data.hazard_ratios(f, spec, ref, mode=Mode.PROTECTED)
    assert repr(kept) == repr(counted)
    hidden = {g.label for g in a.groups if g.suppressed}
    assert not hidden & {r.label for r in kept.rows}


def test_no_output_module_reads_the_analysis_risk_table():
    """``SurvivalAnalysis.risk_table`` holds exact numbers at risk and events: only the analysis
    layer may read it (pages, presentation and commands read a group's shown display)."""
    import re as re_

    pattern = re_.compile(r"(?<!display)\.risk_table\b")
    offenders = []
    for folder in ("pages", "core/present", "core/commands"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for i, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offenders, offenders


# ------------------------------------------------------------------------------ keys are reprs


def _key_classes() -> list[type]:
    from core.analyses.competing import CompetingSpec
    from core.analyses.cox import CoxSpec
    from core.analyses.defined_groups import DefinedGroup, GroupSet
    from core.analyses.duration import DurationSpec
    from core.analyses.responses import ResponseSpec
    from core.analyses.subgroups import SubgroupSpec

    return [
        Filters,
        SurvivalSpec,
        CoxSpec,
        ResponseSpec,
        CompetingSpec,
        SubgroupSpec,
        DefinedGroup,
        GroupSet,
        DurationSpec,
    ]


@pytest.mark.parametrize("cls", _key_classes(), ids=lambda c: c.__name__)
def test_cache_key_values_show_every_field_in_their_repr(cls):
    """pages._data keys are ``repr`` of the page's values: a field left out of the repr would
    let two different views (e.g. two selections) share one kept result."""
    import dataclasses
    import inspect

    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert "def __repr__" not in inspect.getsource(cls), f"{cls.__name__}: a hand-written repr"
    hidden = [f.name for f in dataclasses.fields(cls) if not f.repr]
    assert not hidden, f"{cls.__name__}: fields out of the repr: {hidden}"


# ------------------------------------------------------------------------------ rows made on click


def _rows_on_click(email: str) -> str | None:
    """The Survival page's analysis_data.csv as the logged-in ``email`` gets it on click (the
    callable runs off the script thread, as Streamlit's deferred downloads do)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(MediaFileManager, "add_deferred", spy)
    try:
        at = _survival_app()
        at.user = _logged_in(email)
        at.run()
        assert not at.exception
        if "analysis_data.csv" not in made:
            return None
        return made["analysis_data.csv"]().decode("utf-8-sig")
    finally:
        mp.undo()


def _data_rows(csv_text: str) -> list[str]:
    lines = [ln for ln in csv_text.splitlines() if ln and not ln.startswith("#")]
    return lines[1:]  # after the header


def test_colleague_gets_no_patient_rows_after_the_analyst():
    _data.clear()
    _rows_on_click("owner@hospital.org")
    text = _rows_on_click("colleague@hospital.org")
    assert text is None or not _data_rows(text)


def test_analyst_gets_the_patient_rows_on_click():
    """The R data rows are read on click, off the script thread, where the logged-in user is not
    known: the viewer's mode is read when the page is drawn and carried to the click (it was
    decided again on click and gave a logged-in analyst a file without rows)."""
    _data.clear()
    text = _rows_on_click("owner@hospital.org")
    assert text is not None and len(_data_rows(text)) == 60
