-- One row per state body: the bodies of the landed blog registry, plus the reference bodies
-- of the seed that the registry does not (yet) carry. Registry values win.

with

registry_blogs as (

    select * from {{ ref('stg_dialog__blogs') }}

),

reference_bodies as (

    select * from {{ ref('gov_bodies') }}

),

registry_bodies as (

    -- a body may own several blogs: its most recently landed registry row speaks for it
    select distinct on (gov_body_code)
        gov_body_code,
        gov_body_name_ru,
        body_type,
        region_kato
    from registry_blogs
    where gov_body_code is not null
    order by gov_body_code, observed_at desc, blog_id

),

reference_only_bodies as (

    select
        reference_bodies.gov_body_code,
        reference_bodies.gov_body_name_ru,
        reference_bodies.body_type,
        reference_bodies.region_kato
    from reference_bodies
    left join registry_bodies
        on reference_bodies.gov_body_code = registry_bodies.gov_body_code
    where registry_bodies.gov_body_code is null

),

unioned as (

    select * from registry_bodies
    union all
    select * from reference_only_bodies

),

final as (

    select
        cast(gov_body_code as text) as gov_body_code,
        cast(gov_body_name_ru as text) as gov_body_name_ru,
        cast(body_type as text) as body_type,
        cast(region_kato as text) as region_kato
    from unioned

)

select * from final
