with source as (

    select * from {{ source('submissions', 'simulation_manifest') }}

),

typed as (

    select
        sha256 as file_sha256,
        file_name,
        relative_path,
        kind as file_kind,
        county_code,
        prefecture_code,
        period,
        cast(version as integer) as simulated_version,
        scenario,
        seed,

    from source

)

select * from typed
