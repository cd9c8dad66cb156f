-- One row per blog of the latest registry: the latest landed version of its registry row. A
-- blog the registry stopped listing has an {"unlisted": true} observation as its latest (the
-- loader lands one) and drops out; its appeals stay, attributed to no body.

with

registry_rows as (

    select * from {{ source('dialog', 'blogs') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by blog_id
            order by observed_at desc, content_hash
        ) as observation_rank
    from registry_rows

),

renamed as (

    select
        blog_id,
        nullif(trim(payload ->> 'gov_body_code'), '') as gov_body_code,
        nullif(trim(payload ->> 'gov_body_name_ru'), '') as gov_body_name_ru,
        nullif(trim(payload ->> 'body_type'), '') as body_type,
        -- the registry writes an empty string for central bodies
        nullif(trim(payload ->> 'region_kato'), '') as region_kato,
        observed_at,
        load_id,
        source_file
    from latest
    where observation_rank = 1 and not (payload ? 'unlisted')

)

select * from renamed
