"""A browser-free client of Streamlit's websocket protocol, for load tests (loopback only).

One :class:`Session` is what one browser tab is to the server: a websocket on
``ws://127.0.0.1:PORT/_stcore/stream`` that sends ``BackMsg`` protobufs and reads
``ForwardMsg`` protobufs (``streamlit.proto``, from the installed streamlit 1.67, so the
messages are the server's own). It does what Streamlit's frontend does, as read from that
version's server source and bundled frontend:

- connects with the subprotocols ``["streamlit", "PLACEHOLDER_AUTH_TOKEN"]`` (the frontend
  sends the XSRF cookie or that placeholder second; the server selects ``streamlit``), from
  the server's own origin, without the client pings a browser does not send, never through a
  proxy;
- asks for the first run like a page load: ``rerun_script`` with the URL's query string, an
  empty ``page_script_hash`` and ``page_name`` = the URL path (``survival``), which an
  ``st.navigation`` app resolves against its pages' ``url_path``; later runs send the current
  page's hash (from the ``navigation``/``new_session`` messages) and an empty page name;
- keeps the query string the app writes (``page_info_changed``) and sends it with every run;
- keeps the widgets of the last finished run (id, kind, label, options, current value, root
  container: 0 main, 1 sidebar) with the frontend's rule for a widget's value: the value the
  server set (``set_value``) or the user chose is *held* for that id while the widget stays on
  the page; a widget nobody set shows its default and is not sent. Every held value goes with
  each rerun, in the value field the frontend uses (multiselect: ``string_array_value`` of
  option labels; selectbox/radio: ``string_value``; slider: ``double_array_value``; number
  input: ``int_value`` or ``double_value``; ...), one of them changed for a widget change.
  Buttons are triggers and are not sent. (Checked against Chromium on the Survival page: the
  same widget states, field by field, for the same change.);
- keeps the frontend's message cache: cacheable messages (``metadata.cacheable``) are kept
  for ``max_cached_message_age`` runs and their hashes sent as ``cached_message_hashes``, so
  the server answers with ``ref_hash`` references exactly as it does to a browser;
  ``use_cache=False`` claims no cached message and the server sends everything;
- with ``cookies=True`` (a deployment behind a load balancer, scripts/serve.sh), first loads
  the page's HTML as the browser does and sends the cookies it set (the balancer's sticky
  session cookie, Streamlit's XSRF cookie) with the websocket handshake, so the session's
  requests reach one worker; :meth:`Session.fetch` makes further requests with them.

A *run* is timed on this client's clock (``time.perf_counter``): from sending
``rerun_script`` to receiving the ``script_finished`` that ends it (a
``FINISHED_EARLY_FOR_RERUN`` is a restart, not the end). A run is an error when it finishes with
any other status than a successful one; every ``st.exception`` element, every ``st.error``
alert, every ``page_not_found`` and every script compilation exception received is an error.

No rendering: what the server sends is parsed, not drawn, so a session costs the load
generator a few milliseconds of CPU per run instead of a browser renderer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

STREAM_PATH = "_stcore/stream"
SUBPROTOCOLS = ("streamlit", "PLACEHOLDER_AUTH_TOKEN")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # one ForwardMsg; the server's own limit is 200 MB

_FINISHED = ForwardMsg.ScriptFinishedStatus
OK_STATUSES = frozenset(
    {
        _FINISHED.Value("FINISHED_SUCCESSFULLY"),
        _FINISHED.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY"),
    }
)
EARLY_FOR_RERUN = _FINISHED.Value("FINISHED_EARLY_FOR_RERUN")
STATUS_NAMES = {v: k for k, v in _FINISHED.items()}
ALERT_ERROR = 1  # streamlit.proto.Alert_pb2.Alert.Format.ERROR
SIDEBAR = 1  # delta_path[0]: 0 main, 1 sidebar, 2 event, 3 bottom
TRIGGERS = frozenset({"button", "download_button", "link_button", "page_link", "menu_button"})


class SessionError(Exception):
    """The session cannot do what was asked (closed, no such widget or option)."""


# ------------------------------------------------------------------ widgets
@dataclass
class Widget:
    """A widget of the last finished run, as the client holds it."""

    id: str
    kind: str  # the Element oneof: multiselect, selectbox, slider, ...
    label: str
    field: str  # the WidgetState value field the frontend fills for this kind
    value: Any  # None: no value (an empty selectbox, a cleared number input)
    options: tuple[str, ...] = ()
    container: int = 0  # root container: 0 main, 1 sidebar
    held: bool = True  # the frontend holds a value for it (set by the server or the user)

    def state(self) -> WidgetState:
        """The WidgetState the frontend sends for this widget (only the id when no value)."""
        ws = WidgetState(id=self.id)
        if self.value is None:
            return ws
        if self.field.endswith("_array_value"):
            getattr(ws, self.field).data.extend(self.value)
        else:
            setattr(ws, self.field, self.value)
        return ws


def _opt(el, name: str) -> Any:
    """An optional proto field's value, or None when unset."""
    return getattr(el, name) if el.HasField(name) else None


