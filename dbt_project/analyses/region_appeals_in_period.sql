-- The appeals of one region in one quarter, by topic and status: the filter the indexes of
-- fct_appeals (region_kato, submitted_on) serve. Almaty city, first quarter of 2021.
select
    category,
    status,
    count(*) as appeals,
    round(avg(days_to_answer), 1) as mean_days_to_answer,
    count(*) filter (where answered_within_term) as answered_within_term
from {{ ref('fct_appeals') }}
where region_kato = '75'
    and submitted_on >= date '2021-01-01'
    and submitted_on < date '2021-04-01'
group by category, status
order by appeals desc
