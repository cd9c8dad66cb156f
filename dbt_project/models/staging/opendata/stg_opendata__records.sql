-- One row per record of a watched dataset version: its latest observation. The payload stays
-- JSONB: each dataset has fields of its own (see its passport).

with

observations as (

    select * from {{ source('opendata', 'records') }}

),

latest as (

    {{ latest_observation('observations', ['api_uri', 'version', 'record_key']) }}

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
