{#- Row-level invariant: every row satisfies the boolean SQL expression (null fails too). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
