{#-
    Incremental models: the Open Dialogue appeals (staging, intermediate, fct_appeals) are
    rebuilt row by row, only where something changed. Each carries `refreshed_at`, the moment
    its latest build wrote the row (the transaction's clock, so every row of one build has
    the same value); a downstream model takes the rows refreshed after its own latest build.
-#}

{#- The column every incremental model carries. -#}
{% macro refreshed_at() -%}
    current_timestamp as refreshed_at
{%- endmacro %}

{#-
    The latest `column` (a timestamp) of `relation`, as a literal: -infinity when it holds no
    row, or lacks the column (built before it carried it: everything counts as changed). A
    literal, not a subquery, so that the planner sees how few rows lie beyond it and walks the
    index instead of scanning millions of rows.
-#}
{% macro watermark(relation, column) -%}
    {%- set value = '-infinity' -%}
    {%- if execute and column in adapter.get_columns_in_relation(relation) | map(attribute='name') -%}
        {%- set query -%}
            select coalesce(max({{ column }}), '-infinity')::text from {{ relation }}
        {%- endset -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
    {%- endif -%}
    {{- "cast('" ~ value ~ "' as timestamptz)" -}}
{%- endmacro %}

{#- When the relation's latest build ran. -#}
{% macro latest_refresh(relation) -%}
    {{- watermark(relation, 'refreshed_at') -}}
{%- endmacro %}

{#-
    Generic tests wrap the tested model in this macro (dbt's own, overridden here). On an
    incremental model a test checks the rows its latest build wrote: all of them after a full
    build, a day's worth after an incremental one, instead of the whole history every time.
    The history's keys stay guarded by the unique indexes, which check every insert. A test's
    own `where` config still applies on top.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node -%}
    {%- if tested and tested.config.materialized == 'incremental' -%}
        {%- do conditions.append('refreshed_at = ' ~ latest_refresh(relation)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
