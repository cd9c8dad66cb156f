-- The answered appeals of int_appeals__enriched per month of submission, blog and days to
-- answer: a histogram, from which the marts compute the medians and 90th percentiles of
-- days_to_answer exactly as percentile_cont over the appeals would (macros/appeal_figures.sql,
-- answer_day_percentiles), for any grouping of blogs and months.
--
-- Incremental like int_appeals__counted_by_month: the months with a refreshed appeal are
-- deleted and built anew.

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_changed_months() }}",
        indexes=[
            {'columns': ['month', 'blog_id', 'days_to_answer'], 'unique': True},
            {'columns': ['refreshed_at']},
        ],
    )
}}

with

appeals as (

    select * from {{ ref('int_appeals__enriched') }}
    where days_to_answer is not null
        {% if is_incremental() %}
        and {{ in_changed_months('submitted_on') }}
        {% endif %}

),

final as (

    select
        cast(date_trunc('month', submitted_on) as date) as month,
        blog_id,
        days_to_answer,
        -- the blog's, as int_appeals__enriched gives them: one value per blog
        min(gov_body_code) as gov_body_code,
        min(body_type) as body_type,
        min(region_kato) as region_kato,
        count(*) as answers,
        {{ refreshed_at() }}
    from appeals
    group by cast(date_trunc('month', submitted_on) as date), blog_id, days_to_answer

)

select * from final
