-- One row per dataset and modifiedDate ever observed in the catalogue: the history of
-- modifications the warehouse knows of (raw keeps every distinct observation).

{%- set landed = (load_relation(source('opendata', 'datasets')) is not none) if execute else true %}

with

observations as (

    {% if landed -%}
    select * from {{ source('opendata', 'datasets') }}
    {%- else -%}
    select
        cast(null as uuid) as load_id,
        cast(null as timestamptz) as observed_at,
        cast(null as text) as source_url,
        cast(null as text) as content_hash,
        cast(null as text) as api_uri,
        cast(null as jsonb) as payload
    where false
    {%- endif %}

),

modifications as (

    select
        api_uri,
        cast(payload ->> 'modifiedDate' as timestamp) as modified_at,
        min(observed_at) as first_observed_at
    from observations
    where nullif(payload ->> 'modifiedDate', '') is not null
    group by api_uri, cast(payload ->> 'modifiedDate' as timestamp)

)

select * from modifications
