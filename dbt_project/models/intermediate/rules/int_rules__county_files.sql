-- 文件级规则 The rules every accepted county file must pass before its figures may reach
-- the tiers. One row per file and subject; a violation above the tolerance holds the file
-- back (int_submissions__versions), and the earlier version, if any, stays current.
-- Counts are whole, so every tolerance here is 0.

with figures as (

    select * from {{ ref('int_submissions__file_figures') }}

),

cells as (

    select file_sha256, drop_month, form_table, row_key, indicator, sheet, cell,
        value_decimal,
    from {{ ref('stg_submissions__values') }}

),

cell_of as (

    select file_sha256, drop_month, indicator, any_value(sheet) as sheet,
        any_value(cell) as cell,
    from cells
    where form_table in ('t1', 't3')
    group by all

),

-- 月度平衡: the previous month's file against which this one balances best. A county may
-- have sent several files for the previous month (corrections, a file with the wrong
-- period); the figures continue from one of them, so the closest is the fair comparison.
previous_candidates as (

    select
        figures.file_sha256,
        figures.drop_month,
        previous.file_sha256 as previous_file_sha256,
        previous.unlifted_persons - figures.lifted_this_month
            + figures.newly_identified_this_month + figures.returned_this_month
            as expected_unlifted_persons,
        row_number() over (
            partition by figures.file_sha256, figures.drop_month
            order by
                abs(figures.unlifted_persons - (
                    previous.unlifted_persons - figures.lifted_this_month
                    + figures.newly_identified_this_month + figures.returned_this_month
                )),
                previous.received_at desc,
                previous.file_sha256
        ) as closeness,

    from figures
    inner join figures as previous
        on previous.county_code = figures.county_code
        and previous.period = strftime(
            cast(figures.period || '-01' as date) - interval 1 month, '%Y-%m'
        )
    where previous.unlifted_persons is not null
        and figures.unlifted_persons is not null
        and figures.lifted_this_month is not null
        and figures.newly_identified_this_month is not null
        and figures.returned_this_month is not null

),

flow_balance as (

    select
        figures.*,
        best.expected_unlifted_persons,
        best.previous_file_sha256,

    from figures
    inner join previous_candidates as best
        on best.file_sha256 = figures.file_sha256
        and best.drop_month = figures.drop_month
        and best.closeness = 1

),

-- 部分不大于总数 A part never exceeds the total it belongs to.
bounds as (

    select file_sha256, drop_month, county_code, period, part, part_value, total, total_value
    from figures
    cross join lateral (
        values
            ('lifted_cumulative', lifted_cumulative,
             'registered_poor_total', registered_poor_total),
            ('unlifted_persons', unlifted_persons,
             'registered_poor_total', registered_poor_total),
            ('unlifted_households', unlifted_households,
             'unlifted_persons', unlifted_persons),
            ('villages_exited_cumulative', villages_exited_cumulative,
             'poor_villages_total', poor_villages_total),
            ('frozen_pipe_fixed', frozen_pipe_fixed,
             'frozen_pipe_hazards', frozen_pipe_hazards)
    ) as pairs(part, part_value, total, total_value)
    where part_value is not null and total_value is not null

),

rectified as (

    select
        found.file_sha256,
        found.drop_month,
        found.row_key as source,
        found.value_decimal as issues_found,
        fixed.value_decimal as issues_rectified,
        fixed.sheet,
        fixed.cell,

    from cells as found
    inner join cells as fixed
        on fixed.file_sha256 = found.file_sha256
        and fixed.drop_month = found.drop_month
        and fixed.form_table = 't4'
        and fixed.row_key = found.row_key
        and fixed.indicator = 'issues_rectified'
    where found.form_table = 't4' and found.indicator = 'issues_found'
        and found.value_decimal is not null and fixed.value_decimal is not null

),

negatives as (

    select
        file_sha256,
        drop_month,
        min(value_decimal) as smallest_count,
        arg_min(sheet, value_decimal) as sheet,
        arg_min(cell, value_decimal) as cell,

    from cells
    where value_decimal is not null
    group by file_sha256, drop_month

),

