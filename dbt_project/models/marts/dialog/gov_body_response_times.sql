-- One row per state body of dim_gov_bodies (akimats, ministries, agencies): how fast it answers
-- its Open Dialogue appeals, over all the appeals landed. A body without appeals has a row of
-- zeros and nulls.

with

bodies as (

    select * from {{ ref('dim_gov_bodies') }}

),

appeals as (

    select * from {{ ref('int_appeals__enriched') }}

),

body_figures as (

    select
        gov_body_code,
        {{ appeal_counts('appeals') }},
        {{ response_time_figures('appeals') }}
    from appeals
    where gov_body_code is not null
    group by gov_body_code

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
