{#- Table macros for auditors, created in the warehouse file after every dbt run so that a
    read-only connection can call them. `as_of` is a timestamp (a date means its midnight,
    Asia/Shanghai): the versions in force then are those with
    in_force_from <= as_of < in_force_until (see audit.submission_history).

    audit.values_as_of(as_of)         every value in force, with its file, sheet and cell
    audit.county_figures_as_of(as_of) the county tier (表1 per county and month) as seen then
-#}
{% macro create_audit_macros() -%}
    {%- if execute -%}
    create schema if not exists audit;

    create or replace macro audit.values_as_of(as_of) as table
        select
            history.county_code,
            history.county_name,
            history.period,
            history.version,
            history.original_name,
            history.file_sha256,
            history.received_at,
            values_."table" as form_table,
            values_.row_key,
            values_.indicator,
            values_.value_decimal,
            values_.value_bool,
            values_.value_text,
            values_.sheet,
            values_.cell,
        from audit.submission_history as history
        inner join submissions."values" as values_
            on values_.file_sha256 = history.file_sha256
            and values_.drop_month = history.drop_month
        where history.in_force_from <= cast(as_of as timestamptz)
            and (history.in_force_until is null
                or history.in_force_until > cast(as_of as timestamptz));

    create or replace macro audit.county_figures_as_of(as_of) as table
        select
            county_code, county_name, period, version, original_name, file_sha256,
            {%- for indicator in t1_indicators() %}
            cast(max(value_decimal) filter (where indicator = '{{ indicator }}') as bigint)
                as {{ indicator }},
            {%- endfor %}
        from audit.values_as_of(as_of)
        where form_table = 't1'
        group by county_code, county_name, period, version, original_name, file_sha256;
    {%- endif -%}
{%- endmacro %}

{#- The 表1 indicators, in the form's order. -#}
{% macro t1_indicators() -%}
    {{ return([
        'registered_poor_total', 'lifted_cumulative', 'unlifted_households',
        'unlifted_persons', 'return_risk_persons', 'marginal_risk_persons',
        'lifted_this_month', 'newly_identified_this_month', 'returned_this_month',
        'risk_eliminated_this_month', 'low_income_persons', 'poor_villages_total',
        'villages_exited_cumulative',
    ]) }}
{%- endmacro %}
