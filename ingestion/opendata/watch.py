"""The watch list: which datasets' records to land (docs/sources.md section 2).

A small CSV (or plain text) file, one dataset per line:
``apiUri[,version[,key[,modified_field]]]``. The version (``v1``, ``v2``, …, or ``data``) is
the latest published one when empty; ``key`` is the unique, sortable field records are paged by
(default ``id``); ``modified_field`` is the field stamping a record's last change, for datasets
whose mapping and passport do not show it (read incrementally by it; default: found by name and
type, see ``api.MODIFICATION_FIELDS``). Blank lines and lines starting with ``#`` are ignored,
and a header line (``api_uri,version`` or ``apiUri,…``) is allowed. Every problem is reported
at once, with its line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingestion.opendata import api

_HEADER_NAMES = {"api_uri", "apiuri"}


class WatchListError(ValueError):
    """The watch list cannot be used; the message lists every problem found."""


@dataclass(frozen=True)
class WatchItem:
    api_uri: str
    version: str | None = None  # None: the latest published version
    key: str | None = None  # None: api.DEFAULT_RECORD_KEY
    modified_field: str | None = None  # None: found from the mapping and passport, if any

    def __str__(self) -> str:
        return f"{self.api_uri}/{self.version or 'latest'}"


def read_watch_list(path: str | Path) -> list[WatchItem]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchListError(f"{path}: cannot read the watch list: {exc}") from exc
    return parse_watch_list(text, source=str(path))


def parse_watch_list(text: str, source: str = "<watch list>") -> list[WatchItem]:
    items: list[WatchItem] = []
    problems: list[str] = []
    first_line: dict[tuple[str, str | None], int] = {}
    for line_no, cells in _rows(text):
        if line_no == _first_content_line(text) and cells[0].lower() in _HEADER_NAMES:
            continue
        try:
            item = _item(cells)
        except ValueError as exc:
            problems.append(f"line {line_no}: {exc}")
            continue
        seen = (item.api_uri, item.version)
        if seen in first_line:
            problems.append(f"line {line_no}: {item} already on line {first_line[seen]}")
            continue
        first_line[seen] = line_no
        items.append(item)
    if problems:
        raise WatchListError(f"{source}: invalid watch list:\n  " + "\n  ".join(problems))
    return items


def as_watch_items(watch: Iterable[WatchItem | str] | str | Path | None) -> list[WatchItem]:
    """A watch list given as a file path, a list of items or apiUris, or nothing."""
    if watch is None:
        return []
    if isinstance(watch, str | Path):
        return read_watch_list(watch)
    return [w if isinstance(w, WatchItem) else _item([str(w)]) for w in watch]


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        (cells,) = csv.reader(io.StringIO(line))
        cells = [cell.strip() for cell in cells]
        while len(cells) > 1 and not cells[-1]:
            cells.pop()
        yield line_no, cells


def _first_content_line(text: str) -> int | None:
    return next((line_no for line_no, _ in _rows(text)), None)


def _item(cells: list[str]) -> WatchItem:
    if len(cells) > 4:
        raise ValueError(f"more than four cells (apiUri, version, key, modified_field): {cells!r}")
    api_uri, version, key, modified = [*cells, "", "", ""][:4]
    if not api.API_URI.fullmatch(api_uri):
        raise ValueError(f"not an apiUri: {api_uri!r}")
    if version and not api.VERSION.fullmatch(version):
        raise ValueError(f"version must look like v1, v2, … or data, got {version!r}")
    for name in (key, modified):
        if name and not name.replace("_", "").isalnum():
            raise ValueError(f"not a field name: {name!r}")
    return WatchItem(api_uri, version or None, key or None, modified or None)
