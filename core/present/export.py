"""Exports that carry their provenance: stamped figures (SVG, PNG), CSV tables, versions.

A figure leaves the app only with its caption drawn into the image (:func:`stamp`): the
selection, the cohorts with their data versions and provenance (synthetic cohorts say so),
the endpoint and method, the export date (UTC, ISO 8601) and the link that reproduces the
view. Rendering uses Vega's own renderer compiled into ``vl_convert`` (no browser).

PNG resolution. Vega lays a figure out in CSS pixels; a Kaplan-Meier figure is about 700 px
wide, read here as 7 inches (:data:`LAYOUT_PPI` = 100 px per inch). :func:`to_png` at
``scale=3`` (default) therefore gives about 2100 px across, written with 300 dpi in the PNG's
``pHYs`` header, i.e. a 7-inch figure at 300 dpi (publication resolution).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import importlib.metadata
import io
import json
import platform
import struct
import textwrap
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlencode

import altair as alt
import pandas as pd

from core.analyses.disclosure import Disclosure
from core.present.charts import VegaLiteChart
from core.vocab.formatting import formula_safe_frame
from core.vocab.methods import Provenance
from core.vocab.schema import CohortInfo

Chart = alt.TopLevelMixin | VegaLiteChart
"""What the export functions take: an Altair chart or a spec written as a dict."""

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "NET Outcomes Explorer"
PNG_SCALE = 3
"""Default PNG scale: 3 device pixels per layout pixel."""
LAYOUT_PPI = 100
"""Layout pixels per printed inch: a 700-px-wide figure is a 7-inch figure."""
CAPTION_FONT_SIZE = 10
CAPTION_COLOR = "#555555"
_VEGA_PPI = 72  # vl_convert's reference: its ``ppi`` multiplies the pixels by ppi / 72

SOFTWARE = (
    "duckdb",
    "pandas",
    "numpy",
    "scipy",
    "lifelines",
    "altair",
    "vl-convert-python",
    "streamlit",
)
"""Distributions whose versions are recorded (looked up in metadata, never imported)."""


# ------------------------------------------------------------------ versions and time
@functools.cache
def app_version() -> str:
    """This app's version from pyproject.toml (or the installed distribution), read once per
    process (a deployment restarts its processes; every export stamps it)."""
    try:
        with (ROOT / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        try:
            return importlib.metadata.version("net-outcomes-explorer")
        except importlib.metadata.PackageNotFoundError:
            return "unknown"


def software_versions(names: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """``{"python": ..., "net-outcomes-explorer": ..., name: version}`` for installed names.

    Versions come from package metadata (``importlib.metadata``), so nothing is imported;
    a distribution that is not installed is left out. Read once per process (reading the
    metadata of every package costs several ms, and installed versions do not change under a
    running app).
    """
    return dict(_software_versions(tuple(names)))


@functools.lru_cache(maxsize=8)
def _software_versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version(), "net-outcomes-explorer": app_version()}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return tuple(out.items())


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso_utc(when: dt.datetime) -> str:
    """``2026-01-31T14:05:09Z``."""
    return when.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# ------------------------------------------------------------------ links and captions
def link_with_query(url: str, params: Mapping[str, str]) -> str:
    """``url?k=v&...`` with commas left readable (the app's lists are comma-joined)."""
    base = url.split("?", 1)[0].rstrip("/") if params else url.split("?", 1)[0]
    query = urlencode({k: str(v) for k, v in params.items()}, safe=",")
    return f"{base}?{query}" if query else base


def cohort_line(cohorts: Sequence[CohortInfo]) -> str:
    """``Data: id version v (provenance label); ...`` for the cohorts in view."""
    parts = [
        f"{c.cohort_id} version {c.data_version} ({Provenance.parse(c.provenance).label})"
        for c in cohorts
    ]
    return "Data: " + ("; ".join(parts) if parts else "no cohort")


def caption_lines(
    description: str,
    cohorts: Sequence[CohortInfo],
    method: str,
    *,
    link: str | None = None,
    when: dt.datetime | None = None,
    disclosure: Disclosure | None = None,
) -> list[str]:
    """The lines stamped under an exported figure, in reading order.

    ``description`` is the selection (``Filters.describe(n)`` with the count as it may be
    shown), ``method`` the endpoint and method line; ``when`` defaults to now (only the UTC
    date is shown, ISO 8601). ``disclosure`` adds its stamp (the mode the figures are in) when
    it has one to give.
    """
    day = (when or utc_now()).astimezone(dt.UTC).date().isoformat()
    lines = [
        f"Selection: {description}",
        cohort_line(cohorts),
        f"Method: {method}" if method else "",
        disclosure.stamp() if disclosure is not None else "",
        f"Exported {day} (UTC) from {APP_NAME} {app_version()}",
    ]
    if link:
        lines.append(f"Link: {link}")
    return [ln for ln in lines if ln]


def _layout_width(chart: object, default: int = 640) -> int:
    """The widest explicit ``width`` in a (possibly compound) chart, for caption wrapping."""
    if isinstance(chart, VegaLiteChart):
        chart = chart.spec

    def get(attr: str) -> object:
        if isinstance(chart, Mapping):
            return chart.get(attr, alt.Undefined)
        return getattr(chart, attr, alt.Undefined)

    width = get("width")
    best = int(width) if isinstance(width, int | float) else 0
    for attr in ("vconcat", "hconcat", "concat", "layer"):
        parts = get(attr)
        if isinstance(parts, list):
            best = max([best, *(_layout_width(p, 0) for p in parts)])
    return best or default


def wrap_lines(lines: Iterable[str], width_chars: int) -> list[str]:
    """Wrap every line at spaces; very long tokens (links) are split where they must be."""
    out: list[str] = []
    for line in lines:
        out.extend(
            textwrap.wrap(
                line,
                width=width_chars,
                break_long_words=True,
                break_on_hyphens=False,
                subsequent_indent="  ",
            )
            or [""]
        )
    return out


AXIS_MARGIN = 120
"""Pixels left of the plotting area (axis labels and title) that the caption may use too."""


def caption_width(chart: object) -> int:
    """Characters per caption line that fit the figure's width, axis labels included (about
    0.5 em per character)."""
    return max(40, int((_layout_width(chart) + AXIS_MARGIN) / (0.5 * CAPTION_FONT_SIZE)))


def stamp(chart: Chart, lines: Sequence[str]) -> Chart:
    """Return a copy of ``chart`` with ``lines`` drawn under it (left-aligned, small, grey).

    The lines become a bottom title of the whole figure, so they sit below the legend and
    the at-risk table, and they are wrapped to the figure's width. The original chart is not
    modified. A chart that already has a top-level title is nested in a one-element vconcat
    first, so its own title is kept.
    """
    if not lines:
        raise ValueError("stamp needs at least one caption line")
    wrapped = wrap_lines(lines, caption_width(chart))
    if isinstance(chart, VegaLiteChart):
        return chart.with_spec(_stamp_spec(chart.spec, wrapped))
    out = chart.copy(deep=True)
    if getattr(out, "title", alt.Undefined) is not alt.Undefined:
        config = out.config
        out.config = alt.Undefined
        out = alt.vconcat(out)
        out.config = config
    out.title = alt.TitleParams(**_caption_title(wrapped))
    return out


def _caption_title(wrapped: list[str]) -> dict:
    return {
        "text": wrapped,
        "orient": "bottom",
        "anchor": "start",
        "frame": "group",
        "fontSize": CAPTION_FONT_SIZE,
        "fontWeight": "normal",
        "color": CAPTION_COLOR,
        "lineHeight": CAPTION_FONT_SIZE + 3,
        "offset": 14,
        "limit": 0,
    }


def _stamp_spec(spec: Mapping, wrapped: list[str]) -> dict:
    """:func:`stamp` for a spec dict (same layout as for an Altair chart)."""
    out = copy.deepcopy(dict(spec))
    if "title" in out:
        top = {k: out.pop(k) for k in ("$schema", "config", "datasets") if k in out}
        out = {**top, "vconcat": [out]}
    out["title"] = _caption_title(wrapped)
    return out


# ------------------------------------------------------------------ rendering
def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes (e.g. '6.4'), if vl_convert bundles it."""
    import vl_convert as vlc

    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return major_minor if major_minor in vlc.get_vegalite_versions() else None


def spec_json(chart: Chart) -> str:
    """The chart's Vega-Lite JSON (data inlined): the input of the renderers and a cache key."""
    return chart.to_json(indent=None)


def svg_from_spec(spec: str) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec, vl_version=_vl_version())


