-- One row per appeal: its latest observation, typed, with personal data removed.
-- The applicant's name is read for masking only and never leaves this model.
--
-- Incremental: a build re-derives only the appeals observed since the previous one, from all
-- of their observations. "Since" reaches back var late_observation_margin before the latest
-- observation already here, for batches that landed late (a crawl commits as it goes).

{{
    config(
        materialized='incremental',
        unique_key='question_id',
        indexes=[
            {'columns': ['question_id'], 'unique': True},
            {'columns': ['number']},
            {'columns': ['refreshed_at']},
        ],
    )
}}

with

observations as (

    select * from {{ source('dialog', 'appeals') }}
    {% if is_incremental() %}
    where question_id in (
        select question_id from {{ source('dialog', 'appeals') }}
        where observed_at
            >= {{ watermark(this, 'observed_at') }} - interval '{{ var("late_observation_margin") }}'
    )
    {% endif %}

),

latest as (

    select
        *,
        row_number() over (
            partition by question_id
            -- content_hash breaks ties between observations landed at the same instant
            order by observed_at desc, content_hash
        ) as observation_rank
    from observations

),

parsed as (

    select
        question_id,
        blog_id,
        nullif(trim(payload ->> 'number'), '') as number,
        nullif(trim(payload ->> 'category'), '') as category,
        cast(payload ->> 'submitted_on' as date) as submitted_on,
        cast(payload ->> 'views' as integer) as views,
        payload ->> 'status' as status,
        nullif(trim(payload ->> 'responder'), '') as responder,
        cast(payload ->> 'answered_on' as date) as answered_on,
        cast(payload ->> 'rejected_on' as date) as rejected_on,
        payload ->> 'rating' as rating,
        payload ->> 'applicant' as applicant,
        payload ->> 'text' as unmasked_appeal_text,
        payload ->> 'answer_text' as unmasked_answer_text,
        observed_at,
        load_id,
        source_url,
        content_hash
    from latest
    where observation_rank = 1

),

masked as (

    -- every column but the applicant and the unmasked texts
    select
        question_id,
        blog_id,
        number,
        category,
        submitted_on,
        views,
        status,
        responder,
        answered_on,
        rejected_on,
        rating,
        {{ mask_personal_data('unmasked_appeal_text', 'applicant') }} as appeal_text,
        {{ mask_personal_data('unmasked_answer_text', 'applicant') }} as answer_text,
        observed_at,
        load_id,
        source_url,
        content_hash,
        {{ refreshed_at() }}
    from parsed

)

select * from masked
