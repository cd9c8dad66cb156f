"""Open Dialogue's raw tables, declared once (see ``ingestion.common.raw.RawTable``): what the
landing creates and writes, what dbt's sources and the landing suite name."""

from __future__ import annotations

from ingestion.common.ledger import LEDGER
from ingestion.common.raw import Column, Index, RawTable, observations

# A warehouse from before the registration number was the key (keyed on question_id, which
# every landed row then had): every payload carries its number, so no observation is lost.
_KEY_ON_NUMBER = """
do $$
begin
    if exists (
        select from information_schema.columns where table_schema = 'raw'
        and table_name = 'dialog_appeals' and column_name = 'number'
    ) then
        return;
    end if;
    alter table raw.dialog_appeals add column number text;
    update raw.dialog_appeals set number = regexp_replace(payload ->> 'number', '^№\\s*', '');
    alter table raw.dialog_appeals drop constraint dialog_appeals_pkey,
        alter column number set not null,
        alter column question_id drop not null,
        add primary key (number, content_hash);
end
$$
"""

#: Every observation of an appeal card, on the blog it was seen on (see load.py); then, from
#: before raw kept a history per key, that history migrates.
APPEALS = observations(
    "dialog_appeals",
    origin="source_url",
    between=(
        Column("number", "text"),
        Column("question_id", "bigint", nullable=True),  # only once a card is answered
        Column("blog_id", "bigint"),
    ),
    key=("number", "blog_id"),
    upgrades=(_KEY_ON_NUMBER,),
    # dbt's incremental staging picks the appeals observed since its last build
    indexes=(Index("dialog_appeals_observed_at", ("observed_at",)),),
)

#: The texts of each observed content, masked (see masking.py): what staging reads instead of
#: the payload's. Rewritten, not appended to, when the masking rules change.
MASKED_TEXTS = RawTable(
    "dialog_masked_texts",
    (
        Column("number", "text"),
        Column("content_hash", "text"),
        Column("masking_version", "integer"),
        Column("appeal_text", "text", nullable=True),
        Column("answer_text", "text", nullable=True),
        Column("masked_at", "timestamptz"),
    ),
    key=("number", "content_hash"),
    # …and staging re-derives the appeals masked again since its last build
    indexes=(Index("dialog_masked_texts_masked_at", ("masked_at",)),),
)

BLOGS = observations(
    "dialog_blogs", origin="source_file", between=(Column("blog_id", "bigint"),), key=("blog_id",)
)

#: Cards that did not parse, keyed on the fragment: the same broken card seen again adds nothing.
REJECTS = RawTable(
    "dialog_rejects",
    (
        Column("load_id", "uuid"),
        Column("observed_at", "timestamptz"),
        Column("source_url", "text"),
        Column("reason", "text"),
        Column("fragment", "text", nullable=True),
        Column("content_hash", "text"),
    ),
    key=("content_hash", "reason"),
)

#: One row per finished walk over a blog (see WalkRecord); not read by dbt.
WALKS = RawTable(
    "dialog_walks",
    (
        Column("load_id", "uuid"),
        Column("blog_id", "bigint"),
        Column("walked_at", "timestamptz"),
        Column("full_refresh", "boolean"),
        Column("pages_fetched", "integer"),
        Column("requests", "integer"),
        Column("stop_reason", "text"),
        Column("failed_pages", "jsonb"),
        Column("lowest_id", "bigint", nullable=True),
        Column("reach_id", "bigint", nullable=True),
        Column("lowest_on", "date", nullable=True),
        Column("reach_on", "date", nullable=True),
    ),
    key=("load_id", "blog_id"),
    # walks recorded before positions were dates (lowest_id, reach_id: question ids) migrate
    upgrades=(
        "alter table raw.dialog_walks add column if not exists lowest_on date",
        "alter table raw.dialog_walks add column if not exists reach_on date",
    ),
)

#: Where a blog's first crawl had got to, committed with each batch: a killed crawl of a large
#: blog resumes there instead of from page 1. Gone once the blog's walk is recorded.
WALK_PROGRESS = RawTable(
    "dialog_walk_progress",
    (
        Column("blog_id", "bigint"),
        Column("load_id", "uuid"),
        Column("resume_page", "integer"),
        Column("updated_at", "timestamptz"),
    ),
    key=("blog_id",),
)

RAW_TABLES = (LEDGER, APPEALS, MASKED_TEXTS, BLOGS, REJECTS, WALKS, WALK_PROGRESS)
