"""Login gate: open without [auth]; with [auth], login prompt, allow-list, refusal."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.analyses.access import AccessPolicy
from tests.app.conftest import ROOT

AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "0123456789abcdef0123456789abcdef-test",
        "client_id": "x",
        "client_secret": "y",
        "server_metadata_url": "https://example.org/.well-known/openid-configuration",
    },
    "access": {"allowed_emails": ["chair@tumourboard.org"], "allowed_domains": ["hospital.org"]},
}


def _app(user: dict | None, secrets: dict | None = AUTH) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if secrets:
        at.secrets.update(secrets)
    if user is not None:
        at.user = user
    return at.run()


def test_open_without_auth_section():
    at = _app(None, secrets=None)
    assert not at.exception
    assert at.title[0].value == "NET Outcomes Explorer"
    assert any(s.value.startswith("Baseline") for s in at.subheader)


def test_unauthenticated_sees_only_the_login_prompt():
    at = _app({"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.subheader and not at.dataframe and not at.multiselect


@pytest.mark.parametrize("email", ["a.person@hospital.org", "Chair@TumourBoard.org"])
def test_allowed_user_sees_the_app(email):
    at = _app({"is_logged_in": True, "email": email, "email_verified": True})
    assert not at.exception
    assert any(s.value.startswith("Baseline") for s in at.subheader)


@pytest.mark.parametrize("verified", [False, None])
def test_unverified_address_is_refused_even_on_the_allow_list(verified):
    user = {"is_logged_in": True, "email": "chair@tumourboard.org"}
    if verified is not None:
        user["email_verified"] = verified
    at = _app(user)
    assert not at.exception
    assert "not verified" in at.error[0].value
    assert not at.dataframe and not at.subheader


@pytest.mark.parametrize(
    "secret",
    [
        "a long random string: python -c 'import secrets; print(secrets.token_hex(32))'",
        "short-secret",
    ],
)
def test_example_or_short_cookie_secret_refuses_to_start(secret):
    """With the example secret anyone could sign a login cookie: nothing is served."""
    secrets = {**AUTH, "auth": {**AUTH["auth"], "cookie_secret": secret}}
    at = _app(
        {"is_logged_in": True, "email": "chair@tumourboard.org", "email_verified": True}, secrets
    )
    assert not at.exception
    assert "will not start" in at.error[0].value
    assert not at.dataframe and not at.subheader and not at.button


def test_the_shipped_example_secret_is_the_one_refused():
    import tomllib

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert AccessPolicy.from_secrets(example).problem


def test_user_outside_the_allow_list_is_refused():
    at = _app({"is_logged_in": True, "email": "someone@elsewhere.com", "email_verified": True})
    assert not at.exception
    assert "not allowed" in at.error[0].value
    assert not at.dataframe


@pytest.mark.parametrize(
    ("secrets", "email", "allowed"),
    [
        ({}, None, True),
        ({"auth": {"x": 1}}, None, False),
        ({"auth": {"x": 1}}, "anyone@x.org", True),
        ({"auth": {"x": 1}, "access": {"allowed_domains": ["@h.org"]}}, "a@h.org", True),
        ({"auth": {"x": 1}, "access": {"allowed_domains": ["h.org"]}}, "a@evil-h.org", False),
        ({"auth": {"x": 1}, "access": {"allowed_emails": ["a@b.org"]}}, "b@b.org", False),
    ],
)
def test_policy(secrets, email, allowed):
    assert AccessPolicy.from_secrets(secrets).allows(email) is allowed


# ------------------------------------------------------------------ who may upload (issue 18)
IMPORTER = "importer@hospital.org"
AUTH_IMPORT = {**AUTH, "access": {**AUTH["access"], "importers": [IMPORTER.upper()]}}


def _import_page(user: dict | None, secrets: dict | None = AUTH_IMPORT) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if secrets:
        at.secrets.update(secrets)
    if user is not None:
        at.user = user
    at.switch_page("pages/import.py")
    return at.run()


def _uploaders(at: AppTest) -> list:
    return at.get("file_uploader")


def test_unauthenticated_visitor_never_sees_a_file_uploader():
    """The attack: an unauthenticated visitor pushed 40 MB uploads. Before login the app shows
    only the login prompt, on every page, and no uploader."""
    at = _import_page({"is_logged_in": False})
    assert not at.exception
    assert not _uploaders(at)
    assert [b.label for b in at.button] == ["Log in"]


def test_logged_in_user_not_on_the_importers_list_gets_no_import_page():
    at = _import_page(
        {"is_logged_in": True, "email": "a.person@hospital.org", "email_verified": True}
    )
    assert not at.exception
    assert not _uploaders(at)
    assert any(s.value.startswith("Baseline") for s in at.subheader)  # the default page instead


def test_unverified_importer_address_gets_no_import_page():
    at = _import_page({"is_logged_in": True, "email": IMPORTER, "email_verified": False})
    assert not _uploaders(at)


def test_no_importers_list_means_nobody_uploads_through_the_web():
    at = _import_page({"is_logged_in": True, "email": IMPORTER, "email_verified": True}, AUTH)
    assert not _uploaders(at)


def test_importer_sees_the_import_page():
    at = _import_page({"is_logged_in": True, "email": IMPORTER, "email_verified": True})
    assert not at.exception
    assert len(_uploaders(at)) >= 1


def test_open_local_use_may_import():
    at = _import_page(None, secrets=None)
    assert not at.exception
    assert len(_uploaders(at)) >= 1


@pytest.mark.parametrize(
    ("access", "email", "verified", "may"),
    [
        ({"importers": ["a@h.org"]}, "a@h.org", True, True),
        ({"importers": ["a@h.org"]}, "A@H.org", True, True),
        ({"importers": ["a@h.org"]}, "a@h.org", False, False),
        ({"importers": ["a@h.org"]}, "b@h.org", True, False),
        ({}, "a@h.org", True, False),
        # on the importers list but not admitted by the allow-list: no
        ({"importers": ["a@x.org"], "allowed_domains": ["h.org"]}, "a@x.org", True, False),
    ],
)
def test_import_policy(access, email, verified, may):
    policy = AccessPolicy.from_secrets({"auth": {"x": 1}, "access": access})
    assert policy.may_import(email, verified) is may
    assert AccessPolicy.from_secrets({}).may_import(None) is True
