-- 市州督战贫困村: the 394 unexited poor villages by prefecture (附件3), with the named
-- villages whose poverty incidence is above 10%.

with plan as (

    select * from {{ ref('stg_reference__plan_prefectures') }}

),

lists as (

    select * from {{ ref('int_plan__prefecture_village_lists') }}

),

prefectures as (

    select * from {{ ref('stg_reference__prefectures') }}

),

final as (

    select
        plan.plan_row,
        plan.prefecture_code,
        prefectures.prefecture_name,
        plan.villages_unexited,
        plan.deep_poverty_villages,
        plan.non_deep_villages,
        plan.high_incidence_villages,
        plan.high_incidence_deep,
        plan.high_incidence_non_deep,
        lists.named_villages,
        plan.named_list_status,
        lists.named_list_matches_count,
        plan.responsible_leaders,
        plan.target_text,

    from plan
    inner join lists on lists.plan_row = plan.plan_row
    inner join prefectures on prefectures.prefecture_code = plan.prefecture_code

)

select * from final
