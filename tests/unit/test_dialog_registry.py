"""The blog registry CSV: the sandbox's file, and every way a file can be wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingestion.dialog.registry import Blog, RegistryError, parse_registry, read_registry

SANDBOX_REGISTRY = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "dialog_blogs.csv"
LIVE_REGISTRY = Path(__file__).resolve().parents[2] / "registries" / "dialog_blogs.live.csv"
HEADER = "blog_id,gov_body_code,gov_body_name_ru,body_type,region_kato\n"


@pytest.mark.skipif(not SANDBOX_REGISTRY.exists(), reason="sandbox registry not present")
def test_the_sandbox_registry_reads():
    blogs = read_registry(SANDBOX_REGISTRY)
    assert len({b.blog_id for b in blogs}) == len(blogs)
    kostanay = next(b for b in blogs if b.blog_id == 294912)
    assert kostanay.body_type == "akimat" and kostanay.region_kato == "39"
    assert all(b.region_kato is None for b in blogs if b.body_type == "ministry")


def test_a_good_file_with_bom_and_quotes(tmp_path):
    path = tmp_path / "blogs.csv"
    path.write_text(
        "\ufeff"
        + HEADER
        + '294912,AKM39,"Акимат Костанайской области",akimat,39\n'
        + '32772,MJ,"Министерство юстиции, РК",ministry,\n',
        encoding="utf-8",
    )
    assert read_registry(path) == [
        Blog(294912, "AKM39", "Акимат Костанайской области", "akimat", "39"),
        Blog(32772, "MJ", "Министерство юстиции, РК", "ministry", None),
    ]
    assert read_registry(path)[1].as_payload() == {
        "blog_id": "32772",
        "gov_body_code": "MJ",
        "gov_body_name_ru": "Министерство юстиции, РК",
        "body_type": "ministry",
        "region_kato": "",
    }


def test_every_bad_line_is_reported_at_once():
    text = HEADER + (
        "abc,X,Имя,akimat,39\n"
        "1,,Имя,akimat,39\n"
        "2,X,Имя,oblast,39\n"
        "3,X,Имя,akimat,391\n"
        "4,X,Имя,akimat,39\n"
        "4,Y,Имя,akimat,39\n"
        "5,X,Имя,akimat,39,extra\n"
    )
    with pytest.raises(RegistryError) as caught:
        parse_registry(text, source="blogs.csv")
    message = str(caught.value)
    for expected in (
        "line 2: blog_id must be a positive integer, got 'abc'",
        "line 3: gov_body_code is empty",
        "line 4: body_type must be one of agency, akimat, ministry, got 'oblast'",
        "line 5: region_kato must be two digits or empty, got '391'",
        "line 7: blog_id 4 already on line 6",
        "line 8: more cells than columns",
    ):
        assert expected in message
    assert message.startswith("blogs.csv: invalid blog registry")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blog_id,gov_body_code\n1,X\n", "missing: gov_body_name_ru, body_type, region_kato"),
        (HEADER.strip() + ",comment\n", "unknown: comment"),
        ("", "header must be"),
        (HEADER, "lists no blog"),
    ],
)
def test_bad_headers_and_empty_files(text, expected):
    with pytest.raises(RegistryError, match=expected):
        parse_registry(text)


def test_a_missing_file_is_a_registry_error(tmp_path):
    with pytest.raises(RegistryError, match="cannot read"):
        read_registry(tmp_path / "nope.csv")


def test_the_live_starter_registry_reads_and_says_where_each_id_comes_from():
    blogs = {b.blog_id: b for b in read_registry(LIVE_REGISTRY)}
    assert set(blogs) == {294912, 32772, 32777, 2719746, 2654212, 1376256}  # docs/sources.md §1
    assert (blogs[294912].body_type, blogs[294912].region_kato) == ("akimat", "39")
    assert blogs[32777].gov_body_code == blogs[2719746].gov_body_code == "MTSZN"
    assert {blogs[i].body_type for i in (2654212, 1376256)} == {"agency"}
    assert all(b.region_kato is None for b in blogs.values() if b.body_type != "akimat")
    with LIVE_REGISTRY.open(encoding="utf-8") as rows:
        assert all(row["source"].strip() for row in csv.DictReader(rows))


def test_a_source_column_is_read_past_and_never_landed():
    text = (
        HEADER.strip() + ",source\n"
        '32777,MTSZN,Министерство труда,ministry,,"a scraper, BLOGS list"\n'
        "2719746,MTSZN,Министерство труда,ministry,,\n"
    )
    blogs = parse_registry(text)
    # one body, two blogs (a head per blog over the years): allowed
    assert [(b.blog_id, b.gov_body_code) for b in blogs] == [(32777, "MTSZN"), (2719746, "MTSZN")]
    assert "source" not in blogs[0].as_payload()
