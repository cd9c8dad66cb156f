-- One row per period, state body and applicant type: the rows of the figures report in force
-- for that period and body (stg_complaints__files_in_force says which file that is, and
-- whether the period counts in the year), typed.

with

landed_rows as (

    {{ complaints_rows_in_force(source('complaints', 'rows'), 'figures') }}

),

renamed as (

    select
        period,
        period_year,
        period_month,
        period_kind,
        counts_in_year,
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
    from landed_rows

)

select * from renamed
