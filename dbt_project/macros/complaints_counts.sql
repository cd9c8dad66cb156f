{#-
    The counts of a complaint-statistics report row (ingestion/complaints/columns.py reads them
    from the files), in the order the reports give them: written once for staging's casts and
    the sums of the intermediate model and the national mart.
-#}
{% macro complaints_count_columns() -%}
    {{- return([
        'received', 'reviewed', 'deadline_violations', 'explained',
        'overturned_by_higher_body', 'overturned_by_court', 'justified_complaints',
    ]) -}}
{%- endmacro %}

{#- `sum(x) as x` for each count, one per line. -#}
{% macro sum_complaints_counts() -%}
    {%- for column in complaints_count_columns() %}
        sum({{ column }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
