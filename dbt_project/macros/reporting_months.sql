{#- The reporting months a run covers; incremental tier marts replace only these months.
    The nightly load passes them in DUKAN_BUILD_MONTHS (comma-separated, YYYY-MM). Without
    it every month is rebuilt.

    Read only when a model runs incrementally, never while dbt parses: an environment
    variable read during parsing, like a `--vars` value, is part of what dbt compares to
    decide whether its saved parse still holds, and the months change every night. -#}
{% macro months_filter(column='period') -%}
    {%- if is_incremental() -%}
        {%- set months = env_var('DUKAN_BUILD_MONTHS', '').split(',') | reject('equalto', '') | list -%}
    {%- else -%}
        {%- set months = [] -%}
    {%- endif -%}
    {%- if months -%}
        {{ column }} in ({% for month in months %}'{{ month }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
