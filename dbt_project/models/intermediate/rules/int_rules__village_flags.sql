-- 村标识前后一致 Each supervised village's flags over the months, from its county's current
-- versions: a village reported as exited (已退出) does not return to unexited, and whether
-- it is a poor or a deep-poverty village does not change from one report to the next.

with flags as (

    select
        county_code,
        period,
        row_key as village_code,
        indicator,
        value_bool,
        file_sha256,
        sheet,
        cell,

    from {{ ref('int_submissions__current_values') }}
    where form_table = 't2'
        and indicator in ('exited', 'is_poor_village', 'is_deep_poverty')
        and value_bool is not null

),

with_history as (

    select
        *,
        -- exited in any earlier month this village was reported
        bool_or(value_bool) over (
            partition by county_code, village_code, indicator order by period
            rows between unbounded preceding and 1 preceding
        ) as exited_before,
        lag(value_bool) over (
            partition by county_code, village_code, indicator order by period
        ) as previous_value,
        lag(period) over (
            partition by county_code, village_code, indicator order by period
        ) as previous_period,

    from flags

),

exit_rows as (

    select
        {{ rule_row(
            "'village_exit_not_reversed'", 'county_code', 'period',
            "village_code || ' exited'", "'是'",
            "case when value_bool then '是' else '否' end",
            'case when value_bool then 0 else 1 end',
            'case when value_bool then 0 else 1 end', '0', 'file_sha256', 'sheet', 'cell',
        ) }}

    from with_history
    where indicator = 'exited' and exited_before

),

kind_rows as (

    select
        {{ rule_row(
            "'village_kind_stable'", 'county_code', 'period',
            "village_code || ' ' || indicator",
            "case when previous_value then '是' else '否' end || ' (' || previous_period || ')'",
            "case when value_bool then '是' else '否' end",
            'case when value_bool = previous_value then 0 else 1 end',
            'case when value_bool = previous_value then 0 else 1 end', '0', 'file_sha256',
            'sheet', 'cell',
        ) }}

    from with_history
    where indicator in ('is_poor_village', 'is_deep_poverty') and previous_value is not null

)

select * from exit_rows
union all by name
select * from kind_rows
