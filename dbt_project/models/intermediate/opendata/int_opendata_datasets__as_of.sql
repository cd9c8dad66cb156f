-- One row per dataset and snapshot date on which it existed (created on or before it): the
-- state the warehouse knows of at that date and whether it was up to date then.
--
-- Up to date at D (docs/calibration.md section 3): D − (last modification on or before D) does not
-- exceed the periodicity's allowance; irregular counts as up to date; a dataset without a
-- known periodicity does not (one whose passport says an unknown value is flagged
-- periodicity_unknown, and the marts leave it out of the share). The last modification on or
-- before D is the latest modifiedDate ever observed that is not after D; when every observed
-- one is after D (the dataset changed since, and its state at D was never seen), its creation
-- date stands in, which can only make it look late: `state_unobserved` flags those rows, a
-- lower bound rather than a measurement.
-- Archived datasets are marked; the marts leave them out of the denominator.

with

datasets as (

    select * from {{ ref('int_opendata_datasets__described') }}

),

modifications as (

    select * from {{ ref('stg_opendata__dataset_modifications') }}

),

snapshot_dates as (

    select * from {{ ref('int_opendata__snapshot_dates') }}

),

existing as (

    select
        snapshot_dates.snapshot_date,
        snapshot_dates.is_year_end,
        snapshot_dates.is_current,
        datasets.*
    from snapshot_dates
    inner join datasets
        on datasets.created_on <= snapshot_dates.snapshot_date

),

known_modifications as (

    select
        existing.snapshot_date,
        existing.api_uri,
        max(cast(modifications.modified_at as date)) filter (
            where cast(modifications.modified_at as date) <= existing.snapshot_date
        ) as modified_on_or_before,
        bool_or(cast(modifications.modified_at as date) > existing.snapshot_date)
            as modified_after
    from existing
    inner join modifications
        on existing.api_uri = modifications.api_uri
    group by existing.snapshot_date, existing.api_uri

),

judged as (

    select
        existing.snapshot_date,
        existing.is_year_end,
        existing.is_current,
        existing.api_uri,
        existing.gov_body_name_ru,
        existing.created_on,
        existing.periodicity,
        existing.allowance_days,
        coalesce(existing.periodicity_unknown, false) as periodicity_unknown,
        existing.archived,
        coalesce(known_modifications.modified_on_or_before, existing.created_on)
            as last_modified_on,
        coalesce(
            known_modifications.modified_on_or_before is null
            and known_modifications.modified_after,
            false
        ) as state_unobserved
    from existing
    left join known_modifications
        on existing.snapshot_date = known_modifications.snapshot_date
        and existing.api_uri = known_modifications.api_uri

)

select
    snapshot_date,
    is_year_end,
    is_current,
    api_uri,
    gov_body_name_ru,
    created_on,
    periodicity,
    allowance_days,
    periodicity_unknown,
    archived,
    last_modified_on,
    snapshot_date - last_modified_on as days_since_modified,
    coalesce(
        periodicity = 'irregular' or snapshot_date - last_modified_on <= allowance_days,
        false
    ) as up_to_date,
    state_unobserved
from judged
