"""The documented login set-up, end to end, against a real OIDC provider on 127.0.0.1.

The attack/bug (issue 18): the set-up in docs/DEPLOY.md answered the login with a 500 on a
fresh machine because ``st.login`` needs Authlib and httpx, which requirements.txt did not
install. Here the app runs as docs/DEPLOY.md says (``streamlit run app.py`` with an ``[auth]``
section in a secrets file), the identity provider is a separate process
(tests/e2e/oidc_provider.py: discovery, authorization code, token endpoint with RS256 ID
tokens, JWKS), and Chromium clicks *Log in*:

- a verified address on the allow-list sees the app;
- an unverified address is refused with a sentence, no figures;
- only an address on ``[access] importers`` gets the Import page and a file uploader;
- without a login cookie, export downloads under ``/media/`` and uploads are refused, and
  ``/_stcore/metrics`` is not served, when the app runs through ``serve.py`` (docs/DEPLOY.md).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.driver import ROOT, free_port

CLIENT_ID = "net-explorer-test"
CLIENT_SECRET = secrets.token_hex(16)
VIEWER = "viewer@hospital.org"
IMPORTER = "importer@hospital.org"


class Process:
    def __init__(self, cmd: list[str], log: Path, env: dict | None = None) -> None:
        self.log = log
        handle = log.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        handle.close()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


def _wait_for(url: str, proc: Process, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"process exited {proc.proc.returncode}:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    proc.stop()
    raise RuntimeError(f"{url} did not answer in {timeout:g} s:\n{proc.tail()}")


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    port = free_port()
    proc = Process(
        [
            sys.executable, "-m", "tests.e2e.oidc_provider", "--port", str(port),
            "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
        ],
        log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_for(f"{url}/.well-known/openid-configuration", proc)
    yield url
    proc.stop()


def _secrets_file(folder: Path, app_url: str, provider_url: str) -> Path:
    path = folder / "secrets.toml"
    path.write_text(
        f"""
[auth]
redirect_uri = "{app_url}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"

[access]
allowed_domains = ["hospital.org"]
importers = ["{IMPORTER}"]
"""
    )
    return path


def _start_app(script: str, tmp: Path, e2e_db: Path, provider_url: str) -> tuple[str, Process]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_path = _secrets_file(tmp, url, provider_url)
    env = dict(os.environ, NET_EXPLORER_DB=str(e2e_db), NET_EXPLORER_URL=url)
    proc = Process(
        [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--secrets.files", str(secrets_path),
        ],
        tmp / "streamlit.log",
        env,
    )  # fmt: skip
    _wait_for(f"{url}/_stcore/health", proc)
    return url, proc


@pytest.fixture(scope="module")
def login_app(browser_tools, e2e_db, provider, tmp_path_factory):
    """The documented set-up: ``streamlit run app.py`` with [auth] in the secrets."""
    url, proc = _start_app("app.py", tmp_path_factory.mktemp("app"), e2e_db, provider)
    yield url, proc
    proc.stop()


def _as(provider_url: str, email: str, verified: bool) -> None:
    body = json.dumps({"email": email, "email_verified": verified}).encode()
    req = urllib.request.Request(
        f"{provider_url}/_test/user", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


def _log_in(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(45_000)
    page = ctx.new_page()
    page.goto(url)
    page.get_by_role("button", name="Log in").click()
    return ctx, page


def test_verified_user_logs_in_and_sees_the_app(browser, login_app, provider):
    url, proc = login_app
    _as(provider, VIEWER, True)
    ctx, page = _log_in(browser, url)
    try:
        page.get_by_role("heading", name=re.compile(r"Baseline characteristics · n = ")).wait_for()
        page.get_by_text(f"Signed in as {VIEWER}").wait_for()
        # not an importer: no Import page in the navigation, no uploader anywhere
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_role("link", name="Import").count() == 0
        assert page.get_by_test_id("stFileUploader").count() == 0
        page.goto(f"{url}/import")
        page.get_by_role("heading", name=re.compile(r"Baseline characteristics · n = ")).wait_for()
        assert page.get_by_test_id("stFileUploader").count() == 0
    finally:
        ctx.close()
    assert "Traceback" not in proc.tail()


def test_unverified_address_is_refused(browser, login_app, provider):
    url, _ = login_app
    _as(provider, VIEWER, False)
    ctx, page = _log_in(browser, url)
    try:
        page.get_by_text("has not verified this e-mail address").wait_for()
        assert page.get_by_role("heading", name=re.compile("Baseline")).count() == 0
        assert page.get_by_test_id("stFileUploader").count() == 0
    finally:
        ctx.close()


def test_importer_gets_the_import_page(browser, login_app, provider):
    url, _ = login_app
    _as(provider, IMPORTER, True)
    ctx, page = _log_in(browser, url)
    try:
        page.get_by_text(f"Signed in as {IMPORTER}").wait_for()
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Import").click()
        page.get_by_test_id("stFileUploader").first.wait_for()
    finally:
        ctx.close()


def test_unauthenticated_visitor_sees_only_the_login_prompt(browser, login_app):
    url, _ = login_app
    ctx = browser.new_context()
    ctx.set_default_timeout(45_000)
    page = ctx.new_page()
    try:
        for path in ("", "/import", "/survival"):
            page.goto(f"{url}{path}")
            page.get_by_role("button", name="Log in").wait_for()
            assert page.get_by_test_id("stFileUploader").count() == 0
            assert page.get_by_role("heading", name=re.compile("Baseline")).count() == 0
    finally:
        ctx.close()


# ------------------------------------------------------------------ hosting guard (serve.py)
@pytest.fixture(scope="module")
def served_app(browser_tools, e2e_db, provider, tmp_path_factory):
    """``streamlit run serve.py``: app.py behind the hosting guard (docs/DEPLOY.md)."""
    url, proc = _start_app("serve.py", tmp_path_factory.mktemp("serve"), e2e_db, provider)
    yield url, proc
    proc.stop()


def test_fresh_server_never_runs_a_helper_module_as_a_page(browser, served_app):
    """The attack: the first visitor of a fresh server deep-links to /_data; Streamlit's
    pages-folder mode ran pages/_data.py as a page, outside the login gate. Must run first on
    this server (module order), before any session called st.navigation."""
    url, proc = served_app
    ctx = browser.new_context()
    ctx.set_default_timeout(45_000)
    page = ctx.new_page()
    try:
        for helper in ("ui", "data", "export", "controls", "access", "_data"):
            page.goto(f"{url}/{helper}")
            page.get_by_role("button", name="Log in").wait_for()
            assert page.get_by_test_id("stSidebarNav").count() == 0, "no page list before login"
    finally:
        ctx.close()
    assert "Traceback" not in proc.tail()


@pytest.fixture(scope="module")
def fresh_plain_app(browser_tools, e2e_db, provider, tmp_path_factory):
    """``streamlit run app.py`` without the guard, fresh: its first session is in
    Streamlit's pages-folder mode."""
    url, proc = _start_app("app.py", tmp_path_factory.mktemp("plain"), e2e_db, provider)
    yield url, proc
    proc.stop()


