-- One row per dataset of the open-data catalogue: its latest observation, typed and renamed.
-- The responsible employee's phone and e-mail (payload -> 'responsible') never leave raw.

with

observations as (

    select * from {{ source('opendata', 'datasets') }}

),

latest as (

    {{ latest_observation('observations', 'api_uri') }}

),

renamed as (

    select
        api_uri,
        {{ payload_text('nameRu') }} as name_ru,
        {{ payload_text('nameKk') }} as name_kk,
        {{ payload_text('descriptionRu') }} as description_ru,
        {{ payload_text('descriptionKk') }} as description_kk,
        {{ payload_text('owner', 'fullnameRu') }} as gov_body_name_ru,
        -- local time (Asia/Almaty); a value with an offset is converted to it
        {{ opendata_local_time("payload ->> 'createdDate'") }} as created_at,
        {{ opendata_local_time("payload ->> 'modifiedDate'") }} as modified_at,
        cast(payload ->> 'views' as bigint) as views,
        observed_at,
        load_id,
        source_url,
        content_hash
    from latest

)

select * from renamed
