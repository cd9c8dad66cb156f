-- One row per Open Dialogue appeal, free of personal data. Indexed for the analysts' usual
-- filters: a region or a body over a period, and a topic, also a region's topic over a period
-- (benchmarks/serving.py's filtered query: at 10M the region's index alone read every appeal
-- of the region's year to filter the topic).
--
-- Incremental, across publishing too: publishing swaps the published marts and the candidate,
-- so the candidate holds the marts of the build before last, and a build brings its
-- fct_appeals up to date with the appeals int_appeals__enriched refreshed since (the last two
-- builds' changes), instead of copying millions of rows every time.

{{
    config(
        materialized='incremental',
        unique_key='number',
        indexes=[
            {'columns': ['region_kato', 'submitted_on']},
            {'columns': ['region_kato', 'category', 'submitted_on']},
            {'columns': ['gov_body_code', 'submitted_on']},
            {'columns': ['category']},
            {'columns': ['submitted_on']},
            {'columns': ['refreshed_at']},
        ]
    )
}}

with

appeals as (

    select * from {{ ref('int_appeals__enriched') }}
    {% if is_incremental() %}
    where refreshed_at > {{ latest_refresh(this) }}
    {% endif %}

),

texts as (

    select number, appeal_text, answer_text from {{ ref('stg_dialog__appeals') }}

),

final as (

    select
        cast(appeals.number as text) as number,
        cast(appeals.question_id as bigint) as question_id,
        cast(appeals.parent_number as text) as parent_number,
        cast(appeals.blog_id as bigint) as blog_id,
        cast(appeals.gov_body_code as text) as gov_body_code,
        cast(appeals.region_kato as text) as region_kato,
        cast(appeals.category as text) as category,
        cast(appeals.submitted_on as date) as submitted_on,
        cast(appeals.status as text) as status,
        cast(appeals.answered_on as date) as answered_on,
        cast(appeals.last_answered_on as date) as last_answered_on,
        cast(appeals.answer_count as integer) as answer_count,
        cast(appeals.rejected_on as date) as rejected_on,
        cast(appeals.days_to_answer as integer) as days_to_answer,
        cast(appeals.working_days_to_answer as integer) as working_days_to_answer,
        cast(appeals.answered_within_term as boolean) as answered_within_term,
        cast(appeals.overdue_pending as boolean) as overdue_pending,
        cast(appeals.rating as text) as rating,
        cast(appeals.views as integer) as views,
        cast(texts.appeal_text as text) as appeal_text,
        cast(texts.answer_text as text) as answer_text,
        {{ refreshed_at() }}
    from appeals
    inner join texts
        on appeals.number = texts.number

)

select * from final
