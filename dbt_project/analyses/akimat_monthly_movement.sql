-- How each akimat moved in the latest month it was ranked: rank and change against the month
-- before (positive = up).
with latest as (
    select max(month) as month
    from {{ ref('akimat_ranking_monthly') }}
    where answer_rank_change is not null
)
select
    monthly.month,
    monthly.akimat_name_ru,
    monthly.appeals,
    monthly.answer_rate,
    monthly.answer_rank,
    monthly.answer_rank_change,
    monthly.satisfaction_rank,
    monthly.satisfaction_rank_change
from {{ ref('akimat_ranking_monthly') }} as monthly
inner join latest
    on monthly.month = latest.month
order by monthly.answer_rank
