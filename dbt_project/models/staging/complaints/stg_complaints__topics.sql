-- One row per period, state body and topic: the topic breakdown of the topic report that
-- arrived in the inbox last for that period and body, taken whole (a corrected breakdown may drop or rename
-- topics, so topics of an earlier file never mix in). Builds empty until the first load.

with

landed_topics as (

    select *
    from {{ source('complaints', 'topics') }} as landed

),

arrivals as (

    select
        file_hash,
        max(arrived_at) as arrived_at
    from {{ source('complaints', 'arrivals') }} as arrived
    group by file_hash

),

slices as (

    select distinct
        period,
        gov_body_code,
        file_hash,
        observed_at
    from landed_topics

),

latest_files as (

    select distinct on (slices.period, slices.gov_body_code)
        slices.period,
        slices.gov_body_code,
        slices.file_hash
    from slices
    left join arrivals on slices.file_hash = arrivals.file_hash
    -- as stg_complaints__report_rows: the file that arrived last is in force
    order by
        slices.period,
        slices.gov_body_code,
        coalesce(arrivals.arrived_at, slices.observed_at) desc,
        slices.file_hash

),

renamed as (

    select
        landed_topics.period,
        cast(left(landed_topics.period, 4) as integer) as period_year,
        cast(nullif(substr(landed_topics.period, 6, 2), '') as integer) as period_month,
        case when length(landed_topics.period) = 4 then 'year' else 'month' end as period_kind,
        landed_topics.gov_body_code,
        landed_topics.topic,
        cast(landed_topics.payload ->> 'justified_complaints' as integer) as justified_complaints,
        landed_topics.source_file,
        landed_topics.file_hash,
        landed_topics.observed_at,
        landed_topics.load_id
    from landed_topics
    inner join latest_files
        on landed_topics.period = latest_files.period
        and landed_topics.gov_body_code = latest_files.gov_body_code
        and landed_topics.file_hash = latest_files.file_hash

)

select * from renamed
