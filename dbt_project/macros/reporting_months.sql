{#- The reporting months a run covers, from `--vars '{months: [...]}'`; incremental tier
    marts replace only these months. Without the variable every month is rebuilt. -#}
{% macro months_filter(column='period') -%}
    {%- set months = var('months', none) -%}
    {%- if is_incremental() and months -%}
        {{ column }} in ({% for month in months %}'{{ month }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
