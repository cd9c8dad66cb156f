-- One row per blog of the latest registry: the latest landed version of its registry row. A
-- blog the registry stopped listing has an {"unlisted": true} observation as its latest (the
-- loader lands one) and drops out; its appeals stay, attributed to no body.

with

registry_rows as (

    select * from {{ source('dialog', 'blogs') }}

),

latest as (

    {{ latest_observation('registry_rows', 'blog_id') }}

),

renamed as (

    select
        blog_id,
        {{ payload_text('gov_body_code') }} as gov_body_code,
        {{ payload_text('gov_body_name_ru') }} as gov_body_name_ru,
        {{ payload_text('body_type') }} as body_type,
        -- the registry writes an empty string for central bodies
        {{ payload_text('region_kato') }} as region_kato,
        observed_at,
        load_id,
        source_file
    from latest
    where not (payload ? 'unlisted')

)

select * from renamed
