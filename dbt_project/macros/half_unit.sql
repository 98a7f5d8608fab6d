{#- Half a unit in the last published place of a figure written as decimal text: the most
    that rounding can have moved it. '0.72' -> 0.005, '1.994' -> 0.0005, '56.122' -> 0.0005.
    A published whole zero means "none" and is exact; any other whole number is taken as
    rounded to units. Built from text so that it stays an exact DECIMAL, never a double. -#}
{% macro half_unit(text_column) -%}
    case
        when {{ text_column }} not like '%.%' and cast({{ text_column }} as decimal(18, 4)) = 0
            then cast(0 as decimal(18, 6))
        when {{ text_column }} not like '%.%'
            then cast(0.5 as decimal(18, 6))
        else cast(
            '0.' || repeat('0', length(split_part({{ text_column }}, '.', 2))) || '5'
            as decimal(18, 6)
        )
    end
{%- endmacro %}
