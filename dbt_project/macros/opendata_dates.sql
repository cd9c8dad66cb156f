{#-
    A date of the open-data portal as local time (Asia/Almaty, timestamp without time zone).
    The portal writes ISO local times, ISO times with an offset and "2016-03-29+06:00" (a date
    with an offset) [docs/sources.md section 2]. An offset-free value is local already; one with an
    offset is converted to Almaty time (a plain cast would drop the offset, right only for
    +06:00). Empty text is null.
-#}
{% macro opendata_local_time(text_expression) -%}
    case
        when nullif({{ text_expression }}, '') is null then null
        when {{ text_expression }}
            ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?(Z|[+-][0-9]{2}:?[0-9]{2})$'
            then cast(
                cast(
                    -- "2016-03-29+06:00" is not an input timestamptz reads: midnight is spelt out
                    regexp_replace(
                        {{ text_expression }},
                        '^([0-9]{4}-[0-9]{2}-[0-9]{2})(Z|[+-])',
                        '\1T00:00:00\2'
                    ) as timestamptz
                ) at time zone 'Asia/Almaty' as timestamp
            )
        else cast({{ text_expression }} as timestamp)
    end
{%- endmacro %}
