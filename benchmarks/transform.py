"""Figure 2, transform: ``dbt build`` of the whole project on N appeals generated straight into
``raw``, then one more day of appeals and the same build again, as a ratio to the full one.

The rows are made by SQL (``generate_series``) from templates: real payloads, cut by the
project's parser from pages the calibrated sandbox renders (texts with names, IINs, phones and
e-mails, masked in Python as the landing would, timed apart from the build; statuses, ratings
and blogs in the scenario's proportions). Each
generated appeal takes a template's payload with its own registration number (and question id,
which only answered cards show) and dates spread evenly over six years (answer and rejection
delays kept), observed on the day of its latest change, as a daily crawl would have seen it.

One more day, observed now: as many new appeals as an average day brings, and as many
re-observations of recent answered appeals with a new rating and view count (a day's changes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from benchmarks.env import say, step
from ingestion.common.ledger import finish_load, start_load
from ingestion.dialog.load import SOURCE, land_blogs, mask_landed
from ingestion.dialog.parse import parse_listing
from ingestion.dialog.registry import read_registry
from sandbox.dialog import render
from sandbox.dialog.scenario import REGISTRY_FILE, build_scenario
from tyndau.publish import publish_marts
from tyndau.settings import DBT_PROJECT_DIR
from tyndau.warehouse.raw import ensure_raw_tables
from tyndau.warehouse.url import url_parts

FIRST_DAY = "2015-01-01"
SPAN_DAYS = 2190  # six years of appeals
FIRST_QUESTION_ID = 10_000_000
TEMPLATE_PAGE_STEP = 10  # every 10th page of every blog: ~4,000 templates
CHUNK = 1_000_000  # rows per INSERT, for progress lines

GENERATE = """
insert into raw.dialog_appeals
    (load_id, observed_at, source_url, content_hash, number, question_id, blog_id, payload)
select %(load_id)s, coalesce(%(observed_at)s, made.last_change + interval '20 hours'),
    'generated', md5(made.payload::text), made.payload ->> 'number',
    (made.payload ->> 'question_id')::bigint, made.blog_id, made.payload
from generate_series(%(first)s::bigint, %(last)s::bigint) as g
join bench.templates as t on t.k = g %% %(templates)s
cross join lateral (
    select %(first_question_id)s + g as question_id,
        %(start)s::date + ((g - %(origin)s) * %(days)s / %(count)s)::int as day
) as ids
cross join lateral (
    select t.blog_id, t.payload || jsonb_build_object(
        -- the portal shows a question id on answered cards only
        'question_id', case when t.payload ->> 'status' = 'answered' then ids.question_id end,
        'number', ids.question_id::text,
        'submitted_on', ids.day,
        'answered_on', ids.day + t.answer_days,
        'last_answered_on', ids.day + t.last_answer_days,
        'rejected_on', ids.day + t.reject_days
    ) as payload,
    ids.day + greatest(0, t.last_answer_days, t.reject_days) as last_change
) as made
"""

CHANGE_RATINGS = """
insert into raw.dialog_appeals
    (load_id, observed_at, source_url, content_hash, number, question_id, blog_id, payload)
select %(load_id)s, clock_timestamp(), 'generated', md5(changed.payload::text), number,
    question_id, blog_id, changed.payload
