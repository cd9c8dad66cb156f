-- One row per period, state body and topic: the topic breakdown of the topic report in force
-- for that period and body (stg_complaints__files_in_force), taken whole (a corrected
-- breakdown may drop or rename topics, so topics of an earlier file never mix in). Builds
-- empty until the first load.

with

landed_topics as (

    select *
    from {{ source('complaints', 'topics') }}

),

files_in_force as (

    select *
    from {{ ref('stg_complaints__files_in_force') }}
    where report_kind = 'topics'

),

renamed as (

    select
        landed_topics.period,
        files_in_force.period_year,
        files_in_force.period_month,
        files_in_force.period_kind,
        files_in_force.counts_in_year,
        landed_topics.gov_body_code,
        landed_topics.topic,
        cast(landed_topics.payload ->> 'justified_complaints' as integer) as justified_complaints,
        landed_topics.source_file,
        landed_topics.file_hash,
        landed_topics.observed_at,
        landed_topics.load_id
    from landed_topics
    inner join files_in_force
        on landed_topics.period = files_in_force.period
        and landed_topics.gov_body_code = files_in_force.gov_body_code
        and landed_topics.file_hash = files_in_force.file_hash

)

select * from renamed
