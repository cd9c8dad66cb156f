-- One row per month and region whose akimat blogs received appeals submitted that month: the
-- figures and ranks of akimat_ranking per calendar month, and each akimat's movement against
-- the month before. The month's counts of a region add up to its akimat_ranking row.

with

counts as (

    -- the appeals counted per month, blog and topic
    select * from {{ ref('int_appeals__counted_by_month') }}

),

ranking as (

    select * from {{ ref('akimat_ranking') }}

),

month_counts as (

    -- the same appeals as akimat_ranking: akimat blogs with a region
    select
        month,
        region_kato,
        {{ appeal_counts('counts') }}
    from counts
    where body_type = 'akimat'
        and region_kato is not null
    group by month, region_kato

),

answer_ranks as (

    {{ fraction_rank(
        'month_counts', key='region_kato', numerator='answered', denominator='appeals',
        tie_column='answered', better='higher', rank_column='answer_rank',
        partition_by=['month']
    ) }}

),

satisfaction_ranks as (

    {{ fraction_rank(
        'month_counts', key='region_kato', numerator='unsatisfied',
        denominator='rated_answers', tie_column='rated_answers', better='lower',
        rank_column='satisfaction_rank', partition_by=['month']
    ) }}

),

ranked as (

    select
        month_counts.*,
        answer_ranks.answer_rank,
        satisfaction_ranks.satisfaction_rank
    from month_counts
    inner join answer_ranks
        on month_counts.month = answer_ranks.month
        and month_counts.region_kato = answer_ranks.region_kato
    left join satisfaction_ranks
        on month_counts.month = satisfaction_ranks.month
        and month_counts.region_kato = satisfaction_ranks.region_kato

),

final as (

    select
        ranked.month,
        cast(ranked.region_kato as text) as region_kato,
        ranking.akimat_name_ru,
        ranking.region_name_ru,
        cast(ranked.appeals as integer) as appeals,
        cast(ranked.answered as integer) as answered,
        round(cast(ranked.answered as numeric) / ranked.appeals, 6) as answer_rate,
        {{ wilson_interval('ranked.answered', 'ranked.appeals', 'low') }} as answer_rate_ci_low,
        {{ wilson_interval('ranked.answered', 'ranked.appeals', 'high') }} as answer_rate_ci_high,
        cast(ranked.answer_rank as integer) as answer_rank,
        cast(ranked.rated_answers as integer) as rated_answers,
        cast(ranked.unsatisfied as integer) as unsatisfied,
        round(cast(ranked.unsatisfied as numeric) / nullif(ranked.rated_answers, 0), 6)
            as unsatisfied_share,
        {{ wilson_interval('ranked.unsatisfied', 'ranked.rated_answers', 'low') }}
            as unsatisfied_share_ci_low,
        {{ wilson_interval('ranked.unsatisfied', 'ranked.rated_answers', 'high') }}
            as unsatisfied_share_ci_high,
        cast(ranked.satisfaction_rank as integer) as satisfaction_rank,
        cast({{ satisfaction_basis('ranked.rated_answers') }} as text) as satisfaction_basis,
        -- positive: moved up since the month before
        cast(previous_month.answer_rank - ranked.answer_rank as integer) as answer_rank_change,
        cast(previous_month.satisfaction_rank - ranked.satisfaction_rank as integer)
            as satisfaction_rank_change
    from ranked
    inner join ranking
        on ranked.region_kato = ranking.region_kato
    left join ranked as previous_month
        on ranked.region_kato = previous_month.region_kato
        and ranked.month = cast(previous_month.month + interval '1 month' as date)

)

select * from final
