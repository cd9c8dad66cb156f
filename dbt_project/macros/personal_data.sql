{#-
    The gate's personal-data patterns (Postgres AREs), for the no_personal_data test. Masking
    itself runs in Python at landing (ingestion/dialog/masking.py, whose PATTERNS these
    mirror; tests/integration/test_personal_data_patterns.py holds both, and the GX suite's
    regexes, to the same written forms).
    - iin: 12 digits, not part of a longer run: together, as 6 + 6 or as 4 + 4 + 4 with a space,
      no-break space or hyphen between ("900101300123", "900101 300123", "9001-0130-0123")
    - phone: Kazakh numbers, +7 / 7 / 8 then 10 digits with optional spaces, no-break spaces,
      hyphens, dots or parentheses: "+7 701 234 56 78", "8(701)2345678", "8.701.234.56.78"
    Jinja string literals: they avoid backslashes, which Jinja would unescape.
-#}
{% macro pii_pattern(kind) -%}
    {%- set patterns = {
        'email': '[A-Za-zА-Яа-яЁё0-9._%+-]+@[A-Za-zА-Яа-яЁё0-9-]+(?:[.][A-Za-zА-Яа-яЁё0-9-]+)+',
        'iin': '(?<![0-9])(?:[0-9]{12}|[0-9]{6}[  -][0-9]{6}|[0-9]{4}[  -][0-9]{4}[  -][0-9]{4})(?![0-9])',
        'phone': '(?<![0-9+])(?:[+]?7|8)[  ().-]*(?:[0-9][  ().-]*){9}[0-9](?![0-9])',
    } -%}
    {{- return(patterns[kind]) -}}
{%- endmacro %}
