"""The open-data client against the sandbox over real HTTP: paging that survives the deep-paging
trap and reconciles, a key that never shows, errors in disguise never taken for data, faults
retried."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import pytest

from ingestion.common.http import HttpConfig
from ingestion.opendata import (
    AuthError,
    OpendataClient,
    OpendataError,
    ReconciliationError,
    RecordsRead,
)
from sandbox.opendata import Knobs, OpendataSandbox, build_scenario
from sandbox.opendata import server as sandbox_server

BIG = "medicinalyq_mekemeler"  # 12,500 records: past the API's 10,000-hit window
KEY = "k3y-Only-The-Test-Knows"
FAST = HttpConfig(backoff_factor=0.0, backoff_jitter=0.0, max_attempts=4, max_total_seconds=20)


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


@pytest.fixture(scope="module")
def portal(scenario):
    with OpendataSandbox(scenario, api_key=KEY) as running:
        yield running


@pytest.fixture
def client(portal):
    with OpendataClient(portal.base_url, KEY, http_config=FAST) as opened:
        yield opened


def naive_read(client: OpendataClient, api_uri: str, page_size: int = 1000) -> tuple[int, list]:
    """What a simple client does: `from` = 0, 1000, 2000, … until a page comes back empty."""
    records, offset, total = [], 0, None
    while True:
        answer_total, page = client.records_page(
            api_uri, "v1", {"from": offset, "size": page_size, "sort": [{"id": "asc"}]}
        )
        total = answer_total if total is None else total
        if not page:
            return total, records
        records.extend(page)
        offset += page_size


# --- the deep-paging trap -----------------------------------------------------------------------


def test_a_naive_deep_offset_reader_silently_loses_records(client):
    total, records = naive_read(client, BIG)
    assert total == 12_500
    assert len(records) == 10_000  # 2,500 gone, and no error said so


def test_the_range_pager_reads_every_record_and_reconciles(client, portal, scenario):
    portal.clear_log()
    read = RecordsRead()
    pages = list(client.iter_records(BIG, "v1", page_size=1000, read=read))
    ids = [record["id"] for page in pages for record in page.records]
    assert ids == [record["id"] for record in scenario.records[(BIG, "v1")]]
    assert (read.read, read.total, read.pages) == (12_500, 12_500, 13)
    # never an offset: every request starts from 0 and ranges past the last key
    data_requests = [path for path, _ in portal.request_log if path.startswith("/api/detailed")]
    assert data_requests and all("%22from%22%3A0%2C" in path for path in data_requests)
    assert all(KEY not in page.url and "apiKey" not in page.url for page in pages)


def test_an_incremental_read_takes_only_what_changed(client, scenario):
    records = scenario.records[(BIG, "v1")]
    since = sorted(r["modified"] for r in records)[-100]
    read = RecordsRead()
    got = [
        r
        for page in client.iter_records(BIG, "v1", since_field="modified", since=since, read=read)
        for r in page.records
    ]
    assert len(got) == read.total == sum(r["modified"] >= since for r in records)
    assert all(r["modified"] >= since for r in got)


def test_records_that_do_not_add_up_fail_the_read(portal, client, monkeypatch):
    real_search = sandbox_server.search

    def loses_one(records, source, window):
        total, hits = real_search(records, source, window)
        return total, [hit for hit in hits if hit["id"] != records[5]["id"]]

    monkeypatch.setattr(sandbox_server, "search", loses_one)
    with pytest.raises(ReconciliationError, match="read 1249 records .* totalCount is 1250"):
        for _ in client.iter_records("mektepter_kontingenti", "v1", page_size=500):
            pass


def test_the_catalogue_is_read_whole_and_reconciled(client):
    seen = []
    catalogue = client.catalogue(page_size=100, progress=lambda done, total: seen.append(done))
    assert catalogue.total == len(catalogue.datasets) == 2840
    assert catalogue.pages == 29 and catalogue.duplicates == 0
    assert seen[-1] == 2840
    assert len({d["apiUri"] for d in catalogue.datasets}) == 2840


def test_a_catalogue_that_does_not_add_up_fails(scenario):
    class Overstated(OpendataSandbox):
        def _catalogue_page(self, query):
            response = super()._catalogue_page(query)
            response.body = response.body.replace(b'"totalCount":2840', b'"totalCount":2841')
            return response

    with (
        Overstated(scenario) as portal,
        OpendataClient(portal.base_url, http_config=FAST) as client,
        pytest.raises(ReconciliationError, match="read 2840 distinct datasets .* 2841"),
    ):
        client.catalogue(page_size=500)


# --- the key ----------------------------------------------------------------------------------


def test_without_a_key_nothing_is_sent_and_the_message_says_what_to_set(portal):
    portal.clear_log()
    with OpendataClient(portal.base_url, None, http_config=FAST) as keyless:
        with pytest.raises(AuthError, match="OPENDATA_API_KEY"):
            keyless.mapping(BIG)
        assert keyless.passport(BIG, "v1")["periodicity"]  # passports need no key
    assert not [path for path, _ in portal.request_log if path.startswith("/api/")]


def test_a_wrong_key_fails_clearly_and_never_shows(portal, caplog):
    wrong = "wr0ng-Key-4711"
    caplog.set_level(logging.DEBUG)
    with OpendataClient(portal.base_url, wrong, http_config=FAST) as client:
        with pytest.raises(AuthError) as caught:
            client.mapping(BIG)
        with pytest.raises(AuthError):
            list(client.iter_records(BIG, "v1"))
        assert wrong not in repr(client)
    message = str(caught.value)
    assert "HTTP 403" in message and "OPENDATA_API_KEY" in message
    assert wrong not in message and "apiKey" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert caplog.records, "the session should have logged the refusal"
    assert all(wrong not in record.getMessage() for record in caplog.records)
    assert [s for p, s in portal.request_log if p.startswith("/api/v4/mapping")][-1] == 403


# --- errors in disguise and empty answers are never data --------------------------------------


@pytest.mark.parametrize(
    ("knob", "says"),
    [("disguised_error_rate", "error in disguise"), ("empty_rate", "empty answer")],
)
def test_errors_that_look_like_answers_are_never_data(scenario, knob, says):
    with (
        OpendataSandbox(scenario, knobs=Knobs(**{knob: 1.0}), api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=FAST) as client,
    ):
        for read in (
            lambda: client.catalogue_page(1),
            lambda: client.passport(BIG, "v1"),
            lambda: client.mapping(BIG),
            lambda: client.records_page(BIG, "v1", {"size": 10}),
            lambda: list(client.iter_records(BIG, "v1")),
        ):
            with pytest.raises(OpendataError, match=says):
                read()
        assert client.stats.retries > 0  # they were retried like a 5xx first
    # every attempt was a fault: nothing the client returned could have been data


def test_a_client_error_in_disguise_fails_at_once(portal, client):
    portal.clear_log()
    with pytest.raises(OpendataError, match="code 404: Dataset no_such_dataset/v1 not found"):
        client.passport("no_such_dataset", "v1")
    assert len([p for p, _ in portal.request_log if p.startswith("/meta/")]) == 1


def test_faults_are_retried_and_the_reads_still_reconcile(scenario):
    knobs = Knobs(
        error_rate=0.15,
        rate_limit_rate=0.05,
        retry_after=0,
        disguised_error_rate=0.05,
        empty_rate=0.05,
        fault_seed=11,
    )
    config = HttpConfig(backoff_factor=0.0, backoff_jitter=0.0, max_attempts=10)
    with OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal:
        with OpendataClient(portal.base_url, KEY, http_config=config) as client:
            catalogue = client.catalogue(page_size=100)
            read = RecordsRead()
            for _ in client.iter_records(BIG, "v1", read=read):
                pass
            assert client.mapping("zhol_zhondeu_zhumystary").latest == "v2"
            stats = client.stats
        faults = {r.fault.value for r in portal.requests} - {"none"}
    assert len(catalogue.datasets) == 2840
    assert read.read == read.total == 12_500
    assert faults == {"error", "rate_limit", "disguised", "empty"}
    assert stats.retries >= 5 and stats.failures == 0


# --- variants public clients show of the real portal (docs/sources.md section 2) ------------------

SMALL = "zhol_zhondeu_zhumystary"  # 60 records, versions v1 and v2


@pytest.mark.parametrize("status", [404, 405])
def test_the_catalogue_falls_back_to_the_form_post_when_get_is_gone(scenario, status):
    knobs = Knobs(catalogue_get_status=status, error_rate=0.3, retry_after=0, fault_seed=3)
    with (
        OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal,
        OpendataClient(portal.base_url, http_config=FAST) as client,
    ):
        catalogue = client.catalogue(page_size=500)
        requests = [r for r in portal.requests if r.path != "/robots.txt"]
    assert catalogue.total == len(catalogue.datasets) == 2840
    assert client.catalogue_variant == "POST getdatasetsre"
    # GET was asked once; every page after that by POST with the form, retried through faults
    assert [r.status for r in requests if r.method == "GET"] == [status]
    posts = [r for r in requests if r.method == "POST" and r.status == 200]
    # page 7 is the empty one that ends the walk (totalCount may understate)
    assert [dict(r.form)["page"] for r in posts] == ["1", "2", "3", "4", "5", "6", "7"]
    assert all(
        dict(r.form) == dict(r.form) | {"status": "PUBLISHED", "count": "500"} for r in posts
    )
    assert any(r.fault.value == "error" for r in requests if r.method == "POST")
    # what raw records as a page's source names the endpoint that answered
    some = catalogue.datasets[0]["apiUri"]
    assert (
        "/datasets/getdatasetsre?page=1&count=500&status=PUBLISHED" in (catalogue.source_urls[some])
    )


def test_the_default_catalogue_is_read_by_get(client):
    client.catalogue_page(1, 10)
    assert client.catalogue_variant == "GET getdatasets"


def test_without_a_key_records_come_from_keyless_detailed(scenario):
    with (
        OpendataSandbox(scenario, knobs=Knobs(keyless_detailed=True), api_key=KEY) as portal,
        OpendataClient(portal.base_url, None, http_config=FAST) as keyless,
    ):
        read = RecordsRead()
        ids = [
            r["id"] for page in keyless.iter_records(SMALL, "v2", read=read) for r in page.records
        ]
        with pytest.raises(AuthError, match="OPENDATA_API_KEY"):
            keyless.mapping(SMALL)  # /api/v4 still needs a key: not even asked
        paths = [r.path for r in portal.requests]
    assert ids == [r["id"] for r in scenario.records[(SMALL, "v2")]] and read.read == 60
    assert keyless.records_variant == "/api/detailed keyless"
    assert all(p.startswith("/api/detailed/") for p in paths if p.startswith("/api/"))
    assert not [p for p in paths if "apiKey" in p]


def test_a_portal_that_wants_a_key_on_detailed_too_says_so(portal):
    with (
        OpendataClient(portal.base_url, None, http_config=FAST) as keyless,
        pytest.raises(AuthError, match=r"without a key \(HTTP 403\).*OPENDATA_API_KEY"),
    ):
        list(keyless.iter_records(SMALL, "v2"))


def test_a_dataset_published_as_version_data(scenario):
    knobs = Knobs(data_version_uris=("mektepter_kontingenti",))
    with (
        OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=FAST) as client,
    ):
        mapping = client.mapping("mektepter_kontingenti")
        passport = client.passport("mektepter_kontingenti", "data")
        read = RecordsRead()
        for _ in client.iter_records("mektepter_kontingenti", "data", read=read):
            pass
        with pytest.raises(OpendataError, match="not found"):
            client.passport("mektepter_kontingenti", "v1")
    assert mapping.versions == ["data"] and mapping.latest == "data"
    assert passport["fields"]["id"]["type"] == "Int"
    assert read.read == read.total == 1_250


def test_the_observer_sees_every_answer_and_never_the_key(scenario):
    seen = []
    with (
        OpendataSandbox(scenario, api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=FAST, observer=seen.append) as client,
    ):
        client.catalogue_page(1, 5)
        client.mapping(SMALL)
        client.records_page(SMALL, "v2", {"size": 2})
        with pytest.raises(OpendataError):
            client.passport("no_such_dataset", "v1")
    assert [(e.method, e.status) for e in seen] == [("GET", 200)] * 4
    assert seen[-1].reason and "not found" in seen[-1].reason
    assert all(KEY not in e.url and KEY not in (e.body or "") for e in seen)
    assert '"totalCount":2840' in seen[0].body


# --- answers too slow or too large (the shared session's deadline and size cap) ---------------


def test_a_trickled_answer_is_cut_off_at_the_time_budget(scenario):
    knobs = Knobs(body_bytes_per_second=200)  # a 40 KB catalogue page would take minutes
    config = HttpConfig(max_attempts=2, max_total_seconds=2, read_timeout=1)
    with (
        OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=config) as client,
    ):
        started = time.monotonic()
        with pytest.raises(OpendataError, match="body still arriving .* budget of 2 s"):
            client.catalogue_page(1, 100)
        assert time.monotonic() - started < 3.5


def test_an_oversized_answer_fails_without_being_read_whole(scenario):
    knobs = Knobs(body_padding_mb=30)  # chunked: no Content-Length to refuse it by
    config = replace(FAST, max_body_bytes=5 * 2**20)
    with (
        OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=config) as client,
    ):
        with pytest.raises(OpendataError, match="response body too large .* cap is 5 MB"):
            client.passport(SMALL, "v1")
        stats = client.stats
    assert stats.requests == 2  # robots.txt and one attempt: too large is not retried
    assert 5 * 2**20 < stats.bytes_received < 6 * 2**20


# --- the key stays with the portal ------------------------------------------------------------


def test_a_redirect_off_the_portal_is_refused_and_the_key_never_travels(scenario):
    with OpendataSandbox(scenario, api_key=KEY) as elsewhere:
        knobs = Knobs(api_redirect_to=elsewhere.base_url)
        with (
            OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal,
            OpendataClient(portal.base_url, KEY, http_config=FAST) as client,
        ):
            with pytest.raises(OpendataError, match="redirect to another host .* refused") as e:
                next(client.iter_records(SMALL, "v1"))
            with pytest.raises(OpendataError, match="redirect to another host"):
                client.mapping(SMALL)
            assert client.passport(SMALL, "v1")  # not under /api/: served by the portal itself
        assert KEY not in str(e.value)
        assert elsewhere.request_log == []  # not a request, not even robots.txt


def test_an_api_echoing_the_request_never_puts_the_key_in_an_error_or_a_log(scenario, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 logs every URL it sends at DEBUG
    knobs = Knobs(echo_request_in_errors=True)
    with (
        OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=FAST) as client,
    ):
        with pytest.raises(OpendataError) as caught:
            client.mapping("no_such_dataset")
        with pytest.raises(OpendataError):
            next(client.iter_records("no_such_dataset", "v1"))
    text = f"{caught.value} {caught.value!r}"
    assert "(request: GET /api/v4/mapping/no_such_dataset with {'apiKey': '***'}" in text
    assert KEY not in text
    urllib3_lines = [r for r in caplog.records if r.name.startswith("urllib3")]
    assert any("apiKey=***" in r.getMessage() for r in urllib3_lines)
    assert KEY not in caplog.text


# --- a capped totalCount (Elasticsearch reports at most 10,000) --------------------------------


def test_records_past_a_capped_total_are_read_and_counted(scenario):
    with (
        OpendataSandbox(scenario, knobs=Knobs(total_cap=10_000), api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=FAST) as client,
    ):
        read = RecordsRead()
        ids = [r["id"] for page in client.iter_records(BIG, "v1", read=read) for r in page.records]
    assert len(ids) == len(set(ids)) == 12_500
    assert (read.total, read.read, read.beyond_total) == (10_000, 12_500, 2_500)


def test_the_catalogue_past_a_capped_total_is_read_whole(scenario):
    with (
        OpendataSandbox(scenario, knobs=Knobs(total_cap=2_000), api_key=KEY) as portal,
        OpendataClient(portal.base_url, KEY, http_config=FAST) as client,
    ):
        catalogue = client.catalogue(page_size=500)
    assert (catalogue.total, len(catalogue.datasets), catalogue.beyond_total) == (2000, 2840, 840)
    assert catalogue.pages == 6
