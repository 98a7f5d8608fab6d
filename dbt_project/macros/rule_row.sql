{#- The columns every rule model returns, one row per subject a rule looks at, so the
    Great Expectations suites, the findings table and the county feedback read them alike.
    `drop_month` tells apart the same file delivered into two month folders.
    expected/observed as the figures a clerk reads, `violation` as how far the subject is
    from passing (0 when it passes) and `tolerance` as the largest violation accepted. -#}
{% macro rule_row(rule_id, county_code, period, subject, expected, observed, gap, violation,
                  tolerance, file_sha256, sheet, cell, drop_month='null') -%}
        md5(concat_ws('|', {{ rule_id }}, {{ county_code }}, {{ period }}, {{ subject }},
            coalesce({{ file_sha256 }}, ''), coalesce({{ drop_month }}, '')))
            as observation_id,
        {{ rule_id }} as rule_id,
        {{ county_code }} as county_code,
        {{ period }} as period,
        {{ subject }} as subject,
        cast({{ expected }} as varchar) as expected,
        cast({{ observed }} as varchar) as observed,
        cast({{ gap }} as double) as gap,
        cast({{ violation }} as double) as violation,
        cast({{ tolerance }} as double) as tolerance,
        {{ file_sha256 }} as file_sha256,
        {{ sheet }} as sheet,
        {{ cell }} as cell
{%- endmacro %}
