-- One row per ministry whose blogs received appeals: the akimats' ranking rules among the
-- ministries (docs/calibration.md section 2 and "Definitions"): both ranks, the 95% intervals
-- of both shares, the rank bands they give, and response times. Akimats and agencies never
-- appear; a ministry without appeals has nothing to rank and is left out.

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

ministry_percentiles as (

    {{ answer_day_percentiles('answer_days', ['gov_body_code']) }}

),

ministry_counts as (

    -- a ministry's blogs together, named as dim_gov_bodies names it
    select
        bodies.gov_body_code,
        bodies.gov_body_name_ru,
        {{ appeal_counts('counts') }},
        {{ response_time_figures('counts') }},
        min(ministry_percentiles.median_days_to_answer) as median_days_to_answer,
        min(ministry_percentiles.p90_days_to_answer) as p90_days_to_answer
    from bodies
    inner join counts
        on bodies.gov_body_code = counts.gov_body_code
    left join ministry_percentiles
        on bodies.gov_body_code = ministry_percentiles.gov_body_code
    where bodies.body_type = 'ministry'
    group by bodies.gov_body_code, bodies.gov_body_name_ru

),

ranked as (

    -- the ranking rules, the Wilson intervals and the band rule live in macros/ranking.sql
    {{ body_ranking('ministry_counts', key='gov_body_code') }}

),

final as (

    select
        cast(gov_body_code as text) as gov_body_code,
        cast(gov_body_name_ru as text) as ministry_name_ru,
        cast(appeals as integer) as appeals,
        cast(answered as integer) as answered,
        round(cast(answered as numeric) / appeals, 6) as answer_rate,
        cast(answer_rank as integer) as answer_rank,
        cast(rated_answers as integer) as rated_answers,
        cast(unsatisfied as integer) as unsatisfied,
        round(cast(unsatisfied as numeric) / nullif(rated_answers, 0), 6) as unsatisfied_share,
        cast(satisfaction_rank as integer) as satisfaction_rank,
        cast({{ satisfaction_basis('rated_answers') }} as text) as satisfaction_basis,
        answer_rate_ci_low,
        answer_rate_ci_high,
        unsatisfied_share_ci_low,
        unsatisfied_share_ci_high,
        -- null with no ratings on the portal, like every satisfaction figure
        rated_answers < 30 as small_sample,
        cast(answer_band as integer) as answer_band,
        cast(satisfaction_band as integer) as satisfaction_band,
        median_days_to_answer,
        p90_days_to_answer,
        answered_within_term_share,
        cast(answered_late as integer) as answered_late,
        cast(answered_very_late as integer) as answered_very_late,
        answered_very_late_share,
        cast(overdue_pending as integer) as overdue_pending
    from ranked

)

select * from final
