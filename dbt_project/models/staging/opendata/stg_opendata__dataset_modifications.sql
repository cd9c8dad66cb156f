-- One row per dataset and modifiedDate ever observed in the catalogue: the history of
-- modifications the warehouse knows of (raw keeps every distinct observation).

with

observations as (

    select * from {{ source('opendata', 'datasets') }}

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
