-- One row per dataset of the catalogue, described by the passport of its latest version:
-- who owns it, when it was created and last modified, how often it should be updated (and the
-- allowance that promise gives, docs/calibration.md section 3), and whether it is archived.

with

datasets as (

    select * from {{ ref('stg_opendata__datasets') }}

),

mappings as (

    select * from {{ ref('stg_opendata__mappings') }}

),

passports as (

    select * from {{ ref('stg_opendata__passports') }}

),

-- Days an update may be late and the dataset still count as up to date; irregular: always.
-- The known periodicities: a passport value not listed here is an unknown periodicity.
allowances (periodicity, allowance_days) as (

    -- sqlfluff would put the rows flush with `values`; one row a line, indented, reads better
    -- noqa: disable=LT02
    values
        ('daily', 2),
        ('weekly', 8),
        ('monthly', 35),
        ('quarterly', 100),
        ('semiannual', 190),
        ('yearly', 380),
        ('irregular', null)
    -- noqa: enable=LT02

),

current_passports as (

    -- the passport of the latest version; without a mapping, the highest version read
    select distinct on (passports.api_uri)
        passports.api_uri,
        passports.version,
        passports.periodicity,
        passports.archived
    from passports
    left join mappings
        on passports.api_uri = mappings.api_uri
    order by
        passports.api_uri,
        (passports.version = mappings.latest_version) desc nulls last,
        passports.version_number desc

),

described as (

    select
        datasets.api_uri,
        datasets.gov_body_name_ru,
        datasets.created_at,
        datasets.modified_at,
        cast(datasets.created_at as date) as created_on,
        cast(datasets.modified_at as date) as modified_on,
        current_passports.version,
        current_passports.periodicity,
        allowances.allowance_days,
        -- the passport says a periodicity, but none of the known ones: cannot be judged
        coalesce(
            current_passports.periodicity is not null and allowances.periodicity is null,
            false
        ) as periodicity_unknown,
        coalesce(current_passports.archived, false) as archived,
        current_passports.api_uri is not null as has_passport
    from datasets
    left join current_passports
        on datasets.api_uri = current_passports.api_uri
    left join allowances
        on current_passports.periodicity = allowances.periodicity

)

select * from described
