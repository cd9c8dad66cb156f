-- One row per region and topic (the category the applicant chose): the appeals its akimat
-- received on that topic, how many it answered and how satisfied citizens were. A region's
-- rows add up to its akimat_ranking row.

with

counts as (

    -- the appeals counted per month, blog and topic
    select * from {{ ref('int_appeals__counted_by_month') }}

),

ranking as (

    select * from {{ ref('akimat_ranking') }}

),

category_counts as (

    -- the same appeals as akimat_ranking: akimat blogs with a region
    select
        region_kato,
        category,
        {{ appeal_counts('counts') }}
    from counts
    where body_type = 'akimat'
        and region_kato is not null
    -- counts.category is '(none)' for appeals without one
    group by region_kato, category

),

final as (

    select
        cast(category_counts.region_kato as text) as region_kato,
        ranking.akimat_name_ru,
        cast(category_counts.category as text) as category,
        cast(category_counts.appeals as integer) as appeals,
        cast(category_counts.answered as integer) as answered,
        round(cast(category_counts.answered as numeric) / category_counts.appeals, 6)
            as answer_rate,
        {{ wilson_interval('category_counts.answered', 'category_counts.appeals', 'low') }}
            as answer_rate_ci_low,
        {{ wilson_interval('category_counts.answered', 'category_counts.appeals', 'high') }}
            as answer_rate_ci_high,
        cast(category_counts.rated_answers as integer) as rated_answers,
        cast(category_counts.unsatisfied as integer) as unsatisfied,
        round(
            cast(category_counts.unsatisfied as numeric)
            / nullif(category_counts.rated_answers, 0),
            6
        ) as unsatisfied_share,
        {{ wilson_interval('category_counts.unsatisfied', 'category_counts.rated_answers', 'low') }}
            as unsatisfied_share_ci_low,
        {{
            wilson_interval('category_counts.unsatisfied', 'category_counts.rated_answers', 'high')
        }}
            as unsatisfied_share_ci_high,
        cast({{ satisfaction_basis('category_counts.rated_answers') }} as text)
            as satisfaction_basis
    from category_counts
    inner join ranking
        on category_counts.region_kato = ranking.region_kato

)

select * from final
