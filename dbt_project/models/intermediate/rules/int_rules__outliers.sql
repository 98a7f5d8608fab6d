-- 月度异常变动 Month-over-month changes that stand far out from the other counties' changes
-- in the same month, by the modified z-score (Iglewicz and Hoaglin):
--     z = 0.6745 × (r − median r) / MAD,   r = change ÷ last month's figure,
-- where MAD is the median absolute deviation of r over the counties that month. |z| above
-- 3.5 is a finding; medians are not pulled by the outliers themselves, as a mean would be.
-- Figures under 20 persons, and changes of fewer than 20, are left out: a change of a few
-- people is not a signal.

with monthly as (

    select * from {{ ref('int_submissions__county_monthly') }}

),

cells as (

    select county_code, period, indicator, any_value(sheet) as sheet,
        any_value(cell) as cell,
    from {{ ref('int_submissions__current_values') }}
    where form_table = 't1'
    group by all

),

long as (

    unpivot monthly
    on unlifted_persons, return_risk_persons, marginal_risk_persons, low_income_persons
    into name indicator value figure

),

changes as (

    select
        current_month.county_code,
        current_month.period,
        current_month.indicator,
        current_month.file_sha256,
        current_month.figure,
        previous.figure as previous_figure,
        (current_month.figure - previous.figure) / previous.figure as relative_change,

    from long as current_month
    inner join long as previous
        on previous.county_code = current_month.county_code
        and previous.indicator = current_month.indicator
        and previous.period = strftime(
            cast(current_month.period || '-01' as date) - interval 1 month, '%Y-%m'
        )
    where previous.figure >= 20 and current_month.figure is not null

),

spread as (

    select
        *,
        median(relative_change) over (partition by indicator, period) as median_change,
    from changes

),

scored as (

    select
        *,
        median(abs(relative_change - median_change)) over (partition by indicator, period)
            as mad,
    from spread

),

final as (

    select
        {{ rule_row(
            "'monthly_change_outlier'", 'scored.county_code', 'scored.period',
            'scored.indicator', 'round(scored.previous_figure * (1 + scored.median_change))',
            'scored.figure',
            'scored.figure - round(scored.previous_figure * (1 + scored.median_change))',
            'round(abs(0.6745 * (scored.relative_change - scored.median_change) / scored.mad), 2)',
            '3.5', 'scored.file_sha256', 'cells.sheet', 'cells.cell',
        ) }}

    from scored
    left join cells
        on cells.county_code = scored.county_code
        and cells.period = scored.period
        and cells.indicator = scored.indicator
    -- with no spread among the counties there is no scale to judge by; a county whose
    -- last poor person was lifted this month has reached the goal, not an outlier
    where scored.mad > 0
        and not (scored.indicator = 'unlifted_persons' and scored.figure = 0)
        and abs(scored.figure - scored.previous_figure) >= 20

)

select * from final
