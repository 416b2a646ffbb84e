"""Driving the app in a real browser: server start-up, Chromium launch, run-state instrumentation.

Shared by the end-to-end tests (tests/e2e) and the load benchmark (speed/load.py).

Run state. Every page gets an init script that wraps ``WebSocket`` and reads the top-level
fields of Streamlit's protobuf frames (field numbers taken from the installed streamlit's own
``ForwardMsg``/``BackMsg`` descriptors, so a protocol change shows up as a wrong number here,
not as a silent hang). It records, on the browser's clock (``performance.now()``):

- each ``rerun_script`` request sent (a widget change, a page switch, the first load);
- each ``script_finished`` received, and so each completed run: request sent -> finished;
- every ``st.exception`` element and every ``st.error`` alert received (their text, cut short).

The page is *idle* when no requested run is outstanding, no ``stStatusWidget`` (the "Running"
indicator) is shown and no element is marked stale (``data-stale="true"``, Streamlit's dimming
of the previous run's output). Tests wait for idle between steps instead of sleeping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ENV = "NET_EXPLORER_CHROMIUM"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Background pages (the load benchmark opens many) keep their timers at full speed.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


# ------------------------------------------------------------------ availability
def chromium_path() -> str | None:
    """The Chromium executable to drive (NET_EXPLORER_CHROMIUM overrides), or None."""
    wanted = os.environ.get(CHROMIUM_ENV)
    for cand in ([wanted] if wanted else []) + list(CHROMIUM_CANDIDATES):
        if cand and Path(cand).exists() and os.access(cand, os.X_OK):
            return cand
    found = shutil.which("chromium")
    return found


def missing_browser_tools() -> str:
    """Why a browser cannot be driven here ("" when it can)."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package 'playwright' is not installed (requirements-dev.txt)")
    if chromium_path() is None:
        problems.append(
            "no Chromium at /usr/bin/chromium (scripts/install-system-packages.sh installs it; "
            f"or set {CHROMIUM_ENV})"
        )
    return "; ".join(problems)


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on 127.0.0.1 against the database at ``db``."""

    def __init__(self, db: Path, log_path: Path, port: int | None = None) -> None:
        self.db = Path(db)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> StreamlitServer:
        env = dict(os.environ, NET_EXPLORER_DB=str(self.db), NET_EXPLORER_URL=self.url)
        cmd = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return self
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health in {timeout:g} s:\n"
                           + self.log_tail())  # fmt: skip

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def rss_kib(self) -> int:
        """Resident memory of the server process (VmRSS from /proc), in KiB."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS not found")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


# ------------------------------------------------------------------ instrumentation
def _field_numbers() -> dict[str, int]:
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.Delta_pb2 import Delta
    from streamlit.proto.Element_pb2 import Element
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def num(msg, name: str) -> int:
        return msg.DESCRIPTOR.fields_by_name[name].number

    return {
        "FWD_DELTA": num(ForwardMsg, "delta"),
        "FWD_FINISHED": num(ForwardMsg, "script_finished"),
        "BACK_RERUN": num(BackMsg, "rerun_script"),
        "DELTA_NEW_ELEMENT": num(Delta, "new_element"),
        "EL_EXCEPTION": num(Element, "exception"),
        "EL_ALERT": num(Element, "alert"),
        "ALERT_BODY": num(Alert, "body"),
        "ALERT_FORMAT": num(Alert, "format"),
        "ALERT_ERROR": Alert.Format.Value("ERROR"),
        "EARLY_FOR_RERUN": ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN"),
    }


