-- 省级挂牌督战县: the 8 counties the provincial leading group supervises itself (附件1),
-- with the people and villages each must still deliver.

with targets as (

    select * from {{ ref('int_plan__province_targets') }}

),

plan as (

    select * from {{ ref('stg_reference__plan_province_counties') }}

),

figures as (

    select * from {{ ref('int_plan__county_figures_reconciled') }}

),

prefectures as (

    select * from {{ ref('stg_reference__prefectures') }}

),

final as (

    select
        -- ids
        plan.plan_row,
        plan.county_code,
        targets.county_name,
        prefectures.prefecture_name,

        -- who supervises
        plan.provincial_leader,
        plan.prefecture_leaders,
        plan.lead_unit,
        plan.assisting_units,
        len(string_split(plan.assisting_units, '、')) as assisting_unit_count,

        -- targets of 附件1
        plan.target_unlifted_wan,
        plan.target_villages_to_exit,
        plan.target_text,

        -- the same county in 附件4
        figures.unlifted_wan,
        figures.return_risk_wan,
        figures.marginal_risk_wan,
        figures.total_wan,
        targets.target_matches_county_figure,

    from plan
    inner join targets on targets.plan_row = plan.plan_row
    left join figures on figures.county_code = plan.county_code
    left join prefectures on prefectures.prefecture_code = targets.prefecture_code

)

select * from final
