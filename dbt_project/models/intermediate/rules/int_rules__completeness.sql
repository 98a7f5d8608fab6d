-- 报送完整 Completeness of each reporting month: every one of the 75 counties has a usable
-- (current) report, and each county's 表2 lists every supervised village of the registry
-- and no village outside it. Months are the drop folders the office opened.

with months as (

    select distinct drop_month as period from {{ ref('stg_submissions__receipts') }}

),

counties as (

    select * from {{ ref('stg_reference__counties') }}

),

versions as (

    select * from {{ ref('int_submissions__versions') }}
    where is_current

),

registry as (

    select * from {{ ref('stg_reference__villages') }}

),

listed as (

    select distinct county_code, period, row_key as village_code, file_sha256,
    from {{ ref('int_submissions__current_values') }}
    where form_table = 't2'

),

county_rows as (

    select
        {{ rule_row(
            "'county_reported'", 'counties.county_code', 'months.period', "'report'",
            "'当前版本 current version'",
            "coalesce(versions.original_name, '未收到可用报表 none usable')",
            'case when versions.file_sha256 is null then 1 else 0 end',
            'case when versions.file_sha256 is null then 1 else 0 end', '0',
            'versions.file_sha256', 'null', 'null',
        ) }}

    from counties
    cross join months
    left join versions
        on versions.county_code = counties.county_code
        and versions.period = months.period

),

expected_villages as (

    select registry.county_code, versions.period, registry.village_code,
        versions.file_sha256,
    from registry
    inner join versions on versions.county_code = registry.county_code
    inner join months on months.period = versions.period

),

village_rows as (

    select
        {{ rule_row(
            "'village_listed'", 'expected_villages.county_code', 'expected_villages.period',
            'expected_villages.village_code', "'表2 列出 listed'",
            "case when listed.village_code is null then '未列出 missing'"
            ~ " else '已列出 listed' end",
            'case when listed.village_code is null then 1 else 0 end',
            'case when listed.village_code is null then 1 else 0 end', '0',
            'expected_villages.file_sha256', "'表2'", 'null',
        ) }}

    from expected_villages
    left join listed
        on listed.county_code = expected_villages.county_code
        and listed.period = expected_villages.period
        and listed.village_code = expected_villages.village_code

),

unknown_rows as (

    select
        {{ rule_row(
            "'village_in_registry'", 'listed.county_code', 'listed.period',
            'listed.village_code', "'督战村名录中的村 a registry village'",
            "case when registry.village_code is null then '名录外 not in registry'"
            ~ " else '名录内 in registry' end",
            'case when registry.village_code is null then 1 else 0 end',
            'case when registry.village_code is null then 1 else 0 end', '0',
            'listed.file_sha256', "'表2'", 'null',
        ) }}

    from listed
    left join registry
        on registry.village_code = listed.village_code
        and registry.county_code = listed.county_code

)

select * from county_rows
union all by name
select * from village_rows
union all by name
select * from unknown_rows
