-- One row per version of a region (first-level administrative division): its KATO code, its
-- name and borders from valid_from until valid_to (exclusive; null: still valid), and where its
-- territory went. A version ends when the region is renamed, split or abolished; the seed
-- `regions` names each ended version's direct successors, and this model follows them to the
-- regions of today (`current_katos`), so that figures of any year can be compared with today's.

with recursive

regions as (

    select * from {{ ref('regions') }}

),

versions as (

    select
        cast(region_kato as text) as region_kato,
        cast(region_name_ru as text) as region_name_ru,
        cast(region_type as text) as region_type,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        -- the seed lists direct successors separated by spaces, e.g. "61 79"
        nullif(trim(cast(successor_katos as text)), '') as successor_list
    from regions

),

successions as (

    -- an ended version → each version that takes over its territory on its end date
    select
        ended.region_kato,
        ended.valid_from,
        successor.region_kato as successor_kato,
        successor.valid_from as successor_valid_from,
        successor.valid_to as successor_valid_to
    from versions as ended
    cross join lateral regexp_split_to_table(ended.successor_list, ' +') as listed (kato)
    inner join versions as successor
        on listed.kato = successor.region_kato
        and ended.valid_to = successor.valid_from

),

coverage (region_kato, valid_from, covered_kato, covered_valid_from, covered_valid_to) as (

    -- every later version a version's territory went to, itself included
    select
        region_kato,
        valid_from,
        region_kato as covered_kato,
        valid_from as covered_valid_from,
        valid_to as covered_valid_to
    from versions
    union all
    select
        coverage.region_kato,
        coverage.valid_from,
        successions.successor_kato,
        successions.successor_valid_from,
        successions.successor_valid_to
    from coverage
    inner join successions
        on coverage.covered_kato = successions.region_kato
        and coverage.covered_valid_from = successions.valid_from

),

current_coverage as (

    select
        region_kato,
        valid_from,
        string_agg(distinct covered_kato, ',' order by covered_kato) as current_katos
    from coverage
    where covered_valid_to is null
    group by region_kato, valid_from

),

final as (

    select
        versions.region_kato,
        versions.region_name_ru,
        versions.region_type,
        versions.valid_from,
        versions.valid_to,
        versions.valid_to is null as is_current,
        replace(versions.successor_list, ' ', ',') as successor_katos,
        cast(current_coverage.current_katos as text) as current_katos
    from versions
    left join current_coverage
        on versions.region_kato = current_coverage.region_kato
        and versions.valid_from = current_coverage.valid_from

)

select * from final
order by region_kato, valid_from
