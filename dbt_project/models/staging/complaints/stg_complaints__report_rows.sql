-- One row per period, state body and applicant type: the rows of the figures report in force
-- for that period and body (stg_complaints__files_in_force says which file that is, and
-- whether the period counts in the year), typed.

with

landed_rows as (

    select *
    from {{ source('complaints', 'rows') }}

),

files_in_force as (

    select *
    from {{ ref('stg_complaints__files_in_force') }}
    where report_kind = 'figures'

),

renamed as (

    select
        landed_rows.period,
        files_in_force.period_year,
        files_in_force.period_month,
        files_in_force.period_kind,
        files_in_force.counts_in_year,
        landed_rows.gov_body_code,
        {{ payload_text('gov_body_name_ru') }} as gov_body_name_ru,
        landed_rows.payload ->> 'body_level' as body_level,
        {{ payload_text('region_kato') }} as region_kato,
        -- renamed: no column of the dbt layers may look like personal data (an applicant)
        landed_rows.applicant_type as complainant_type,
        {%- for column in complaints_count_columns() %}
        cast(landed_rows.payload ->> '{{ column }}' as integer) as {{ column }},
        {%- endfor %}
        landed_rows.source_file,
        landed_rows.file_hash,
        landed_rows.observed_at,
        landed_rows.load_id
    from landed_rows
    inner join files_in_force
        on landed_rows.period = files_in_force.period
        and landed_rows.gov_body_code = files_in_force.gov_body_code
        and landed_rows.file_hash = files_in_force.file_hash

)

select * from renamed
