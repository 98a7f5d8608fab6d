-- 督战村名录核对 The village registry against the plan: per prefecture the unexited poor
-- villages by kind (附件3), per undelisted county its villages to exit (附件1), and the
-- named high-incidence villages present under their names.

with villages as (

    select * from {{ ref('stg_reference__villages') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

plan_prefectures as (

    select * from {{ ref('stg_reference__plan_prefectures') }}

),

plan_counties as (

    select * from {{ ref('stg_reference__plan_province_counties') }}

),

named as (

    select * from {{ ref('stg_reference__plan_high_incidence_villages') }}

),

by_prefecture as (

    select
        counties.prefecture_code,
        count(*) filter (where is_poor_village) as villages_unexited,
        count(*) filter (where is_poor_village and is_deep_poverty) as deep_poverty_villages,
        count(*) filter (where is_poor_village and not is_deep_poverty) as non_deep_villages,
        count(*) filter (where is_poor_village and is_high_incidence) as high_incidence_villages,

    from villages
    inner join counties on counties.county_code = villages.county_code
    group by counties.prefecture_code

),

prefecture_rows as (

    select
        'prefecture' as scope,
        plan.prefecture_name_in_plan || ' ' || measure.name as subject,
        measure.plan_count,
        coalesce(measure.registry_count, 0) as registry_count,

    from plan_prefectures as plan
    left join by_prefecture on by_prefecture.prefecture_code = plan.prefecture_code
    cross join lateral (
        values
            ('villages_unexited', plan.villages_unexited, by_prefecture.villages_unexited),
            ('deep_poverty_villages', plan.deep_poverty_villages,
                by_prefecture.deep_poverty_villages),
            ('non_deep_villages', plan.non_deep_villages, by_prefecture.non_deep_villages),
            ('high_incidence_villages', plan.high_incidence_villages,
                by_prefecture.high_incidence_villages)
    ) as measure(name, plan_count, registry_count)

),

county_rows as (

    select
        'county' as scope,
        plan.county_name_in_plan || ' villages_to_exit' as subject,
        plan.target_villages_to_exit as plan_count,
        count(villages.village_code) filter (where villages.is_poor_village) as registry_count,

    from plan_counties as plan
    left join villages on villages.county_code = plan.county_code
    group by plan.county_name_in_plan, plan.target_villages_to_exit

),

named_rows as (

    select
        'named_village' as scope,
        named.village_name || ' (' || named.county_code || ' #'
            || cast(named.list_position as varchar) || ')' as subject,
        1 as plan_count,
        count(villages.village_code) as registry_count,

    from named
    left join villages
        on villages.county_code = named.county_code
        and villages.plan_list_position = named.list_position
        and villages.village_name = named.village_name
        and villages.is_high_incidence
    group by named.village_name, named.county_code, named.list_position

),

final as (

    select * from prefecture_rows
    union all
    select * from county_rows
    union all
    select * from named_rows

)

select * from final
