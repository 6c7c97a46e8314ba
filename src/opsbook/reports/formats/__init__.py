"""The report formats a run can be written in: name -> module. Adding a format is adding one module here.

Each module has `render(report: Report) -> str`, `suffix` (the file name ending `opsbook demo`
and `--report-dir` use) and `media_type`; a module may also have `write(report, fh)` to stream its output
(json and ocsf do), which `write()` below prefers. The terminal table is not a file format: table.py.
"""

from __future__ import annotations

from types import ModuleType
from typing import Protocol, TextIO, cast

from opsbook.reports.formats import csv, html, json, junit, markdown, ocsf
from opsbook.reports.model import Report


class Renderer(Protocol):
    suffix: str
    media_type: str

    def render(self, report: Report) -> str: ...


def _renderer(module: ModuleType) -> Renderer:
    return cast(Renderer, module)


FORMATS: dict[str, Renderer] = {
    "json": _renderer(json),
    "markdown": _renderer(markdown),
    "junit": _renderer(junit),
    "csv": _renderer(csv),
    "html": _renderer(html),
    "ocsf": _renderer(ocsf),
}
# what `opsbook demo` and `run --report-dir` write beside each other
WRITTEN = ("json", "markdown", "html")


def get(name: str) -> Renderer:
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"no report format {name!r} (known: {', '.join(FORMATS)})") from None


def write(name: str, report: Report, fh: TextIO) -> None:
    """The report in format `name` onto `fh`: streamed when the format can, else its rendered text."""
    renderer = get(name)
    stream = getattr(renderer, "write", None)
    if stream is not None:
        stream(report, fh)
    else:
        fh.write(renderer.render(report))
