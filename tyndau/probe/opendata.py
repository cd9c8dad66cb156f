"""``tyndau probe opendata``: one catalogue page, one mapping, one passport and one record
request against an open-data portal, compared field by field with docs/sources.md section 2.

Every request goes through the loader's own client (:class:`OpendataClient`: robots.txt, a
delay, retries, the key sent only to ``/api/…`` and masked everywhere); its observer hands the
probe each answer as sent, so that a shape the loader would reject is still reported field by
field. The expected names come from ``ingestion.opendata.api``, the one place they live.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ingestion.common.http import HttpConfig
from ingestion.common.secrets import redact
from ingestion.opendata import api
from ingestion.opendata.client import Exchange, OpendataClient, OpendataError
from ingestion.opendata.parse import (
    date_format,
    modification_field,
    range_source,
    unknown_periodicity,
)
from tyndau.probe import FieldCheck, ProbeRun, count_variants

DEFAULT_COUNT = 10  # datasets on the catalogue page read
GUESSED_VERSION = "v1"  # without a key there is no mapping to name the versions
# Catalogue entry fields the warehouse needs (True) or only shows (False).
CATALOGUE_FIELDS = {
    api.DATASET_KEY: True,
    "nameRu": False,
    "createdDate": True,
    "modifiedDate": True,
    "owner.fullnameRu": True,
}
DATE_FIELDS = ("createdDate", "modifiedDate")
PASSPORT_FIELDS = {
    "descriptionRu": False,
    "modifiedDate": False,
    "fullnameRu": False,
    api.PASSPORT_FIELDS: True,
    api.PASSPORT_PERIODICITY: True,  # [assumed]
    api.PASSPORT_ARCHIVED: True,  # [assumed]
}
PASSPORT_TYPES = frozenset({"Int", "String", api.PASSPORT_DATETIME_TYPE, "Boolean"})


@dataclass
class _Seen:
    """What the observer collected: every exchange, in order."""

    exchanges: list[Exchange] = field(default_factory=list)

    def since(self, start: int) -> list[Exchange]:
        return self.exchanges[start:]


def probe_opendata(
    base_url: str,
    api_key: str | None,
    state_dir: Path,
    *,
    api_uri: str | None = None,
    version: str | None = None,
    count: int = DEFAULT_COUNT,
    delay: float = 1.0,
    echo: Callable[[str], None] | None = None,
) -> int:
    """Probe the portal at ``base_url``; print the report, save the answers; the exit code."""
    secrets = (api_key,) if api_key else ()
    options: dict[str, Any] = {"redact": lambda text: redact(text, secrets)}
    if echo is not None:
        options["echo"] = echo
    run = ProbeRun("opendata", state_dir, **options)
    seen = _Seen()
    config = HttpConfig(min_delay=delay, max_attempts=2, max_total_seconds=30)
    run.line(f"tyndau probe opendata: {base_url}")
    run.line(
        f"API key: {'configured (shown as ***)' if api_key else 'none (OPENDATA_API_KEY unset)'}"
    )
    with OpendataClient(
        base_url, api_key, http_config=config, observer=seen.exchanges.append
    ) as client:
        first = _catalogue(run, client, seen, count)
        api_uri = api_uri or first
        if api_uri is None:
            run.unreadable("a dataset", "the catalogue page named none; give --dataset API_URI")
            return run.finish()
        run.line()
        run.line(f"Dataset probed: {api_uri}")
        mapping_properties, version = _mapping(run, client, seen, api_uri, version)
        passport = _passport(run, client, seen, api_uri, version)
        passport_fields = (passport or {}).get(api.PASSPORT_FIELDS) or {}
        since_field = modification_field(mapping_properties, passport_fields)
        run.note(
            f"modification field: {since_field}"
            if since_field
            else "no modification field found by name and type (records would be read in "
            "full; the watch file's fourth column can name one)"
        )
        _record(run, client, seen, api_uri, version, since_field)
    return run.finish()


# --- the four requests -----------------------------------------------------------------------


def _catalogue(run: ProbeRun, client: OpendataClient, seen: _Seen, count: int) -> str | None:
    run.heading(f"catalogue: one page of {count}")
    start = len(seen.exchanges)
    try:
        client.catalogue_page(1, count)
    except OpendataError as error:
        run.unreadable("the catalogue page", str(error))
    value = _report_exchanges(run, seen.since(start), "catalogue", client.catalogue_variant)
    total = value.get(api.CATALOGUE_TOTAL) if isinstance(value, dict) else None
    datasets = value.get(api.CATALOGUE_ITEMS) if isinstance(value, dict) else None
    entries = [d for d in datasets if isinstance(d, dict)] if isinstance(datasets, list) else []
    checks = [
        FieldCheck(
            api.CATALOGUE_TOTAL,
            int(isinstance(total, int) and not isinstance(total, bool)),
            1,
            required=True,
            note=f"= {total}" if total is not None else "",
        ),
        FieldCheck(
            api.CATALOGUE_ITEMS,
            int(isinstance(datasets, list)),
            1,
            required=True,
            note=f"{len(entries)} entries" if isinstance(datasets, list) else "",
        ),
    ]
    for name, required in CATALOGUE_FIELDS.items():
        values = [_dotted(entry, name) for entry in entries]
        present = [v for v in values if v not in (None, "")]
        check = FieldCheck(f"{api.CATALOGUE_ITEMS}[].{name}", len(present), len(entries), required)
        if name in DATE_FIELDS:
            check.variants = count_variants(present, date_format)
        checks.append(check)
    run.fields(checks)
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry.get(api.DATASET_KEY), str) or not api.API_URI.fullmatch(
            entry.get(api.DATASET_KEY)
        ):
            run.unreadable(f"entry {number}", f"no valid {api.DATASET_KEY}")
    return next(
        (
            entry[api.DATASET_KEY]
            for entry in entries
            if isinstance(entry.get(api.DATASET_KEY), str)
            and api.API_URI.fullmatch(entry[api.DATASET_KEY])
        ),
        None,
    )


def _mapping(
    run: ProbeRun, client: OpendataClient, seen: _Seen, api_uri: str, version: str | None
) -> tuple[dict, str]:
    run.heading("mapping: the published versions")
    if not client.has_key:
        chosen = version or GUESSED_VERSION
        run.note(
            f"skipped: {api.MAPPING_PATH} needs a key; the passport and the record are asked "
            f"for version {chosen}" + ("" if version else " (a guess: give --version)")
        )
        return {}, chosen
    start = len(seen.exchanges)
    mapping = None
    try:
        mapping = client.mapping(api_uri)
    except OpendataError as error:
        run.unreadable("the mapping", str(error))
    value = _report_exchanges(run, seen.since(start), "mapping", "/api/v4 with the key")
    entry = value.get(api_uri) if isinstance(value, dict) else None
    if entry is None and isinstance(value, dict) and len(value) == 1:
        (entry,) = value.values()
    published = (entry or {}).get("mappings") if isinstance(entry, dict) else None
    keys = list(published) if isinstance(published, dict) else []
    known = [k for k in keys if api.VERSION.fullmatch(k)]
    checks = [
        FieldCheck(
            "mappings (versions)",
            len(known),
            len(keys),
            required=True,
            variants=Counter("data" if k == "data" else "vN" for k in known),
            note=(f"published: {', '.join(keys)}" if keys else "")
            + (
                f"; not versions: {', '.join(sorted(set(keys) - set(known)))}"
                if len(known) < len(keys)
                else ""
            ),
        )
    ]
    properties: dict = {}
    chosen = version or (mapping.latest if mapping else GUESSED_VERSION)
    if mapping is not None:
        properties = mapping.properties.get(chosen, {})
        types = Counter(str((spec or {}).get("type")) for spec in properties.values())
        checks.append(
            FieldCheck(
                f"properties of {chosen} (mapped types)",
                sum(types.values()),
                len(properties),
                variants=types,
                note="ES 2.x style: dates may be typed string" if types.get("string") else "",
            )
        )
    run.fields(checks)
    return properties, chosen


def _passport(
    run: ProbeRun, client: OpendataClient, seen: _Seen, api_uri: str, version: str
) -> dict | None:
    run.heading(f"passport of {api_uri}/{version}")
    start = len(seen.exchanges)
    try:
        client.passport(api_uri, version)
    except OpendataError as error:
        run.unreadable("the passport", str(error))
    value = _report_exchanges(run, seen.since(start), "passport", "/meta, no key")
    passport = value if isinstance(value, dict) else {}
    checks = []
    for name, required in PASSPORT_FIELDS.items():
        present = passport.get(name) not in (None, "")
        check = FieldCheck(name, int(present), 1, required)
        if name == "modifiedDate" and present:
            check.variants = Counter([date_format(passport[name])])
        if name == api.PASSPORT_PERIODICITY and present:
            unknown = unknown_periodicity(passport)
            check.variants = Counter(["unknown" if unknown else "known"])
            check.note = f"= {passport[name]!r}" + (
                " (unknown: landed as seen, counted apart)" if unknown else ""
            )
        if name == api.PASSPORT_ARCHIVED and present:
            check.note = f"= {passport[name]!r}" + (
                "" if isinstance(passport[name], bool) else " (not a boolean)"
            )
        checks.append(check)
    described = passport.get(api.PASSPORT_FIELDS)
    described = described if isinstance(described, dict) else {}
    types = Counter(str((spec or {}).get("type")) for spec in described.values())
    odd = sorted(set(types) - PASSPORT_TYPES)
    checks.append(
        FieldCheck(
            "fields{}.type",
            sum(n for kind, n in types.items() if kind in PASSPORT_TYPES),
            len(described),
            required=bool(described),
            variants=types,
            note=f"outside Int|String|Datetime|Boolean: {', '.join(odd)}" if odd else "",
        )
    )
    run.fields(checks)
    return passport or None


def _record(
    run: ProbeRun,
    client: OpendataClient,
    seen: _Seen,
    api_uri: str,
    version: str,
    since_field: str | None,
) -> None:
    run.heading(f"one record of {api_uri}/{version}")
    start = len(seen.exchanges)
    source = range_source(api.DEFAULT_RECORD_KEY, size=1)
    try:
        client.records_page(api_uri, version, source)
    except OpendataError as error:
        run.unreadable("the record request", str(error))
    value = _report_exchanges(run, seen.since(start), "record", client.records_variant)
    total = value.get(api.DETAILED_TOTAL) if isinstance(value, dict) else None
    data = value.get(api.DETAILED_ITEMS) if isinstance(value, dict) else None
    records = [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
    checks = [
        FieldCheck(
            f"{api.DETAILED_TOTAL} (record count)",
            int(isinstance(total, int) and not isinstance(total, bool)),
            1,
            required=True,
            note=f"= {total}" if total is not None else "",
        ),
        FieldCheck(
            f"{api.DETAILED_ITEMS} (a list of records)",
            int(isinstance(data, list)),
            1,
            required=True,
            note=f"{len(records)} record(s) in the answer" if isinstance(data, list) else "",
        ),
        FieldCheck(
            f"{api.DETAILED_ITEMS}[].{api.DEFAULT_RECORD_KEY} (the key paged by)",
            sum(r.get(api.DEFAULT_RECORD_KEY) is not None for r in records),
            len(records),
            note=""
            if not records or records[0].get(api.DEFAULT_RECORD_KEY) is not None
            else "name another key in the watch file's third column",
        ),
    ]
    if since_field:
        stamps = [r.get(since_field) for r in records if r.get(since_field) is not None]
        checks.append(
            FieldCheck(
                f"{api.DETAILED_ITEMS}[].{since_field} (modification)",
                len(stamps),
                len(records),
                variants=count_variants(stamps, date_format),
            )
        )
    run.fields(checks)


# --- helpers ---------------------------------------------------------------------------------


def _report_exchanges(
    run: ProbeRun, exchanges: list[Exchange], name: str, variant: str | None
) -> Any:
    """Print and save each exchange of one step; the JSON of the last answer (None if none)."""
    value = None
    for number, exchange in enumerate(exchanges):
        last = number == len(exchanges) - 1
        answered = exchange.status is not None and exchange.status < 400 and exchange.body
        run.request(
            exchange.method,
            _shown_url(exchange),
            exchange.status,
            (variant or "") if last and answered else "",
        )
        if exchange.reason and not answered:
            run.note(exchange.reason)
        run.save(f"{name}.json", exchange.body)
        if last and exchange.body:
            try:
                value = json.loads(exchange.body)
            except json.JSONDecodeError as error:
                run.unreadable(f"the {name} answer", f"not JSON ({error.msg})")
    if not exchanges:
        run.note("no request was sent")
    return value


def _shown_url(exchange: Exchange) -> str:
    """The URL as sent, with the key as apiKey=*** and a POST's form as a query."""
    url = exchange.url
    if exchange.sent_key:
        url += ("&" if "?" in url else "?") + f"{api.API_KEY_PARAM}=***"
    if exchange.form:
        url += f" (form {urlencode(exchange.form)})"
    return url


def _dotted(entry: dict, name: str) -> Any:
    value: Any = entry
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
