"""The login gate: shown before any page when the deployment configures ``[auth]``."""

from __future__ import annotations

import threading

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.analyses.access import AccessPolicy
from core.analyses.disclosure import Mode, viewer_mode


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in ("auth", "access", "disclosure") if k in st.secrets}
    except (FileNotFoundError, KeyError):  # no secrets.toml: local, open use
        return {}


_run = threading.local()  # (the script run's cursors, its mode): read once per run


def mode() -> Mode:
    """This viewer's disclosure mode: the one decision, from configuration and who is logged in.

    Never read from the URL or the session's widgets, so a shared link cannot carry it. Decided
    once per script run (a page asks for it at every cache look-up; a login, a logout or a
    changed secrets file starts a new run).
    """
    ctx = get_script_run_ctx()
    run = getattr(_run, "kept", None)
    if ctx is not None and run is not None and run[0] is ctx.cursors:
        return run[1]
    decided = _decide()
    if ctx is not None:
        _run.kept = (ctx.cursors, decided)  # a new run gets a new cursors dict
    return decided


def _decide() -> Mode:
    secrets = _secrets()
    policy = AccessPolicy.from_secrets(secrets)
    user = st.user if policy.login_required else {}
    return viewer_mode(
        login_required=policy.login_required,
        email=user.get("email") if user.get("is_logged_in") else None,
        email_verified=bool(user.get("email_verified", False)),
        hosting=secrets,
    )


def may_import() -> bool:
    """True when this viewer may upload and import files (the Import page is shown)."""
    policy = AccessPolicy.from_secrets(_secrets())
    if not policy.login_required:
        return not policy.problem
    user = st.user
    if not user.get("is_logged_in"):
        return False
    return policy.may_import(user.get("email"), bool(user.get("email_verified", False)))


def drop_uploads() -> None:
    """Forget any file this session uploaded: for viewers who may not import.

    Streamlit's upload endpoint takes a file from any open session before a script sees it;
    this frees such a file at the session's next run (the reverse proxy, docs/DEPLOY.md, is
    what keeps the bytes from arriving at all).
    """
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.uploaded_file_mgr is not None:
        ctx.uploaded_file_mgr.remove_session_files(ctx.session_id)


def gate() -> bool:
    """Return True when the current user may see the app; otherwise render the prompt."""
    policy = AccessPolicy.from_secrets(_secrets())
    if policy.problem:
        st.title("NET Outcomes Explorer")
        st.error(f"This instance is not safely configured and will not start: {policy.problem}")
        return False
    if not policy.login_required:
        return True
    if not st.user.get("is_logged_in"):
        st.title("NET Outcomes Explorer")
        st.info("This instance requires you to log in.")
        st.button("Log in", type="primary", on_click=st.login)
        return False
    verified = bool(st.user.get("email_verified", False))
    if not policy.allows(st.user.get("email"), verified):
        st.title("NET Outcomes Explorer")
        who = st.user.get("email") or "This account"
        st.error(
            f"{who} is not allowed to use this instance: the identity provider has not "
            "verified this e-mail address."
            if st.user.get("email") and not verified
            else f"{who} is not allowed to use this instance. Ask its administrator to add you."
        )
        st.button("Log out", on_click=st.logout)
        return False
    st.sidebar.caption(f"Signed in as {st.user.get('email')}")
    st.sidebar.button("Log out", on_click=st.logout)
    return True


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
