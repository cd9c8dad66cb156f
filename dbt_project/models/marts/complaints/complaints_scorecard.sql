-- One row per state body and year (a body has one region, or none when central): how many
-- complaints and applications it received and how it handled them, its region as it was that
-- year and today's regions covering it, and the change in deadline violations against the year
-- before (null without figures of the year before).

with

body_years as (

    select * from {{ ref('int_complaints__body_years') }}

),

regions as (

    select * from {{ ref('dim_regions') }}

),

region_of_year as (

    -- the region version valid during the year; of two (a region renamed that year), the one
    -- valid at its end
    select distinct on (body_years.year, body_years.gov_body_code)
        body_years.year,
        body_years.gov_body_code,
        regions.region_name_ru,
        regions.current_katos
    from body_years
    inner join regions
        on body_years.region_kato = regions.region_kato
        and regions.valid_from <= make_date(body_years.year, 12, 31)
        and (regions.valid_to is null or regions.valid_to > make_date(body_years.year, 1, 1))
    order by body_years.year, body_years.gov_body_code, regions.valid_from desc

),

final as (

    select
        body_years.year,
        body_years.gov_body_code,
        body_years.gov_body_name_ru,
        body_years.body_level,
        body_years.region_kato,
        region_of_year.region_name_ru,
        region_of_year.current_katos as current_region_katos,
        body_years.reported_as,
        body_years.months_reported,
        body_years.received,
        body_years.from_individuals,
        body_years.from_legal_entities,
        body_years.reviewed,
        body_years.deadline_violations,
        body_years.explained,
        round(cast(body_years.explained as numeric) / nullif(body_years.received, 0), 6)
            as explained_share,
        body_years.overturned_by_higher_body,
        body_years.overturned_by_court,
        body_years.justified_complaints,
        body_years.deadline_violations - previous_year.deadline_violations
            as deadline_violations_change
    from body_years
    left join region_of_year
        on body_years.year = region_of_year.year
        and body_years.gov_body_code = region_of_year.gov_body_code
    left join body_years as previous_year
        on body_years.gov_body_code = previous_year.gov_body_code
        and body_years.year = previous_year.year + 1

)

select * from final
