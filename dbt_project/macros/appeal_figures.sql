{#-
    The appeal figures of every Open Dialogue mart (CALIBRATION.md "Definitions"), as aggregate
    expressions over rows of int_appeals__enriched (or fct_appeals) aliased `appeals`, so that
    the ranking, the monthly ranking, the topics and the body scorecard count alike.
-#}
{% macro appeal_counts(appeals='appeals') -%}
        count({{ appeals }}.question_id) as appeals,
        count(*) filter (where {{ appeals }}.status = 'answered') as answered,
        count(*) filter (
            where {{ appeals }}.status = 'answered' and {{ appeals }}.rating is not null
        ) as rated_answers,
        count(*) filter (
            where {{ appeals }}.status = 'answered' and {{ appeals }}.rating = 'negative'
        ) as unsatisfied
{%- endmacro %}

{#-
    Response times: median and 90th percentile of days_to_answer (calendar days, answered
    appeals; interpolated, 2 places), the share of answers given within the legal term (working
    days, see int_appeals__enriched), and the appeals still pending past the term as of the
    data's date.
-#}
{% macro response_time_figures(appeals='appeals') -%}
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
        count(*) filter (where {{ appeals }}.overdue_pending) as overdue_pending
{%- endmacro %}
