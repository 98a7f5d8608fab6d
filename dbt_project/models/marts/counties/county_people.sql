-- 县级督战人口: every one of the 75 counties with the people it supervises (附件4), in 万人 as
-- published. 玛曲县 and 碌曲县 are rows 15 and 16 of 附件4 in some order the source does not
-- decide, so their figures stay empty and their attribution says why.

with counties as (

    select * from {{ ref('stg_reference__counties') }}

),

prefectures as (

    select * from {{ ref('stg_reference__prefectures') }}

),

figures as (

    select * from {{ ref('int_plan__county_figures_reconciled') }}

),

ambiguous_rows as (

    select
        candidate.code as county_code,
        string_agg(cast(figures.plan_row as varchar), '|' order by figures.plan_row)
            as candidate_plan_rows,

    from figures
    cross join unnest(string_split(figures.unresolved_candidates, '|')) as candidate(code)
    group by candidate.code

),

final as (

    select
        -- ids
        counties.county_code,
        counties.county_name,
        counties.county_name_in_plan,
        counties.prefecture_code,
        prefectures.prefecture_name,

        -- 附件4
        figures.plan_row,
        case
            when figures.plan_row is not null then 'resolved'
            else 'ambiguous: 附件4 row ' || ambiguous_rows.candidate_plan_rows
        end as plan_attribution,
        figures.total_wan,
        figures.unlifted_wan,
        figures.return_risk_wan,
        figures.marginal_risk_wan,
        figures.gap_wan,
        figures.tolerance_wan,

    from counties
    inner join prefectures on prefectures.prefecture_code = counties.prefecture_code
    left join figures on figures.county_code = counties.county_code
    left join ambiguous_rows on ambiguous_rows.county_code = counties.county_code

)

select * from final
