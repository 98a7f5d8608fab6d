-- 数字来源 Which reported cells each monthly tier figure is computed from: for a column of a
-- mart, the form table and indicator of the county submissions it reads, the month (0 = the
-- row's month, -1 = the month before) and whose submissions (scope). `dukan trace` follows
-- it from a figure to the files, sheets and cells; auditors can join it themselves.
-- '*target' means the indicator named by the department target of the row; form table
-- 'file' means the figure counts files (versions), not cells.

{%- set t1 = [
    'registered_poor_total', 'lifted_cumulative', 'unlifted_households', 'unlifted_persons',
    'return_risk_persons', 'marginal_risk_persons', 'lifted_this_month',
    'newly_identified_this_month', 'returned_this_month', 'risk_eliminated_this_month',
    'low_income_persons', 'poor_villages_total', 'villages_exited_cumulative',
] %}
{%- set balance_inputs = [
    ('t1', 'unlifted_persons', -1), ('t1', 'lifted_this_month', 0),
    ('t1', 'newly_identified_this_month', 0), ('t1', 'returned_this_month', 0),
] %}
{%- set gap_inputs = [
    ('t3', 'dropouts', 0), ('t3', 'unsafe_houses_outstanding', 0),
    ('t3', 'villages_without_doctor', 0), ('t3', 'uninsured_registered_poor', 0),
    ('t3', 'frozen_pipe_hazards', 0), ('t3', 'frozen_pipe_fixed', 0), ('t2', 'safe_water', 0),
] %}
{%- set same = [('t1', 'unlifted_persons', 0)] %}

{#- (model, scope, column, [(form table, indicator, month offset), ...]) -#}
{%- set spec = [] %}
{%- for indicator in t1 %}
    {%- do spec.append(('counties.county_monthly_report', 'county', indicator,
                        [('t1', indicator, 0)])) %}
{%- endfor %}
{%- for indicator in t1[3:11] %}
    {%- do spec.append(('counties.county_monthly_balance', 'county', indicator,
                        [('t1', indicator, 0)])) %}
{%- endfor %}
{%- do spec.extend([
    ('counties.county_monthly_balance', 'county', 'previous_unlifted_persons',
     [('t1', 'unlifted_persons', -1)]),
    ('counties.county_monthly_balance', 'county', 'expected_unlifted_persons', balance_inputs),
    ('counties.county_monthly_balance', 'county', 'balance_gap', balance_inputs + same),
    ('province.province_monthly_progress', 'county', 'persons_remaining', same),
    ('province.province_monthly_progress', 'county', 'persons_progress_pct', same),
    ('province.province_monthly_progress', 'county', 'villages_remaining', [('t2', 'exited', 0)]),
    ('province.province_monthly_progress', 'county', 'villages_without_safe_water',
     [('t2', 'safe_water', 0)]),
    ('province.province_monthly_progress', 'county', 'frozen_pipes_outstanding', gap_inputs[4:6]),
    ('province.province_monthly_progress', 'county', 'open_gaps', gap_inputs),
    ('dispatch.dispatch_monthly_overview', 'focus', 'focus_persons_remaining', same),
    ('dispatch.dispatch_monthly_overview', 'focus', 'focus_counties_ready', same),
    ('dispatch.dispatch_monthly_overview', 'province', 'focus_villages_remaining',
     [('t2', 'exited', 0)]),
]) %}
{%- for column in ['dropouts', 'unsafe_houses_outstanding', 'villages_without_doctor',
                   'uninsured_registered_poor'] %}
    {%- do spec.append(('province.province_monthly_progress', 'county', column,
                        [('t3', column, 0)])) %}
{%- endfor %}
{%- for column in ['villages_reported', 'villages_exited', 'villages_remaining',
                   'high_incidence_exited', 'named_villages_exited'] %}
    {%- do spec.append(('prefectures.prefecture_monthly_villages', 'prefecture', column,
                        [('t2', 'exited', 0)])) %}
{%- endfor %}
{%- for column in ['counties_reporting', 'subjects', 'subjects_meeting', 'share_meeting_pct',
                   'measured_total', 'target_met'] %}
    {%- do spec.append(('departments.department_monthly_targets', 'department', column,
                        [(none, '*target', 0)])) %}
{%- endfor %}
{%- for column, indicator in [
    ('registered_poor_reported', 'registered_poor_total'),
    ('poor_villages_reported', 'poor_villages_total'), ('unlifted_persons', 'unlifted_persons'),
    ('return_risk_persons', 'return_risk_persons'),
    ('marginal_risk_persons', 'marginal_risk_persons')] %}
    {%- do spec.append(('dispatch.dispatch_monthly_overview', 'province', column,
                        [('t1', indicator, 0)])) %}
{%- endfor %}
{%- for column in ['counties_reported', 'counties_missing', 'counties_held', 'counties_late',
                   'counties_resubmitted'] %}
    {%- do spec.append(('dispatch.dispatch_monthly_overview', 'province', column,
                        [('file', none, 0)])) %}
{%- endfor %}
{%- for column in ['versions', 'first_received_at', 'last_received_at', 'timeliness'] %}
    {%- do spec.append(('dispatch.dispatch_county_timeliness', 'county', column,
                        [('file', none, 0)])) %}
{%- endfor %}

with lineage (model, column_name, form_table, indicator, period_offset, scope) as (

    values
    {%- for model, scope, column, inputs in spec %}
        {%- set outer = loop %}
        {%- for form_table, indicator, offset in inputs %}
        ({{ "'" ~ model ~ "'" }}, '{{ column }}',
            {{ "'" ~ form_table ~ "'" if form_table else 'null' }},
            {{ "'" ~ indicator ~ "'" if indicator else 'null' }}, {{ offset }}, '{{ scope }}')
            {{- ',' if not (outer.last and loop.last) }}
        {%- endfor %}
    {%- endfor %}

)

select * from lineage
