{#-
    A source whose raw table may not exist yet. Ingestion creates a source's raw tables on its
    first load, but the warehouse must build (and its marts validate and publish) before every
    source has landed something: this renders the source table when it exists, and otherwise an
    empty relation with the given columns (name → SQL type, as in the ingestion DDL), so the
    models downstream build empty. dbt still records the source in the lineage.

        select * from {{ source_if_landed('complaints', 'rows', {'period': 'text', ...}) }} as r
-#}
{% macro source_if_landed(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set landed = true -%}
    {%- if execute -%}
        {%- set landed = adapter.get_relation(
            database=relation.database,
            schema=relation.schema,
            identifier=relation.identifier,
        ) is not none -%}
    {%- endif -%}
    {%- if landed -%}
        {{ relation }}
    {%- else -%}
        (
            select
            {%- for name, data_type in columns.items() %}
                cast(null as {{ data_type }}) as {{ adapter.quote(name) }}
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
            where false
        )
    {%- endif -%}
{%- endmacro %}
