-- 县级月报（表1） Each county's reported people and villages per month, from its current
-- version, with the file it came from. Simulated rows say so in `is_simulated`.

with current_values as (

    select * from {{ ref('int_submissions__current_values') }}
    where form_table = 't1'

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

pivoted as (

    select
        county_code,
        period,
        any_value(file_sha256) as file_sha256,
        any_value(version) as version,
        bool_or(is_simulated) as is_simulated,
        {% for indicator in [
            'registered_poor_total', 'lifted_cumulative', 'unlifted_households',
            'unlifted_persons', 'return_risk_persons', 'marginal_risk_persons',
            'lifted_this_month', 'newly_identified_this_month', 'returned_this_month',
            'risk_eliminated_this_month', 'low_income_persons', 'poor_villages_total',
            'villages_exited_cumulative',
        ] %}
        cast(max(value_decimal) filter (where indicator = '{{ indicator }}') as bigint)
            as {{ indicator }},
        {% endfor %}

    from current_values
    group by county_code, period

),

final as (

    select
        pivoted.period,
        pivoted.county_code,
        counties.county_name,
        pivoted.* exclude (period, county_code),

    from pivoted
    left join counties on counties.county_code = pivoted.county_code

)

select * from final
