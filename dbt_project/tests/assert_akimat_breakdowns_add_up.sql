-- akimat_ranking_monthly and akimat_categories split akimat_ranking's appeals: per region,
-- their counts add up to its row; the monthly ranks run 1..n within each month. Returns the
-- offending regions or months.

with

ranking as (

    select * from {{ ref('akimat_ranking') }}

),

monthly as (

    select * from {{ ref('akimat_ranking_monthly') }}

),

categories as (

    select * from {{ ref('akimat_categories') }}

),

breakdowns as (

    select 'monthly' as breakdown, region_kato, appeals, answered, rated_answers, unsatisfied
    from monthly
    union all
    select 'categories', region_kato, appeals, answered, rated_answers, unsatisfied
    from categories

),

sums as (

    select
        breakdown,
        region_kato,
        sum(appeals) as appeals,
        sum(answered) as answered,
        sum(rated_answers) as rated_answers,
        sum(unsatisfied) as unsatisfied
    from breakdowns
    group by breakdown, region_kato

),

kinds as (

    select breakdown from (values ('monthly'), ('categories')) as k (breakdown)

),

mismatched as (

    select
        kinds.breakdown || ' ' || ranking.region_kato as offender,
        'counts do not add up to akimat_ranking' as problem
    from ranking
    cross join kinds
    left join sums
        on ranking.region_kato = sums.region_kato
        and kinds.breakdown = sums.breakdown
    where (sums.appeals, sums.answered, sums.rated_answers, sums.unsatisfied)
        is distinct from (ranking.appeals, ranking.answered, ranking.rated_answers, ranking.unsatisfied)

),

month_ranks as (

    select
        month,
        count(*) as regions,
        count(distinct answer_rank) as answer_ranks,
        max(answer_rank) as max_answer_rank,
        count(satisfaction_rank) as rated_regions,
        count(distinct satisfaction_rank) as satisfaction_ranks,
        max(satisfaction_rank) as max_satisfaction_rank
    from monthly
    group by month

),

gapped_months as (

    select
        cast(month as text) as offender,
        'monthly ranks are not 1..n' as problem
    from month_ranks
    where answer_ranks <> regions
        or max_answer_rank <> regions
        or satisfaction_ranks <> rated_regions
        or coalesce(max_satisfaction_rank, 0) <> rated_regions

)

select * from mismatched
union all
select * from gapped_months