def png_from_spec(spec: str, scale: float = PNG_SCALE, metadata: Mapping[str, str] | None = None):
    """PNG bytes at ``scale`` device pixels per layout pixel, tagged ``LAYOUT_PPI * scale`` dpi."""
    import vl_convert as vlc

    if not scale > 0:
        raise ValueError("scale must be positive")
    dpi = LAYOUT_PPI * scale
    # vl_convert multiplies pixels by scale * ppi / 72 and writes ppi into pHYs: ask for
    # ``dpi`` in the header and compensate in the scale so that pixels = layout px * scale.
    png = vlc.vegalite_to_png(
        spec, vl_version=_vl_version(), scale=scale * _VEGA_PPI / dpi, ppi=dpi
    )
    return add_png_text(png, metadata) if metadata else png


def to_svg(chart: Chart) -> str:
    """SVG text of ``chart`` (text stays text, so the caption is searchable)."""
    return svg_from_spec(spec_json(chart))


def to_png(
    chart: Chart, scale: float = PNG_SCALE, metadata: Mapping[str, str] | None = None
) -> bytes:
    """PNG bytes of ``chart``; scale 3 = 300 dpi for a ~7-inch-wide figure (see module doc).

    ``metadata`` (optional) is written as PNG ``iTXt`` chunks (e.g. Title, Description,
    Source, Creation Time, Software), readable by image viewers and ``exiftool``.
    """
    return png_from_spec(spec_json(chart), scale, metadata)


