{#-
    Personal-data patterns and masking, shared by the staging models and the PII guard tests so
    that what is masked and what is checked cannot drift apart.

    The warehouse may run under a C locale, where Postgres' \m, \M, [[:alpha:]] and the `i` flag
    ignore Cyrillic and Kazakh letters. Hence explicit letter classes and explicit case pairs.
    Patterns are Jinja string literals: they avoid backslashes, which Jinja would unescape.
-#}

{#- Every letter a name can be written in: Latin, Russian Cyrillic (with Ёё), Kazakh additions. -#}
{% macro pii_letters() -%}
    {{- return('A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі') -}}
{%- endmacro %}

{#- Upper and lower case, position by position, for translate(): case folding without a locale. -#}
{% macro pii_upper_letters() -%}
    {{- return('ABCDEFGHIJKLMNOPQRSTUVWXYZАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯӘҒҚҢӨҰҮҺІ') -}}
{%- endmacro %}
{% macro pii_lower_letters() -%}
    {{- return('abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі') -}}
{%- endmacro %}

{#-
    Postgres AREs. Masking applies them in this order: e-mail, long digit run, IIN, phone.
    - iin: 12 digits, not part of a longer run: together, as 6 + 6 or as 4 + 4 + 4 with a space,
      no-break space or hyphen between ("900101300123", "900101 300123", "9001-0130-0123")
    - long_number: 13+ digits (card or account numbers; would otherwise hide a 12-digit run)
    - phone: Kazakh numbers, +7 / 7 / 8 then 10 digits with optional spaces, no-break spaces,
      hyphens, dots or parentheses: "+7 701 234 56 78", "8(701)2345678", "8.701.234.56.78"
-#}
{% macro pii_pattern(kind) -%}
    {%- set patterns = {
        'email': '[A-Za-zА-Яа-яЁё0-9._%+-]+@[A-Za-zА-Яа-яЁё0-9-]+(?:[.][A-Za-zА-Яа-яЁё0-9-]+)+',
        'iin': '(?<![0-9])(?:[0-9]{12}|[0-9]{6}[  -][0-9]{6}|[0-9]{4}[  -][0-9]{4}[  -][0-9]{4})(?![0-9])',
        'long_number': '[0-9]{13,}',
        'phone': '(?<![0-9+])(?:[+]?7|8)[  ().-]*(?:[0-9][  ().-]*){9}[0-9](?![0-9])',
    } -%}
    {{- return(patterns[kind]) -}}
{%- endmacro %}

{#- Escape a text expression for literal use in a regex, inside or outside brackets (defence in
    depth: name parts come from the letter class above and hold no metacharacter today). -#}
{% macro regex_escape(expr) -%}
    regexp_replace({{ expr }}, '([].[^$|?*+(){}\\-])', '\\\1', 'g')
{%- endmacro %}

{#-
    Spellings of one letter that people use interchangeably, keyed by the folded letter (see
    applicant_name_pattern): ё for е, and Kazakh letters typed as their Russian look-alikes or,
    for і, as a Latin i ("Серiкқызы", "Улыкбек").
-#}
{% macro pii_letter_variants() -%}
    {{- return({
        'а': 'аАәӘ', 'г': 'гГғҒ', 'е': 'еЕёЁ', 'и': 'иИіІiI', 'к': 'кКқҚ',
        'н': 'нНңҢ', 'о': 'оОөӨ', 'у': 'уУұҰүҮ', 'х': 'хХһҺ',
    }) -}}
{%- endmacro %}

{#-
    SQL expression: a regex matching any part (2+ letters) of the applicant's name as a whole
    word, in any case and spelling variant. Each letter becomes a bracket expression of its
    spellings ("Ким" -> [кКқҚ][иИіІiI][мМ]); words are bounded by the explicit letter class, never
    by \m/\M. Null when the name has no such part.
-#}
{% macro applicant_name_pattern(applicant_col) -%}
    {%- set folded_letter -%}
        translate(
            translate(letter, '{{ pii_upper_letters() }}', '{{ pii_lower_letters() }}'),
            'әғқңөұүһіёi',
            'агкноуухиеи'
        )
    {%- endset -%}
    {%- set letter_spellings -%}
        case {{ folded_letter }}
            {%- for folded, spellings in pii_letter_variants().items() %}
            when '{{ folded }}' then '{{ spellings }}'
            {%- endfor %}
            else
                translate(letter, '{{ pii_upper_letters() }}', '{{ pii_lower_letters() }}')
                || translate(letter, '{{ pii_lower_letters() }}', '{{ pii_upper_letters() }}')
        end
    {%- endset -%}
    (
        select
            '(?<![{{ pii_letters() }}])(?:'
            || string_agg(name_parts.part_pattern, '|' order by length(name_parts.part) desc)
            || ')(?![{{ pii_letters() }}])'
        from (
            select
                part_match[1] as part,
                (
                    select string_agg(
                        '[' || {{ regex_escape(letter_spellings) }} || ']',
                        '' order by letter_position
                    )
                    from regexp_split_to_table(part_match[1], '')
                        with ordinality as letters (letter, letter_position)
                ) as part_pattern
            from regexp_matches({{ applicant_col }}, '[{{ pii_letters() }}]{2,}', 'g')
                as part_match
        ) as name_parts
    )
{%- endmacro %}

{#-
    SQL expression: text_col with personal data masked: e-mails, IINs, longer digit runs, phone
    numbers, and every part of the applicant's own name become [EMAIL], [IIN], [NUMBER], [PHONE],
    [NAME]. Null stays null.
-#}
{% macro mask_personal_data(text_col, applicant_col) -%}
    regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(
                        {{ text_col }},
                        '{{ pii_pattern("email") }}', '[EMAIL]', 'g'
                    ),
                    '{{ pii_pattern("long_number") }}', '[NUMBER]', 'g'
                ),
                '{{ pii_pattern("iin") }}', '[IIN]', 'g'
            ),
            '{{ pii_pattern("phone") }}', '[PHONE]', 'g'
        ),
        -- '$.' never matches: an applicant without a name part leaves the text as it is
        coalesce({{ applicant_name_pattern(applicant_col) }}, '$.'),
        '[NAME]', 'g'
    )
{%- endmacro %}
