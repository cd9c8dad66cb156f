-- One row per dataset and modifiedDate ever observed in the catalogue: the history of
-- modifications the warehouse knows of (raw keeps every distinct observation).

with

observations as (

    select * from {{ source('opendata', 'datasets') }}

),

typed as (

    select
        api_uri,
        {{ opendata_local_time("payload ->> 'modifiedDate'") }} as modified_at,
        observed_at
    from observations
    where nullif(payload ->> 'modifiedDate', '') is not null

),

modifications as (

    -- the same moment written two ways (e.g. with and without +06:00) is one modification
    select
        api_uri,
        modified_at,
        min(observed_at) as first_observed_at
    from typed
    group by api_uri, modified_at

)

select * from modifications
