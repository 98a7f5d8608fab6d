-- OCR 校正记录: every reference cell that differs from the OCR text of the plan, with the
-- evidence that decided it, so an auditor can ask "why is this figure not what the PDF says".

with corrections as (

    select * from {{ ref('stg_reference__corrections') }}

)

select * from corrections
