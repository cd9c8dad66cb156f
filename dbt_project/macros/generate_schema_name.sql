{#-
    Use custom schemas as they are (staging, intermediate, marts_candidate) instead of dbt's
    default "<target_schema>_<custom>": the warehouse has one fixed schema per layer.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
