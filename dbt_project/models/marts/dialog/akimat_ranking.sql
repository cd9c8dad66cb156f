-- One row per region with an akimat blog that received appeals: how often its akimat answers
-- and how satisfied citizens are with the answers, ranked per CALIBRATION.md "Definitions".
-- A region whose akimat blogs have no appeal yet has nothing to rank and is left out.

with

blogs as (

    select * from {{ ref('stg_dialog__blogs') }}

),

appeals as (

    select * from {{ ref('int_appeals__enriched') }}

),

regions as (

    -- the current version of each region (dim_regions keeps the history)
    select * from {{ ref('dim_regions') }}
    where valid_to is null

),

akimat_blogs as (

    -- ministries and agencies have no region and never enter the ranking
    select
        blog_id,
        region_kato,
        gov_body_name_ru
    from blogs
    where body_type = 'akimat'
        and region_kato is not null

),

blog_counts as (

    select
        akimat_blogs.blog_id,
        akimat_blogs.region_kato,
        akimat_blogs.gov_body_name_ru,
        count(appeals.question_id) as appeals,
        count(*) filter (where appeals.status = 'answered') as answered,
        count(*) filter (
            where appeals.status = 'answered' and appeals.rating is not null
        ) as rated_answers,
        count(*) filter (
            where appeals.status = 'answered' and appeals.rating = 'negative'
        ) as unsatisfied
    from akimat_blogs
    left join appeals
        on akimat_blogs.blog_id = appeals.blog_id
    group by
        akimat_blogs.blog_id,
        akimat_blogs.region_kato,
        akimat_blogs.gov_body_name_ru

),

region_names as (

    -- a region with several akimat blogs is named after the one with most appeals
    select distinct on (region_kato)
        region_kato,
        gov_body_name_ru as akimat_name_ru
    from blog_counts
    order by region_kato, appeals desc, blog_id

),

region_counts as (

    select
        region_kato,
        cast(sum(appeals) as bigint) as appeals,
        cast(sum(answered) as bigint) as answered,
        cast(sum(rated_answers) as bigint) as rated_answers,
        cast(sum(unsatisfied) as bigint) as unsatisfied
    from blog_counts
    group by region_kato
    having sum(appeals) > 0

),

-- Ranks compare fractions by cross-multiplication (a/b > c/d <=> a*d > c*b), so equal rates
-- such as 14/40 and 7/20 tie exactly, whatever scale a numeric division would round to.
-- rank = 1 + number of regions that come strictly before; the tie rules make the order total.

answer_ranks as (

    select
        region.region_kato,
        1 + count(better.region_kato) as answer_rank
    from region_counts as region
    left join region_counts as better
        on (
            better.answered * region.appeals
                > region.answered * better.appeals
            or (
                better.answered * region.appeals
                    = region.answered * better.appeals
                and (
                    better.answered > region.answered
                    or (
                        better.answered = region.answered
                        and better.region_kato < region.region_kato
                    )
                )
            )
        )
    group by region.region_kato

),

satisfaction_ranks as (

    select
        region.region_kato,
        1 + count(better.region_kato) as satisfaction_rank
    from region_counts as region
    left join region_counts as better
        on better.rated_answers > 0
        and (
            better.unsatisfied * region.rated_answers
                < region.unsatisfied * better.rated_answers
            or (
                better.unsatisfied * region.rated_answers
                    = region.unsatisfied * better.rated_answers
                and (
                    better.rated_answers > region.rated_answers
                    or (
                        better.rated_answers = region.rated_answers
                        and better.region_kato < region.region_kato
                    )
                )
            )
        )
    where region.rated_answers > 0
    group by region.region_kato

),

final as (

    select
        cast(region_counts.region_kato as text) as region_kato,
        cast(region_names.akimat_name_ru as text) as akimat_name_ru,
        cast(regions.region_name_ru as text) as region_name_ru,
        cast(region_counts.appeals as integer) as appeals,
        cast(region_counts.answered as integer) as answered,
        round(region_counts.answered::numeric / region_counts.appeals, 6) as answer_rate,
        cast(answer_ranks.answer_rank as integer) as answer_rank,
        cast(region_counts.rated_answers as integer) as rated_answers,
        cast(region_counts.unsatisfied as integer) as unsatisfied,
        round(region_counts.unsatisfied::numeric / nullif(region_counts.rated_answers, 0), 6)
            as unsatisfied_share,
        cast(satisfaction_ranks.satisfaction_rank as integer) as satisfaction_rank
    from region_counts
    inner join region_names
        on region_counts.region_kato = region_names.region_kato
    inner join answer_ranks
        on region_counts.region_kato = answer_ranks.region_kato
    left join satisfaction_ranks
        on region_counts.region_kato = satisfaction_ranks.region_kato
    left join regions
        on region_counts.region_kato = regions.region_kato

)

select * from final
