"""Incremental builds: after a day of changes, a build that rewrites only what changed gives
the same marts as a full rebuild of the same raw layer, and publishing keeps it incremental.

The day's changes include those that alter an appeal without a new observation of it: the
data's date moves on (a pending appeal becomes overdue), a follow-up's original lands, and a
blog's registry row changes owner.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from expectations.gate import MARTS_GATE, URL_VARIABLE, gx_context
from ingestion.common.raw import content_hash
from tyndau.publish import publish_marts
from tyndau.warehouse import ensure_raw_tables

DAY_0 = datetime(2021, 3, 1, 18, 0, tzinfo=UTC)
DAY_1 = DAY_0 + timedelta(days=30)
AKIMAT = {"gov_body_code": "AKM75", "body_type": "akimat", "region_kato": "75"}
BLOGS = {
    100075: {**AKIMAT, "gov_body_name_ru": "Акимат города Алматы"},
    100033: {
        "gov_body_code": "AKM33",
        "gov_body_name_ru": "Акимат области Жетісу",
        "body_type": "akimat",
        "region_kato": "33",
    },
}
# the registry moves blog 100033 to another body on day 1
BLOG_CHANGE = {**BLOGS[100033], "gov_body_code": "AKM19", "region_kato": "19"}


def appeal(question_id: int, number: str, status: str, submitted_on: str, **extra) -> dict:
    return {
        "question_id": question_id,
        "number": number,
        "applicant": "Тестов Тест",
        "text": "Прошу помочь, мой телефон +7 701 234 56 78.",
        "category": "Регионы",
        "submitted_on": submitted_on,
        "views": 1,
        "status": status,
        "responder": "Сапарбаев Б. М." if status == "answered" else None,
        "answered_on": None,
        "answer_text": None,
        "rating": None,
        "rejected_on": None,
        **extra,
    }


ANSWERED = {"answered_on": "2021-02-10", "answer_text": "Ответ дан."}
DAY_0_APPEALS = [
    (100075, appeal(1, "600001", "answered", "2021-02-01", **ANSWERED)),
    # pending, 8 working days old on day 0's data date: not overdue yet
    (100075, appeal(2, "600002", "pending", "2021-02-17")),
    # a follow-up whose original has not landed yet
    (100075, appeal(3, "600005/1", "pending", "2021-02-26")),
    (100033, appeal(4, "600004", "answered", "2021-02-02", **ANSWERED)),
    # the appeal that sets day 0's data date
    (100075, appeal(6, "600006", "pending", "2021-03-01")),
]
# observed earlier than the day before the build: beyond the margin staging looks back
EARLIER_APPEALS = [
    (100075, appeal(10 + i, f"6000{10 + i}", "answered", "2021-01-05", **ANSWERED))
    for i in range(20)
]
DAY_1_APPEALS = [
    # rated
    (100075, appeal(1, "600001", "answered", "2021-02-01", **ANSWERED, rating="positive")),
    # the original of follow-up 3
    (100075, appeal(5, "600005", "answered", "2021-01-20", **ANSWERED)),
    # new, a month later: the data's date moves on and appeal 2 is overdue now
    (100075, appeal(7, "600007", "pending", "2021-03-31")),
]
# 6: pending, not yet overdue on day 0's data date (and within staging's margin, as are 1-4)
DAY_1_REWRITTEN = {1, 2, 3, 4, 5, 6, 7}


def land(url: str, observed_at: datetime, appeals, blogs: dict) -> None:
    load_id = uuid.uuid4()
    with psycopg.connect(url) as conn:
        for blog_id, row in blogs.items():
            payload = {"blog_id": str(blog_id), **row}
            conn.execute(
                "insert into raw.dialog_blogs values (%s, %s, 'blogs.csv', %s, %s, %s)",
                (load_id, observed_at, content_hash(payload), blog_id, Jsonb(payload)),
            )
        for blog_id, payload in appeals:
            conn.execute(
                "insert into raw.dialog_appeals values (%s, %s, 'http://sandbox', %s, %s, %s, %s)",
                (
                    load_id,
                    observed_at,
                    content_hash(payload),
                    payload["question_id"],
                    blog_id,
                    Jsonb(payload),
                ),
            )


def fct(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql.format(fct="marts_candidate.fct_appeals")).fetchall()


def test_incremental_build_equals_a_full_rebuild(
    fresh_database, dbt_build, marts_fingerprint, monkeypatch
):
    url = fresh_database
    ensure_raw_tables(url)
    land(url, DAY_0 - timedelta(days=10), EARLIER_APPEALS, BLOGS)
    land(url, DAY_0, DAY_0_APPEALS, {})
    dbt_build(url)
    publish_marts(url)
    dbt_build(url)  # builds the candidate's own fct_appeals, once
    publish_marts(url)
    assert fct(url, "select count(*) from {fct}") == [(len(EARLIER_APPEALS) + len(DAY_0_APPEALS),)]

    land(url, DAY_1, DAY_1_APPEALS, {100033: BLOG_CHANGE})
    dbt_build(url)

    # only the appeals the day changed were rewritten ...
    rewritten = fct(
        url,
        "select question_id from {fct} where refreshed_at = "
        "(select max(refreshed_at) from {fct}) order by 1",
    )
    assert {q for (q,) in rewritten} == DAY_1_REWRITTEN
    # ... and each change is there
    assert fct(url, "select overdue_pending from {fct} where question_id = 2") == [(True,)]
    assert fct(url, "select parent_question_id from {fct} where question_id = 3") == [(5,)]
    assert fct(url, "select gov_body_code, region_kato from {fct} where question_id = 4") == [
        ("AKM19", "19")
    ]
    assert fct(url, "select rating from {fct} where question_id = 1") == [("positive",)]
    new_appeals = 2  # 5 and 7
    assert fct(url, "select count(*) from {fct}") == [
        (len(EARLIER_APPEALS) + len(DAY_0_APPEALS) + new_appeals,)
    ]

    # the quality gate validates what the build wrote, not the whole history again
    monkeypatch.setenv(URL_VARIABLE, url)  # restored afterwards; gx_context sets it
    gate = gx_context(url).checkpoints.get(MARTS_GATE).run()
    assert gate.success
    (fct_validation,) = [
        v for v in gate.run_results.values() if v.suite_name == "marts_fct_appeals"
    ]
    assert {
        outcome.result["element_count"]
        for outcome in fct_validation.results
        if "element_count" in (outcome.result or {})
    } == {len(DAY_1_REWRITTEN)}

    incremental = marts_fingerprint(url, "marts_candidate")
    dbt_build(url, "--full-refresh")
    assert marts_fingerprint(url, "marts_candidate") == incremental
