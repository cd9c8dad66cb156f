"""Answers of the open-data API → Python values (pure functions: text in, records out).

The portal reports many failures as HTTP 200 with ``{"code": …, "message": …}`` and sometimes
answers 204 with nothing; neither may ever be taken for data, so every answer passes
:func:`decode` first.

What is read may still hold a value no real dataset has: a date before the portal's life or
after the observation day, a count beyond its column. The ``*_out_of_bounds`` functions say
why (with the bounds of :mod:`ingestion.common.bounds`), and the landing sets that catalogue
entry, passport or record aside instead of landing it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.common.bounds import day_out_of_bounds, integer_out_of_bounds
from ingestion.common.secrets import RedactedError
from ingestion.opendata import api


class AnswerError(RedactedError, ValueError):
    """An answer that is not what the endpoint promises: empty, not JSON, wrong shape."""


class DisguisedError(AnswerError):
    """An error sent as data: HTTP 200 with ``{code, message}``."""

    def __init__(self, code: Any, message: str):
        super().__init__(f"error in disguise (HTTP 200): code {code}: {message}")
        self.code = code
        self.message = message

    @property
    def permanent(self) -> bool:
        """A client error (4xx code) will not go away by asking again; anything else may."""
        try:
            return 400 <= int(self.code) < 500 and int(self.code) != 429
        except (TypeError, ValueError):
            return False


@dataclass(frozen=True)
class CataloguePage:
    total: int
    datasets: list[dict]


@dataclass(frozen=True)
class DatasetMapping:
    """The published versions of a dataset and each version's field types."""

    api_uri: str
    properties: dict[str, dict[str, Any]]  # version → {field: {"type": …}}

    @property
    def versions(self) -> list[str]:
        return sorted(self.properties, key=version_number)

    @property
    def latest(self) -> str:
        return self.versions[-1]


def decode(text: str) -> Any:
    """The JSON of an answer; raises DisguisedError for ``{code, message}``, AnswerError for an
    empty body (a 204) or text that is not JSON (e.g. cut off)."""
    if not text.strip():
        raise AnswerError("empty answer (HTTP 204 or an empty body) where data was expected")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"answer is not JSON ({exc.msg} at {exc.pos}; truncated?)") from None
    if isinstance(value, dict) and value.keys() >= api.ERROR_KEYS:
        data_keys = {api.CATALOGUE_ITEMS, api.DETAILED_ITEMS, "fields", "mappings"}
        if not data_keys & value.keys():
            raise DisguisedError(value.get("code"), str(value.get("message")))
    return value


def parse_catalogue_page(value: Any) -> CataloguePage:
    if not isinstance(value, dict):
        raise AnswerError("catalogue page is not a JSON object")
    total, datasets = value.get(api.CATALOGUE_TOTAL), value.get(api.CATALOGUE_ITEMS)
    if not _is_count(total) or not isinstance(datasets, list):
        raise AnswerError(
            f"catalogue page lacks {api.CATALOGUE_TOTAL} (a count) or {api.CATALOGUE_ITEMS}"
        )
    bad = [
        d for d in datasets if not isinstance(d, dict) or not _is_api_uri(d.get(api.DATASET_KEY))
    ]
    if bad:
        raise AnswerError(f"{len(bad)} catalogue entries without a valid {api.DATASET_KEY}")
    return CataloguePage(total, datasets)


def parse_mapping(value: Any, api_uri: str) -> DatasetMapping:
    """``{apiUri: {mappings: {v1: {properties: …}, …}}}`` → the versions and their fields."""
    if not isinstance(value, dict) or not value:
        raise AnswerError(f"mapping of {api_uri} is not a JSON object")
    entry = value.get(api_uri)
    if entry is None and len(value) == 1:  # keyed by another spelling of the same dataset
        (entry,) = value.values()
    mappings = entry.get("mappings") if isinstance(entry, dict) else None
    if not isinstance(mappings, dict):
        raise AnswerError(f"mapping of {api_uri} has no mappings")
    properties = {
        version: (body or {}).get("properties") or {}
        for version, body in mappings.items()
        if api.VERSION.fullmatch(version)
    }
    if not properties:
        raise AnswerError(f"mapping of {api_uri} names no version (v1, v2, …, or data)")
    return DatasetMapping(api_uri, properties)


