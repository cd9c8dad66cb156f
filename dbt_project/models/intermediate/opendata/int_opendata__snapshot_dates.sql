-- The dates the open-data marts are measured "as of": every year end covered by the catalogue
-- (from the year its first dataset was created to the last year with a creation or a
-- modification), the extra dates of the dbt var `opendata_snapshot_dates` (a list of
-- 'YYYY-MM-DD'), and the day of the latest catalogue read (the current state). None after that
-- read (or, before any read is recorded, after today): the catalogue was not seen then, so the
-- latest snapshot is the current one.

with

datasets as (

    select * from {{ ref('int_opendata_datasets__described') }}

),

catalogue as (

    select * from {{ ref('stg_opendata__datasets') }}

),

reads as (

    select * from {{ ref('stg_opendata__catalogue_reads') }}

),

latest_read as (

    -- a catalogue landed by hand (no ledger row) counts as read the day it was observed
    select
        greatest(
            (select max(read_on) from reads),
            (select cast(max(observed_at) at time zone 'Asia/Almaty' as date) from catalogue)
        ) as read_on

),

span as (

    select
        cast(extract(year from min(created_on)) as integer) as first_year,
        cast(extract(year from max(greatest(created_on, modified_on))) as integer) as last_year
    from datasets

),

year_ends as (

    select cast(make_date(years.year, 12, 31) as date) as snapshot_date
    from span
    cross join lateral generate_series(span.first_year, span.last_year) as years (year)

),

configured as (

    {%- set extra = var('opendata_snapshot_dates', []) %}
    {% if extra -%}
    select cast(configured_date as date) as snapshot_date
    -- the loop renders one literal per date on a single line, which layout rules misread
    -- noqa: disable=LT02,LT05
    from unnest(array[
        {%- for day in extra %}'{{ day }}'{{ "," if not loop.last }}{% endfor -%}
    ]) as configured (configured_date)
    -- noqa: enable=LT02,LT05
    -- only once there is a catalogue to measure
    where exists (select 1 from datasets)
    {%- else -%}
    select cast(null as date) as snapshot_date
    where false
    {%- endif %}

),

current_state as (

    select read_on as snapshot_date
    from latest_read
    where read_on is not null and exists (select 1 from datasets)

),

snapshot_dates as (

    select snapshot_date from year_ends
    union
    select snapshot_date from configured
    union
    select snapshot_date from current_state

)

select
    snapshot_dates.snapshot_date,
    extract(month from snapshot_dates.snapshot_date) = 12
    and extract(day from snapshot_dates.snapshot_date) = 31 as is_year_end,
    coalesce(snapshot_dates.snapshot_date = latest_read.read_on, false) as is_current
from snapshot_dates
cross join latest_read
where snapshot_dates.snapshot_date <= coalesce(latest_read.read_on, current_date)
