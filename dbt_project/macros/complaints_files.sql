{#-
    CTEs `arrivals`, `slices` and `files_in_force`: per period and state body, the report file
    that arrived in the inbox last (raw.complaints_arrivals), whose rows are then taken whole:
    a correction replaces an earlier file's figures, and dropping the earlier file again puts
    it back in force. `landed` is a CTE of raw rows with period, gov_body_code, file_hash and
    observed_at. ingestion/complaints/load.py (_IN_FORCE) applies the same rule at landing.
-#}
{% macro complaints_files_in_force(landed) -%}
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
    from {{ landed }}

),

files_in_force as (

    select distinct on (slices.period, slices.gov_body_code)
        slices.period,
        slices.gov_body_code,
        slices.file_hash
    from slices
    left join arrivals on slices.file_hash = arrivals.file_hash
    -- a file landed before arrivals were recorded arrived when it landed; ties go by hash
    order by
        slices.period,
        slices.gov_body_code,
        coalesce(arrivals.arrived_at, slices.observed_at) desc,
        slices.file_hash

)
{%- endmacro %}
