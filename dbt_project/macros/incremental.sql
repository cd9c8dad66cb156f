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
    {%- if has_column(relation, column) -%}
        {%- set query -%}
            select coalesce(max({{ column }}), '-infinity')::text from {{ relation }}
        {%- endset -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
    {%- endif -%}
    {{- "cast('" ~ value ~ "' as timestamptz)" -}}
{%- endmacro %}

{#- Whether `relation` has `column` (false while not executing: parsing). -#}
{% macro has_column(relation, column) -%}
    {{- return(execute and column in adapter.get_columns_in_relation(relation) | map(attribute='name')) -}}
{%- endmacro %}

{#- When the relation's latest build ran. -#}
{% macro latest_refresh(relation) -%}
    {{- watermark(relation, 'refreshed_at') -}}
{%- endmacro %}

{#-
    dbt's own macro, overridden here: besides --full-refresh (or a model's full_refresh config),
    an incremental table whose unique key changed is rebuilt in full, once. Its rows are matched
    by the old key and lack what the new layout adds, so they cannot be brought up to date row
    by row (Open Dialogue's appeals were keyed on question_id, now on the registration number).
    is_incremental() is then false and the materialization swaps in a new table with the new
    indexes and constraints, exactly as under --full-refresh. A table's key is read from its
    unique indexes (a primary key is one): every incremental model keeps one on its unique_key,
    which also checks every insert.
-#}
{% macro should_full_refresh() %}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- do return(config_full_refresh or unique_key_changed(this)) -%}
{% endmacro %}

{#- True when `relation` is an incremental model's existing table without a unique index on
    exactly the model's unique_key columns. -#}
{% macro unique_key_changed(relation) %}
    {%- set unique_key = config.get('unique_key') -%}
    {%- if not execute or not unique_key or config.get('materialized') != 'incremental' -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set existing = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
    {%- if existing is none or existing.type != 'table' -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set key_columns = [unique_key] if unique_key is string else unique_key -%}
    {%- set query -%}
        select count(*)
        from pg_index as i
        inner join pg_class as t on t.oid = i.indrelid
        inner join pg_namespace as n on n.oid = t.relnamespace
        where n.nspname = '{{ existing.schema }}'
            and t.relname = '{{ existing.identifier }}'
            and i.indisunique
            and i.indpred is null
            and array(
                select a.attname::text from pg_attribute as a
                where a.attrelid = t.oid and a.attnum = any(i.indkey::int2[])
                order by a.attname
            ) = array[
                {%- for column in key_columns | sort %}'{{ column }}'{{ ", " if not loop.last }}{% endfor -%}
            ]::text[]
    {%- endset -%}
    {%- set changed = run_query(query).columns[0].values()[0] == 0 -%}
    {%- if changed -%}
        {%- do log(existing ~ " has no unique index on " ~ key_columns | join(", ")
            ~ " (its key changed): rebuilt in full", info=True) -%}
    {%- endif -%}
    {%- do return(changed) -%}
{% endmacro %}


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

{#-
    A post-hook of every model (dbt_project.yml): the indexes an incremental model's config
    names that its table lacks, created. dbt creates a model's indexes only with its table, so
    an index added to the config later would never reach a table that is only ever brought up
    to date (fct_appeals in marts and in marts_candidate, handed between them at publish). An
    index is matched by its columns, in order. Empty (no statement) for other models.
-#}
{% macro create_missing_indexes() %}
    {%- if not execute or config.get('materialized') != 'incremental' or not config.get('indexes') -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set query -%}
        select array_to_string(array(
            select a.attname from unnest(i.indkey::int2[]) with ordinality as k (attnum, position)
            inner join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
            order by k.position
        ), ',')
        from pg_index as i
        where i.indrelid = '{{ this.include(database=False) }}'::regclass
    {%- endset -%}
    {%- set existing = run_query(query).columns[0].values() -%}
    {%- set statements = [] -%}
    {%- for index in config.get('indexes') -%}
        {%- if index['columns'] | join(',') not in existing -%}
            {%- do statements.append(get_create_index_sql(this, index)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(statements | join(';\n')) -%}
{% endmacro %}

{#-
    The monthly aggregates of the appeals (int_appeals__counted_by_month and
    int_appeals__answer_days_by_month) rebuild the months of submission in which
    int_appeals__enriched refreshed an appeal since the aggregate's latest build.
    changed_months: SQL selecting those months (dates, the 1st).
    delete_changed_months: the pre-hook that deletes their rows before the build inserts them.
    in_changed_months: SQL condition: a date `column` lies in one of them; = any(array) of
    the days, so that the planner walks an index on the column.
-#}
{% macro changed_months() -%}
    select distinct cast(date_trunc('month', submitted_on) as date)
    from {{ ref('int_appeals__enriched') }}
    where refreshed_at > {{ latest_refresh(this) }}
{%- endmacro %}

{% macro delete_changed_months() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where month in ({{ changed_months() }})
    {%- endif -%}
{%- endmacro %}

{% macro in_changed_months(column) -%}
    {{ column }} = any(array(
        select cast(day as date)
        from ({{ changed_months() }}) as changed (month)
        cross join lateral generate_series(
            changed.month, changed.month + interval '1 month' - interval '1 day', interval '1 day'
        ) as day
    ))
{%- endmacro %}
