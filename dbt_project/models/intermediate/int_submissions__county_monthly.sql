-- 县月度数据 Each county's current-version 表1 and 表3 figures per reporting month, one row
-- per county and period, with the file it came from.

with current_values as (

    select * from {{ ref('int_submissions__current_values') }}
    where form_table in ('t1', 't3')

),

pivoted as (

    select
        county_code,
        period,
        any_value(file_sha256) as file_sha256,
        any_value(version) as version,
        bool_or(is_simulated) as is_simulated,

        -- 表1 贫困人口
        {{ pivot_indicators(counts=[
            'registered_poor_total', 'lifted_cumulative', 'unlifted_households',
            'unlifted_persons', 'return_risk_persons', 'marginal_risk_persons',
            'lifted_this_month', 'newly_identified_this_month', 'returned_this_month',
            'risk_eliminated_this_month', 'low_income_persons', 'poor_villages_total',
            'villages_exited_cumulative',
        ]) }}

        -- 表3 三保障和饮水安全
        {{ pivot_indicators(counts=[
            'dropouts', 'unsafe_houses_outstanding', 'unsafe_houses_new',
            'unsafe_houses_renovated', 'villages_without_doctor', 'frozen_pipe_hazards',
            'frozen_pipe_fixed', 'uninsured_registered_poor',
        ]) }}

    from current_values
    group by county_code, period

)

select * from pivoted
