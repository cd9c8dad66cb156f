"""The sliver of Elasticsearch's query language the data API's `source` parameter carries.

Enough for the clients that matter: `from`, `size`, `sort`, and the queries `match_all`,
`term`, `range` (gt, gte, lt, lte) and `bool` (must / filter). `search_after` is rejected, as on
the real portal. Hits beyond the result window (10,000 by default) are *silently* cut off: a
client paging with `from` past it gets less than `totalCount` and no error — the trap of the
real API that only a range pager reconciled against `totalCount` survives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_SIZE = 10
RESULT_WINDOW = 10_000


class QueryError(ValueError):
    """The `source` cannot be answered; the portal says so in a 200 with {code, message}."""


def search(
    records: Sequence[Mapping[str, Any]], source: Mapping[str, Any], window: int = RESULT_WINDOW
) -> tuple[int, list[Mapping[str, Any]]]:
    """(totalCount, the page of hits) of `source` over `records`."""
    if not isinstance(source, Mapping):
        raise QueryError("source must be a JSON object")
    unknown = set(source) - {"from", "size", "query", "sort", "_source"}
    if "search_after" in source:
        raise QueryError("search_after is not supported")
    if unknown:
        raise QueryError(f"unsupported keys in source: {', '.join(sorted(unknown))}")
    start = _non_negative(source.get("from", 0), "from")
    size = _non_negative(source.get("size", DEFAULT_SIZE), "size")
    query = source.get("query") or {"match_all": {}}
    hits = [record for record in records if _matches(record, query)]
    for name, descending in reversed(_sort_keys(source.get("sort"))):
        hits.sort(key=lambda r, n=name: _Key(r.get(n)), reverse=descending)
    visible = hits[:window]  # the deep-paging trap: nothing past the window, and no error
    return len(hits), visible[start : start + size]


def _non_negative(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise QueryError(f"{name} must be a non-negative integer")
    return value


def _sort_keys(sort: Any) -> list[tuple[str, bool]]:
    """[(field, descending)] from ES's spellings: "f", {"f": "desc"}, {"f": {"order": "desc"}}."""
    if sort is None:
        return []
    items = sort if isinstance(sort, list) else [sort]
    keys = []
    for item in items:
        if isinstance(item, str):
            keys.append((item, False))
            continue
        if not isinstance(item, Mapping) or len(item) != 1:
            raise QueryError(f"cannot sort by {item!r}")
        ((name, order),) = item.items()
        if isinstance(order, Mapping):
            order = order.get("order", "asc")
        if order not in ("asc", "desc"):
            raise QueryError(f"sort order must be asc or desc, got {order!r}")
        keys.append((name, order == "desc"))
    return keys


def _matches(record: Mapping[str, Any], query: Any) -> bool:
    if not isinstance(query, Mapping) or len(query) != 1:
        raise QueryError(f"cannot read query {query!r}")
    ((kind, body),) = query.items()
    if kind == "match_all":
        return True
    if kind == "term":
        ((name, value),) = _one_field(body, kind)
        if isinstance(value, Mapping):
            value = value.get("value")
        return record.get(name) == value
    if kind == "range":
        ((name, bounds),) = _one_field(body, kind)
        if not isinstance(bounds, Mapping) or not bounds:
            raise QueryError("range needs bounds")
        value = record.get(name)
        if value is None:
            return False
        for op, bound in bounds.items():
            if op not in _COMPARE:
                raise QueryError(f"unsupported range bound {op!r}")
            if not _COMPARE[op](_Key(value), _Key(bound)):
                return False
        return True
    if kind == "bool":
        if not isinstance(body, Mapping) or set(body) - {"must", "filter"}:
            raise QueryError("bool supports must and filter only")
        clauses = [c for part in ("must", "filter") for c in _as_list(body.get(part))]
        return all(_matches(record, clause) for clause in clauses)
    raise QueryError(f"unsupported query {kind!r}")


def _one_field(body: Any, kind: str) -> list[tuple[str, Any]]:
    if not isinstance(body, Mapping) or len(body) != 1:
        raise QueryError(f"{kind} takes exactly one field")
    return list(body.items())


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Key:
    """Orders numbers numerically, everything else as text; a missing value sorts last."""

    __slots__ = ("rank", "value")

    def __init__(self, value: Any):
        if value is None:
            self.rank, self.value = 2, ""
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self.rank, self.value = 0, value
        else:
            self.rank, self.value = 1, str(value)

    def _pair(self, other: _Key) -> tuple:
        if self.rank == other.rank:
            return self.value, other.value
        return self.rank, other.rank

    def __lt__(self, other: _Key) -> bool:
        a, b = self._pair(other)
        return a < b

    def __le__(self, other: _Key) -> bool:
        a, b = self._pair(other)
        return a <= b

    def __gt__(self, other: _Key) -> bool:
        a, b = self._pair(other)
        return a > b

    def __ge__(self, other: _Key) -> bool:
        a, b = self._pair(other)
        return a >= b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self._pair(other)[0] == self._pair(other)[1]

    __hash__ = None  # type: ignore[assignment]


_COMPARE = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
