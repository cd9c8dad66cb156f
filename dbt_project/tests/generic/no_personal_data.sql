{#-
    PII guard for free-text columns: no 12-digit run or IIN written in groups, no e-mail address
    and no Kazakh phone number may survive masking. Uses the same patterns as mask_personal_data. Names
    cannot be checked generically; the integration test checks them against the input.
-#}
{% test no_personal_data(model, column_name) %}

select
    {{ column_name }} as offending_text,
    case
        when {{ column_name }} ~ '[0-9]{12}' then 'digit run of 12 or more (IIN)'
        when {{ column_name }} ~ '{{ pii_pattern("iin") }}' then 'IIN written in groups'
        when {{ column_name }} ~ '{{ pii_pattern("email") }}' then 'e-mail address'
        else 'phone number'
    end as finding
from {{ model }}
where {{ column_name }} ~ '[0-9]{12}'
    or {{ column_name }} ~ '{{ pii_pattern("iin") }}'
    or {{ column_name }} ~ '{{ pii_pattern("email") }}'
    or {{ column_name }} ~ '{{ pii_pattern("phone") }}'

{% endtest %}
