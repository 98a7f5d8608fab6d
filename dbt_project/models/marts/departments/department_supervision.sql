-- 省直部门督战: the 10 provincial departments, the counties each supervises and how many
-- of its targets can be measured from the counties' monthly reports.

with departments as (

    select * from {{ ref('stg_reference__plan_departments') }}

),

supervised as (

    select
        department_counties.plan_row,
        count(*) as supervised_county_count,
        string_agg(counties.county_name_in_plan, '、' order by counties.county_code)
            as supervised_counties,

    from {{ ref('stg_reference__plan_department_counties') }} as department_counties
    inner join {{ ref('stg_reference__counties') }} as counties
        on counties.county_code = department_counties.county_code
    group by department_counties.plan_row

),

measurable as (

    select
        plan_row,
        count(*) as measurable_target_count,
        string_agg(label_zh, '；' order by target_id) as measurable_targets,

    from {{ ref('stg_reference__plan_department_targets') }}
    group by plan_row

),

final as (

    select
        departments.plan_row,
        departments.department,
        departments.supervised_scope,
        supervised.supervised_county_count,
        supervised.supervised_counties,
        coalesce(measurable.measurable_target_count, 0) as measurable_target_count,
        measurable.measurable_targets,
        departments.problems,
        departments.provincial_leader,
        departments.department_head,
        departments.targets_text,

    from departments
    left join supervised on supervised.plan_row = departments.plan_row
    left join measurable on measurable.plan_row = departments.plan_row

)

select * from final
