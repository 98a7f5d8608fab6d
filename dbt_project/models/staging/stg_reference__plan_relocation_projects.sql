with source as (

    select * from {{ source('reference', 'plan_relocation_projects') }}

),

typed as (

    select
        cast(project_no as integer) as project_no,
        county_code,
        project_name,

    from source

)

select * from typed
