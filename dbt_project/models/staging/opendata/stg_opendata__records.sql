-- One row per record of a watched dataset version: its latest observation. The payload stays
-- JSONB: each dataset has fields of its own (see its passport).

{%- set landed = (load_relation(source('opendata', 'records')) is not none) if execute else true %}

with

observations as (

    {% if landed -%}
    select * from {{ source('opendata', 'records') }}
    {%- else -%}
    select
        cast(null as uuid) as load_id,
        cast(null as timestamptz) as observed_at,
        cast(null as text) as source_url,
        cast(null as text) as content_hash,
        cast(null as text) as api_uri,
        cast(null as text) as version,
        cast(null as text) as record_key,
        cast(null as jsonb) as payload
    where false
    {%- endif %}

),

latest as (

    select
        *,
        row_number() over (
            partition by api_uri, version, record_key
            order by observed_at desc, content_hash
        ) as observation_rank
    from observations

)

select
    api_uri,
    version,
    record_key,
    payload,
    observed_at,
    load_id,
    source_url,
    content_hash
from latest
where observation_rank = 1