def _pick(options, indices) -> list[str]:
    return [options[int(i)] for i in indices if 0 <= int(i) < len(options)]


def widget_of(kind: str, el) -> tuple[str, Any, Any, tuple[str, ...]] | None:
    """(value field, value set by the server or None, default, options) of a widget element,
    following the frontend's getCurrStateFromProto / getDefaultStateFromProto; None for
    elements that are not widgets or whose state is a trigger (sent only when clicked)."""
    if kind in TRIGGERS or not getattr(el, "id", ""):
        return None
    if kind == "multiselect":
        opts = tuple(el.options)
        cur = list(el.raw_values) if el.set_value else None
        return "string_array_value", cur, _pick(opts, el.default), opts
    if kind in ("selectbox", "radio"):
        opts = tuple(el.options)
        default = _opt(el, "default")
        default = opts[default] if default is not None and 0 <= default < len(opts) else None
        return "string_value", (_opt(el, "raw_value") if el.set_value else None), default, opts
    if kind == "checkbox":
        return "bool_value", (el.value if el.set_value else None), el.default, ()
    if kind == "slider":
        if el.options:  # select_slider: option labels
            opts = tuple(el.options)
            cur = (list(el.raw_value) or _pick(opts, el.value)) if el.set_value else None
            return "string_array_value", cur, _pick(opts, el.default), opts
        return (
            "double_array_value",
            (list(el.value) if el.set_value else None),
            list(el.default),
            (),
        )
    if kind == "number_input":
        is_int = el.data_type == type(el).DataType.Value("INT")
        conv = int if is_int else float
        cur, default = _opt(el, "value"), _opt(el, "default")
        return (
            "int_value" if is_int else "double_value",
            conv(cur) if el.set_value and cur is not None else None,
            conv(default) if default is not None else None,
            (),
        )
    if kind in ("text_input", "text_area"):
        return (
            "string_value",
            (_opt(el, "value") if el.set_value else None),
            _opt(el, "default"),
            (),
        )
    if kind == "date_input":
        return (
            "string_array_value",
            (list(el.value) if el.set_value else None),
            list(el.default),
            (),
        )
    return None  # other widgets: not sent; the server keeps their last value


# ------------------------------------------------------------------ runs
@dataclass
class Run:
    """One script run as the client saw it."""

    sent: float  # perf_counter when rerun_script was sent
    finished: float | None = None  # when the script_finished ending it arrived
    status: int | None = None
    restarts: int = 0  # FINISHED_EARLY_FOR_RERUN received on the way
    errors: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0

    @property
    def ms(self) -> float:
        return float("nan") if self.finished is None else 1000 * (self.finished - self.sent)

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES and not self.errors

    @property
    def status_name(self) -> str:
        return (
            "unfinished" if self.status is None else STATUS_NAMES.get(self.status, str(self.status))
        )


