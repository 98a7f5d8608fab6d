-- 文件收件 One row per delivered file (content) and drop month: when it first arrived and
-- the name it first arrived under. The same bytes delivered twice are one submission.

with receipts as (

    select * from {{ ref('stg_submissions__receipts') }}

),

per_file as (

    select
        file_sha256,
        drop_month,
        min(received_at) as received_at,
        arg_min(original_name, received_at) as original_name,
        count(*) as deliveries,

    from receipts
    group by file_sha256, drop_month

)

select * from per_file
