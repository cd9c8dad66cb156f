-- The working-day calendar on days whose status is known: ordinary weekdays and weekends,
-- Nowruz and its observed day off, a weekend day declared working, a holiday on a Sunday, and
-- the 15 working days from 1 to 26 March 2021 (8 March and 22–24 March off). Returns failures.

with

calendar as (

    select * from {{ ref('int_calendar__working_days') }}

),

known_days (calendar_date, is_working_day) as (

    values
        (date '2021-03-19', true),   -- Friday
        (date '2021-03-20', false),  -- Saturday
        (date '2021-03-08', false),  -- International Women's Day, a Monday
        (date '2021-03-22', false),  -- Nowruz
        (date '2021-03-24', false),  -- Nowruz (observed: the 21st was a Sunday)
        (date '2021-07-03', true),   -- Saturday worked in exchange for Monday 5 July
        (date '2021-07-05', false),
        (date '2022-01-01', false)   -- New Year's Day, a Saturday

),

wrong_days as (

    select
        known_days.calendar_date,
        'expected is_working_day = ' || known_days.is_working_day as problem
    from known_days
    left join calendar
        on known_days.calendar_date = calendar.calendar_date
    where calendar.is_working_day is distinct from known_days.is_working_day

),

wrong_count as (

    select
        date '2021-03-26' as calendar_date,
        'expected 15 working days after 2021-03-01, got '
        || (march_26.working_day_number - march_1.working_day_number) as problem
    from calendar as march_1
    cross join calendar as march_26
    where march_1.calendar_date = date '2021-03-01'
        and march_26.calendar_date = date '2021-03-26'
        and march_26.working_day_number - march_1.working_day_number <> 15

)

select * from wrong_days
union all
select * from wrong_count
