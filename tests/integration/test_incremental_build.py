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
from tyndau.warehouse.raw import ensure_raw_tables

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


def appeal(question_id: int, number: str, status: str, submitted_on: str, answers=()) -> dict:
    """Today's parser's payload: ``answers`` as (date, rating); no question_id and no text on a
    pending card."""
    answered = status == "answered"
    listed = [
        {"responder": "Сапарбаев Б. М.", "answered_on": on, "text": "Ответ дан.", "rating": rating}
        for on, rating in answers
    ]
    ratings = [a["rating"] for a in listed if a["rating"]]
    return {
        "question_id": question_id if answered else None,
        "number": number,
        "applicant": "Тестов Тест",
        "text": "Прошу помочь, мой телефон +7 701 234 56 78." if answered else None,
        "category": "Регионы",
        "submitted_on": submitted_on,
        "views": 1,
        "status": status,
        "rejected_on": None,
        "answers": listed,
        "responder": listed[0]["responder"] if listed else None,
        "answered_on": listed[0]["answered_on"] if listed else None,
        "last_answered_on": listed[-1]["answered_on"] if listed else None,
        "rating": ratings[-1] if ratings else None,
    }


def earlier_appeal(question_id: int, number: str) -> dict:
    """An observation landed before answers were listed: one flat answer."""
    payload = appeal(question_id, number, "answered", "2021-01-05", [("2021-02-10", None)])
    for key in ("answers", "last_answered_on"):
        del payload[key]
    return payload | {"answer_text": "Ответ дан."}


ANSWERED = [("2021-02-10", None)]
DAY_0_APPEALS = [
    (100075, appeal(1, "600001", "answered", "2021-02-01", ANSWERED)),
    # pending, 8 working days old on day 0's data date: not overdue yet
    (100075, appeal(2, "600002", "pending", "2021-02-17")),
    # a follow-up whose original has not landed yet
    (100075, appeal(3, "600005/1", "pending", "2021-02-26")),
    (100033, appeal(4, "600004", "answered", "2021-02-02", ANSWERED)),
    # the appeal that sets day 0's data date
    (100075, appeal(6, "600006", "pending", "2021-03-01")),
]
# observed earlier than the day before the build: beyond the margin staging looks back
EARLIER_APPEALS = [(100075, earlier_appeal(10 + i, f"6000{10 + i}")) for i in range(20)]
DAY_1_APPEALS = [
    # a second answer, rated
    (
        100075,
        appeal(1, "600001", "answered", "2021-02-01", [*ANSWERED, ("2021-03-02", "positive")]),
    ),
    # the original of follow-up 3
    (100075, appeal(5, "600005", "answered", "2021-01-20", ANSWERED)),
    # new, a month later: the data's date moves on and appeal 2 is overdue now
    (100075, appeal(7, "600007", "pending", "2021-03-31")),
]
# 600006: pending, not yet overdue on day 0's data date (and within staging's margin, as are
# 1-4); the follow-up 600005/1 waited for its original
DAY_1_REWRITTEN = {"600001", "600002", "600005/1", "600004", "600005", "600006", "600007"}


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
                "insert into raw.dialog_appeals (load_id, observed_at, source_url, content_hash,"
                " number, question_id, blog_id, payload)"
                " values (%s, %s, 'http://sandbox', %s, %s, %s, %s, %s)",
                (
                    load_id,
                    observed_at,
                    content_hash(payload),
                    payload["number"],
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
        "select number from {fct} where refreshed_at = "
        "(select max(refreshed_at) from {fct}) order by 1",
    )
    assert {q for (q,) in rewritten} == DAY_1_REWRITTEN
    # ... and each change is there
    assert fct(url, "select overdue_pending from {fct} where number = '600002'") == [(True,)]
    assert fct(url, "select parent_number from {fct} where number = '600005/1'") == [("600005",)]
    assert fct(url, "select gov_body_code, region_kato from {fct} where number = '600004'") == [
        ("AKM19", "19")
    ]
    assert fct(url, "select rating, answer_count from {fct} where number = '600001'") == [
        ("positive", 2)
    ]
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


# --- a warehouse built while appeals were keyed on question_id ------------------------------

# The appeal tables the models built then: unique on question_id (fct_appeals: its primary
# key), without the columns that came with the registration number as the key.
KEYED_ON_QUESTION_ID = (
    "staging.stg_dialog__appeals",
    "intermediate.int_appeals__enriched",
    "marts.fct_appeals",
    "marts_candidate.fct_appeals",
)


def landed_before_the_number_key(payload: dict, question_id: int) -> dict:
    """The observation as the parser of then landed it: every card with its question_id, one
    flat answer_text."""
    texts = [answer["text"] for answer in payload["answers"]]
    flat = {k: v for k, v in payload.items() if k not in ("answers", "last_answered_on")}
    return flat | {"question_id": question_id, "answer_text": "\n\n".join(texts) or None}


def key_on_question_id(url: str) -> None:
    """Turn the appeal tables a build made into what the models made before the number key."""
    with psycopg.connect(url) as conn:
        for table in KEYED_ON_QUESTION_ID:
            for (constraint,) in conn.execute(
                "select conname from pg_constraint where conrelid = %s::regclass and contype = 'p'",
                [table],
            ).fetchall():
                conn.execute(f"alter table {table} drop constraint {constraint}")
            for (index,) in conn.execute(
                "select indexrelid::regclass::text from pg_index"
                " where indrelid = %s::regclass and indisunique",
                [table],
            ).fetchall():
                conn.execute(f"drop index {index}")
            conn.execute(
                f"alter table {table} drop column if exists last_answered_on,"
                " drop column if exists answer_count"
            )
            if not table.startswith("staging."):
                conn.execute(
                    f"alter table {table} drop column parent_number,"
                    " add column parent_question_id bigint"
                )
            if table.endswith("fct_appeals"):
                conn.execute(f"alter table {table} add primary key (question_id)")
            else:
                conn.execute(f"create unique index on {table} (question_id)")


