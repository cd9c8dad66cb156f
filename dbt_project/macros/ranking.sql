{#-
    The warehouse's ranking rules (docs/calibration.md "Definitions"), once, for every grain.

    fraction_rank: SQL selecting (partition columns…, key, rank_column) from the CTE `counts`:
    rank = 1 + rows of the same partition that come strictly before. Fractions are compared by
    cross-multiplication (a/b > c/d <=> a*d > c*b), so equal rates such as 14/40 and 7/20 tie
    exactly, whatever scale a numeric division would round to. Ties go to the larger
    `tie_column`, then the lower key, which makes the order total. Rows without a denominator
    are not ranked (no row comes out for them).
      better: 'higher' (1 = highest fraction) or 'lower' (1 = lowest)
-#}
{% macro fraction_rank(counts, key, numerator, denominator, tie_column, better, rank_column, partition_by=[]) -%}
    {%- set cmp = '>' if better == 'higher' else '<' -%}
    select
        {%- for column in partition_by %}
        this_row.{{ column }},
        {%- endfor %}
        this_row.{{ key }},
        1 + count(other.{{ key }}) as {{ rank_column }}
    from {{ counts }} as this_row
    left join {{ counts }} as other
        on other.{{ denominator }} > 0
        {%- for column in partition_by %}
        and other.{{ column }} = this_row.{{ column }}
        {%- endfor %}
        and (
            other.{{ numerator }} * this_row.{{ denominator }}
                {{ cmp }} this_row.{{ numerator }} * other.{{ denominator }}
            or (
                other.{{ numerator }} * this_row.{{ denominator }}
                    = this_row.{{ numerator }} * other.{{ denominator }}
                and (
                    other.{{ tie_column }} > this_row.{{ tie_column }}
                    or (
                        other.{{ tie_column }} = this_row.{{ tie_column }}
                        and other.{{ key }} < this_row.{{ key }}
                    )
                )
            )
        )
    where this_row.{{ denominator }} > 0
    group by
        {%- for column in partition_by %}
        this_row.{{ column }},
        {%- endfor %}
        this_row.{{ key }}
{%- endmacro %}

{#-
    wilson_interval: SQL expression for one bound ('low' or 'high') of the Wilson score interval
    of successes / trials at 95% confidence (z = 1.959964), rounded to 6 places; null without
    trials. Unlike p ± z·se it stays inside [0, 1] and is sensible for small samples and for
    shares of 0 or 1:
        centre = (p + z²/2n) / (1 + z²/n),  half-width = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²)
-#}
{% macro wilson_interval(successes, trials, bound) -%}
    {%- set z = '1.959964' -%}
    {#- greatest() and least() ignore nulls: the case keeps a bound null without trials -#}
    {%- set n = 'nullif(' ~ trials ~ ', 0)::numeric' -%}
    {%- set p = '((' ~ successes ~ ')::numeric / ' ~ n ~ ')' -%}
    {%- set centre = '(' ~ p ~ ' + ' ~ z ~ '^2 / (2 * ' ~ n ~ '))' -%}
    {%- set spread = z ~ ' * sqrt(' ~ p ~ ' * (1 - ' ~ p ~ ') / ' ~ n ~ ' + ' ~ z ~ '^2 / (4 * ' ~ n ~ '^2))' -%}
    {%- if bound == 'low' -%}
    case when ({{ trials }}) > 0 then
        round(greatest(0, ({{ centre }} - {{ spread }}) / (1 + {{ z }}^2 / {{ n }})), 6)
    end
    {%- elif bound == 'high' -%}
    case when ({{ trials }}) > 0 then
        round(least(1, ({{ centre }} + {{ spread }}) / (1 + {{ z }}^2 / {{ n }})), 6)
    end
    {%- else -%}
    {{ exceptions.raise_compiler_error("wilson_interval: bound must be 'low' or 'high', not " ~ bound) }}
    {%- endif -%}
{%- endmacro %}

{#-
    rank_bands: SQL selecting (partition columns…, key, band_column) from the CTE `ranked`, which
    carries a contiguous rank (1..n per partition) and an interval [low, high] per row.
    The band rule: walk the rows in rank order; the first opens band 1 and leads it; each next
    row joins the current band when its interval overlaps the leader's, otherwise it opens the
    next band and leads it. Rows with a null rank get no band.
-#}
{% macro rank_bands(ranked, key, rank_column, low, high, band_column, partition_by=[]) -%}
    {%- set partition_match -%}
        {%- for column in partition_by %} and next_row.{{ column }} = walk.{{ column }}{% endfor -%}
    {%- endset -%}
    select
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        {{ key }},
        {{ band_column }}
    from (
        with recursive walk as (
            select
                {%- for column in partition_by %}
                {{ column }},
                {%- endfor %}
                {{ key }},
                {{ rank_column }} as walk_rank,
                1 as {{ band_column }},
                {{ low }} as leader_low,
                {{ high }} as leader_high
            from {{ ranked }}
            where {{ rank_column }} = 1
            union all
            select
                {%- for column in partition_by %}
                next_row.{{ column }},
                {%- endfor %}
                next_row.{{ key }},
                next_row.{{ rank_column }},
                case when step.joins then walk.{{ band_column }} else walk.{{ band_column }} + 1 end,
                case when step.joins then walk.leader_low else next_row.{{ low }} end,
                case when step.joins then walk.leader_high else next_row.{{ high }} end
            from walk
            inner join {{ ranked }} as next_row
                on next_row.{{ rank_column }} = walk.walk_rank + 1
                {{- partition_match }}
            -- the next row joins the band when its interval overlaps the leader's
            cross join lateral (
                select
                    next_row.{{ low }} <= walk.leader_high
                    and next_row.{{ high }} >= walk.leader_low as joins
            ) as step
        )
        select * from walk
    ) as bands
{%- endmacro %}

{#-
    body_ranking: SQL selecting every column of the CTE `counts` (one row per `key`, with
    appeals, answered, rated_answers and unsatisfied) and the whole ranking of those bodies:
    answer_rank and satisfaction_rank (fraction_rank), the 95% intervals of both shares
    (answer_rate_ci_low/high, unsatisfied_share_ci_low/high) and the bands they give
    (answer_band, satisfaction_band). The akimats' and the ministries' rankings are this one
    ranking over different bodies.
-#}
{% macro body_ranking(counts, key) -%}
    with

    answer_ranks as (

        {{ fraction_rank(
            counts, key=key, numerator='answered', denominator='appeals',
            tie_column='answered', better='higher', rank_column='answer_rank'
        ) }}

    ),

    satisfaction_ranks as (

        {{ fraction_rank(
            counts, key=key, numerator='unsatisfied', denominator='rated_answers',
            tie_column='rated_answers', better='lower', rank_column='satisfaction_rank'
        ) }}

    ),

    ranked as (

        select
            {{ counts }}.*,
            answer_ranks.answer_rank,
            satisfaction_ranks.satisfaction_rank,
            {{ wilson_interval(counts ~ '.answered', counts ~ '.appeals', 'low') }}
                as answer_rate_ci_low,
            {{ wilson_interval(counts ~ '.answered', counts ~ '.appeals', 'high') }}
                as answer_rate_ci_high,
            {{ wilson_interval(counts ~ '.unsatisfied', counts ~ '.rated_answers', 'low') }}
                as unsatisfied_share_ci_low,
            {{ wilson_interval(counts ~ '.unsatisfied', counts ~ '.rated_answers', 'high') }}
                as unsatisfied_share_ci_high
        from {{ counts }}
        inner join answer_ranks
            on {{ counts }}.{{ key }} = answer_ranks.{{ key }}
        left join satisfaction_ranks
            on {{ counts }}.{{ key }} = satisfaction_ranks.{{ key }}

    ),

    answer_bands as (

        {{ rank_bands(
            'ranked', key=key, rank_column='answer_rank', low='answer_rate_ci_low',
            high='answer_rate_ci_high', band_column='answer_band'
        ) }}

    ),

    satisfaction_bands as (

        {{ rank_bands(
            'ranked', key=key, rank_column='satisfaction_rank',
            low='unsatisfied_share_ci_low', high='unsatisfied_share_ci_high',
            band_column='satisfaction_band'
        ) }}

    )

    select
        ranked.*,
        answer_bands.answer_band,
        satisfaction_bands.satisfaction_band
    from ranked
    inner join answer_bands
        on ranked.{{ key }} = answer_bands.{{ key }}
    left join satisfaction_bands
        on ranked.{{ key }} = satisfaction_bands.{{ key }}
{%- endmacro %}
