-- One row per dataset whose mapping was read: its published versions (v1, v2, …) at the latest
-- observation; the largest number is the latest version.

with

observations as (

    select * from {{ source('opendata', 'mappings') }}

),

latest as (

    {{ latest_observation('observations', 'api_uri') }}

),

versions as (

    select
        latest.api_uri,
        published.version,
        -- "data" (the address registers' only version) ranks below v1 [assumed]
        coalesce(cast(substring(published.version from '^v([0-9]+)$') as integer), 0)
            as version_number,
        latest.observed_at,
        latest.load_id,
        latest.source_url
    from latest
    cross join lateral jsonb_object_keys(latest.payload -> 'mappings') as published (version)
    where published.version ~ '^(v[0-9]+|data)$'

),

per_dataset as (

    -- every version of a dataset comes from the same (latest) observation
    select
        api_uri,
        array_agg(version order by version_number) as versions,
        (array_agg(version order by version_number desc))[1] as latest_version,
        cast(count(*) as integer) as version_count,
        observed_at,
        load_id,
        source_url
    from versions
    group by api_uri, observed_at, load_id, source_url

)

select * from per_dataset
