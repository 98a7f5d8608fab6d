{#- The column equals the sum of the other columns on every row (whole counts, exact). -#}
{% test equals_sum_of(model, column_name, parts) %}
select *
from {{ model }}
where {{ column_name }} <> ({{ parts | join(' + ') }})
{% endtest %}