def unique_keys(url: str) -> dict[str, list[str]]:
    """Each appeal table → the columns of its unique indexes."""
    with psycopg.connect(url) as conn:
        return {
            table: sorted(
                column
                for (column,) in conn.execute(
                    "select a.attname from pg_index as i join pg_attribute as a"
                    " on a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[])"
                    " where i.indrelid = %s::regclass and i.indisunique",
                    [table],
                )
            )
            for table in KEYED_ON_QUESTION_ID
        }


def test_a_warehouse_keyed_on_question_id_is_rebuilt_once(
    fresh_database, dbt_build, marts_fingerprint, monkeypatch
):
    url = fresh_database
    ensure_raw_tables(url)
    land(url, DAY_0 - timedelta(days=10), EARLIER_APPEALS, BLOGS)
    then = [
        (blog_id, landed_before_the_number_key(payload, payload["question_id"] or 900 + i))
        for i, (blog_id, payload) in enumerate(DAY_0_APPEALS)
    ]
    land(url, DAY_0, then, {})
    for _ in range(2):  # the published marts and the candidate, each with its fct_appeals
        dbt_build(url)
        publish_marts(url)
    key_on_question_id(url)
    assert set(map(tuple, unique_keys(url).values())) == {("question_id",)}

    # today's parser lands pending cards without a question_id
    land(url, DAY_1, DAY_1_APPEALS, {100033: BLOG_CHANGE})
    dbt_build(url)
    keys = unique_keys(url)
    assert keys["staging.stg_dialog__appeals"] == ["number", "question_id"]
    assert keys["intermediate.int_appeals__enriched"] == ["number"]
    assert keys["marts_candidate.fct_appeals"] == ["number"]
    monkeypatch.setenv(URL_VARIABLE, url)
    assert gx_context(url).checkpoints.get(MARTS_GATE).run().success
    publish_marts(url)
    # the candidate now holds the marts of before: rebuilt in turn, once
    assert unique_keys(url)["marts_candidate.fct_appeals"] == ["question_id"]
    dbt_build(url)
    assert unique_keys(url)["marts_candidate.fct_appeals"] == ["number"]
    # the one pending card only today's parser saw (the others keep the id the old one read)
    assert fct(url, "select number from {fct} where question_id is null") == [("600007",)]

    migrated = {
        schema: marts_fingerprint(url, schema)
        for schema in ("staging", "intermediate", "marts_candidate")
    }
    dbt_build(url, "--full-refresh")
    assert migrated == {
        schema: marts_fingerprint(url, schema)
        for schema in ("staging", "intermediate", "marts_candidate")
    }


def test_masked_texts_changed_since_the_last_build_are_taken_again(fresh_database, dbt_build):
    """A change of the masking rules re-masks what is landed, without re-crawling, and the next
    incremental build takes the new texts (staging follows the masked texts' masked_at)."""
    from ingestion.dialog.load import mask_landed
    from ingestion.dialog.masking import MASKING_VERSION

    url = fresh_database
    ensure_raw_tables(url)
    land(url, DAY_0, DAY_0_APPEALS, BLOGS)
    dbt_build(url)  # masks what is landed first, as warehouse_build does
    staged = (
        "select appeal_text, masking_version from staging.stg_dialog__appeals where number = %s"
    )
    masked = "Прошу помочь, мой телефон [PHONE]."
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(staged, ["600001"]).fetchone() == (masked, MASKING_VERSION)
        # texts written since the last build under the current rules: taken as they are
        conn.execute(
            "update raw.dialog_masked_texts set appeal_text = 'изменено', masked_at = now()"
            " where appeal_text is not null"
        )
    dbt_build(url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(staged, ["600001"]).fetchone() == ("изменено", MASKING_VERSION)
        assert fct(url, "select distinct appeal_text from {fct} where appeal_text is not null") == [
            ("изменено",)
        ]
        # masked under older rules: the build's mask step masks them again
        conn.execute(
            "update raw.dialog_masked_texts set masking_version = %s where number = '600001'",
            [MASKING_VERSION - 1],
        )
    dbt_build(url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(staged, ["600001"]).fetchone() == (masked, MASKING_VERSION)
        assert conn.execute(staged, ["600004"]).fetchone() == ("изменено", MASKING_VERSION)
        # and `tyndau warehouse remask --all` (the DAG's remask param) masks every one again
        assert mask_landed(conn, everything=True) == len(DAY_0_APPEALS)
    dbt_build(url)
    assert fct(url, "select distinct appeal_text from {fct} where appeal_text is not null") == [
        (masked,)
    ]
    # staging built before the texts were masked at landing: every appeal is derived again
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "alter table staging.stg_dialog__appeals drop column masked_at,"
            " drop column masking_version"
        )
        conn.execute("update staging.stg_dialog__appeals set appeal_text = 'масковано в dbt'")
    dbt_build(url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(staged, ["600001"]).fetchone() == (masked, MASKING_VERSION)
