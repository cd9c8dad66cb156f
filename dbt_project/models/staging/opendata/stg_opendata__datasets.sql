-- One row per dataset of the open-data catalogue: its latest observation, typed and renamed.
-- The responsible employee's phone and e-mail (payload -> 'responsible') never leave raw.

{#- Until the first open-data load, raw.opendata_datasets does not exist: an empty relation
    of the same shape stands in, so that the whole project builds with any subset of sources. -#}
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

latest as (

    select
        *,
        row_number() over (
            partition by api_uri
            -- content_hash breaks ties between observations landed at the same instant
            order by observed_at desc, content_hash
        ) as observation_rank
    from observations

),

renamed as (

    select
        api_uri,
        nullif(trim(payload ->> 'nameRu'), '') as name_ru,
        nullif(trim(payload ->> 'nameKk'), '') as name_kk,
        nullif(trim(payload ->> 'descriptionRu'), '') as description_ru,
        nullif(trim(payload ->> 'descriptionKk'), '') as description_kk,
        nullif(trim(payload -> 'owner' ->> 'fullnameRu'), '') as gov_body_name_ru,
        -- local time (Asia/Almaty) as the portal writes it; an offset, if any, is ignored
        cast(nullif(payload ->> 'createdDate', '') as timestamp) as created_at,
        cast(nullif(payload ->> 'modifiedDate', '') as timestamp) as modified_at,
        cast(payload ->> 'views' as bigint) as views,
        observed_at,
        load_id,
        source_url,
        content_hash
    from latest
    where observation_rank = 1

)

select * from renamed
