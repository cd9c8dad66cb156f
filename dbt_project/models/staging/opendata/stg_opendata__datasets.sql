-- One row per dataset of the open-data catalogue: its latest observation, typed and renamed.
-- The responsible employee's phone and e-mail (payload -> 'responsible') never leave raw.

with

observations as (

    select * from {{ source('opendata', 'datasets') }}

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
        -- local time (Asia/Almaty); a value with an offset is converted to it
        {{ opendata_local_time("payload ->> 'createdDate'") }} as created_at,
        {{ opendata_local_time("payload ->> 'modifiedDate'") }} as modified_at,
        cast(payload ->> 'views' as bigint) as views,
        observed_at,
        load_id,
        source_url,
        content_hash
    from latest
    where observation_rank = 1

)

select * from renamed
