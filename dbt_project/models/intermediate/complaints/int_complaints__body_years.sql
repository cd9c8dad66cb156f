-- One row per state body and year, its figures rolled up from the reports in force.
--
-- The rule against double counting: a yearly report is authoritative. When a body has figures
-- for a year as a whole, its monthly figures of that year are ignored; without them, the months
-- it reported are added up (months_reported says how many). Staging marks which periods count
-- (counts_in_year, from stg_complaints__files_in_force). Applicant types are pivoted into
-- from_individuals / from_legal_entities.
-- Totals rows are skipped at ingestion; a row that still reads like one (a body code or name
-- starting with Итого or Всего) is dropped here too, so totals are never summed.

with

in_force as (

    select * from {{ ref('stg_complaints__report_rows') }}
    -- explicit letter cases: the warehouse may run under the C locale, where ~* ignores Cyrillic
    where
        counts_in_year
        and not (
            coalesce(gov_body_code, '') ~ '^ *([Ии][Тт][Оо][Гг][Оо]|[Вв][Сс][Ее][Гг][Оо])'
            or coalesce(gov_body_name_ru, '') ~ '^ *([Ии][Тт][Оо][Гг][Оо]|[Вв][Сс][Ее][Гг][Оо])'
        )

),

body_identity as (

    -- name, level and region as reported for the body's last period of the year
    select distinct on (period_year, gov_body_code)
        period_year,
        gov_body_code,
        gov_body_name_ru,
        body_level,
        region_kato
    from in_force
    order by period_year, gov_body_code, period desc, observed_at desc, complainant_type

),

summed as (

    select
        period_year,
        gov_body_code,
        bool_or(period_kind = 'year') as reported_yearly,
        count(distinct period_month) as months_reported,
        coalesce(sum(received) filter (where complainant_type = 'individual'), 0)
            as from_individuals,
        coalesce(sum(received) filter (where complainant_type = 'legal_entity'), 0)
            as from_legal_entities,
        {{- sum_complaints_counts() }}
    from in_force
    group by period_year, gov_body_code

),

final as (

    select
        cast(summed.period_year as integer) as year,
        summed.gov_body_code,
        body_identity.gov_body_name_ru,
        body_identity.body_level,
        body_identity.region_kato,
        case when summed.reported_yearly then 'year' else 'months' end as reported_as,
        case
            when not summed.reported_yearly then cast(summed.months_reported as integer)
        end as months_reported,
        cast(summed.received as bigint) as received,
        cast(summed.from_individuals as bigint) as from_individuals,
        cast(summed.from_legal_entities as bigint) as from_legal_entities,
        cast(summed.reviewed as bigint) as reviewed,
        cast(summed.deadline_violations as bigint) as deadline_violations,
        cast(summed.explained as bigint) as explained,
        cast(summed.overturned_by_higher_body as bigint) as overturned_by_higher_body,
        cast(summed.overturned_by_court as bigint) as overturned_by_court,
        cast(summed.justified_complaints as bigint) as justified_complaints
    from summed
    inner join body_identity
        on summed.period_year = body_identity.period_year
        and summed.gov_body_code = body_identity.gov_body_code

)

select * from final
