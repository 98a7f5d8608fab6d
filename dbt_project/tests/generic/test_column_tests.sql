{#- The column tests of one model, in one scan of it:

    - `not_null`: none of these columns holds a null;
    - `unique`: none of these columns holds a value twice (nulls aside, as dbt's `unique`);
    - `accepted_values`: each column holds only its listed values (nulls pass, as in dbt's
      `accepted_values`); a value that is not text is written as it is, unquoted.

    A failing row names the test, the column and how many rows fail it (for `unique`, the
    rows beyond the first of each repeated value). dbt spends some 30 ms of its own work
    on every test whatever the table's size: one test per column and kind (184 of them)
    took about 5 s of every run. -#}
{% test column_tests(model, not_null=[], unique=[], accepted_values={}) %}
{%- set counts = [] -%}
{%- for column in not_null -%}
    {%- do counts.append(('not_null', column,
        'count(*) filter (where "' ~ column ~ '" is null)')) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do counts.append(('unique', column,
        'count("' ~ column ~ '") - count(distinct "' ~ column ~ '")')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append("'" ~ (value | replace("'", "''")) ~ "'" if value is string
                             else value | string) -%}
    {%- endfor -%}
    {%- do counts.append(('accepted_values', column,
        'count(*) filter (where "' ~ column ~ '" not in (' ~ listed | join(', ') ~ '))')) -%}
{%- endfor -%}
with failing as (

    select
    {%- for test, column, count in counts %}
        {{ count }} as "{{ test }}:{{ column }}"{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}

),

by_test as (

    unpivot failing on columns(*) into name test_column value failing_rows

)

select
    split_part(test_column, ':', 1) as test,
    split_part(test_column, ':', 2) as column_name,
    failing_rows
from by_test
where failing_rows > 0
{% endtest %}