def parse_passport(value: Any, api_uri: str, version: str) -> dict:
    """The passport as sent. An unknown periodicity is no error: it is landed as seen and
    counted apart (see :func:`unknown_periodicity`)."""
    if not isinstance(value, dict) or not isinstance(value.get(api.PASSPORT_FIELDS, {}), dict):
        raise AnswerError(f"passport of {api_uri}/{version} is not a passport")
    return value


def unknown_periodicity(passport: Mapping[str, Any]) -> str | None:
    """The passport's periodicity when it is there but none of the known values, else None."""
    value = passport.get(api.PASSPORT_PERIODICITY)
    if value is None or value == "":
        return None
    return None if value in api.PERIODICITIES else str(value)


def parse_detailed(value: Any) -> tuple[int, list[dict]]:
    """``{"totalCount": N, "data": [...]}`` → (N, records)."""
    if not isinstance(value, dict):
        raise AnswerError("data answer is not a JSON object")
    total, data = value.get(api.DETAILED_TOTAL), value.get(api.DETAILED_ITEMS)
    if not _is_count(total) or not isinstance(data, list):
        raise AnswerError(f"data answer lacks {api.DETAILED_TOTAL} or {api.DETAILED_ITEMS}")
    if not all(isinstance(record, dict) for record in data):
        raise AnswerError("data answer holds something that is not a record")
    return total, data


def parse_records(value: Any) -> list[dict]:
    """The bare array of ``/api/v4/…``."""
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise AnswerError("data answer is not an array of records")
    return value


def version_number(version: str) -> int:
    """The order of published versions: v1 < v2 < …; a named one (``data``) as api says."""
    match = api.VERSION.fullmatch(version)
    if not match:
        raise ValueError(f"not a version: {version!r}")
    return int(match[1]) if match[1] is not None else api.NAMED_VERSIONS[version]


def modification_field(
    properties: Mapping[str, Any], passport_fields: Mapping[str, Any] | None = None
) -> str | None:
    """The field that stamps a record's last change, if the dataset has one: a known name that
    the mapping types a date *or* the passport types Datetime (an ES 2.x mapping types dates
    "string", so the mapping alone cannot tell)."""
    passport_fields = passport_fields or {}
    for name in api.MODIFICATION_FIELDS:
        mapped, described = properties.get(name), passport_fields.get(name)
        if isinstance(mapped, dict) and mapped.get("type") in api.MAPPING_DATE_TYPES:
            return name
        if isinstance(described, dict) and described.get("type") == api.PASSPORT_DATETIME_TYPE:
            return name
    return None


# --- dates -------------------------------------------------------------------------------------

_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
_TIME = r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
_OFFSET = r"(?P<offset>Z|[+-]\d{2}:?\d{2})?"
_MOMENT = re.compile(_DATE + _TIME + _OFFSET)


def date_format(value: Any) -> str:
    """A label of how a date is written, for reports: ``date``, ``date+offset``, ``datetime``,
    ``datetime+offset``, ``datetime+Z``, or ``other`` (anything else, a number included)."""
    match = _MOMENT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return "other"
    label = "datetime" if match["time"] else "date"
    if match["offset"] == "Z":
        return label + "+Z"
    return label + ("+offset" if match["offset"] else "")


def parse_moment(value: Any) -> dt.datetime | None:
    """A portal date as an aware datetime (offset-free values are local time), or None when it
    is not one of the forms :func:`date_format` knows. ``2016-03-29+06:00`` is midnight of that
    day at +06:00 (``datetime.fromisoformat`` would read it as 06:00)."""
    match = _MOMENT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    text = match["date"] + "T" + (match["time"] or "00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:  # e.g. 2017-02-30
        return None
    offset = match["offset"]
    if offset is None:
        return moment.replace(tzinfo=ZoneInfo(api.LOCAL_TIMEZONE))
    if offset == "Z":
        return moment.replace(tzinfo=dt.UTC)
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[-2:])
    return moment.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes)))


