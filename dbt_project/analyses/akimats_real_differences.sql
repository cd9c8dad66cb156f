-- Which akimats really differ on answers? The ranking with its 95% intervals and bands: two
-- akimats of one band cannot be told apart; small_sample warns that a satisfaction figure
-- rests on fewer than 30 ratings.
select
    answer_rank,
    answer_band,
    akimat_name_ru,
    appeals,
    answer_rate,
    answer_rate_ci_low,
    answer_rate_ci_high,
    satisfaction_rank,
    satisfaction_band,
    unsatisfied_share,
    small_sample
from {{ ref('akimat_ranking') }}
order by answer_rank
