with source as (

    select * from {{ source('reference', 'plan_county_figures') }}

),

typed as (

    select
        -- ids
        cast(plan_row as integer) as plan_row,
        nullif(county_code, '') as county_code,
        nullif(name_in_plan, '') as county_name_in_plan,
        nullif(unresolved_candidates, '') as unresolved_candidates,

        -- figures in 万人, exact as published
        cast(total_wan as decimal(12, 4)) as total_wan,
        cast(unlifted_wan as decimal(12, 4)) as unlifted_wan,
        cast(return_risk_wan as decimal(12, 4)) as return_risk_wan,
        cast(marginal_risk_wan as decimal(12, 4)) as marginal_risk_wan,

        -- the published text, which carries each figure's precision
        total_wan as total_wan_text,
        unlifted_wan as unlifted_wan_text,
        return_risk_wan as return_risk_wan_text,
        marginal_risk_wan as marginal_risk_wan_text,

    from source

)

select * from typed
