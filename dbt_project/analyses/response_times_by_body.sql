-- Which bodies keep the legal term (15 working days) least often, and how many appeals they
-- leave pending past it.
select
    gov_body_name_ru,
    body_type,
    answered,
    median_days_to_answer,
    p90_days_to_answer,
    answered_within_term_share,
    overdue_pending
from {{ ref('gov_body_response_times') }}
where answered > 0
order by answered_within_term_share, overdue_pending desc