# ------------------------------------------------------------------ session
class Session:
    """One browser-like session of a Streamlit app (see the module docstring).

    ``base_url``: ``http://127.0.0.1:PORT`` (loopback only); ``page``: the URL path of the page
    (``"survival"``, ``""`` for the default page); ``query_string``: the URL's query string.
    One run at a time, as a person waits for the page to settle before the next change.
    """

    def __init__(
        self, base_url: str, page: str = "", query_string: str = "", *, use_cache: bool = True,
        context: dict | None = None, cookies: bool = False,
    ) -> None:  # fmt: skip
        parts = urlsplit(base_url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"loopback only: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.ws_url = f"ws://{parts.netloc}/{STREAM_PATH}"
        self.page = page.strip("/")
        self.query_string = query_string.lstrip("?")
        self.use_cache = use_cache
        self.context = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US",
                        "color_scheme": "light", **(context or {})}  # fmt: skip
        self.page_script_hash = ""
        self.session_id = ""
        self.widgets: dict[str, Widget] = {}  # the last finished run's widgets
        self.errors: list[str] = []  # every error received, over the whole session
        self.runs: list[Run] = []
        self.closed = False
        self.close_reason = ""
        # the values the frontend holds, per widget id: set by the server or by the user
        self._values: dict[str, Any] = {}
        self._run_widgets: dict[str, Widget] = {}
        self._pending: Run | None = None
        self._done: asyncio.Future | None = None
        self._cache: dict[str, list] = {}  # hash -> [ForwardMsg, run count when last used]
        self._run_count = 0
        self._max_age = 2
        self._received_at = 0.0
        self._ws = None
        self._reader: asyncio.Task | None = None
        self.use_cookies = cookies
        self.cookies: dict[str, str] = {}  # name -> value, from the responses' Set-Cookie

    # -------------------------------------------------------------- connection
    def fetch(self, path: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        """GET ``base_url/path`` with the session's cookies (loopback, no proxy); keeps the
        cookies the response sets. Returns (status, headers, body)."""
        req = urllib.request.Request(f"{self.base_url}/{path.lstrip('/')}")
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=timeout) as r:
            for raw in r.headers.get_all("Set-Cookie") or []:
                name, _, value = raw.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return r.status, dict(r.headers.items()), r.read()

    async def connect(self, timeout: float = 30) -> None:
        if self.use_cookies and not self.cookies:  # the page load a browser makes first
            page = self.page + (f"?{self.query_string}" if self.query_string else "")
            await asyncio.to_thread(self.fetch, page, timeout)
        headers = (
            {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if self.cookies
            else None
        )
        self._ws = await connect(
            self.ws_url,
            subprotocols=list(SUBPROTOCOLS),
            origin=self.base_url,
            additional_headers=headers,
            proxy=None,
            ping_interval=None,  # a browser sends no pings; the server's pings are answered
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=timeout,
        )
        self._reader = asyncio.create_task(self._read(), name=f"ws-reader {self.ws_url}")

    async def open(self, timeout: float = 60) -> Run:
        """Connect and make the first run, as a browser opening the page's URL."""
        await self.connect(timeout)
        return await self.rerun(timeout=timeout)

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self.closed = True

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # -------------------------------------------------------------- requests
    def query_params(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def find(self, label: str, kind: str | None = None, container: int | None = None) -> Widget:
        """The widget of the last finished run with this label (and kind, root container)."""
        found = [
            w for w in self.widgets.values()
            if (w.label == label or w.label.startswith(label + " ("))  # "Grade (synthetic in …)"
            and kind in (None, w.kind)
            and container in (None, w.container)
        ]  # fmt: skip
        if len(found) != 1:
            raise SessionError(f"{len(found)} widgets labelled {label!r} (kind {kind})")
        return found[0]

    async def rerun(
        self, changed: dict[str, Any] | None = None, *, timeout: float = 60
    ) -> Run:  # fmt: skip
        """Send ``rerun_script`` with every widget's value (``changed``: id -> new value) and
        wait for the run to finish. Raises TimeoutError or SessionError (connection lost)."""
        if self.closed or self._ws is None:
            raise SessionError(f"session closed: {self.close_reason or 'not connected'}")
        changed = changed or {}
        for wid, value in changed.items():
            self._values[wid] = value
            if wid in self.widgets:
                self.widgets[wid].value = value
                self.widgets[wid].held = True
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        if self.page_script_hash:
            cs.page_script_hash = self.page_script_hash
        else:  # first load: the page is named by its URL path
            cs.page_name = self.page
        cs.widget_states.widgets.extend(w.state() for w in self.widgets.values() if w.held)
        if self.use_cache:
            cs.cached_message_hashes.extend(self._cache)
        ci = cs.context_info
        ci.timezone = self.context["timezone"]
        ci.timezone_offset = self.context["timezone_offset"]
        ci.locale = self.context["locale"]
        ci.color_scheme = self.context["color_scheme"]
        ci.url = f"{self.base_url}/{self.page}"  # as the frontend sends it: no query string
        run = Run(sent=time.perf_counter())
        self._pending = run
        self._done = asyncio.get_running_loop().create_future()
        done = self._done
        try:
            await self._ws.send(msg.SerializeToString())
        except ConnectionClosed as exc:
            self._closed(f"send failed: {exc}")
            raise SessionError(f"session closed: {self.close_reason}") from exc
        self.runs.append(run)
        await asyncio.wait_for(asyncio.shield(done), timeout)
        return run

    async def set_widget(self, label: str, value: Any, *, kind: str | None = None,
                         container: int | None = None, timeout: float = 60) -> Run:  # fmt: skip
        """Change one widget the way the browser does: a rerun with its new value."""
        w = self.find(label, kind, container)
        if w.options and w.field == "string_array_value":
            missing = [v for v in value if v not in w.options]
            if missing:
                raise SessionError(f"{label!r} offers no {missing} (options {list(w.options)})")
        return await self.rerun({w.id: value}, timeout=timeout)

    async def toggle_option(self, label: str, option: str, *, remove: bool,
                            container: int | None = SIDEBAR, timeout: float = 60) -> Run:  # fmt: skip
        """Add ``option`` to a multiselect (appended, as a click in its list does) or remove it
        (as its tag's remove button does)."""
        w = self.find(label, "multiselect", container)
        current = list(w.value or [])
        if remove:
            if option not in current:
                raise SessionError(f"{option!r} is not chosen in {label!r} ({current})")
            current.remove(option)
        else:
            if option in current:
                raise SessionError(f"{option!r} is already chosen in {label!r}")
            current.append(option)
        return await self.set_widget(label, current, kind="multiselect", container=container,
                                     timeout=timeout)  # fmt: skip

    # -------------------------------------------------------------- reading
    def _closed(self, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self.close_reason = reason
        if self._done is not None and not self._done.done():
            self._done.set_exception(SessionError(f"session closed: {reason}"))

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                self._received_at = time.perf_counter()
                if isinstance(data, str):
                    self._error("text frame received (the protocol is binary protobuf)")
                    continue
                msg = ForwardMsg()
                msg.ParseFromString(data)
                if self._pending is not None:
                    self._pending.messages += 1
                    self._pending.bytes += len(data)
                self._handle(msg)
            self._closed("closed by the server")
        except ConnectionClosed as exc:
            self._closed(f"connection closed: {exc}")
        except asyncio.CancelledError:
            self._closed("closed by the client")
            raise
        except Exception as exc:  # a parse error: the protocol changed under us
            self._closed(f"{type(exc).__name__}: {exc}")

    def _error(self, text: str) -> None:
        self.errors.append(text)
        if self._pending is not None:
            self._pending.errors.append(text)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            entry = self._cache.get(msg.ref_hash)
            if entry is None:
                self._error(f"ref_hash {msg.ref_hash} for a message the client does not hold")
                return
            entry[1] = self._run_count
            cached = ForwardMsg()
            cached.CopyFrom(entry[0])
            cached.metadata.CopyFrom(msg.metadata)
            msg, kind = cached, cached.WhichOneof("type")
        elif self.use_cache and msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = [msg, self._run_count]
        if kind == "new_session":
            ns = msg.new_session
            self._run_widgets = {}
            if ns.page_script_hash:
                self.page_script_hash = ns.page_script_hash
            if ns.initialize.session_id:
                self.session_id = ns.initialize.session_id
            if ns.config.max_cached_message_age:
                self._max_age = ns.config.max_cached_message_age
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta":
            self._delta(msg)
        elif kind == "page_not_found":
            self._error(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "session_event":
            if msg.session_event.HasField("script_compilation_exception"):
                e = msg.session_event.script_compilation_exception
                self._error(f"compilation exception: {e.type}: {e.message[:200]}")
        elif kind == "script_finished":
            self._finished(msg.script_finished)

    def _delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            elements = [delta.new_element]
        elif which == "new_transient":
            elements = list(delta.new_transient.elements)
        else:
            return
        path = list(msg.metadata.delta_path)
        for el in elements:
            kind = el.WhichOneof("type")
            if kind is None:
                continue
            body = getattr(el, kind)
            if kind == "exception":
                self._error(f"exception: {body.type}: {body.message[:200]}")
            elif kind == "alert" and body.format == ALERT_ERROR:
                self._error(f"error: {body.body[:200]}")
            spec = widget_of(kind, body)
            if spec is None:
                continue
            field_name, cur, default, options = spec
            wid = body.id
            if getattr(body, "set_value", False):  # the server sets the value
                self._values[wid] = cur
            held = wid in self._values  # else the frontend shows the default, stores nothing
            value = self._values[wid] if held else default
            self._run_widgets[wid] = Widget(
                wid, kind, body.label, field_name, value, options, path[0] if path else 0, held
            )

    def _finished(self, status: int) -> None:
        run = self._pending
        if status == EARLY_FOR_RERUN:
            if run is not None:
                run.restarts += 1
            return
        # the run is over: its widgets are the page's (the frontend drops the others' state)
        self.widgets = self._run_widgets
        self._run_widgets = {}
        self._values = {wid: self._values[wid] for wid in self.widgets if wid in self._values}
        self._run_count += 1
        for h in [
            h for h, (_, used) in self._cache.items() if used + self._max_age < self._run_count
        ]:
            del self._cache[h]
        if run is None:
            return
        run.finished = self._received_at
        run.status = status
        if status not in OK_STATUSES:
            self._error(f"run finished with status {STATUS_NAMES.get(status, status)}")
        self._pending = None
        if self._done is not None and not self._done.done():
            self._done.set_result(run)
