-- One row per report kind, period and state body: the report file in force, the one place the
-- complaints' rule is written (ingestion/complaints/load.py, _IN_FORCE, applies it at landing
-- to say what a file replaces). The file that arrived in the inbox last is in force, its rows
-- taken whole: a correction replaces an earlier file's figures (and a row it lacks no longer
-- counts), and dropping the earlier file again puts it back in force. Raw keeps every file.
-- Then, per kind, year and body, a yearly report is authoritative: its monthly periods do not
-- count in the year (they are typically preliminary or partial).

with

arrivals as (

    select
        file_hash,
        max(arrived_at) as arrived_at
    from {{ source('complaints', 'arrivals') }}
    group by file_hash

),

slices as (

    select distinct
        'figures' as report_kind,
        period,
        gov_body_code,
        file_hash,
        observed_at
    from {{ source('complaints', 'rows') }}

    union all

    select distinct
        'topics' as report_kind,
        period,
        gov_body_code,
        file_hash,
        observed_at
    from {{ source('complaints', 'topics') }}

),

files_in_force as (

    select distinct on (slices.report_kind, slices.period, slices.gov_body_code)
        slices.report_kind,
        slices.period,
        slices.gov_body_code,
        slices.file_hash
    from slices
    left join arrivals on slices.file_hash = arrivals.file_hash
    -- a file landed before arrivals were recorded arrived when it landed; ties go by hash
    order by
        slices.report_kind,
        slices.period,
        slices.gov_body_code,
        coalesce(arrivals.arrived_at, slices.observed_at) desc,
        slices.file_hash

),

periods as (

    select
        report_kind,
        period,
        cast(left(period, 4) as integer) as period_year,
        cast(nullif(substr(period, 6, 2), '') as integer) as period_month,
        case when length(period) = 4 then 'year' else 'month' end as period_kind,
        gov_body_code,
        file_hash
    from files_in_force

),

final as (

    select
        *,
        period_kind = 'year'
        or not bool_or(period_kind = 'year') over (
            partition by report_kind, period_year, gov_body_code
        ) as counts_in_year
    from periods

)

select * from final
