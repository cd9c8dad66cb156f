-- The dates the open-data marts are measured "as of": every year end covered by the catalogue
-- (from the year its first dataset was created to the last year with a creation or a
-- modification, never a date still to come), plus the extra dates of the dbt var
-- `opendata_snapshot_dates` (a list of 'YYYY-MM-DD').

with

datasets as (

    select * from {{ ref('int_opendata_datasets__described') }}

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
    where make_date(years.year, 12, 31) <= current_date

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

snapshot_dates as (

    select snapshot_date from year_ends
    union
    select snapshot_date from configured

)

select
    snapshot_date,
    extract(month from snapshot_date) = 12 and extract(day from snapshot_date) = 31
        as is_year_end
from snapshot_dates
