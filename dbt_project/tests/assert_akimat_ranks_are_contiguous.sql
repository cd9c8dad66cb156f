-- Both ranks of akimat_ranking run 1..n without gaps or duplicates, n being the number of
-- regions that can be ranked (appeals > 0, resp. rated answers > 0). Returns offending ranks.

with

ranking as (

    select * from {{ ref('akimat_ranking') }}

),

rankable as (

    select
        count(*) filter (where appeals > 0) as by_answers,
        count(*) filter (where rated_answers > 0) as by_satisfaction
    from ranking

),

expected as (

    select 'answer' as rank_kind, generate_series(1, by_answers::integer) as rank_value
    from rankable
    union all
    select 'satisfaction' as rank_kind, generate_series(1, by_satisfaction::integer) as rank_value
    from rankable

),

actual as (

    select 'answer' as rank_kind, answer_rank as rank_value
    from ranking
    where answer_rank is not null
    union all
    select 'satisfaction' as rank_kind, satisfaction_rank as rank_value
    from ranking
    where satisfaction_rank is not null

),

missing_or_extra as (

    (select * from expected except all select * from actual)
    union all
    (select * from actual except all select * from expected)

)

select * from missing_or_extra
