{#- Rows whose absolute gap exceeds their tolerance; both columns come from the model. -#}
{% test within_tolerance(model, column_name, tolerance_column) %}
select *
from {{ model }}
where abs({{ column_name }}) > {{ tolerance_column }}
{% endtest %}