def latest_moment(values: Iterable[Any]) -> Any:
    """The value (as sent) of the latest moment among ``values``; ones that are not dates are
    passed over unless nothing else is there (then the largest as text)."""
    values = [v for v in values if v is not None]
    dated = [(m, v) for v in values if (m := parse_moment(v)) is not None]
    if dated:
        return max(dated, key=lambda pair: pair[0])[1]
    return max(values, key=str, default=None)


def range_source(
    key: str,
    *,
    after: Any = None,
    since_field: str | None = None,
    since: Any = None,
    size: int = api.RECORDS_PAGE_SIZE,
) -> dict:
    """The data API request for the next page: always ``from: 0``, the records after the last
    key seen (a range), sorted by the key; optionally only those changed since a watermark."""
    filters = []
    if since_field is not None and since is not None:
        filters.append({"range": {since_field: {"gte": since}}})
    if after is not None:
        filters.append({"range": {key: {"gt": after}}})
    source: dict[str, Any] = {"from": 0, "size": size, "sort": [{key: {"order": "asc"}}]}
    if filters:
        source["query"] = {"bool": {"filter": filters}}
    return source


# --- implausible values ------------------------------------------------------------------------

_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")


def moment_out_of_bounds(value: Any, name: str, latest: dt.date) -> str | None:
    """Why a portal date is not one the portal can carry: its day in Almaty time (the day staging
    makes of it) before ``bounds.EARLIEST_DAY`` or after ``latest``. None, and a value that is
    not one of the date forms :func:`parse_moment` knows, pass."""
    moment = parse_moment(value)
    if moment is None:
        return None
    day = moment.astimezone(ZoneInfo(api.LOCAL_TIMEZONE)).date()
    reason = day_out_of_bounds(day, name, latest)
    if reason and value != day.isoformat():
        reason += f" (sent {value!r})"
    return reason


def json_integer_out_of_bounds(
    value: Any, name: str, column_type: str, minimum: int | None = None
) -> str | None:
    """Why a JSON value staging casts to ``column_type`` (from its text) cannot be cast: not an
    integer (a fraction, a word, true), or one beyond the column. None and absent values pass."""
    if value is None:
        return None
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        shown = repr(value) if len(repr(value)) <= 30 else f"{repr(value)[:27]}..."
        return f"implausible {name} {shown}: not an integer ({column_type})"
    return integer_out_of_bounds(value, name, column_type, minimum)


def dataset_out_of_bounds(entry: Mapping[str, Any], latest: dt.date) -> str | None:
    """Why a catalogue entry cannot land: its dates and counts as staging types them."""
    return _joined(
        *(moment_out_of_bounds(entry.get(n), n, latest) for n in api.CATALOGUE_DATE_FIELDS),
        *(
            json_integer_out_of_bounds(entry.get(name), name, column_type, minimum=0)
            for name, column_type in api.CATALOGUE_COUNT_FIELDS.items()
        ),
    )


def passport_out_of_bounds(passport: Mapping[str, Any], latest: dt.date) -> str | None:
    """Why a passport cannot land: its modification date."""
    return _joined(
        *(moment_out_of_bounds(passport.get(n), n, latest) for n in api.PASSPORT_DATE_FIELDS)
    )


def mapping_out_of_bounds(mapping: DatasetMapping) -> str | None:
    """Why a mapping cannot land: a version number staging's ``integer`` cannot hold."""
    return _joined(
        *(
            integer_out_of_bounds(
                version_number(version), "version number", api.VERSION_NUMBER_TYPE, minimum=0
            )
            for version in mapping.properties
        )
    )


def record_out_of_bounds(
    record: Mapping[str, Any], modification_field: str | None, latest: dt.date
) -> str | None:
    """Why a record cannot land: its modification stamp, which the next load's watermark is
    taken from (one dated 2099 would leave every later change unread)."""
    if modification_field is None:
        return None
    return moment_out_of_bounds(record.get(modification_field), modification_field, latest)


def _joined(*reasons: str | None) -> str | None:
    return "; ".join(reason for reason in reasons if reason) or None


def encode_source(source: Mapping[str, Any]) -> str:
    return json.dumps(source, ensure_ascii=False, separators=(",", ":"))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_api_uri(value: Any) -> bool:
    return isinstance(value, str) and bool(api.API_URI.fullmatch(value))
