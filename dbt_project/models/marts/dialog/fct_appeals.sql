-- One row per Open Dialogue appeal, free of personal data. Indexed for the analysts' usual
-- filters: a region or a body over a period, and a topic.

{{
    config(
        indexes=[
            {'columns': ['region_kato', 'submitted_on']},
            {'columns': ['gov_body_code', 'submitted_on']},
            {'columns': ['category']},
            {'columns': ['submitted_on']},
        ]
    )
}}

with

appeals as (

    select * from {{ ref('int_appeals__enriched') }}

),

final as (

    select
        cast(question_id as bigint) as question_id,
        cast(number as text) as number,
        cast(parent_question_id as bigint) as parent_question_id,
        cast(blog_id as bigint) as blog_id,
        cast(gov_body_code as text) as gov_body_code,
        cast(region_kato as text) as region_kato,
        cast(category as text) as category,
        cast(submitted_on as date) as submitted_on,
        cast(status as text) as status,
        cast(answered_on as date) as answered_on,
        cast(rejected_on as date) as rejected_on,
        cast(days_to_answer as integer) as days_to_answer,
        cast(working_days_to_answer as integer) as working_days_to_answer,
        cast(answered_within_term as boolean) as answered_within_term,
        cast(overdue_pending as boolean) as overdue_pending,
        cast(rating as text) as rating,
        cast(views as integer) as views,
        cast(appeal_text as text) as appeal_text,
        cast(answer_text as text) as answer_text
    from appeals

)

select * from final