_MONITOR_JS = r"""
(() => {
  if (window.__stmon) return;
  const N = %(numbers)s;
  const mon = {sent: 0, finished: 0, pending: null, runs: [], exceptions: [], errors: []};
  window.__stmon = mon;
  const dec = new TextDecoder();
  function varint(u8, pos) {
    let v = 0, mul = 1, b;
    do { b = u8[pos++]; v += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
    return [v, pos];
  }
  // Top-level fields of one protobuf message in u8[start, end): [field, wiretype, a, b]
  // (varint: a = value; length-delimited: a..b = payload).
  function scan(u8, start, end) {
    const out = []; let pos = start;
    while (pos < end) {
      let key; [key, pos] = varint(u8, pos);
      const f = Math.floor(key / 8), wt = key & 7;
      if (wt === 0) { let v; [v, pos] = varint(u8, pos); out.push([f, wt, v, 0]); }
      else if (wt === 2) { let len; [len, pos] = varint(u8, pos); out.push([f, wt, pos, pos + len]); pos += len; }
      else if (wt === 1) { pos += 8; } else if (wt === 5) { pos += 4; } else { break; }
    }
    return out;
  }
  function onSent(u8) {
    const t = performance.now();
    for (const [f] of scan(u8, 0, u8.length)) {
      if (f === N.BACK_RERUN) { mon.sent += 1; if (mon.pending === null) mon.pending = t; }
    }
  }
  function onReceived(u8) {
    const t = performance.now();
    for (const [f, wt, a, b] of scan(u8, 0, u8.length)) {
      if (f === N.FWD_FINISHED && wt === 0) {
        mon.finished += 1;
        if (a !== N.EARLY_FOR_RERUN && mon.pending !== null) {
          mon.runs.push([mon.pending, t, a]); mon.pending = null;
        }
      } else if (f === N.FWD_DELTA && wt === 2) {
        for (const [f2, wt2, a2, b2] of scan(u8, a, b)) {
          if (f2 !== N.DELTA_NEW_ELEMENT || wt2 !== 2) continue;
          for (const [f3, wt3, a3, b3] of scan(u8, a2, b2)) {
            if (f3 === N.EL_EXCEPTION && wt3 === 2) {
              mon.exceptions.push(dec.decode(u8.subarray(a3, Math.min(b3, a3 + 400))));
            } else if (f3 === N.EL_ALERT && wt3 === 2) {
              let body = "", fmt = 0;
              for (const [f4, wt4, a4, b4] of scan(u8, a3, b3)) {
                if (f4 === N.ALERT_BODY && wt4 === 2) body = dec.decode(u8.subarray(a4, b4));
                if (f4 === N.ALERT_FORMAT && wt4 === 0) fmt = a4;
              }
              if (fmt === N.ALERT_ERROR) mon.errors.push(body.slice(0, 400));
            }
          }
        }
      }
    }
  }
  function bytesOf(d) {
    if (d instanceof ArrayBuffer) return new Uint8Array(d);
    if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return null;
  }
  const Orig = window.WebSocket;
  class MonitoredWebSocket extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (ev) => {
        try {
          const u8 = bytesOf(ev.data);
          if (u8) onReceived(u8);
          else if (ev.data instanceof Blob) ev.data.arrayBuffer().then((buf) => onReceived(new Uint8Array(buf)));
        } catch (e) { mon.errors.push("monitor: " + e); }
      });
    }
    send(d) {
      try { const u8 = bytesOf(d); if (u8) onSent(u8); } catch (e) { mon.errors.push("monitor: " + e); }
      return super.send(d);
    }
  }
  window.WebSocket = MonitoredWebSocket;
  window.__stIdle = () => mon.sent > 0 && mon.pending === null
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && !!document.querySelector('[data-testid="stMain"]');
})();
"""


def monitor_script() -> str:
    import json

    return _MONITOR_JS % {"numbers": json.dumps(_field_numbers())}


IDLE_JS = "() => window.__stIdle && window.__stIdle() ? performance.now() : false"
STATE_JS = (
    "() => ({sent: __stmon.sent, finished: __stmon.finished, pending: __stmon.pending, "
    "runs: __stmon.runs.length, exceptions: __stmon.exceptions.slice(), "
    "errors: __stmon.errors.slice(), now: performance.now()})"
)
TAKE_RUNS_JS = "() => __stmon.runs.splice(0)"


def launch_chromium(playwright):
    """Launch Debian's Chromium through a (sync or async) Playwright object."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(missing_browser_tools())
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


# ------------------------------------------------------------------ sync helpers (tests)
def wait_idle(page, sent_at_least: int | None = None, timeout_s: float = 60.0) -> dict:
    """Wait until the app has finished running (see the module docstring); return the state.

    ``sent_at_least``: also wait until that many rerun requests were sent, so a step that
    triggers a rerun cannot be mistaken for idle before its request has left the browser.
    """
    deadline = time.monotonic() + timeout_s
    if sent_at_least is not None:
        page.wait_for_function(
            f"() => window.__stmon && __stmon.sent >= {int(sent_at_least)}",
            timeout=timeout_s * 1000,
            polling=50,
        )
    left = max(1.0, deadline - time.monotonic())
    page.wait_for_function(IDLE_JS, timeout=left * 1000, polling=50)
    # Settled: still idle a moment later (a rerun queued by the run itself would show here).
    page.wait_for_timeout(150)
    page.wait_for_function(IDLE_JS, timeout=left * 1000, polling=50)
    return page.evaluate(STATE_JS)


def sent_count(page) -> int:
    return int(page.evaluate("() => window.__stmon ? __stmon.sent : 0"))


@contextlib.contextmanager
def rerun_of(page, timeout_s: float = 60.0):
    """``with rerun_of(page): <change a widget>`` waits for the rerun it causes to finish."""
    before = sent_count(page)
    yield
    wait_idle(page, sent_at_least=before + 1, timeout_s=timeout_s)
