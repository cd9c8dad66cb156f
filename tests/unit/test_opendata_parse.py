"""Open data, pure parts: answers → values, errors in disguise, paging requests, the watch list."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ingestion.common.bounds import latest_day
from ingestion.common.secrets import redact
from ingestion.opendata.parse import (
    AnswerError,
    DatasetMapping,
    DisguisedError,
    dataset_out_of_bounds,
    date_format,
    decode,
    latest_moment,
    mapping_out_of_bounds,
    modification_field,
    parse_catalogue_page,
    parse_detailed,
    parse_mapping,
    parse_moment,
    parse_passport,
    passport_out_of_bounds,
    range_source,
    record_out_of_bounds,
    unknown_periodicity,
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


def test_version_data_is_a_version_and_a_numbered_one_wins_over_it():
    only_data = parse_mapping({"addr": {"mappings": {"data": {"properties": {"id": {}}}}}}, "addr")
    assert only_data.versions == ["data"] and only_data.latest == "data"
    both = parse_mapping({"x": {"mappings": {"data": {}, "v2": {}}}}, "x")
    assert both.versions == ["data", "v2"] and both.latest == "v2"


def test_an_unknown_periodicity_is_landed_as_seen_and_told_apart():
    for known in ("yearly", "irregular", None, ""):
        passport = parse_passport({"fields": {}, "periodicity": known}, "x", "v1")
        assert unknown_periodicity(passport) is None
    assert parse_passport({"fields": {}}, "x", "v1") == {"fields": {}}
    for seen in ("ежемесячно", "by request", "Yearly"):
        passport = parse_passport({"fields": {}, "periodicity": seen}, "x", "v1")
        assert passport["periodicity"] == seen and unknown_periodicity(passport) == seen


def test_modification_field_is_a_date_with_a_known_name():
    assert modification_field({"id": {"type": "long"}, "updated_at": {"type": "date"}}) == (
        "updated_at"
    )
    assert modification_field({"modified": {"type": "text"}}) is None
    assert modification_field({"id": {"type": "long"}}) is None


def test_an_es2_mapping_types_dates_string_so_the_passport_decides():
    mapped = {"id": {"type": "long"}, "modified": {"type": "string"}}
    assert modification_field(mapped) is None
    assert modification_field(mapped, {"modified": {"type": "Datetime"}}) == "modified"
    assert modification_field(mapped, {"modified": {"type": "String"}}) is None
    # the passport alone is enough (no mapping read, e.g. without a key)
    assert modification_field({}, {"updated_at": {"type": "Datetime"}}) == "updated_at"


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label", "iso"),
    [
        ("2016-03-29+06:00", "date+offset", "2016-03-29T00:00:00+06:00"),
        ("2016-03-29T10:00:00+06:00", "datetime+offset", "2016-03-29T10:00:00+06:00"),
        ("2016-03-29T10:00:00Z", "datetime+Z", "2016-03-29T10:00:00+00:00"),
        ("2016-03-29T10:00:00", "datetime", "2016-03-29T10:00:00+06:00"),  # local: Almaty
        ("2016-03-29", "date", "2016-03-29T00:00:00+06:00"),
        ("29.03.2016", "other", None),
        (1459202400, "other", None),
    ],
)
def test_dates_in_every_form_the_portal_sends(value, label, iso):
    assert date_format(value) == label
    moment = parse_moment(value)
    assert (moment.isoformat() if moment else None) == iso


def test_the_latest_of_mixed_date_forms_is_taken_by_moment_not_by_text():
    # as text the 12:00 one is the largest; as moments 10:00 UTC (16:00 in Almaty) is later
    values = ["2016-03-29+06:00", "2016-03-29T12:00:00+06:00", "2016-03-29T10:00:00Z", None]
    assert latest_moment(values) == "2016-03-29T10:00:00Z"
    assert latest_moment(["2016-03-29T00:30:00", "2016-03-29T01:00:00+07:00"]) == (
        "2016-03-29T00:30:00"  # 01:00 at +07:00 is 00:00 at +06:00
    )
    assert latest_moment([None]) is None


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
        "adres_register,data,,changed_on\n"
    )
    assert parse_watch_list(text) == [
        WatchItem("medicinalyq_mekemeler"),
        WatchItem("mektepter_kontingenti", "v1"),
        WatchItem("zhol_zhondeu_zhumystary", "v2", "record_id"),
        WatchItem("adres_register", "data", None, "changed_on"),
    ]


def test_plain_text_watch_list():
    assert parse_watch_list("a1\nb2 , v3\n") == [WatchItem("a1"), WatchItem("b2", "v3")]


def test_every_problem_of_a_watch_list_is_reported_with_its_line():
    with pytest.raises(WatchListError) as caught:
        parse_watch_list(
            "ok\nbad uri\nx,version1\nok\ny,v1,k,m,extra\nz,v1,k,bad-field\n", source="watch.csv"
        )
    message = str(caught.value)
    assert message.startswith("watch.csv: invalid watch list")
    for expected in (
        "line 2: not an apiUri",
        "line 3: version",
        "line 4: ok/latest already",
        "line 5: more than four cells",
        "line 6: not a field name: 'bad-field'",
    ):
        assert expected in message


# --- implausible values: what staging types must be plausible to land ---------------------------

LATEST = dt.date(2025, 6, 10)  # the observation day
ENTRY = {
    "apiUri": "a1",
    "createdDate": "2015-03-02T10:00:00",
    "modifiedDate": "2016-03-29+06:00",
    "views": 1204,
}


@pytest.mark.parametrize(
    "changed",
    [
        {},
        {"views": "12"},
        {"views": 2**63 - 1},
        {"createdDate": "2010-01-01T00:00:00", "modifiedDate": "2025-06-10T23:59:59"},
        {"modifiedDate": None, "views": None},
        {"modifiedDate": ""},  # not a date: staging makes it null
    ],
)
def test_a_plausible_catalogue_entry_has_nothing_to_refuse(changed):
    assert dataset_out_of_bounds(ENTRY | changed, LATEST) is None


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        (
            {"modifiedDate": "2099-01-01T00:00:00"},
            "implausible modifiedDate 2099-01-01: after the observation day 2025-06-10 "
            "(sent '2099-01-01T00:00:00')",
        ),
        ({"modifiedDate": "2025-06-12"}, "implausible modifiedDate 2025-06-12: after the"),
        (
            {"createdDate": "2009-12-31+06:00"},
            "implausible createdDate 2009-12-31: before 2010-01-01",
        ),
        # midnight in Tokyo is still 2009 in Almaty: the day staging makes of it
        ({"createdDate": "2010-01-01T02:00:00+09:00"}, "implausible createdDate 2009-12-31"),
        (
            {"views": 99999999999999999999},
            "implausible views 99999999999999999999: outside 0..9223372036854775807 (bigint)",
        ),
        ({"views": -1}, "implausible views -1: outside 0.."),
        ({"views": 1.5}, "implausible views 1.5: not an integer (bigint)"),
        ({"views": "много"}, "implausible views 'много': not an integer (bigint)"),
        ({"views": True}, "implausible views True: not an integer"),
    ],
)
def test_an_implausible_catalogue_entry_says_why(changed, reason):
    assert reason in dataset_out_of_bounds(ENTRY | changed, LATEST)


def test_a_moment_of_the_observation_is_never_after_its_day():
    observed_at = dt.datetime(2025, 6, 10, 20, 0, tzinfo=dt.UTC)  # 01:00 on 11 June in Almaty
    entry = ENTRY | {"modifiedDate": "2025-06-10T20:00:00Z"}
    assert dataset_out_of_bounds(entry, latest_day(observed_at)) is None


def test_every_reason_of_an_entry_is_told():
    entry = ENTRY | {"createdDate": "1999-01-01", "modifiedDate": "2099-01-01", "views": 2**64}
    reasons = dataset_out_of_bounds(entry, LATEST).split("; ")
    assert [r.split()[1] for r in reasons] == ["createdDate", "modifiedDate", "views"]


def test_a_passport_modified_after_the_observation_day_is_implausible():
    passport = {"modifiedDate": "2016-03-29T10:00:00", "fields": {}, "periodicity": "yearly"}
    assert passport_out_of_bounds(passport, LATEST) is None
    assert passport_out_of_bounds(
        passport | {"modifiedDate": "2099-01-01T12:00+06:00"}, LATEST
    ) == (
        "implausible modifiedDate 2099-01-01: after the observation day 2025-06-10 "
        "(sent '2099-01-01T12:00+06:00')"
    )
    assert "before 2010-01-01" in passport_out_of_bounds({"modifiedDate": "2001-05-05"}, LATEST)


def test_a_version_number_beyond_integer_is_implausible():
    assert mapping_out_of_bounds(DatasetMapping("a", {"v1": {}, "v2": {}, "data": {}})) is None
    mapping = DatasetMapping("a", {"v1": {}, "v99999999999": {}})
    assert mapping_out_of_bounds(mapping) == (
        "implausible version number 99999999999: outside 0..2147483647 (integer)"
    )


def test_a_record_is_judged_by_its_modification_stamp():
    record = {"id": 7, "updated_at": "2099-01-01T00:00:00", "period": "1995-01-01"}
    assert record_out_of_bounds(record, None, LATEST) is None  # no modification field
    assert record_out_of_bounds(record, "updated_at", LATEST).startswith(
        "implausible updated_at 2099-01-01: after the observation day 2025-06-10"
    )
    assert record_out_of_bounds(record | {"updated_at": "2017-01-15"}, "updated_at", LATEST) is None
    assert record_out_of_bounds({"id": 8}, "updated_at", LATEST) is None  # not stamped