from (
    select number, question_id, blog_id, payload from raw.dialog_appeals
    where payload ->> 'status' = 'answered' and payload ->> 'rating' is null
    order by question_id desc limit %(count)s
) as recent
cross join lateral (
    -- the last answer is rated, and so the appeal
    select jsonb_set(recent.payload, '{answers,-1,rating}', '"positive"') || jsonb_build_object(
        'rating', 'positive', 'views', (recent.payload ->> 'views')::int + 1
    ) as payload
) as changed
"""

# Templates cut by a parser from before answers were listed (one flat answer_text, a question
# id on every card) take today's shape: answers listed, question id and text on answered cards
# only. A no-op on templates of today's parser.
LISTED_ANSWERS = """
update bench.templates set payload = payload - 'answer_text' || jsonb_build_object(
    'answers', case when payload ->> 'status' = 'answered' then jsonb_build_array(
        jsonb_build_object(
            'responder', payload -> 'responder', 'answered_on', payload -> 'answered_on',
            'text', payload -> 'answer_text', 'rating', payload -> 'rating'
        )) else '[]'::jsonb end,
    'last_answered_on', payload -> 'answered_on',
    'question_id', case when payload ->> 'status' = 'answered' then payload -> 'question_id' end,
    'text', case when payload ->> 'status' = 'answered' then payload -> 'text' end
)
where not payload ? 'answers'
"""


def run(warehouse_url: str, appeals: int, work_dir: Path) -> dict:
    """Generate ``appeals`` appeals, build, add a day, build again; returns the figure."""
    ensure_raw_tables(warehouse_url)
    daily = max(1, appeals // SPAN_DAYS)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        templates = load_templates(conn)
        with step(f"generating {appeals:,} appeals into raw"):
            generated = generate(conn, appeals, templates)
        raw_bytes = conn.execute("select pg_total_relation_size('raw.dialog_appeals')").fetchone()[
            0
        ]
        # what the landing does as it lands (and warehouse_build's first step for the rest)
        with step(f"masking the personal data of {appeals:,} appeals (Python)"):
            started = time.perf_counter()
            mask_landed(conn)
            mask_seconds = time.perf_counter() - started
    dbt = DbtRunner(warehouse_url, work_dir / f"dbt-{appeals}")
    with step(f"dbt seed + build at {appeals:,} appeals"):
        seed = dbt.timed("seed")
        full = dbt.timed("build")
        slowest_full = dbt.slowest_nodes()
        staging = dbt.models_seconds("stg_")
    publish_marts(warehouse_url)
    # Publishing swaps the replaced marts in as the next candidate. The first publish has
    # none to swap, so the second build makes the candidate's fct_appeals whole, once in a
    # warehouse's life; from then on every build is incremental.
    with step("second build (no new data), the candidate's first fct_appeals"):
        second = dbt.timed("build")
    publish_marts(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        added = add_a_day(conn, appeals, daily, templates)
        mask_landed(conn)
    with step(f"incremental dbt build after one more day ({added:,} rows)"):
        incremental = dbt.timed("build")
        slowest_incremental = dbt.slowest_nodes()
    publish_marts(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        fct_rows = conn.execute("select count(*) from marts.fct_appeals").fetchone()[0]
        day_in_marts = conn.execute(
            "select count(*) from marts.fct_appeals where submitted_on = %s",
            [_day_after(SPAN_DAYS)],
        ).fetchone()[0]
    full_seconds = seed + full
    return {
        "appeals": generated,
        "raw_megabytes": round(raw_bytes / 1e6),
        "templates": templates,
        "seconds": {
            "seed": round(seed, 2),
            "build": round(full, 2),
            "full": round(full_seconds, 2),
            "second_build": round(second, 2),
            "incremental": round(incremental, 2),
            "mask": round(mask_seconds, 2),
            # staging's own share of the full build: its models' node times added up (dbt
            # runs them in 4 threads, so this can exceed their wall time)
            "staging": round(staging, 2),
        },
        "mask_microseconds_per_appeal": round(mask_seconds / max(generated, 1) * 1e6, 1),
        "day_rows": added,
        "day_appeals_in_marts": day_in_marts,
        "incremental_vs_full": round(incremental / full_seconds, 3),
        "fct_appeals_rows": fct_rows,
        "slowest_nodes": {"full": slowest_full, "incremental": slowest_incremental},
    }


def load_templates(conn: psycopg.Connection) -> int:
    """Real parsed payloads into ``bench.templates``; returns how many."""
    scenario = build_scenario()
    rows = []
    for blog in scenario.blogs:
        appeals = scenario.appeals_by_blog[blog.blog_id]
        for page in range(1, render.total_pages(len(appeals)) + 1, TEMPLATE_PAGE_STEP):
            parsed = parse_listing(render.render_listing(blog, appeals, page), "template")
            rows += [(blog.blog_id, card) for card in parsed.cards]
    conn.execute("create schema if not exists bench")
    conn.execute("drop table if exists bench.templates")
    conn.execute(
        "create table bench.templates (k int primary key, blog_id bigint, "
        "payload jsonb, answer_days int, last_answer_days int, reject_days int)"
    )
    with (
        conn.cursor() as cur,
        cur.copy("copy bench.templates (k, blog_id, payload) from stdin") as copy,
    ):
        for k, (blog_id, card) in enumerate(rows):
            copy.write_row((k, blog_id, Jsonb(card)))
    conn.execute(LISTED_ANSWERS)
    conn.execute(
        "update bench.templates set "
        "answer_days = (payload ->> 'answered_on')::date - (payload ->> 'submitted_on')::date, "
        "last_answer_days = "
        "(payload ->> 'last_answered_on')::date - (payload ->> 'submitted_on')::date, "
        "reject_days = (payload ->> 'rejected_on')::date - (payload ->> 'submitted_on')::date"
    )
    return len(rows)


def generate(conn: psycopg.Connection, appeals: int, templates: int, chunk: int = CHUNK) -> int:
    """The history: ``appeals`` appeals over SPAN_DAYS days, with the registry as blogs."""
    load_id = start_load(conn, SOURCE)
    land_blogs(conn, load_id, read_registry(REGISTRY_FILE), str(REGISTRY_FILE))
    for first in range(0, appeals, chunk):
        last = min(first + chunk, appeals) - 1
        conn.execute(
            GENERATE,
            {
                "load_id": load_id,
                "first": first,
                "last": last,
                "templates": templates,
                "first_question_id": FIRST_QUESTION_ID,
                "start": FIRST_DAY,
                "days": SPAN_DAYS,
                "count": appeals,
                "origin": 0,  # days run over the whole history, not over each chunk
                "observed_at": None,
            },
        )
        if appeals > chunk:
            say(f"  {last + 1:,} of {appeals:,} appeals generated")
    conn.execute("analyze raw.dialog_appeals")
    finish_load(conn, load_id, "succeeded", {"generated": appeals})
    return conn.execute("select count(*) from raw.dialog_appeals").fetchone()[0]


def add_a_day(conn: psycopg.Connection, appeals: int, daily: int, templates: int) -> int:
    """An average day after the history: new appeals, and ratings given to recent answers."""
    load_id = start_load(conn, SOURCE)
    new = conn.execute(
        GENERATE,
        {
            "load_id": load_id,
            "first": appeals,
            "last": appeals + daily - 1,
            "templates": templates,
            "first_question_id": FIRST_QUESTION_ID,
            "start": _day_after(SPAN_DAYS),
            "days": 0,
            "count": daily,
            "origin": appeals,
            "observed_at": dt.datetime.now(dt.UTC),
        },
    ).rowcount
    # submitted today: not answered yet, so without a question id or text
    conn.execute(
        "update raw.dialog_appeals set question_id = null, payload = payload || "
        "jsonb_build_object('answered_on', null, 'last_answered_on', null, 'rejected_on', null, "
        "'status', 'pending', 'rating', null, 'answers', '[]'::jsonb, 'responder', null, "
        "'question_id', null, 'text', null) where load_id = %(load_id)s",
        {"load_id": load_id},
    )
    changed = conn.execute(CHANGE_RATINGS, {"load_id": load_id, "count": daily}).rowcount
    conn.execute("analyze raw.dialog_appeals")
    finish_load(conn, load_id, "succeeded", {"new": new, "changed": changed})
    return new + changed


def _day_after(days: int) -> str:
    return (dt.date.fromisoformat(FIRST_DAY) + dt.timedelta(days=days + 1)).isoformat()


class DbtRunner:
    """``dbt <command>`` of the whole project on one database, in this process."""

    def __init__(self, warehouse_url: str, target_dir: Path):
        self.target_dir = target_dir
        parts = url_parts(warehouse_url)
        for key in ("host", "port", "user", "password", "dbname"):
            os.environ[f"TYNDAU_PG_{key.upper()}"] = parts[key]
        os.environ["DBT_LOG_PATH"] = str(target_dir / "logs")

    def slowest_nodes(self, count: int = 5) -> list[dict]:
        """The last command's slowest nodes (models, tests, seeds), from dbt's run_results."""
        results = json.loads((self.target_dir / "target" / "run_results.json").read_text())
        nodes = sorted(results["results"], key=lambda r: r["execution_time"], reverse=True)
        return [
            {"node": r["unique_id"].split(".", 1)[1], "seconds": round(r["execution_time"], 2)}
            for r in nodes[:count]
        ]

    def models_seconds(self, prefix: str) -> float:
        """The last command's models named ``prefix…`` (``stg_``: staging), their execution
        times added up, from dbt's run_results."""
        results = json.loads((self.target_dir / "target" / "run_results.json").read_text())
        return sum(
            r["execution_time"]
            for r in results["results"]
            if r["unique_id"].startswith(f"model.tyndau.{prefix}")
        )

    def timed(self, command: str) -> float:
        from dbt.cli.main import dbtRunner

        args = [
            command,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(self.target_dir / "target"),
            "--quiet",
        ]
        started = time.perf_counter()
        result = dbtRunner().invoke(args)
        seconds = time.perf_counter() - started
        if not result.success:
            raise RuntimeError(f"dbt {command} failed: {result.exception or result.result}")
        return seconds
