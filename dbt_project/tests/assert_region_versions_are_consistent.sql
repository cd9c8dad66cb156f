-- dim_regions' history holds together: the versions of a KATO code never overlap; every ended
-- version names successors, each of which starts a version on its end date; every code of
-- current_katos is a current region. Returns the offending versions, with the problem.

with

regions as (

    select * from {{ ref('dim_regions') }}

),

overlapping as (

    select
        earlier.region_kato,
        earlier.valid_from,
        'overlaps the version from ' || later.valid_from as problem
    from regions as earlier
    inner join regions as later
        on earlier.region_kato = later.region_kato
        and earlier.valid_from < later.valid_from
        and (earlier.valid_to is null or earlier.valid_to > later.valid_from)

),

successor_codes as (

    select
        regions.region_kato,
        regions.valid_from,
        regions.valid_to,
        listed.kato
    from regions
    cross join lateral regexp_split_to_table(regions.successor_katos, ',') as listed (kato)

),

dangling_successors as (

    select
        successor_codes.region_kato,
        successor_codes.valid_from,
        'successor ' || successor_codes.kato || ' has no version from ' || successor_codes.valid_to
            as problem
    from successor_codes
    left join regions as successor
        on successor_codes.kato = successor.region_kato
        and successor_codes.valid_to = successor.valid_from
    where successor.region_kato is null

),

ended_without_successor as (

    select
        region_kato,
        valid_from,
        'ended without successors' as problem
    from regions
    where valid_to is not null and successor_katos is null

),

current_codes as (

    select
        regions.region_kato,
        regions.valid_from,
        listed.kato
    from regions
    cross join lateral regexp_split_to_table(regions.current_katos, ',') as listed (kato)

),

not_current as (

    select
        current_codes.region_kato,
        current_codes.valid_from,
        'current_katos names ' || current_codes.kato || ', not a current region' as problem
    from current_codes
    left join regions as today
        on current_codes.kato = today.region_kato
        and today.is_current
    where today.region_kato is null

)

select * from overlapping
union all
select * from dangling_successors
union all
select * from ended_without_successor
union all
select * from not_current
