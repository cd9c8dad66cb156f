-- One row per state body, year and topic: justified complaints by topic, rolled up with the
-- scorecard's rule (a yearly topic report of a body wins over its monthly ones; without it the
-- months are added up): the periods staging marks as counting in the year.

with

in_force as (

    select * from {{ ref('stg_complaints__topics') }}
    where counts_in_year

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
