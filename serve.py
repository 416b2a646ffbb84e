"""Hosted entry point: ``streamlit run serve.py`` serves app.py with the hosting guard.

Streamlit's own HTTP routes answer some requests without asking who is logged in. On a
hosted instance with ``[auth]`` configured this entry point closes them (docs/DEPLOY.md):

- ``/_stcore/metrics`` (server and per-session statistics) is not served: 404;
- export downloads under ``/media/`` need a valid login cookie of an admitted user: 403;
- uploads to ``/_stcore/upload_file/`` need a valid login cookie of a user on ``[access]
  importers``: 403 before a byte of the body is read;
- Streamlit's legacy pages-folder mode is switched off before the first session, so the
  helper modules ``pages/_*.py`` can never be run as pages by a deep link on a fresh server.

Without ``[auth]`` (local, open use) only the first two points about metrics and the pages
folder apply. ``streamlit run app.py`` still works; it lacks these guards, which a reverse
proxy then has to provide (docs/DEPLOY.md has the nginx rules).
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from core.analyses.access import AccessPolicy

# Before any session exists: never discover pages/*.py as pages (app.py's st.navigation is
# the only page list).
PagesManager.uses_pages_directory = False

USER_COOKIE = "_streamlit_user"


def _secrets() -> dict[str, Any]:
    try:
        return {k: st.secrets[k].to_dict() for k in ("auth", "access") if k in st.secrets}
    except (FileNotFoundError, KeyError):
        return {}


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed header is no login
                return {}
    return {k: m.value for k, m in jar.items()}


def logged_in_user(scope: dict[str, Any]) -> dict[str, Any]:
    """The user of a request's signed login cookie ({} when absent, forged or expired)."""
    from streamlit.web.server.starlette.starlette_websocket import (
        _get_signed_cookie_with_chunks,
    )

    try:
        raw = _get_signed_cookie_with_chunks(_cookies(scope), USER_COOKIE)
        user = json.loads(raw) if raw else {}
    except Exception:  # noqa: BLE001 - anything undecodable is no login
        return {}
    return user if isinstance(user, dict) and user.get("is_logged_in") else {}


def decide(path: str, policy: AccessPolicy, user: dict[str, Any]) -> int:
    """The HTTP status to answer instead of Streamlit (0: let Streamlit answer)."""
    if path.rstrip("/").endswith("/_stcore/metrics"):
        return 404
    media = "/media/" in path
    upload = "/_stcore/upload_file" in path
    if not policy.login_required or not (media or upload):
        return 0
    email, verified = user.get("email"), bool(user.get("email_verified", False))
    if not user or not policy.allows(email, verified):
        return 403
    if upload and not policy.may_import(email, verified):
        return 403
    return 0


class HostingGuard:
    """ASGI middleware in front of Streamlit's routes (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            policy = AccessPolicy.from_secrets(_secrets())
            path = scope.get("path", "")
            needs_user = policy.login_required and ("/media/" in path or "upload_file" in path)
            status = decide(path, policy, logged_in_user(scope) if needs_user else {})
            if status:
                body = b"Not found." if status == 404 else b"Log in to the app first."
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


app = st.App("app.py", middleware=[Middleware(HostingGuard)])
