-- The appeals of int_appeals__enriched counted per month of submission, blog and topic: every
-- count the Open Dialogue marts add up (macros/appeal_figures.sql), narrow enough that the
-- rankings and the scorecard aggregate a few thousand rows instead of every appeal. Percentiles
-- do not add up: int_appeals__answer_days_by_month holds what they need.
--
-- Incremental: a build counts anew every month in which an appeal was refreshed since this
-- model's latest build (the pre-hook deletes those months, the model inserts them recounted
-- from int_appeals__enriched), so an appeal that changes status, rating or body moves between
-- the counts. An appeal keeps its month: the portal's date of submission does not change.

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_changed_months() }}",
        indexes=[
            {'columns': ['month', 'blog_id', 'category'], 'unique': True},
            {'columns': ['refreshed_at']},
        ],
    )
}}

with

appeals as (

    select * from {{ ref('int_appeals__enriched') }}
    {% if is_incremental() %}
    where {{ in_changed_months('submitted_on') }}
    {% endif %}

),

final as (

    select
        cast(date_trunc('month', appeals.submitted_on) as date) as month,
        appeals.blog_id,
        -- '(none)' keeps the key whole: the topics mart shows appeals without one so
        coalesce(appeals.category, '(none)') as category,
        -- the blog's, as int_appeals__enriched gives them: one value per blog
        min(appeals.gov_body_code) as gov_body_code,
        min(appeals.body_type) as body_type,
        min(appeals.region_kato) as region_kato,
        count(appeals.number) as appeals,
        count(*) filter (where appeals.status = 'answered') as answered,
        count(*) filter (
            where appeals.status = 'answered' and appeals.rating is not null
        ) as rated_answers,
        count(*) filter (
            where appeals.status = 'answered' and appeals.rating = 'negative'
        ) as unsatisfied,
        count(*) filter (where appeals.answered_within_term) as answered_within_term,
        count(appeals.answered_within_term) as answers_with_term,
        count(*) filter (where {{ beyond_term('appeals.working_days_to_answer') }})
            as answered_late,
        count(*) filter (where {{ beyond_term('appeals.working_days_to_answer', 2) }})
            as answered_very_late,
        count(*) filter (where appeals.overdue_pending) as overdue_pending,
        {{ refreshed_at() }}
    from appeals
    group by
        cast(date_trunc('month', appeals.submitted_on) as date),
        appeals.blog_id,
        coalesce(appeals.category, '(none)')

)

select * from final
