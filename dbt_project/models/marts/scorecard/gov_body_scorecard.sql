-- One row per state body and year: the "interaction with citizens" view of the state bodies'
-- performance assessment, joining the three sources on (gov_body_code, year) with a full outer
-- join: Open Dialogue appeals by year of submission, complaint statistics by report year, and
-- open data as of the year's last day. A source with nothing for a body and year leaves its
-- columns null. Open data names owners in words; seeds/opendata_owner_bodies.csv gives their
-- codes, and an owner missing from it stays out of this mart (it is in opendata_freshness).

with

counts as (

    -- the appeals counted per month, blog and topic
    select * from {{ ref('int_appeals__counted_by_month') }}

),

answer_days as (

    -- the answered appeals per year, body and days to answer
    select
        gov_body_code,
        cast(extract(year from month) as integer) as year,
        days_to_answer,
        answers
    from {{ ref('int_appeals__answer_days_by_month') }}

),

bodies as (

    select * from {{ ref('dim_gov_bodies') }}

),

complaints as (

    select * from {{ ref('complaints_scorecard') }}

),

freshness as (

    select * from {{ ref('opendata_freshness') }}

),

owner_bodies as (

    select * from {{ ref('opendata_owner_bodies') }}

),

dialog_percentiles as (

    {{ answer_day_percentiles('answer_days', ['gov_body_code', 'year']) }}

),

dialog_counts as (

    select
        gov_body_code,
        cast(extract(year from month) as integer) as year,
        {{ appeal_counts('counts') }},
        {{ response_time_figures('counts') }}
    from counts
    where gov_body_code is not null
    group by gov_body_code, extract(year from month)

),

dialog_years as (

    select
        dialog_counts.*,
        dialog_percentiles.median_days_to_answer
    from dialog_counts
    left join dialog_percentiles
        on dialog_counts.gov_body_code = dialog_percentiles.gov_body_code
        and dialog_counts.year = dialog_percentiles.year

),

opendata_years as (

    select
        owner_bodies.gov_body_code,
        cast(extract(year from freshness.snapshot_date) as integer) as year,
        min(freshness.gov_body_name_ru) as owner_name_ru,
        sum(freshness.datasets) as datasets,
        sum(freshness.up_to_date) as up_to_date
    from freshness
    inner join owner_bodies
        on freshness.gov_body_name_ru = owner_bodies.owner_name_ru
    -- year ends only: the current snapshot (and configured dates) would count the body twice
    where freshness.snapshot_kind = 'year_end'
    group by owner_bodies.gov_body_code, extract(year from freshness.snapshot_date)

),

body_years as (

    select gov_body_code, year from dialog_years
    union
    select gov_body_code, year from complaints
    union
    select gov_body_code, year from opendata_years

),

final as (

    select
        cast(body_years.gov_body_code as text) as gov_body_code,
        cast(body_years.year as integer) as year,
        cast(
            coalesce(
                bodies.gov_body_name_ru, complaints.gov_body_name_ru, opendata_years.owner_name_ru
            ) as text
        ) as gov_body_name_ru,
        bodies.body_type,
        cast(
            coalesce(
                complaints.body_level,
                case
                    when bodies.body_type = 'akimat' then 'local'
                    when bodies.body_type is not null then 'central'
                end
            ) as text
        ) as body_level,
        cast(coalesce(bodies.region_kato, complaints.region_kato) as text) as region_kato,
        cast(dialog_years.appeals as integer) as appeals,
        cast(dialog_years.answered as integer) as answered,
        round(cast(dialog_years.answered as numeric) / nullif(dialog_years.appeals, 0), 6)
            as answer_rate,
        cast(dialog_years.rated_answers as integer) as rated_answers,
        cast(dialog_years.unsatisfied as integer) as unsatisfied,
        round(cast(dialog_years.unsatisfied as numeric) / nullif(dialog_years.rated_answers, 0), 6)
            as unsatisfied_share,
        -- null where Open Dialogue has nothing for the body and year
        cast(
            case
                when dialog_years.appeals is not null
                    then {{ satisfaction_basis('dialog_years.rated_answers') }}
            end as text
        ) as satisfaction_basis,
        dialog_years.median_days_to_answer,
        dialog_years.answered_within_term_share,
        cast(dialog_years.answered_late as integer) as answered_late,
        cast(dialog_years.answered_very_late as integer) as answered_very_late,
        dialog_years.answered_very_late_share,
        cast(complaints.received as bigint) as complaints_received,
        cast(complaints.deadline_violations as bigint) as deadline_violations,
        round(complaints.deadline_violations * 1000.0 / nullif(complaints.received, 0), 3)
            as deadline_violations_per_1000,
        cast(complaints.justified_complaints as bigint) as justified_complaints,
        cast(complaints.overturned_by_higher_body as bigint) as overturned_by_higher_body,
        cast(complaints.overturned_by_court as bigint) as overturned_by_court,
        cast(opendata_years.datasets as integer) as datasets,
        cast(opendata_years.up_to_date as integer) as datasets_up_to_date,
        round(cast(opendata_years.up_to_date as numeric) / nullif(opendata_years.datasets, 0), 4)
            as up_to_date_share
    from body_years
    left join bodies
        on body_years.gov_body_code = bodies.gov_body_code
    left join dialog_years
        on body_years.gov_body_code = dialog_years.gov_body_code
        and body_years.year = dialog_years.year
    left join complaints
        on body_years.gov_body_code = complaints.gov_body_code
        and body_years.year = complaints.year
    left join opendata_years
        on body_years.gov_body_code = opendata_years.gov_body_code
        and body_years.year = opendata_years.year

)

select * from final
