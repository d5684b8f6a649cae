"""One Jinja environment for the portrait report and the web pages (`huaxiang serve`).

The loader knows the report's templates (templates/: the page, its cards, and macros.html with
the cards, notes and charts the web pages use too) after any folders the caller puts first (the
web app's own templates). Autoescaping is on: every text from the data is escaped by Jinja; the
only markup let through is the charts (portrait_charts.py, built by escaping code and returned as
markupsafe.Markup) and the report's own stylesheet and script (static/), inlined from the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from orchestration.reports.svg import NO_DATA

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def environment(*folders: Path, strict: bool = False) -> jinja2.Environment:
    """Templates are looked up in `folders` first, then in the report's folder. `strict`: an
    undefined name fails (the report's templates); the web pages test optional fields with
    `if`, so they keep Jinja's lenient default."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*(str(f) for f in folders), str(TEMPLATES)]),
        autoescape=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined)
    env.globals["NO_DATA"] = NO_DATA  # the note of an empty card or chart (macros.html)
    return env


@cache
def static_text(name: str) -> Markup:
    """A file of static/ to inline into the page (the report is one file, nothing is fetched).
    Safe by origin: it ships with the package and no data ever goes into it."""
    return Markup((STATIC / name).read_text(encoding="utf-8"))
