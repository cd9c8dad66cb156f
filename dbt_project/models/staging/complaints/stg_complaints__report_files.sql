-- One row per landed report file (a file lands once: its content hash is the key).

with

landed_files as (

    select *
    from {{ source('complaints', 'report_files') }}

),

renamed as (

    select
        content_hash as file_hash,
        source_file,
        report_kind,
        payload ->> 'file_format' as file_format,
        cast(payload ->> 'rows' as integer) as data_rows,
        cast(payload ->> 'totals_rows_skipped' as integer) as totals_rows_skipped,
        observed_at,
        load_id
    from landed_files

)

select * from renamed
