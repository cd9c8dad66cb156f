-- One row per period, state body and applicant type: per period and body, the rows of the
-- report file that arrived in the inbox last, taken whole (ingestion/complaints/load.py,
-- _IN_FORCE, says the same). A correction thus replaces an earlier file's figures, and an
-- applicant type it lacks no longer counts; dropping the earlier file again puts it back in
-- force. Raw keeps every file.

with

landed_rows as (

    select *
    from {{ source('complaints', 'rows') }}

),

{{ complaints_files_in_force('landed_rows') }},

latest as (

    select landed_rows.*
    from landed_rows
    inner join files_in_force
        on landed_rows.period = files_in_force.period
        and landed_rows.gov_body_code = files_in_force.gov_body_code
        and landed_rows.file_hash = files_in_force.file_hash

),

renamed as (

    select
        period,
        cast(left(period, 4) as integer) as period_year,
        cast(nullif(substr(period, 6, 2), '') as integer) as period_month,
        case when length(period) = 4 then 'year' else 'month' end as period_kind,
        gov_body_code,
        {{ payload_text('gov_body_name_ru') }} as gov_body_name_ru,
        payload ->> 'body_level' as body_level,
        {{ payload_text('region_kato') }} as region_kato,
        -- renamed: no column of the dbt layers may look like personal data (an applicant)
        applicant_type as complainant_type,
        {%- for column in complaints_count_columns() %}
        cast(payload ->> '{{ column }}' as integer) as {{ column }},
        {%- endfor %}
        source_file,
        file_hash,
        observed_at,
        load_id
    from latest

)

select * from renamed
