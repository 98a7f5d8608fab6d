{#- Schemas are named after the tier (province, counties, ...) so that auditors read
    `counties.county_people`, not dbt's default `main_counties.county_people`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
