-- 县级月报（表1） Each county's reported people and villages per month, from its current
-- version, with the file it came from. Simulated rows say so in `is_simulated`.

with monthly as (

    select * from {{ ref('int_submissions__county_monthly') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

final as (

    select
        monthly.period,
        monthly.county_code,
        counties.county_name,
        monthly.file_sha256,
        monthly.version,
        monthly.is_simulated,
        monthly.registered_poor_total,
        monthly.lifted_cumulative,
        monthly.unlifted_households,
        monthly.unlifted_persons,
        monthly.return_risk_persons,
        monthly.marginal_risk_persons,
        monthly.lifted_this_month,
        monthly.newly_identified_this_month,
        monthly.returned_this_month,
        monthly.risk_eliminated_this_month,
        monthly.low_income_persons,
        monthly.poor_villages_total,
        monthly.villages_exited_cumulative,

    from monthly
    left join counties on counties.county_code = monthly.county_code

)

select * from final