flow_rows as (

    select
        flow_balance.drop_month,
        {{ rule_row(
            "'flow_balance'", 'flow_balance.county_code', 'flow_balance.period',
            "'unlifted_persons'", 'flow_balance.expected_unlifted_persons',
            'flow_balance.unlifted_persons',
            'flow_balance.unlifted_persons - flow_balance.expected_unlifted_persons',
            'abs(flow_balance.unlifted_persons - flow_balance.expected_unlifted_persons)',
            '0', 'flow_balance.file_sha256', 'cell_of.sheet', 'cell_of.cell',
            'flow_balance.drop_month',
        ) }}

    from flow_balance
    left join cell_of
        on cell_of.file_sha256 = flow_balance.file_sha256
        and cell_of.drop_month = flow_balance.drop_month
        and cell_of.indicator = 'unlifted_persons'

),

stock_rows as (

    select
        figures.drop_month,
        {{ rule_row(
            "'registered_equals_lifted_plus_unlifted'", 'figures.county_code',
            'figures.period', "'registered_poor_total'",
            'figures.lifted_cumulative + figures.unlifted_persons',
            'figures.registered_poor_total',
            'figures.registered_poor_total - figures.lifted_cumulative - figures.unlifted_persons',
            'abs(figures.registered_poor_total - figures.lifted_cumulative'
            ~ ' - figures.unlifted_persons)',
            '0', 'figures.file_sha256', 'cell_of.sheet', 'cell_of.cell',
            'figures.drop_month',
        ) }}

    from figures
    left join cell_of
        on cell_of.file_sha256 = figures.file_sha256
        and cell_of.drop_month = figures.drop_month
        and cell_of.indicator = 'registered_poor_total'
    where figures.registered_poor_total is not null
        and figures.lifted_cumulative is not null
        and figures.unlifted_persons is not null

),

bound_rows as (

    select
        bounds.drop_month,
        {{ rule_row(
            "'part_within_total'", 'bounds.county_code', 'bounds.period',
            "bounds.part || ' <= ' || bounds.total", "'<= ' || bounds.total_value",
            'bounds.part_value', 'bounds.part_value - bounds.total_value',
            'greatest(bounds.part_value - bounds.total_value, 0)', '0',
            'bounds.file_sha256', 'cell_of.sheet', 'cell_of.cell',
            'bounds.drop_month',
        ) }}

    from bounds
    left join cell_of
        on cell_of.file_sha256 = bounds.file_sha256
        and cell_of.drop_month = bounds.drop_month
        and cell_of.indicator = bounds.part

),

rectified_rows as (

    select
        rectified.drop_month,
        {{ rule_row(
            "'part_within_total'", 'figures.county_code', 'figures.period',
            "'issues_rectified <= issues_found: ' || rectified.source",
            "'<= ' || cast(rectified.issues_found as bigint)",
            'cast(rectified.issues_rectified as bigint)',
            'rectified.issues_rectified - rectified.issues_found',
            'greatest(rectified.issues_rectified - rectified.issues_found, 0)', '0',
            'rectified.file_sha256', 'rectified.sheet', 'rectified.cell',
            'rectified.drop_month',
        ) }}

    from rectified
    inner join figures
        on figures.file_sha256 = rectified.file_sha256
        and figures.drop_month = rectified.drop_month

),

negative_rows as (

    select
        negatives.drop_month,
        {{ rule_row(
            "'count_not_negative'", 'figures.county_code', 'figures.period',
            "'smallest count'", "'>= 0'", 'negatives.smallest_count',
            'least(negatives.smallest_count, 0)', 'greatest(-negatives.smallest_count, 0)',
            '0', 'negatives.file_sha256', 'negatives.sheet', 'negatives.cell',
            'negatives.drop_month',
        ) }}

    from negatives
    inner join figures
        on figures.file_sha256 = negatives.file_sha256
        and figures.drop_month = negatives.drop_month

),

unioned as (

    select * from flow_rows
    union all by name
    select * from stock_rows
    union all by name
    select * from bound_rows
    union all by name
    select * from rectified_rows
    union all by name
    select * from negative_rows

),

final as (

    select
        *,
        -- A file is held when any of its subjects breaks a rule beyond the tolerance.
        bool_or(violation > tolerance) over (partition by file_sha256, drop_month) as is_held,

    from unioned

)

select * from final
