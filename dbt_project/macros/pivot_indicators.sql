{#- One column per indicator from the long value rows of the grouped query: counts as
    BIGINT, decimals as DECIMAL(18, 4), yes/no as BOOLEAN. Not reported stays NULL. -#}
{% macro pivot_indicators(counts=[], decimals=[], flags=[]) -%}
    {%- for indicator in counts %}
        cast(max(value_decimal) filter (where indicator = '{{ indicator }}') as bigint)
            as {{ indicator }},
    {%- endfor %}
    {%- for indicator in decimals %}
        max(value_decimal) filter (where indicator = '{{ indicator }}') as {{ indicator }},
    {%- endfor %}
    {%- for indicator in flags %}
        bool_or(value_bool) filter (where indicator = '{{ indicator }}') as {{ indicator }},
    {%- endfor %}
{%- endmacro %}
