{#-
    The rows of `landed` (a raw complaints table: rows or topics) that
    stg_complaints__files_in_force puts in force for `report_kind`, with the period's year, month,
    kind and whether it counts in the year beside them.
-#}
{% macro complaints_rows_in_force(landed, report_kind) -%}
    select
        landed.*,
        files_in_force.period_year,
        files_in_force.period_month,
        files_in_force.period_kind,
        files_in_force.counts_in_year
    from {{ landed }} as landed
    inner join {{ ref('stg_complaints__files_in_force') }} as files_in_force
        on landed.period = files_in_force.period
        and landed.gov_body_code = files_in_force.gov_body_code
        and landed.file_hash = files_in_force.file_hash
    where files_in_force.report_kind = '{{ report_kind }}'
{%- endmacro %}
