-- One row per year: the national totals of the scorecard, and how deadline violations split
-- between central bodies and akimats (local bodies).

with

scorecard as (

    select * from {{ ref('complaints_scorecard') }}

),

totals as (

    select
        year,
        count(*) as bodies_reporting,
        sum(from_individuals) as from_individuals,
        sum(from_legal_entities) as from_legal_entities,
        coalesce(sum(deadline_violations) filter (where body_level = 'central'), 0)
            as deadline_violations_central,
        coalesce(sum(deadline_violations) filter (where body_level = 'local'), 0)
            as deadline_violations_akimats,
        {{- sum_complaints_counts() }}
    from scorecard
    group by year

),

final as (

    select
        cast(totals.year as integer) as year,
        cast(totals.bodies_reporting as integer) as bodies_reporting,
        cast(totals.received as bigint) as received,
        cast(totals.from_individuals as bigint) as from_individuals,
        cast(totals.from_legal_entities as bigint) as from_legal_entities,
        cast(totals.reviewed as bigint) as reviewed,
        cast(totals.deadline_violations as bigint) as deadline_violations,
        cast(totals.deadline_violations_central as bigint) as deadline_violations_central,
        cast(totals.deadline_violations_akimats as bigint) as deadline_violations_akimats,
        cast(totals.explained as bigint) as explained,
        round(cast(totals.explained as numeric) / nullif(totals.received, 0), 6) as explained_share,
        cast(totals.overturned_by_higher_body as bigint) as overturned_by_higher_body,
        cast(totals.overturned_by_court as bigint) as overturned_by_court,
        cast(totals.justified_complaints as bigint) as justified_complaints,
        cast(totals.deadline_violations - previous_year.deadline_violations as bigint)
            as deadline_violations_change
    from totals
    left join totals as previous_year
        on totals.year = previous_year.year + 1

)

select * from final
