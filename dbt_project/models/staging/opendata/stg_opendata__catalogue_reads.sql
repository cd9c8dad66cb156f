-- One row per open-data load that succeeded: every such load read the whole catalogue and
-- reconciled it with totalCount, so its start is a moment the warehouse knows the catalogue's
-- state at, even when nothing changed and raw gained no row (raw lands only changes).

with

ledger as (

    select * from {{ source('opendata', 'load_ledger') }}

),

reads as (

    select
        load_id,
        started_at,
        finished_at,
        -- the portal's dates are Almaty local time (stg_opendata__datasets): so is the read day
        cast(started_at at time zone 'Asia/Almaty' as date) as read_on
    from ledger
    where source = 'opendata' and status = 'succeeded'

)

select * from reads
