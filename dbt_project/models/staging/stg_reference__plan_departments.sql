with source as (

    select * from {{ source('reference', 'plan_departments') }}

),

typed as (

    select
        cast(plan_row as integer) as plan_row,
        department,
        supervised_scope,
        nullif(problems, '') as problems,
        nullif(provincial_leader, '') as provincial_leader,
        nullif(department_head, '') as department_head,
        targets_text,

    from source

)

select * from typed
