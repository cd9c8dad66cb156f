-- One row per period, state body and applicant type: the figures of the most recently landed
-- report file that gives them. A corrected file thus replaces an earlier file's figures, while
-- raw keeps both.

with

landed_rows as (

    select *
    from {{ source('complaints', 'rows') }} as landed

),

latest as (

    select
        *,
        row_number() over (
            partition by period, gov_body_code, applicant_type
            -- the file hash breaks ties between files landed at the same instant
            order by observed_at desc, file_hash
        ) as observation_rank
    from landed_rows

),

renamed as (

    select
        period,
        cast(left(period, 4) as integer) as period_year,
        cast(nullif(substr(period, 6, 2), '') as integer) as period_month,
        case when length(period) = 4 then 'year' else 'month' end as period_kind,
        gov_body_code,
        nullif(trim(payload ->> 'gov_body_name_ru'), '') as gov_body_name_ru,
        payload ->> 'body_level' as body_level,
        nullif(trim(payload ->> 'region_kato'), '') as region_kato,
        -- renamed: no column of the dbt layers may look like personal data (an applicant)
        applicant_type as complainant_type,
        cast(payload ->> 'received' as integer) as received,
        cast(payload ->> 'reviewed' as integer) as reviewed,
        cast(payload ->> 'deadline_violations' as integer) as deadline_violations,
        cast(payload ->> 'explained' as integer) as explained,
        cast(payload ->> 'overturned_by_higher_body' as integer) as overturned_by_higher_body,
        cast(payload ->> 'overturned_by_court' as integer) as overturned_by_court,
        cast(payload ->> 'justified_complaints' as integer) as justified_complaints,
        source_file,
        file_hash,
        observed_at,
        load_id
    from latest
    where observation_rank = 1

)

select * from renamed
