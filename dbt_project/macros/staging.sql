{#-
    What every staging model of a raw table does first: take the latest observation of each key,
    and read the payload's text fields.
-#}

{#-
    The latest observation of each `key` (a column or a list of columns) of `relation` (a
    source, or a CTE that filters one): by observed_at, content_hash breaking ties between
    observations landed at the same instant, as raw's loader compares a new observation with
    the latest (ingestion/common/raw.py). One row per key, all of its columns.
-#}
{% macro latest_observation(relation, key) -%}
    {%- set key_columns = [key] if key is string else key -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by observed_at desc, content_hash
            ) as observation_rank
        from {{ relation }}
    ) as ranked
    where observation_rank = 1
{%- endmacro %}

{#-
    A text field of the payload (nested: several keys, outermost first), trimmed; an empty or
    blank one is null.
-#}
{% macro payload_text() -%}
    nullif(trim(payload{% for key in varargs[:-1] %} -> '{{ key }}'{% endfor %} ->> '{{ varargs[-1] }}'), '')
{%- endmacro %}