def test_helper_modules_run_as_pages_go_through_the_gate(browser, fresh_plain_app):
    """Without serve.py, a deep link on a fresh server runs pages/_ui.py (url 'ui') as a page;
    the shell's helpers now send such a run through the login gate."""
    url, _ = fresh_plain_app
    ctx = browser.new_context()
    ctx.set_default_timeout(45_000)
    page = ctx.new_page()
    try:
        for helper in ("ui", "access", "filters", "shell"):
            page.goto(f"{url}/{helper}")
            page.get_by_role("button", name="Log in").wait_for()
    finally:
        ctx.close()


def _body(url: str, method: str = "GET", data: bytes | None = None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_metrics_are_not_served(served_app):
    url, _ = served_app
    assert _body(f"{url}/_stcore/metrics")[0] == 404


@pytest.mark.parametrize("cookie", [None, "_streamlit_user=forged.value.sig"])
def test_media_and_uploads_need_a_login_cookie(served_app, cookie):
    url, _ = served_app
    headers = {"Cookie": cookie} if cookie else {}
    status, body = _body(f"{url}/media/0123abcd.csv", headers=headers)
    assert status == 403 and "Log in" in body
    upload = f"{url}/_stcore/upload_file/any-session/any-file"
    status, body = _body(upload, "PUT", b"x", headers=headers)
    assert status == 403 and "Log in" in body
    # a large body is refused before it is read: a 403, or the connection closed mid-send
    try:
        status, body = _body(upload, "PUT", b"x" * 5_000_000, headers=headers)
        assert status == 403
    except (urllib.error.URLError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        assert isinstance(reason, ConnectionError), exc


def test_logged_in_viewer_gets_media_but_may_not_upload(browser, served_app, provider):
    url, _ = served_app
    _as(provider, VIEWER, True)
    ctx, page = _log_in(browser, url)
    try:
        page.get_by_text(f"Signed in as {VIEWER}").wait_for()
        media = ctx.request.get(f"{url}/media/0123abcd.csv")
        assert media.status == 404  # past the guard: Streamlit answers (no such file)
        up = ctx.request.put(f"{url}/_stcore/upload_file/s/f", data=b"x")
        assert up.status == 403 and "Log in" in up.text()
    finally:
        ctx.close()


def test_importer_passes_the_upload_guard(browser, served_app, provider):
    url, _ = served_app
    _as(provider, IMPORTER, True)
    ctx, page = _log_in(browser, url)
    try:
        page.get_by_text(f"Signed in as {IMPORTER}").wait_for()
        up = ctx.request.put(f"{url}/_stcore/upload_file/s/f", data=b"x")
        # past the guard: Streamlit's own checks answer (no XSRF token, no such session)
        assert "Log in to the app first" not in up.text()
    finally:
        ctx.close()
