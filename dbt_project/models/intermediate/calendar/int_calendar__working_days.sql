-- One row per day of the years the seed kz_work_calendar covers: whether it is a working day in
-- Kazakhstan (Monday to Friday, except public holidays and days off moved onto weekdays, plus
-- weekend days declared working), and a running count of working days, so that the working
-- days in (a, b] are simply working_day_number(b) − working_day_number(a).

with

exceptions as (

    select * from {{ ref('kz_work_calendar') }}

),

covered as (

    select
        make_date(cast(min(extract(year from calendar_date)) as integer), 1, 1) as first_day,
        make_date(cast(max(extract(year from calendar_date)) as integer), 12, 31) as last_day
    from exceptions

),

days as (

    select cast(day as date) as calendar_date
    from covered
    cross join lateral generate_series(covered.first_day, covered.last_day, interval '1 day')
        as day

),

classified as (

    select
        days.calendar_date,
        coalesce(
            exceptions.is_working_day,
            extract(isodow from days.calendar_date) <= 5
        ) as is_working_day,
        exceptions.name as exception_name
    from days
    left join exceptions
        on days.calendar_date = exceptions.calendar_date

),

final as (

    select
        calendar_date,
        is_working_day,
        exception_name,
        cast(
            count(*) filter (where is_working_day) over (order by calendar_date) as integer
        ) as working_day_number
    from classified

)

select * from final
