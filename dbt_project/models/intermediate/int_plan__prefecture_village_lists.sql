-- 附件3 per prefecture: do its parts add up, and does the list of named high-incidence
-- villages hold as many villages as the count says? 临夏州's list is not in the source
-- text at all, so its list cannot be checked and says so instead of passing or failing.

with prefectures as (

    select * from {{ ref('stg_reference__plan_prefectures') }}

),

named as (

    select
        prefecture_code,
        count(*) as named_villages,
        count(*) filter (where is_deep_poverty) as named_deep,
        count(distinct county_code) as named_counties,

    from {{ ref('stg_reference__plan_high_incidence_villages') }}
    group by prefecture_code

),

compared as (

    select
        prefectures.plan_row,
        prefectures.prefecture_code,
        prefectures.prefecture_name_in_plan,
        prefectures.villages_unexited,
        prefectures.deep_poverty_villages + prefectures.non_deep_villages as sum_of_kinds,
        prefectures.high_incidence_villages,
        prefectures.high_incidence_deep + prefectures.high_incidence_non_deep
            as sum_of_high_incidence_kinds,
        prefectures.named_list_status,
        coalesce(named.named_villages, 0) as named_villages,
        coalesce(named.named_deep, 0) as named_deep,
        prefectures.named_list_status = 'complete' as list_is_checkable,
        case
            when prefectures.named_list_status <> 'complete' then null
            else coalesce(named.named_villages, 0) = prefectures.high_incidence_villages
        end as named_list_matches_count,

    from prefectures
    left join named on named.prefecture_code = prefectures.prefecture_code

)

select * from compared
