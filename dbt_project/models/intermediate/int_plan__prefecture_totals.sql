-- 附件3: the prefecture rows against the published totals (394 / 373 / 21 / 103 / 102 / 1).
-- Village counts are whole numbers, so these compare exactly.

with prefectures as (

    select * from {{ ref('stg_reference__plan_prefectures') }}

),

totals as (

    select * from {{ ref('stg_reference__plan_totals') }}

),

column_sums as (

    select 'a3_villages_unexited' as figure_id, sum(villages_unexited) as observed from prefectures
    union all
    select 'a3_deep_poverty_villages', sum(deep_poverty_villages) from prefectures
    union all
    select 'a3_non_deep_villages', sum(non_deep_villages) from prefectures
    union all
    select 'a3_high_incidence_villages', sum(high_incidence_villages) from prefectures
    union all
    select 'a3_high_incidence_deep', sum(high_incidence_deep) from prefectures
    union all
    select 'a3_high_incidence_non_deep', sum(high_incidence_non_deep) from prefectures

),

compared as (

    select
        totals.figure_id,
        totals.label_zh,
        totals.label_en,
        cast(totals.published_value as integer) as published_total,
        cast(column_sums.observed as integer) as observed_sum,
        cast(column_sums.observed - totals.published_value as integer) as gap,

    from totals
    inner join column_sums on column_sums.figure_id = totals.figure_id

)

select * from compared
