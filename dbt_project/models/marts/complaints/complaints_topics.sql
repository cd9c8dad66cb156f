-- One row per state body, year and topic: justified complaints by topic, rolled up with the
-- scorecard's rule (a yearly topic report of a body wins over its monthly ones; without it the
-- months are added up).

with

topics as (

    select * from {{ ref('stg_complaints__topics') }}

),

yearly_reported as (

    select distinct
        period_year,
        gov_body_code
    from topics
    where period_kind = 'year'

),

in_force as (

    select topics.*
    from topics
    left join yearly_reported
        on topics.period_year = yearly_reported.period_year
        and topics.gov_body_code = yearly_reported.gov_body_code
    where topics.period_kind = 'year'
        or yearly_reported.gov_body_code is null

),

final as (

    select
        cast(period_year as integer) as year,
        gov_body_code,
        topic,
        cast(sum(justified_complaints) as bigint) as justified_complaints
    from in_force
    group by period_year, gov_body_code, topic

)

select * from final
