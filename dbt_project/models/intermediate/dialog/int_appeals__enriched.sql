-- One row per appeal, with the owning body from the blog registry, the appeal a follow-up
-- continues, the time to answer, and whether the legal term was kept.
--
-- The term (dbt var appeal_answer_term_working_days, 15) follows the Administrative Procedural
-- Code of the Republic of Kazakhstan (29 June 2020 No. 350-VI, art. 76; in force since
-- 1 July 2021): fifteen working days from the day the appeal is received. Working days are
-- counted after the day of submission, on Kazakhstan's calendar (int_calendar__working_days).
-- Pending appeals are judged as of the data's date: the latest date the appeals carry
-- (submitted, answered or rejected), not the build's clock, so a rebuild gives the same marts.

with

appeals as (

    select * from {{ ref('stg_dialog__appeals') }}

),

blogs as (

    select * from {{ ref('stg_dialog__blogs') }}

),

calendar as (

    select * from {{ ref('int_calendar__working_days') }}

),

data_date as (

    select max(greatest(submitted_on, answered_on, rejected_on)) as as_of
    from appeals

),

original_appeals as (

    -- numbers are unique on the portal; min() keeps one row per number should that ever break
    select
        number,
        min(question_id) as question_id
    from appeals
    where number not like '%/%'
    group by number

),

enriched as (

    select
        appeals.question_id,
        appeals.number,
        -- "754733/1" continues appeal number 754733
        original_appeals.question_id as parent_question_id,
        appeals.blog_id,
        blogs.gov_body_code,
        blogs.gov_body_name_ru,
        blogs.body_type,
        blogs.region_kato,
        appeals.category,
        appeals.submitted_on,
        appeals.status,
        appeals.answered_on,
        appeals.rejected_on,
        appeals.answered_on - appeals.submitted_on as days_to_answer,
        appeals.responder,
        appeals.rating,
        appeals.views,
        appeals.appeal_text,
        appeals.answer_text,
        appeals.observed_at
    from appeals
    left join blogs
        on appeals.blog_id = blogs.blog_id
    left join original_appeals
        on appeals.number like '%/%'
        and original_appeals.number = split_part(appeals.number, '/', 1)

),

-- null when a date falls outside the calendar's years
with_terms as (

    select
        enriched.*,
        answered_day.working_day_number - submitted_day.working_day_number
            as working_days_to_answer,
        answered_day.working_day_number - submitted_day.working_day_number
            <= {{ var('appeal_answer_term_working_days') }} as answered_within_term,
        enriched.status = 'pending'
            and as_of_day.working_day_number - submitted_day.working_day_number
                > {{ var('appeal_answer_term_working_days') }} as overdue_pending
    from enriched
    cross join data_date
    left join calendar as submitted_day
        on enriched.submitted_on = submitted_day.calendar_date
    left join calendar as answered_day
        on enriched.answered_on = answered_day.calendar_date
    left join calendar as as_of_day
        on data_date.as_of = as_of_day.calendar_date

)

select * from with_terms
