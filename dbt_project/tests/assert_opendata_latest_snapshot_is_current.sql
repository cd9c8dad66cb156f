-- The current state is one date, the latest of opendata_freshness: no snapshot after the
-- latest catalogue read, and every body's row on that date says so. Returns offending dates.

with

freshness as (

    select * from {{ ref('opendata_freshness') }}

),

dates as (

    select
        snapshot_date,
        bool_and(is_current) as all_current,
        bool_or(is_current) as any_current
    from freshness
    group by snapshot_date

)

select snapshot_date
from dates
where
    all_current != any_current
    or (any_current and (select count(*) from dates where any_current) > 1)
    or (
        any_current
        and snapshot_date < (select max(dates_before.snapshot_date) from dates as dates_before)
    )
