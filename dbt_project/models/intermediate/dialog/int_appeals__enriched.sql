-- One row per appeal, with the owning body from the blog registry, the appeal a follow-up
-- continues, and the time to answer.

with

appeals as (

    select * from {{ ref('stg_dialog__appeals') }}

),

blogs as (

    select * from {{ ref('stg_dialog__blogs') }}

),

original_appeals as (

    -- numbers are unique on the portal; min() keeps one row per number should that ever break
    select
        number,
        min(question_id) as question_id
    from appeals
    where number not like '%/%'
    group by number

),

enriched as (

    select
        appeals.question_id,
        appeals.number,
        -- "754733/1" continues appeal number 754733
        original_appeals.question_id as parent_question_id,
        appeals.blog_id,
        blogs.gov_body_code,
        blogs.gov_body_name_ru,
        blogs.body_type,
        blogs.region_kato,
        appeals.category,
        appeals.submitted_on,
        appeals.status,
        appeals.answered_on,
        appeals.rejected_on,
        appeals.answered_on - appeals.submitted_on as days_to_answer,
        appeals.responder,
        appeals.rating,
        appeals.views,
        appeals.appeal_text,
        appeals.answer_text,
        appeals.observed_at
    from appeals
    left join blogs
        on appeals.blog_id = blogs.blog_id
    left join original_appeals
        on appeals.number like '%/%'
        and original_appeals.number = split_part(appeals.number, '/', 1)

)

select * from enriched
