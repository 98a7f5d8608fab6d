-- 附件4 column by column: do the 75 counties add up to the published 合计 row?
-- Each cell and the total were rounded on their own, so the tolerance is the sum of half a
-- unit in the last place of all 76 terms; the derivation says how many terms had which
-- precision, so a reader can redo it by hand.

with figures as (

    select * from {{ ref('int_plan__county_figures_reconciled') }}

),

totals as (

    select * from {{ ref('stg_reference__plan_totals') }}

),

long_figures as (

    select 'a4_total_wan' as figure_id, total_wan as value_wan, total_wan_text as value_text
    from figures
    union all
    select 'a4_unlifted_wan', unlifted_wan, unlifted_wan_text from figures
    union all
    select 'a4_return_risk_wan', return_risk_wan, return_risk_wan_text from figures
    union all
    select 'a4_marginal_risk_wan', marginal_risk_wan, marginal_risk_wan_text from figures

),

with_precision as (

    select
        *,
        {{ half_unit('value_text') }} as half_unit,

    from long_figures

),

precision_counts as (

    select
        figure_id,
        half_unit,
        count(*) as term_count,

    from with_precision
    group by figure_id, half_unit

),

derivations as (

    select
        figure_id,
        string_agg(
            cast(term_count as varchar) || ' × ±' || cast(half_unit as varchar),
            ' + ' order by half_unit desc
        ) as terms_text,

    from precision_counts
    group by figure_id

),

sums as (

    select
        figure_id,
        count(*) as county_rows,
        sum(value_wan) as observed_sum_wan,
        sum(half_unit) as terms_tolerance_wan,

    from with_precision
    group by figure_id

),

reconciled as (

    select
        totals.figure_id,
        totals.label_zh,
        totals.label_en,
        sums.county_rows,
        totals.published_value as published_total_wan,
        sums.observed_sum_wan,
        sums.observed_sum_wan - totals.published_value as gap_wan,
        sums.terms_tolerance_wan + {{ half_unit('totals.published_text') }} as tolerance_wan,
        'half a unit in the last published place of every term: county cells '
            || derivations.terms_text || '; published total ' || totals.published_text
            || ' ±' || cast({{ half_unit('totals.published_text') }} as varchar)
            as tolerance_derivation,

    from totals
    inner join sums on sums.figure_id = totals.figure_id
    inner join derivations on derivations.figure_id = totals.figure_id

)

select * from reconciled
