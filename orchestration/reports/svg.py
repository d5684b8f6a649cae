"""Inline SVG building blocks and number formats of the offline reports and the web pages.

Why hand-written: the report is mailed, archived and opened on locked-down laptops, so it must
open offline and look the same years later. Nothing is fetched at view time (no CDN, no web
fonts, no chart library); every chart is inline SVG, so the page works without JavaScript and
the output is plain, deterministic text that tests can compare.

Everything that comes from the data is escaped where it is written (`esc`), never earlier, so
no helper has to remember whether a string is already safe. A finished chart (`svg_root`) is
therefore marked safe (markupsafe.Markup) for the Jinja templates, which autoescape everything
else; the cards, tables and the page around the charts are templates (templates/).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from markupsafe import Markup

UNKNOWN = "未知"
OTHER = "其他"
NO_DATA = "暂无数据"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"

# --------------------------------------------------------------------------- small helpers
def esc(value: object) -> str:
    """Escape for both text and attribute positions, so one function fits every call site."""
    return html.escape(str(value), quote=True)


def is_missing(value: object) -> bool:
    """pd.NA, NaN, NaT and None all mean 'unknown' to a reader of the report."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def label_of(label: object, value: object) -> str:
    """Prefer the caller's label, fall back to the raw value, and say 未知 rather than 'None'."""
    for candidate in (label, value):
        if not is_missing(candidate) and str(candidate).strip():
            return str(candidate)
    return UNKNOWN


def num(value: object) -> float:
    """Counts arrive as int64, Int64 with NA or float; a missing count draws as zero."""
    if is_missing(value):
        return 0.0
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return result if math.isfinite(result) else 0.0


def fmt_int(value: object) -> str:
    return f"{round(num(value)):,}"


def fmt_pct(share: float, digits: int = 1) -> str:
    return f"{share * 100:.{digits}f}%"


def fmt_money(value: object) -> str:
    """Chinese readers scan 万 and 亿 faster than long digit runs."""
    amount = num(value)
    if abs(amount) >= 1e8:
        return f"¥{amount / 1e8:.2f}亿"
    if abs(amount) >= 1e4:
        return f"¥{amount / 1e4:.1f}万"
    return f"¥{amount:,.0f}"


def f1(x: float) -> str:
    """One decimal keeps the SVG small and byte-for-byte stable."""
    return f"{x:.1f}"


def text_width(text: str, size: float) -> float:
    """A font-free estimate: CJK glyphs are one em wide, Latin about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "x"


def nice_ceiling(value: float) -> float:
    """An axis top whose quarters are round numbers (4,000 / 8,000 / 12,000 / 16,000) without
    leaving half the plot empty."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def records(frame: pd.DataFrame | None, name: str, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Empty frames are normal (a first run, a B2C brand without industries); a non-empty frame
    without the agreed columns is a caller bug and should fail loudly, not draw a wrong chart."""
    if frame is None or len(frame) == 0:
        return []
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; it has {list(frame.columns)}")
    return frame[list(columns)].to_dict("records")


# --------------------------------------------------------------------------- svg building blocks
def svg_root(chart_id: str, width: float, height: float, title: str, body: str) -> Markup:
    """Every chart carries a <title> and aria-label so screen readers and tests can name it.
    Safe markup: `body` is built by the functions here, which escape every text they write."""
    title_id = f"{chart_id}-title"
    return Markup(f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'role="img" aria-labelledby="{title_id}" aria-label="{esc(title)}">'
            f'<title id="{title_id}">{esc(title)}</title>{body}</svg>')


def svg_text(x: float, y: float, text: str, *, size: float = 12, anchor: str = "start",
          fill: str = INK, weight: str | None = None, rotate: float | None = None) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    turn = f' transform="rotate({rotate:g} {f1(x)} {f1(y)})"' if rotate is not None else ""
    return (f'<text x="{f1(x)}" y="{f1(y)}" font-size="{size:g}" text-anchor="{anchor}" '
            f'fill="{fill}"{bold}{turn}>{esc(text)}</text>')


def svg_rect(x: float, y: float, width: float, height: float, fill: str, tip: str,
          cls: str = "bar") -> str:
    """The nested <title> is the no-JavaScript tooltip; the script upgrades it via data-tip."""
    return (f'<rect class="{cls}" x="{f1(x)}" y="{f1(y)}" width="{f1(max(width, 0.0))}" '
            f'height="{f1(max(height, 0.0))}" fill="{fill}" rx="2" data-tip="{esc(tip)}">'
            f'<title>{esc(tip)}</title></rect>')


def svg_legend(items: Sequence[tuple[str, str]], width: float, y: float, size: float = 11) -> tuple[str, float]:
    """A wrapping legend; returns its markup and the y just below it."""
    parts: list[str] = []
    x = 0.0
    for label, colour in items:
        item_width = 14 + text_width(label, size) + 14
        if x > 0 and x + item_width > width:
            x = 0.0
            y += size + 8
        parts.append(f'<rect x="{f1(x)}" y="{f1(y - size + 2)}" width="10" height="10" '
                     f'fill="{colour}" rx="2"></rect>')
        parts.append(svg_text(x + 14, y, label, size=size, fill=MUTED))
        x += item_width
    return "".join(parts), y + size


def heat_colour(t: float) -> tuple[str, str]:
    """White to blue; text turns white once the cell is dark enough to need it."""
    r = round(255 + (37 - 255) * t * 0.9)
    g = round(255 + (99 - 255) * t * 0.9)
    b = round(255 + (235 - 255) * t * 0.9)
    return f"#{r:02x}{g:02x}{b:02x}", ("#ffffff" if t > 0.55 else INK)


def wrap(text: str, max_width: float, size: float) -> list[str]:
    """Lines of `text` that each fit `max_width`: a label is never cut short, it takes more lines.
    Breaks at spaces where there are any (Latin words stay whole), else between characters
    (Chinese has no spaces to break at)."""
    if text_width(text, size) <= max_width:
        return [text]
    words = text.split(" ") if " " in text.strip() else list(text)
    joiner = " " if " " in text.strip() else ""
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line}{joiner}{word}" if line else word
        if line and text_width(candidate, size) > max_width:
            lines.append(line)
            line = word
        else:
            line = candidate
        while text_width(line, size) > max_width and len(line) > 1:  # one word wider than the line
            cut = len(line) - 1
            while cut > 1 and text_width(line[:cut], size) > max_width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


def svg_lines(x: float, y_centre: float, lines: Sequence[str], *, size: float = 12, anchor: str = "start",
              fill: str = INK, weight: str | None = None) -> str:
    """One <text> of several lines centred on y_centre (what a wrapped label needs)."""
    step = size * 1.2
    first = y_centre - step * (len(lines) - 1) / 2 + size * 0.35
    bold = f' font-weight="{weight}"' if weight else ""
    spans = "".join(f'<tspan x="{f1(x)}" y="{f1(first + i * step)}">{esc(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"{bold}>{spans}</text>'


def lines_height(lines: Sequence[str], size: float) -> float:
    return size * 1.2 * len(lines)
