-- One row per owning body and snapshot date: how many of its datasets were up to date then
-- (docs/calibration.md section 3), and its rank among the bodies by that share. The dates are
-- the year ends, the configured dates and the day of the latest catalogue read (the current
-- state); snapshot_kind and is_current say which is which.

with

states as (

    select * from {{ ref('int_opendata_datasets__as_of') }}

),

body_counts as (

    select
        snapshot_date,
        gov_body_name_ru,
        -- one date, one kind: a year end read on 31 December is a year end, and current
        case
            when bool_and(is_year_end) then 'year_end'
            when bool_and(is_current) then 'current'
            else 'configured'
        end as snapshot_kind,
        bool_and(is_current) as is_current,
        -- archived datasets and those of an unknown periodicity leave the denominator
        count(*) filter (where not archived and not periodicity_unknown) as datasets,
        count(*) filter (where not archived and not periodicity_unknown and up_to_date)
            as up_to_date,
        count(*) filter (where archived) as archived,
        count(*) filter (
            where not archived and not periodicity_unknown and state_unobserved
        ) as state_unobserved,
        count(*) filter (where not archived and periodicity_unknown) as unknown_periodicity
    from states
    where gov_body_name_ru is not null
    group by snapshot_date, gov_body_name_ru

),

-- rank = 1 + bodies that come strictly before on the same date. Shares are compared as exact
-- fractions (a/b > c/d <=> a*d > c*b); ties go to more datasets, then the name in code-point
-- order (collation "C", the same on every server). Bodies with only archived datasets have
-- no share and no rank.
ranks as (

    select
        body.snapshot_date,
        body.gov_body_name_ru,
        1 + count(better.gov_body_name_ru) as up_to_date_rank
    from body_counts as body
    left join body_counts as better
        on better.snapshot_date = body.snapshot_date
        and better.datasets > 0
        and (
            better.up_to_date * body.datasets > body.up_to_date * better.datasets
            or (
                better.up_to_date * body.datasets = body.up_to_date * better.datasets
                and (
                    better.datasets > body.datasets
                    or (
                        better.datasets = body.datasets
                        -- "C" is a collation, not a column
                        and better.gov_body_name_ru collate "C"  -- noqa: RF02
                        < body.gov_body_name_ru collate "C"  -- noqa: RF02
                    )
                )
            )
        )
    where body.datasets > 0
    group by body.snapshot_date, body.gov_body_name_ru

),

final as (

    select
        cast(body_counts.snapshot_date as date) as snapshot_date,
        cast(body_counts.gov_body_name_ru as text) as gov_body_name_ru,
        cast(body_counts.datasets as integer) as datasets,
        cast(body_counts.up_to_date as integer) as up_to_date,
        round(cast(body_counts.up_to_date as numeric) / nullif(body_counts.datasets, 0), 4)
            as up_to_date_share,
        cast(body_counts.archived as integer) as archived,
        cast(body_counts.state_unobserved as integer) as state_unobserved,
        cast(ranks.up_to_date_rank as integer) as up_to_date_rank,
        cast(body_counts.unknown_periodicity as integer) as unknown_periodicity,
        cast(body_counts.snapshot_kind as text) as snapshot_kind,
        coalesce(body_counts.is_current, false) as is_current
    from body_counts
    left join ranks
        on body_counts.snapshot_date = ranks.snapshot_date
        and body_counts.gov_body_name_ru = ranks.gov_body_name_ru

)

select * from final
