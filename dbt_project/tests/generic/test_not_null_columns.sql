{#- None of `columns` holds a null. One scan of the model for all of them; a failing row
    names a column that has nulls and how many rows. (A not_null test per column costs dbt
    some 30 ms of its own work each, whatever the table's size: 135 of them took about 3 s
    of every run.) -#}
{% test not_null_columns(model, columns) %}
with null_rows as (

    select
    {%- for column in columns %}
        count(*) filter (where "{{ column }}" is null) as "{{ column }}"
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}

),

by_column as (

    unpivot null_rows on columns(*) into name column_name value rows_with_null

)

select column_name, rows_with_null
from by_column
where rows_with_null > 0
{% endtest %}
