-- 方案自洽核对: every equation the plan must satisfy, one row each, with what was expected,
-- what was observed, the gap, the tolerance and how the tolerance was derived. This is the
-- table auditors read; the Great Expectations checks enforce the same rules.

with column_totals as (

    select * from {{ ref('int_plan__column_totals') }}

),

county_rows as (

    select * from {{ ref('int_plan__county_figures_reconciled') }}

),

prefecture_totals as (

    select * from {{ ref('int_plan__prefecture_totals') }}

),

prefecture_lists as (

    select * from {{ ref('int_plan__prefecture_village_lists') }}

),

targets as (

    select * from {{ ref('int_plan__province_targets') }}

),

village_registry as (

    select * from {{ ref('int_plan__village_registry_reconciled') }}

),

rules as (

    select
        'a4_column_total' as rule_id,
        figure_id || ' ' || label_zh as subject,
        cast(published_total_wan as decimal(18, 4)) as expected,
        cast(observed_sum_wan as decimal(18, 4)) as observed,
        cast(gap_wan as decimal(18, 4)) as gap,
        cast(tolerance_wan as decimal(18, 6)) as tolerance,
        tolerance_derivation,
    from column_totals

    union all

    select
        'a4_row_parts',
        cast(plan_row as varchar) || ' ' || county_name,
        total_wan,
        sum_of_parts_wan,
        gap_wan,
        tolerance_wan,
        tolerance_derivation,
    from county_rows

    union all

    select
        'a3_column_total',
        figure_id || ' ' || label_zh,
        published_total,
        observed_sum,
        gap,
        0,
        'whole villages: exact',
    from prefecture_totals

    union all

    select
        'a3_named_villages',
        prefecture_name_in_plan,
        high_incidence_villages,
        named_villages,
        named_villages - high_incidence_villages,
        0,
        case when list_is_checkable then 'whole villages: exact'
            else 'not checkable: list ' || named_list_status end,
    from prefecture_lists

    union all

    select
        'a1_target_equals_a4',
        county_name,
        target_unlifted_wan,
        county_unlifted_wan,
        county_unlifted_wan - target_unlifted_wan,
        0,
        'the same published figure in two attachments: exact (' || target_unlifted_wan_text
            || ' vs ' || county_unlifted_wan_text || ')',
    from targets

    union all

    select
        'village_registry',
        subject,
        plan_count,
        registry_count,
        registry_count - plan_count,
        0,
        'whole villages: exact',
    from village_registry

),

final as (

    select
        *,
        case
            when tolerance_derivation like 'not checkable%' then 'not_checkable'
            when abs(gap) <= tolerance then 'pass'
            else 'fail'
        end as outcome,

    from rules

)

select * from final
