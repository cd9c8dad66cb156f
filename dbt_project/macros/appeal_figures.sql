{#-
    The appeal figures of every Open Dialogue mart (docs/calibration.md "Definitions"), as aggregate
    expressions over rows of int_appeals__counted_by_month aliased `counts` (the appeals counted
    per month, blog and topic), so that the ranking, the monthly ranking, the topics and the body
    scorecard count alike, from a few thousand rows instead of every appeal.

    Appeals are counted by their registration number, the one id every card has: pending and
    rejected cards have no question_id, and counting those would leave them out of the answer
    rate's denominator.

    The rating counts are null, not zero, when no answered appeal in the whole data carries a
    rating: then the portal shows no ratings (or the crawler cannot read them), and a
    satisfaction figure of zeros would be a ranking of nothing. Every share, interval and rank
    built on them turns null in turn; the marts say why in satisfaction_basis.
-#}
{% macro appeal_counts(counts='counts') -%}
        cast(coalesce(sum({{ counts }}.appeals), 0) as bigint) as appeals,
        cast(coalesce(sum({{ counts }}.answered), 0) as bigint) as answered,
        case when {{ ratings_seen() }} then
            cast(coalesce(sum({{ counts }}.rated_answers), 0) as bigint)
        end as rated_answers,
        case when {{ ratings_seen() }} then
            cast(coalesce(sum({{ counts }}.unsatisfied), 0) as bigint)
        end as unsatisfied
{%- endmacro %}

{#- SQL condition: some answered appeal carries a rating. Evaluated once per query (it does
    not depend on the row), on the table itself: through a CTE the marts also aggregate,
    Postgres would materialise that CTE whole. -#}
{% macro ratings_seen() -%}
    exists (
        select from {{ ref('int_appeals__counted_by_month') }} as rated_appeals
        where rated_appeals.rated_answers > 0
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
    Response times, as aggregate expressions over int_appeals__counted_by_month aliased `counts`:
    the share of answers given within the legal term (working days, see int_appeals__enriched),
    the answers given late (past the term) and very late (past twice the term, see beyond_term)
    with the very-late share, and the appeals still pending past the term as of the data's date.
    The shares' denominator is the answers whose working days are known (both dates inside the
    calendar's years), so that late share = 1 − answered_within_term_share. The median and 90th
    percentile of days to answer come from answer_day_percentiles.
-#}
{% macro response_time_figures(counts='counts') -%}
        round(
            cast(coalesce(sum({{ counts }}.answered_within_term), 0) as numeric)
            / nullif(sum({{ counts }}.answers_with_term), 0),
            6
        ) as answered_within_term_share,
        cast(coalesce(sum({{ counts }}.answered_late), 0) as bigint) as answered_late,
        cast(coalesce(sum({{ counts }}.answered_very_late), 0) as bigint) as answered_very_late,
        round(
            cast(coalesce(sum({{ counts }}.answered_very_late), 0) as numeric)
            / nullif(sum({{ counts }}.answers_with_term), 0),
            6
        ) as answered_very_late_share,
        cast(coalesce(sum({{ counts }}.overdue_pending), 0) as bigint) as overdue_pending
{%- endmacro %}

{#-
    SQL selecting (group_by…, median_days_to_answer, p90_days_to_answer) from `answer_days`, a
    CTE of (group_by…, days_to_answer, answers) rows cut from int_appeals__answer_days_by_month:
    the median and the 90th percentile of days_to_answer over each group's answers, interpolated
    and rounded to 2 places, computed from the histogram exactly as percentile_cont computes them
    over the appeals themselves (the values at 0-based positions floor and ceil of
    p × (n − 1), interpolated in double precision).
-#}
{% macro answer_day_percentiles(answer_days, group_by) -%}
    {%- set keys = group_by | join(', ') -%}
    select
        {{ keys }},
        {{ _histogram_percentile(0.5) }} as median_days_to_answer,
        {{ _histogram_percentile(0.9) }} as p90_days_to_answer
    from (
        select
            {{ keys }},
            days_to_answer,
            cast(sum(answers) over (
                partition by {{ keys }} order by days_to_answer
            ) as float8) as answers_through,
            cast(sum(answers) over (partition by {{ keys }}) as float8) as total
        from (
            select {{ keys }}, days_to_answer, sum(answers) as answers
            from {{ answer_days }}
            group by {{ keys }}, days_to_answer
        ) as histogram
    ) as cumulated
    group by {{ keys }}
{%- endmacro %}

{% macro _histogram_percentile(p) -%}
    {#- the row's group's position, and the group's (total is the same on each of its rows) -#}
    {%- set row_position = 'cast(' ~ p ~ ' as float8) * (total - 1)' -%}
    {%- set position = 'cast(' ~ p ~ ' as float8) * (max(total) - 1)' -%}
    {%- set low = 'min(days_to_answer) filter (where answers_through > floor(' ~ row_position ~ '))' -%}
    {%- set high = 'min(days_to_answer) filter (where answers_through > ceil(' ~ row_position ~ '))' -%}
    round(cast(
        cast({{ low }} as float8)
        + ({{ position }} - floor({{ position }}))
        * (cast({{ high }} as float8) - cast({{ low }} as float8))
        as numeric
    ), 2)
{%- endmacro %}
