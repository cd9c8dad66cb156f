-- Per akimat, the topic (with at least 20 appeals) it answers least often.
select distinct on (region_kato)
    region_kato,
    akimat_name_ru,
    category,
    appeals,
    answer_rate,
    answer_rate_ci_low,
    answer_rate_ci_high,
    unsatisfied_share
from {{ ref('akimat_categories') }}
where appeals >= 20
order by region_kato, answer_rate, appeals desc
