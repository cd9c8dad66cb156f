-- One row per appeal (its registration number): its latest observation, typed, with personal
-- data removed. The applicant's name is read for masking only and never leaves this model.
--
-- Payloads come in two shapes, and raw keeps both forever (append-only): observations landed
-- before an appeal's answers were listed carry one flat answer_text (and no answers,
-- last_answered_on); newer ones carry the list `answers`, in page order, and a question_id
-- only once the card is answered (pending and rejected cards show none).
--
-- Incremental: a build re-derives only the appeals observed since the previous one, from all
-- of their observations. "Since" reaches back var late_observation_margin before the latest
-- observation already here, for batches that landed late (a crawl commits as it goes).

{{
    config(
        materialized='incremental',
        unique_key='number',
        indexes=[
            {'columns': ['number'], 'unique': True},
            {'columns': ['question_id'], 'unique': True},
            {'columns': ['refreshed_at']},
        ],
    )
}}

with

observations as (

    select * from {{ source('dialog', 'appeals') }}
    {% if is_incremental() %}
    where number in (
        select number from {{ source('dialog', 'appeals') }}
        where observed_at
            >= {{ watermark(this, 'observed_at') }} - interval '{{ var("late_observation_margin") }}'
    )
    {% endif %}

),

latest as (

    select
        *,
        row_number() over (
            partition by number
            -- content_hash breaks ties between observations landed at the same instant
            order by observed_at desc, content_hash
        ) as observation_rank
    from observations

),

parsed as (

    select
        number,
        question_id,
        blog_id,
        nullif(trim(payload ->> 'category'), '') as category,
        cast(payload ->> 'submitted_on' as date) as submitted_on,
        cast(payload ->> 'views' as integer) as views,
        payload ->> 'status' as status,
        nullif(trim(payload ->> 'responder'), '') as responder,
        -- the first answer's date in both shapes; the last one's only in the new shape
        cast(payload ->> 'answered_on' as date) as answered_on,
        cast(coalesce(payload ->> 'last_answered_on', payload ->> 'answered_on') as date)
            as last_answered_on,
        case
            when jsonb_typeof(payload -> 'answers') = 'array'
                then jsonb_array_length(payload -> 'answers')
            -- the old shape held one answer, on answered cards
            when payload ->> 'status' = 'answered' then 1
            else 0
        end as answer_count,
        cast(payload ->> 'rejected_on' as date) as rejected_on,
        payload ->> 'rating' as rating,
        payload ->> 'applicant' as applicant,
        payload ->> 'text' as unmasked_appeal_text,
        case
            when jsonb_typeof(payload -> 'answers') = 'array' then (
                select string_agg(answer ->> 'text', E'\n\n' order by answer_position)
                from jsonb_array_elements(payload -> 'answers')
                    with ordinality as answers (answer, answer_position)
            )
            else payload ->> 'answer_text'
        end as unmasked_answer_text,
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
        number,
        question_id,
        blog_id,
        category,
        submitted_on,
        views,
        status,
        responder,
        answered_on,
        last_answered_on,
        answer_count,
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
