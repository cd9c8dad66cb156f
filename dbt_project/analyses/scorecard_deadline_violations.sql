-- The state body scorecard: bodies by deadline violations per 1,000 complaints received, in
-- the latest year with complaint figures, next to their open data kept up to date.
with latest as (
    select max(year) as year
    from {{ ref('gov_body_scorecard') }}
    where complaints_received is not null
)
select
    scorecard.year,
    scorecard.gov_body_name_ru,
    scorecard.body_level,
    scorecard.complaints_received,
    scorecard.deadline_violations,
    scorecard.deadline_violations_per_1000,
    scorecard.datasets,
    scorecard.up_to_date_share
from {{ ref('gov_body_scorecard') }} as scorecard
inner join latest
    on scorecard.year = latest.year
where scorecard.complaints_received is not null
order by scorecard.deadline_violations_per_1000 desc nulls last
