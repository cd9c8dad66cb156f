-- One row per region (current first-level administrative division).

with

regions as (

    select * from {{ ref('regions') }}

),

final as (

    select
        cast(region_kato as text) as region_kato,
        cast(region_name_ru as text) as region_name_ru,
        cast(region_type as text) as region_type
    from regions

)

select * from final
