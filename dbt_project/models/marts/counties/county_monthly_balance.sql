{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='period') }}

-- 县级督战月度平衡 Counties tier by month: people not lifted, at risk of return, marginal,
-- and the month-to-month balance remaining(t) = remaining(t−1) − lifted + newly identified
-- + returned, with its gap. Counts are whole persons, so the balance must hold exactly.

with monthly as (

    select * from {{ ref('int_submissions__county_monthly') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

with_previous as (

    select
        *,
        lag(period) over (partition by county_code order by period) as previous_period,
        lag(unlifted_persons) over (partition by county_code order by period)
            as previous_unlifted_persons,

    from monthly

),

balanced as (

    select
        with_previous.period,
        with_previous.county_code,
        counties.county_name,
        counties.prefecture_code,

        -- people supervised at the county tier (附件4's three groups)
        with_previous.unlifted_persons,
        with_previous.return_risk_persons,
        with_previous.marginal_risk_persons,
        with_previous.low_income_persons,

        -- the month's flows
        with_previous.lifted_this_month,
        with_previous.newly_identified_this_month,
        with_previous.returned_this_month,
        with_previous.risk_eliminated_this_month,

        -- the balance, only against the month just before
        case
            when with_previous.previous_period
                = strftime(cast(with_previous.period || '-01' as date) - interval 1 month, '%Y-%m')
                then with_previous.previous_unlifted_persons
        end as previous_unlifted_persons,

        with_previous.is_simulated,
        with_previous.file_sha256,
        with_previous.version,

    from with_previous
    left join counties on counties.county_code = with_previous.county_code

),

final as (

    select
        *,
        previous_unlifted_persons - lifted_this_month + newly_identified_this_month
            + returned_this_month as expected_unlifted_persons,
        unlifted_persons - (
            previous_unlifted_persons - lifted_this_month + newly_identified_this_month
            + returned_this_month
        ) as balance_gap,
        case
            when previous_unlifted_persons is null then 'no_previous_month'
            when unlifted_persons is null or lifted_this_month is null
                or newly_identified_this_month is null or returned_this_month is null
                then 'not_reported'
            when unlifted_persons = previous_unlifted_persons - lifted_this_month
                + newly_identified_this_month + returned_this_month then 'balanced'
            else 'gap'
        end as balance_status,

    from balanced
    where {{ months_filter() }}

)

select * from final