def add_png_text(png: bytes, metadata: Mapping[str, str]) -> bytes:
    """Insert UTF-8 ``iTXt`` chunks right after the PNG header chunk (IHDR)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    ihdr_end = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4
    chunks = b""
    for key, value in metadata.items():
        keyword = key.encode("latin-1")[:79]
        body = keyword + b"\x00\x00\x00\x00\x00" + str(value).encode("utf-8")
        chunks += struct.pack(">I", len(body)) + b"iTXt" + body
        chunks += struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)
    return png[:ihdr_end] + chunks + png[ihdr_end:]


def png_text(png: bytes) -> dict[str, str]:
    """Read back the ``iTXt`` chunks written by :func:`add_png_text`."""
    out: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(png):
        length = struct.unpack(">I", png[pos : pos + 4])[0]
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        if kind == b"iTXt":
            keyword, rest = body.split(b"\x00", 1)
            # compression flag, method, language tag\0, translated keyword\0, text
            _lang, rest = rest[2:].split(b"\x00", 1)
            _trans, text = rest.split(b"\x00", 1)
            out[keyword.decode("latin-1")] = text.decode("utf-8")
        if kind == b"IEND":
            break
        pos += 12 + length
    return out


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def png_dpi(png: bytes) -> float | None:
    """Dots per inch from the ``pHYs`` chunk (None when absent or not in metres)."""
    i = png.find(b"pHYs")
    if i < 0:
        return None
    ppm_x, _ppm_y, unit = struct.unpack(">IIB", png[i + 4 : i + 13])
    return ppm_x * 0.0254 if unit == 1 else None


# ------------------------------------------------------------------ tables and files
PROVENANCE_MARK = "# "
"""Provenance lines open a CSV file, each starting with this mark (read back with
:func:`read_csv_bytes`)."""


def to_csv_bytes(df: pd.DataFrame, provenance: Sequence[str] = ()) -> bytes:
    """CSV as UTF-8 with a byte-order mark (Excel then shows '–' and '·' correctly).

    Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or
    a carriage return, and not a plain number) get a leading apostrophe
    (:func:`core.vocab.formatting.formula_safe`, shared with the importer's CSVs). ``provenance`` lines (selection, data, mode)
    open the file, each after ``'# '``.
    """
    head = "".join(
        f"{PROVENANCE_MARK}{' '.join(str(line).split())}\r\n" for line in provenance if line
    )
    # CRLF rows (RFC 4180): a cell holding a CR or LF is then quoted, not split
    body = formula_safe_frame(df).to_csv(index=False, lineterminator="\r\n")
    return (head + body).encode("utf-8-sig")


def read_csv_bytes(data: bytes, **kwargs) -> tuple[list[str], pd.DataFrame]:
    """(provenance lines, table) of a CSV written by :func:`to_csv_bytes`."""
    text = data.decode("utf-8-sig")
    lines = text.split("\n")
    k = 0
    while k < len(lines) and lines[k].startswith(PROVENANCE_MARK):
        k += 1
    prov = [ln[len(PROVENANCE_MARK) :].rstrip("\r") for ln in lines[:k]]
    return prov, pd.read_csv(io.StringIO("\n".join(lines[k:])), **kwargs)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_metadata(lines: Sequence[str], link: str | None, when: dt.datetime) -> dict[str, str]:
    """Standard PNG text keywords for an exported figure."""
    meta = {
        "Title": lines[0] if lines else APP_NAME,
        "Description": "\n".join(lines),
        "Creation Time": iso_utc(when),
        "Software": f"{APP_NAME} {app_version()}",
    }
    if link:
        meta["Source"] = link
    return meta


def manifest_json(manifest: Mapping) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
