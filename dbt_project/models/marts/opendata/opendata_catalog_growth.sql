-- One row per year end covered by the catalogue: the datasets on the lists of all state bodies
-- then (created on or before it, not archived) and the growth against the year before.

with

states as (

    select * from {{ ref('int_opendata_datasets__as_of') }}

),

snapshot_dates as (

    select * from {{ ref('int_opendata__snapshot_dates') }}

),

datasets as (

    select * from {{ ref('int_opendata_datasets__described') }}

),

year_ends as (

    select snapshot_date as as_of
    from snapshot_dates
    where is_year_end

),

counts as (

    select
        year_ends.as_of,
        (
            select count(*)
            from states
            where states.snapshot_date = year_ends.as_of
                and not states.archived
        ) as datasets,
        -- counted directly, so that the first year has its predecessor too
        (
            select count(*)
            from datasets
            where datasets.created_on <= cast(year_ends.as_of - interval '1 year' as date)
                and not datasets.archived
        ) as datasets_year_before
    from year_ends

),

final as (

    select
        cast(as_of as date) as as_of,
        cast(datasets as integer) as datasets,
        cast(datasets_year_before as integer) as datasets_year_before,
        round(cast(datasets - datasets_year_before as numeric) / nullif(datasets_year_before, 0), 4)
            as growth_share
    from counts

)

select * from final
