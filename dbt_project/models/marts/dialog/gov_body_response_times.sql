-- One row per state body of dim_gov_bodies (akimats, ministries, agencies): how fast it answers
-- its Open Dialogue appeals, over all the appeals landed. A body without appeals has a row of
-- zeros and nulls.

with

bodies as (

    select * from {{ ref('dim_gov_bodies') }}

),

counts as (

    -- the appeals counted per month, blog and topic
    select * from {{ ref('int_appeals__counted_by_month') }}

),

answer_days as (

    -- the answered appeals per month, blog and days to answer
    select * from {{ ref('int_appeals__answer_days_by_month') }}

),

body_counts as (

    select
        gov_body_code,
        {{ appeal_counts('counts') }},
        {{ response_time_figures('counts') }}
    from counts
    where gov_body_code is not null
    group by gov_body_code

),

body_percentiles as (

    {{ answer_day_percentiles('answer_days', ['gov_body_code']) }}

),

body_figures as (

    select
        body_counts.*,
        body_percentiles.median_days_to_answer,
        body_percentiles.p90_days_to_answer
    from body_counts
    left join body_percentiles
        on body_counts.gov_body_code = body_percentiles.gov_body_code

),

final as (

    select
        bodies.gov_body_code,
        bodies.gov_body_name_ru,
        bodies.body_type,
        bodies.region_kato,
        cast(coalesce(body_figures.appeals, 0) as integer) as appeals,
        cast(coalesce(body_figures.answered, 0) as integer) as answered,
        round(cast(body_figures.answered as numeric) / nullif(body_figures.appeals, 0), 6)
            as answer_rate,
        body_figures.median_days_to_answer,
        body_figures.p90_days_to_answer,
        body_figures.answered_within_term_share,
        cast(coalesce(body_figures.answered_late, 0) as integer) as answered_late,
        cast(coalesce(body_figures.answered_very_late, 0) as integer) as answered_very_late,
        body_figures.answered_very_late_share,
        cast(coalesce(body_figures.overdue_pending, 0) as integer) as overdue_pending
    from bodies
    left join body_figures
        on bodies.gov_body_code = body_figures.gov_body_code

)

select * from final
