-- 附件4 row by row: does each county's total equal its three parts, within the precision
-- the plan published them at? Rows 15 and 16 cannot be told apart (玛曲县 or 碌曲县), so
-- their prefecture comes from the candidates, which share it.

with figures as (

    select * from {{ ref('stg_reference__plan_county_figures') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

candidate_prefectures as (

    select
        figures.plan_row,
        min(counties.prefecture_code) as prefecture_code,
        count(distinct counties.prefecture_code) as prefecture_count,

    from figures
    cross join unnest(string_split(figures.unresolved_candidates, '|')) as candidate(code)
    inner join counties on counties.county_code = candidate.code
    group by figures.plan_row

),

precision as (

    select
        *,
        {{ half_unit('total_wan_text') }} as total_half_unit,
        {{ half_unit('unlifted_wan_text') }} as unlifted_half_unit,
        {{ half_unit('return_risk_wan_text') }} as return_risk_half_unit,
        {{ half_unit('marginal_risk_wan_text') }} as marginal_risk_half_unit,

    from figures

),

reconciled as (

    select
        precision.plan_row,
        precision.county_code,
        coalesce(counties.county_name, '未能辨认 (' || precision.unresolved_candidates || ')')
            as county_name,
        precision.county_name_in_plan,
        precision.unresolved_candidates,
        coalesce(counties.prefecture_code, candidate_prefectures.prefecture_code)
            as prefecture_code,
        candidate_prefectures.prefecture_count as candidate_prefecture_count,

        precision.total_wan,
        precision.unlifted_wan,
        precision.return_risk_wan,
        precision.marginal_risk_wan,
        precision.total_wan_text,
        precision.unlifted_wan_text,
        precision.return_risk_wan_text,
        precision.marginal_risk_wan_text,

        precision.unlifted_wan + precision.return_risk_wan + precision.marginal_risk_wan
            as sum_of_parts_wan,
        precision.unlifted_wan + precision.return_risk_wan + precision.marginal_risk_wan
            - precision.total_wan as gap_wan,
        precision.total_half_unit + precision.unlifted_half_unit
            + precision.return_risk_half_unit + precision.marginal_risk_half_unit
            as tolerance_wan,
        'half a unit in the last published place of each term: total '
            || precision.total_wan_text || ' ±' || cast(precision.total_half_unit as varchar)
            || ', parts ' || precision.unlifted_wan_text || ' ±'
            || cast(precision.unlifted_half_unit as varchar)
            || ', ' || precision.return_risk_wan_text || ' ±'
            || cast(precision.return_risk_half_unit as varchar)
            || ', ' || precision.marginal_risk_wan_text || ' ±'
            || cast(precision.marginal_risk_half_unit as varchar)
            as tolerance_derivation,

    from precision
    left join counties on counties.county_code = precision.county_code
    left join candidate_prefectures on candidate_prefectures.plan_row = precision.plan_row

)

select * from reconciled
