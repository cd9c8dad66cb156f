"""Open data, pure parts: answers → values, errors in disguise, paging requests, the watch list."""

from __future__ import annotations

import json

import pytest

from ingestion.opendata.parse import (
    AnswerError,
    DisguisedError,
    decode,
    modification_field,
    parse_catalogue_page,
    parse_detailed,
    parse_mapping,
    parse_passport,
    range_source,
    redact,
)
from ingestion.opendata.watch import WatchItem, WatchListError, parse_watch_list

# --- errors are never data ----------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "\n"])
def test_an_empty_answer_is_an_error(body):
    with pytest.raises(AnswerError, match="empty answer"):
        decode(body)


def test_a_truncated_answer_is_an_error():
    with pytest.raises(AnswerError, match="not JSON"):
        decode('{"totalCount": 3, "data": [{"id": 1}, {"id"')


@pytest.mark.parametrize(
    ("body", "permanent"),
    [
        ({"code": 500, "message": "Internal server error"}, False),
        ({"code": "503", "message": "busy"}, False),
        ({"code": 429, "message": "slow down"}, False),
        ({"code": 400, "message": "Invalid source"}, True),
        ({"code": 404, "message": "Dataset not found"}, True),
        ({"code": "ERR", "message": "?"}, False),
    ],
)
def test_code_and_message_is_an_error_in_disguise(body, permanent):
    with pytest.raises(DisguisedError) as caught:
        decode(json.dumps(body))
    assert caught.value.permanent is permanent
    assert str(body["message"]) in str(caught.value)


def test_data_that_happens_to_carry_code_and_message_is_data():
    answer = {"code": 1, "message": "x", "totalCount": 1, "data": [{"id": 1}]}
    assert parse_detailed(decode(json.dumps(answer))) == (1, [{"id": 1}])


def test_records_must_be_a_count_and_a_list_of_objects():
    with pytest.raises(AnswerError):
        parse_detailed({"totalCount": -1, "data": []})
    with pytest.raises(AnswerError):
        parse_detailed({"totalCount": 1, "data": [1]})
    with pytest.raises(AnswerError):
        parse_detailed([{"id": 1}])


def test_catalogue_page_needs_a_total_and_valid_api_uris():
    page = parse_catalogue_page({"totalCount": 2, "datasets": [{"apiUri": "a1"}, {"apiUri": "b"}]})
    assert page.total == 2 and [d["apiUri"] for d in page.datasets] == ["a1", "b"]
    with pytest.raises(AnswerError, match="without a valid apiUri"):
        parse_catalogue_page({"totalCount": 1, "datasets": [{"apiUri": "../x"}]})
    with pytest.raises(AnswerError):
        parse_catalogue_page({"datasets": []})


# --- mappings and passports -----------------------------------------------------------------


def test_the_largest_version_number_is_the_latest():
    mapping = parse_mapping(
        {"x": {"mappings": {"v9": {"properties": {}}, "v10": {}, "v2": {}, "_doc": {}}}}, "x"
    )
    assert mapping.versions == ["v2", "v9", "v10"]
    assert mapping.latest == "v10"


def test_a_mapping_without_versions_is_an_error():
    with pytest.raises(AnswerError, match="no version"):
        parse_mapping({"x": {"mappings": {"_doc": {}}}}, "x")
    with pytest.raises(AnswerError):
        parse_mapping({"x": {}, "y": {}}, "z")


def test_passport_periodicity_must_be_known():
    assert parse_passport({"fields": {}, "periodicity": "yearly"}, "x", "v1")["periodicity"]
    assert parse_passport({"fields": {}}, "x", "v1") == {"fields": {}}
    with pytest.raises(AnswerError, match="unknown periodicity"):
        parse_passport({"fields": {}, "periodicity": "hourly"}, "x", "v1")


def test_modification_field_is_a_date_with_a_known_name():
    assert modification_field({"id": {"type": "long"}, "updated_at": {"type": "date"}}) == (
        "updated_at"
    )
    assert modification_field({"modified": {"type": "text"}}) is None
    assert modification_field({"id": {"type": "long"}}) is None


# --- paging requests --------------------------------------------------------------------------


def test_every_page_starts_at_zero_and_ranges_past_the_last_key():
    first = range_source("id", size=500)
    assert first == {"from": 0, "size": 500, "sort": [{"id": {"order": "asc"}}]}
    later = range_source("id", after=41, since_field="modified", since="2017-01-01", size=500)
    assert later["from"] == 0
    assert later["query"] == {
        "bool": {
            "filter": [
                {"range": {"modified": {"gte": "2017-01-01"}}},
                {"range": {"id": {"gt": 41}}},
            ]
        }
    }


def test_redact_masks_the_key_in_every_spelling():
    key = "s3cr=t/+key"
    text = (
        f"http://h/api/v4/x/v1?apiKey={key}&source=%7B%7D and "
        "http://h/api/v4/x?APIKEY=abc and a bare "
        f"{key} and an encoded s3cr%3Dt%2F%2Bkey"
    )
    clean = redact(text, [key])
    assert key not in clean and "s3cr%3Dt%2F%2Bkey" not in clean and "abc" not in clean
    assert "apiKey=***&source=%7B%7D" in clean


# --- the watch list --------------------------------------------------------------------------


def test_watch_list_with_header_comments_and_optional_cells():
    text = (
        "# watched datasets\n"
        "api_uri,version,key\n"
        "\n"
        "medicinalyq_mekemeler,\n"
        "mektepter_kontingenti,v1\n"
        "zhol_zhondeu_zhumystary,v2,record_id\n"
    )
    assert parse_watch_list(text) == [
        WatchItem("medicinalyq_mekemeler"),
        WatchItem("mektepter_kontingenti", "v1"),
        WatchItem("zhol_zhondeu_zhumystary", "v2", "record_id"),
    ]


def test_plain_text_watch_list():
    assert parse_watch_list("a1\nb2 , v3\n") == [WatchItem("a1"), WatchItem("b2", "v3")]


def test_every_problem_of_a_watch_list_is_reported_with_its_line():
    with pytest.raises(WatchListError) as caught:
        parse_watch_list("ok\nbad uri\nx,version1\nok\ny,v1,k,extra\n", source="watch.csv")
    message = str(caught.value)
    assert message.startswith("watch.csv: invalid watch list")
    for expected in (
        "line 2: not an apiUri",
        "line 3: version",
        "line 4: ok/latest already",
        "line 5: more than three cells",
    ):
        assert expected in message
