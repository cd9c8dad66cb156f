-- One row per dataset version whose passport was read: its latest observation, typed.

with

observations as (

    select * from {{ source('opendata', 'passports') }}

),

latest as (

    {{ latest_observation('observations', ['api_uri', 'version']) }}

),

renamed as (

    select
        api_uri,
        version,
        -- "data" (the address registers' only version) ranks below v1 [assumed]
        coalesce(cast(substring(version from '^v([0-9]+)$') as integer), 0) as version_number,
        -- as seen: a value outside the known ones is kept and counted apart downstream
        {{ payload_text('periodicity') }} as periodicity,
        cast(payload ->> 'archived' as boolean) as archived,
        {{ opendata_local_time("payload ->> 'modifiedDate'") }} as modified_at,
        {{ payload_text('fullnameRu') }} as gov_body_name_ru,
        {{ payload_text('descriptionRu') }} as description_ru,
        cast(
            (
                select count(*)
                from jsonb_object_keys(coalesce(payload -> 'fields', cast('{}' as jsonb)))
            ) as integer
        ) as field_count,
        observed_at,
        load_id,
        source_url,
        content_hash
    from latest

)

select * from renamed
