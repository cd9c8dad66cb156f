-- One row per region with an akimat blog that received appeals: how often its akimat answers
-- and how satisfied citizens are with the answers, ranked per docs/calibration.md "Definitions",
-- with the 95% intervals of both shares, the rank bands they give, and response times.
-- A region whose akimat blogs have no appeal yet has nothing to rank and is left out.

with

blogs as (

    select * from {{ ref('stg_dialog__blogs') }}

),

counts as (

    -- the appeals counted per month, blog and topic
    select * from {{ ref('int_appeals__counted_by_month') }}

),

answer_days as (

    -- the answered appeals per month, blog and days to answer
    select * from {{ ref('int_appeals__answer_days_by_month') }}

),

regions as (

    -- the current version of each region (dim_regions keeps the history)
    select * from {{ ref('dim_regions') }}
    where valid_to is null

),

akimat_blogs as (

    -- ministries and agencies have no region and never enter the ranking
    select
        blog_id,
        region_kato,
        gov_body_name_ru
    from blogs
    where body_type = 'akimat'
        and region_kato is not null

),

blog_counts as (

    select
        akimat_blogs.blog_id,
        akimat_blogs.region_kato,
        akimat_blogs.gov_body_name_ru,
        {{ appeal_counts('counts') }}
    from akimat_blogs
    left join counts
        on akimat_blogs.blog_id = counts.blog_id
    group by
        akimat_blogs.blog_id,
        akimat_blogs.region_kato,
        akimat_blogs.gov_body_name_ru

),

region_response_times as (

    select
        akimat_blogs.region_kato,
        {{ response_time_figures('counts') }}
    from akimat_blogs
    inner join counts
        on akimat_blogs.blog_id = counts.blog_id
    group by akimat_blogs.region_kato

),

region_answer_days as (

    -- percentiles do not add up over blogs: computed from the region's histogram
    select
        akimat_blogs.region_kato,
        answer_days.days_to_answer,
        answer_days.answers
    from akimat_blogs
    inner join answer_days
        on akimat_blogs.blog_id = answer_days.blog_id

),

region_percentiles as (

    {{ answer_day_percentiles('region_answer_days', ['region_kato']) }}

),

region_names as (

    -- a region with several akimat blogs is named after the one with most appeals
    select distinct on (region_kato)
        region_kato,
        gov_body_name_ru as akimat_name_ru
    from blog_counts
    order by region_kato, appeals desc, blog_id

),

region_counts as (

    select
        region_kato,
        cast(sum(appeals) as bigint) as appeals,
        cast(sum(answered) as bigint) as answered,
        cast(sum(rated_answers) as bigint) as rated_answers,
        cast(sum(unsatisfied) as bigint) as unsatisfied
    from blog_counts
    group by region_kato
    having sum(appeals) > 0

),

ranked as (

    -- the ranking rules, the Wilson intervals and the band rule live in macros/ranking.sql
    {{ body_ranking('region_counts', key='region_kato') }}

),

final as (

    select
        cast(ranked.region_kato as text) as region_kato,
        cast(region_names.akimat_name_ru as text) as akimat_name_ru,
        cast(regions.region_name_ru as text) as region_name_ru,
        cast(ranked.appeals as integer) as appeals,
        cast(ranked.answered as integer) as answered,
        round(cast(ranked.answered as numeric) / ranked.appeals, 6) as answer_rate,
        cast(ranked.answer_rank as integer) as answer_rank,
        cast(ranked.rated_answers as integer) as rated_answers,
        cast(ranked.unsatisfied as integer) as unsatisfied,
        round(cast(ranked.unsatisfied as numeric) / nullif(ranked.rated_answers, 0), 6)
            as unsatisfied_share,
        cast(ranked.satisfaction_rank as integer) as satisfaction_rank,
        cast({{ satisfaction_basis('ranked.rated_answers') }} as text) as satisfaction_basis,
        ranked.answer_rate_ci_low,
        ranked.answer_rate_ci_high,
        ranked.unsatisfied_share_ci_low,
        ranked.unsatisfied_share_ci_high,
        -- null with no ratings on the portal, like every satisfaction figure
        ranked.rated_answers < 30 as small_sample,
        cast(ranked.answer_band as integer) as answer_band,
        cast(ranked.satisfaction_band as integer) as satisfaction_band,
        region_percentiles.median_days_to_answer,
        region_percentiles.p90_days_to_answer,
        region_response_times.answered_within_term_share,
        cast(region_response_times.answered_late as integer) as answered_late,
        cast(region_response_times.answered_very_late as integer) as answered_very_late,
        region_response_times.answered_very_late_share,
        cast(region_response_times.overdue_pending as integer) as overdue_pending
    from ranked
    inner join region_names
        on ranked.region_kato = region_names.region_kato
    left join region_response_times
        on ranked.region_kato = region_response_times.region_kato
    left join region_percentiles
        on ranked.region_kato = region_percentiles.region_kato
    left join regions
        on ranked.region_kato = regions.region_kato

)

select * from final
