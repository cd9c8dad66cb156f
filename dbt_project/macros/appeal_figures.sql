{#-
    The appeal figures of every Open Dialogue mart (docs/calibration.md "Definitions"), as aggregate
    expressions over rows of int_appeals__enriched (or fct_appeals) aliased `appeals`, so that
    the ranking, the monthly ranking, the topics and the body scorecard count alike.

    Appeals are counted by their registration number, the one id every card has: pending and
    rejected cards have no question_id, and counting those would leave them out of the answer
    rate's denominator.

    The rating counts are null, not zero, when no answered appeal in the whole data (all of
    int_appeals__enriched, not only the rows aggregated) carries a rating: then the portal shows no
    ratings (or the crawler cannot read them), and a satisfaction figure of zeros would be a
    ranking of nothing. Every share, interval and rank built on them turns null in turn; the
    marts say why in satisfaction_basis.
-#}
{% macro appeal_counts(appeals='appeals') -%}
        count({{ appeals }}.number) as appeals,
        count(*) filter (where {{ appeals }}.status = 'answered') as answered,
        case when {{ ratings_seen() }} then
            count(*) filter (
                where {{ appeals }}.status = 'answered' and {{ appeals }}.rating is not null
            )
        end as rated_answers,
        case when {{ ratings_seen() }} then
            count(*) filter (
                where {{ appeals }}.status = 'answered' and {{ appeals }}.rating = 'negative'
            )
        end as unsatisfied
{%- endmacro %}

{#- SQL condition: some answered appeal carries a rating. Evaluated once per query (it does
    not depend on the row), on the table itself: through a CTE the marts also aggregate,
    Postgres would materialise that CTE whole. -#}
{% macro ratings_seen() -%}
    exists (
        select from {{ ref('int_appeals__enriched') }} as rated_appeals
        where rated_appeals.status = 'answered' and rated_appeals.rating is not null
    )
{%- endmacro %}

{#-
    SQL expression: on what the satisfaction figures of a row rest, from its rated_answers as
    appeal_counts gives them: 'rated answers'; 'no rated answers' (this row has none, others
    do: its share and rank are null); 'no ratings on the portal' (no answered appeal in the
    whole data carries a rating: every satisfaction figure is null).
-#}
{% macro satisfaction_basis(rated_answers) -%}
    case
        when {{ rated_answers }} > 0 then 'rated answers'
        when {{ rated_answers }} = 0 then 'no rated answers'
        else 'no ratings on the portal'
    end
{%- endmacro %}

{#-
    SQL condition: `working_days` (working days after the day of submission, as
    int_appeals__enriched counts them on Kazakhstan's calendar) lie beyond `terms` times the
    legal term, var appeal_answer_term_working_days: 1 for "late" (past the term), 2 for "very
    late" (past twice the term: 30 working days from the same start, not twice the calendar
    days the term spanned; Alaveteli's tiers). Null when working_days is. A bare comparison,
    which binds tighter than not/and/or.
-#}
{% macro beyond_term(working_days, terms=1) -%}
    {{ working_days }} > {{ terms }} * {{ var('appeal_answer_term_working_days') }}
{%- endmacro %}

{#-
    Response times: median and 90th percentile of days_to_answer (calendar days, answered
    appeals; interpolated, 2 places), the share of answers given within the legal term (working
    days, see int_appeals__enriched), the answers given late (past the term) and very late (past
    twice the term, see beyond_term) with the very-late share, and the appeals still pending
    past the term as of the data's date. The shares' denominator is the answers whose working
    days are known (both dates inside the calendar's years), so that late share
    = 1 − answered_within_term_share.
-#}
{% macro response_time_figures(appeals='appeals') -%}
    {%- set working_days = appeals ~ '.working_days_to_answer' -%}
        round(cast(
            percentile_cont(0.5) within group (order by {{ appeals }}.days_to_answer) as numeric
        ), 2) as median_days_to_answer,
        round(cast(
            percentile_cont(0.9) within group (order by {{ appeals }}.days_to_answer) as numeric
        ), 2) as p90_days_to_answer,
        round(
            count(*) filter (where {{ appeals }}.answered_within_term)::numeric
            / nullif(count({{ appeals }}.answered_within_term), 0),
            6
        ) as answered_within_term_share,
        count(*) filter (where {{ beyond_term(working_days) }}) as answered_late,
        count(*) filter (where {{ beyond_term(working_days, 2) }}) as answered_very_late,
        round(
            count(*) filter (where {{ beyond_term(working_days, 2) }})::numeric
            / nullif(count({{ appeals }}.answered_within_term), 0),
            6
        ) as answered_very_late_share,
        count(*) filter (where {{ appeals }}.overdue_pending) as overdue_pending
{%- endmacro %}
