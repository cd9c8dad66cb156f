-- One row per appeal, with the owning body from the blog registry, the appeal a follow-up
-- continues, the time to answer, and whether the legal term was kept. Narrow: no texts (the
-- rankings aggregate it; fct_appeals takes the masked texts from staging).
--
-- The term (dbt var appeal_answer_term_working_days, 15) follows the Administrative Procedural
-- Code of the Republic of Kazakhstan (29 June 2020 No. 350-VI, art. 76; in force since
-- 1 July 2021): fifteen working days from the day the appeal is received. Working days are
-- counted after the day of submission, on Kazakhstan's calendar (int_calendar__working_days).
-- Pending appeals are judged as of the data's date: the latest date the appeals carry
-- (submitted, answered or rejected), not the build's clock, so a rebuild gives the same marts.
--
-- Incremental: a build recomputes the appeals staging refreshed since this model's latest
-- build, and the rows whose inputs may have moved without them: appeals of a blog whose
-- registry row changed, pending appeals not yet overdue (the data's date moves on), and
-- follow-ups still missing the appeal they continue. Appeals are keyed on their registration
-- number: pending and rejected cards show no question_id. A change of the calendar or of the term
-- needs a full refresh (`dbt build --full-refresh`). Indexed on submitted_on too: the monthly
-- aggregates (int_appeals__counted_by_month, …) recount the months with a changed appeal.

{{
    config(
        materialized='incremental',
        unique_key='number',
        indexes=[
            {'columns': ['number'], 'unique': True},
            {'columns': ['refreshed_at']},
            {'columns': ['submitted_on']},
        ],
    )
}}

with

staged_appeals as (

    select * from {{ ref('stg_dialog__appeals') }}

),

blogs as (

    select * from {{ ref('stg_dialog__blogs') }}

),

calendar as (

    select * from {{ ref('int_calendar__working_days') }}

),

{% if is_incremental() %}
{% set previous_build = latest_refresh(this) %}

changed as (

    -- staging by name, not the CTE: a CTE read twice is materialised whole by Postgres
    select number from {{ ref('stg_dialog__appeals') }}
    where refreshed_at > {{ previous_build }}

    union

    select number from {{ this }}
    where
        blog_id in (
            select blog_id from blogs
            where observed_at > {{ previous_build }}
        )
        -- a blog the registry stopped listing: its appeals lose their body once
        or (gov_body_code is not null and blog_id not in (select blog_id from blogs))
        or (status = 'pending' and overdue_pending is not true)
        or (parent_number is null and number like '%/%')

),

appeals as (

    -- = any(array): the planner walks the index for the few changed numbers
    select * from staged_appeals
    where number = any(array(select number from changed))

),

data_date as (

    select greatest(
        (select max(greatest(submitted_on, last_answered_on, rejected_on)) from {{ this }}),
        (select max(greatest(submitted_on, last_answered_on, rejected_on)) from appeals)
    ) as as_of

),

{% else %}

appeals as (

    select * from staged_appeals

),

data_date as (

    select max(greatest(submitted_on, last_answered_on, rejected_on)) as as_of
    from appeals

),

{% endif %}

-- the data's date and its working day, found once: joined per row, the calendar was scanned
-- once per appeal when the planner misjudged how many appeals changed (15 s at 40k);
-- materialized, or Postgres inlines it and the planner makes that join again
as_of as materialized (

    select data_date.as_of, as_of_day.working_day_number
    from data_date
    left join calendar as as_of_day
        on data_date.as_of = as_of_day.calendar_date

),

enriched as (

    select
        appeals.number,
        appeals.question_id,
        -- "754733/1" continues appeal number 754733 (null until that one is landed)
        original_appeals.number as parent_number,
        appeals.blog_id,
        blogs.gov_body_code,
        blogs.gov_body_name_ru,
        blogs.body_type,
        blogs.region_kato,
        appeals.category,
        appeals.submitted_on,
        appeals.status,
        appeals.answered_on,
        appeals.last_answered_on,
        appeals.answer_count,
        appeals.rejected_on,
        -- to the first answer: how long the applicant waited for one
        appeals.answered_on - appeals.submitted_on as days_to_answer,
        appeals.responder,
        appeals.rating,
        appeals.views,
        appeals.observed_at
    from appeals
    left join blogs
        on appeals.blog_id = blogs.blog_id
    -- all of staging, not only the changed appeals: an original may be long landed
    left join {{ ref('stg_dialog__appeals') }} as original_appeals
        on appeals.number like '%/%'
        and original_appeals.number = split_part(appeals.number, '/', 1)

),

-- null when a date falls outside the calendar's years
with_terms as (

    select
        enriched.*,
        answered_day.working_day_number - submitted_day.working_day_number
            as working_days_to_answer,
        not {{ beyond_term(
            'answered_day.working_day_number - submitted_day.working_day_number'
        ) }} as answered_within_term,
        (
            enriched.status = 'pending'
            and {{ beyond_term(
                'as_of.working_day_number - submitted_day.working_day_number'
            ) }}
        ) as overdue_pending,
        {{ refreshed_at() }}
    from enriched
    cross join as_of
    left join calendar as submitted_day
        on enriched.submitted_on = submitted_day.calendar_date
    left join calendar as answered_day
        on enriched.answered_on = answered_day.calendar_date

)

select * from with_terms
