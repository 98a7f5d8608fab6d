-- 附件1 against 附件4 and 附件3: a county's target repeats its not-yet-lifted figure, and
-- its villages to exit belong to its prefecture's row.

with targets as (

    select * from {{ ref('stg_reference__plan_province_counties') }}

),

figures as (

    select * from {{ ref('int_plan__county_figures_reconciled') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

prefectures as (

    select * from {{ ref('stg_reference__plan_prefectures') }}

),

villages_by_prefecture as (

    select
        counties.prefecture_code,
        sum(targets.target_villages_to_exit) as target_villages_in_prefecture,

    from targets
    inner join counties on counties.county_code = targets.county_code
    group by counties.prefecture_code

),

compared as (

    select
        targets.plan_row,
        targets.county_code,
        counties.county_name,
        counties.prefecture_code,
        targets.target_unlifted_wan,
        targets.target_unlifted_wan_text,
        figures.unlifted_wan as county_unlifted_wan,
        figures.unlifted_wan_text as county_unlifted_wan_text,
        targets.target_unlifted_wan = figures.unlifted_wan as target_matches_county_figure,
        targets.target_villages_to_exit,
        villages_by_prefecture.target_villages_in_prefecture,
        prefectures.villages_unexited as prefecture_villages_unexited,
        villages_by_prefecture.target_villages_in_prefecture <= prefectures.villages_unexited
            as villages_fit_prefecture,

    from targets
    inner join counties on counties.county_code = targets.county_code
    left join figures on figures.county_code = targets.county_code
    left join villages_by_prefecture
        on villages_by_prefecture.prefecture_code = counties.prefecture_code
    left join prefectures on prefectures.prefecture_code = counties.prefecture_code

)

select * from compared
