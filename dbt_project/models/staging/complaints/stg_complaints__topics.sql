-- One row per period, state body and topic: the topic breakdown of the topic report in force
-- for that period and body (stg_complaints__files_in_force), taken whole (a corrected
-- breakdown may drop or rename topics, so topics of an earlier file never mix in). Builds
-- empty until the first load.

with

landed_topics as (

    {{ complaints_rows_in_force(source('complaints', 'topics'), 'topics') }}

),

renamed as (

    select
        period,
        period_year,
        period_month,
        period_kind,
        counts_in_year,
        gov_body_code,
        topic,
        cast(payload ->> 'justified_complaints' as integer) as justified_complaints,
        source_file,
        file_hash,
        observed_at,
        load_id
    from landed_topics

)

select * from renamed
