"""Page controls that live in the URL, so a shared link reproduces the view.

Each control seeds itself from the query string on a session's first run (an invalid value is
dropped with a notice), then writes its value back on every run. Defaults are left out of
the URL to keep links short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from pages._filters import PAGE_URL_KEYS

_SEEDED = "_ctl_seeded"
_VALUES = "_ctl_values"


def _seeded() -> set:
    return st.session_state.setdefault(_SEEDED, set())


def _restore(key: str, wkey: str) -> None:
    """Put back a control's value after a page switch dropped its widget state."""
    stored = st.session_state.setdefault(_VALUES, {})
    if wkey not in st.session_state and key in stored:
        st.session_state[wkey] = stored[key]


def _remember(key: str, value) -> None:
    st.session_state.setdefault(_VALUES, {})[key] = value


def _notice(key: str, raw: str, rule: str) -> None:
    shown = "".join(ch if ch.isprintable() else "?" for ch in raw)[:40]
    st.session_state.setdefault("_ctl_notices", []).append(f"Ignored {key}={shown!r}: {rule}.")


def notices() -> list[str]:
    return st.session_state.pop("_ctl_notices", [])


def _write(key: str, value: str | None, default: str | None) -> None:
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def select(
    label: str,
    key: str,
    options: Sequence[str],
    default: str,
    format_func: Callable = str,
    where=st,
    **kw,
) -> str:
    assert key in PAGE_URL_KEYS, f"add {key!r} to PAGE_URL_KEYS"
    wkey = f"ctl_{key}"
    if key not in _seeded():
        raw = st.query_params.get(key)
        value = default
        if raw is not None:
            if raw in options:
                value = raw
            else:
                _notice(key, raw, "not one of " + ", ".join(map(str, options)))
        st.session_state[wkey] = value
        _seeded().add(key)
    _restore(key, wkey)
    out = where.selectbox(label, list(options), key=wkey, format_func=format_func, **kw)
    _remember(key, out)
    _write(key, out, default)
    return out


def toggle(label: str, key: str, default: bool, where=st, **kw) -> bool:
    assert key in PAGE_URL_KEYS, f"add {key!r} to PAGE_URL_KEYS"
    wkey = f"ctl_{key}"
    if key not in _seeded():
        raw = st.query_params.get(key)
        value = default
        if raw is not None:
            if raw in ("1", "0"):
                value = raw == "1"
            else:
                _notice(key, raw, "expected 1 or 0")
        st.session_state[wkey] = value
        _seeded().add(key)
    _restore(key, wkey)
    out = where.toggle(label, key=wkey, **kw)
    _remember(key, out)
    _write(key, "1" if out else "0", "1" if default else "0")
    return out


def number(
    label: str, key: str, default: float, lo: float, hi: float, step: float, where=st, **kw
) -> float:
    assert key in PAGE_URL_KEYS, f"add {key!r} to PAGE_URL_KEYS"
    wkey = f"ctl_{key}"
    if key not in _seeded():
        raw = st.query_params.get(key)
        value = default
        if raw is not None:
            try:
                v = float(raw)
                if lo <= v <= hi:
                    value = v
                else:
                    _notice(key, raw, f"outside {lo:g}-{hi:g}")
            except ValueError:
                _notice(key, raw, "not a number")
        st.session_state[wkey] = float(value)
        _seeded().add(key)
    _restore(key, wkey)
    out = where.number_input(
        label, min_value=float(lo), max_value=float(hi), step=float(step), key=wkey, **kw
    )
    _remember(key, float(out))
    _write(key, f"{out:g}", f"{default:g}")
    return float(out)


def number_list(
    label: str, key: str, default: Sequence[float], lo: float, hi: float, where=st, **kw
) -> tuple[float, ...]:
    """Comma-separated numbers (e.g. times for survival estimates)."""
    assert key in PAGE_URL_KEYS, f"add {key!r} to PAGE_URL_KEYS"
    wkey = f"ctl_{key}"
    default_text = ", ".join(f"{v:g}" for v in default)
    if key not in _seeded():
        raw = st.query_params.get(key)
        st.session_state[wkey] = default_text
        if raw is not None:
            parsed = _parse_numbers(raw, lo, hi)
            if parsed is None:
                _notice(key, raw, f"expected numbers between {lo:g} and {hi:g}")
            else:
                st.session_state[wkey] = ", ".join(f"{v:g}" for v in parsed)
        _seeded().add(key)
    _restore(key, wkey)
    text = where.text_input(label, key=wkey, **kw)
    _remember(key, text)
    parsed = _parse_numbers(text, lo, hi)
    if parsed is None:
        where.warning(f"{label}: expected numbers between {lo:g} and {hi:g}, separated by commas.")
        parsed = tuple(default)
    _write(key, ",".join(f"{v:g}" for v in parsed), ",".join(f"{v:g}" for v in default))
    return parsed


def _parse_numbers(text: str, lo: float, hi: float) -> tuple[float, ...] | None:
    try:
        vals = tuple(sorted({float(x) for x in text.replace(";", ",").split(",") if x.strip()}))
    except ValueError:
        return None
    if not vals or len(vals) > 12 or any(not lo <= v <= hi for v in vals):
        return None
    return vals


def multi(
    label: str, key: str, options: Sequence[str], format_func: Callable = str, where=st, **kw
) -> tuple[str, ...]:
    """A multi-choice control kept in the URL as a comma-separated list (unknown values dropped)."""
    assert key in PAGE_URL_KEYS, f"add {key!r} to PAGE_URL_KEYS"
    wkey = f"ctl_{key}"
    if key not in _seeded():
        raw = st.query_params.get(key)
        chosen: list[str] = []
        if raw:
            for v in raw.split(","):
                if v in options and v not in chosen:
                    chosen.append(v)
                elif v:
                    _notice(key, v, "not available for this view")
        st.session_state[wkey] = chosen
        _seeded().add(key)
    _restore(key, wkey)
    st.session_state[wkey] = [v for v in st.session_state.get(wkey, []) if v in options]
    out = tuple(where.multiselect(label, list(options), key=wkey, format_func=format_func, **kw))
    _remember(key, list(out))
    _write(key, ",".join(out) if out else None, None)
    return out
