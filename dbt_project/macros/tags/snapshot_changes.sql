{#- Entered / exited changes between consecutive snapshots (tag_changes, segment_changes), as
    CTEs ending in `changes`.

    `rows`: the snapshot rows (a relation or CTE) with as_of_date and the `keys` columns.
    `snapshot_dates`: a relation whose distinct as_of_date are the snapshots; each is compared
    with the one before it, so the first snapshot has no changes. Without `value`, a row is
    membership: present on a date (every key not null) or not; a key present now and not on
    the previous date 'entered', one present then and not now 'exited'. With `value`, a row is
    present when its value is not null, and a value that changed is both: the old value
    'exited' and the new one 'entered'. An unchanged row reports nothing. `carried`: columns
    taken along with the value from the same side (its label).

    `changes`: as_of_date, previous_as_of_date, the keys, change ('entered' | 'exited'), then
    the value and the carried columns of the value that entered or exited. -#}
{% macro snapshot_changes(rows, snapshot_dates, keys, value=none, carried=[]) -%}
{%- set columns = ([value] if value else []) + carried -%}
{%- set present = [value] if value else keys -%}
snapshot_pairs as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from (select distinct as_of_date from {{ snapshot_dates }}) as dates
),

paired as (
    select
        coalesce(c.as_of_date, p.next_as_of_date) as as_of_date,
        coalesce(c.previous_as_of_date, p.as_of_date) as previous_as_of_date,
        {%- for k in keys %}
        coalesce(c.{{ k }}, p.{{ k }}) as {{ k }},
        {%- endfor %}
        {%- for col in columns %}
        c.{{ col }} as new_{{ col }},
        p.{{ col }} as old_{{ col }},
        {%- endfor %}
        {% for col in present %}c.{{ col }} is not null{% if not loop.last %} and {% endif %}{% endfor %} as is_now,
        {% for col in present %}p.{{ col }} is not null{% if not loop.last %} and {% endif %}{% endfor %} as was
    from (
        select r.as_of_date, snapshot_pairs.previous_as_of_date
            {%- for col in keys + columns %}, r.{{ col }}{% endfor %}
        from {{ rows }} as r
        inner join snapshot_pairs on snapshot_pairs.as_of_date = r.as_of_date
        where snapshot_pairs.previous_as_of_date is not null
    ) as c
    full outer join (
        select r.as_of_date, snapshot_pairs.as_of_date as next_as_of_date
            {%- for col in keys + columns %}, r.{{ col }}{% endfor %}
        from {{ rows }} as r
        inner join snapshot_pairs on snapshot_pairs.previous_as_of_date = r.as_of_date
    ) as p
        on p.next_as_of_date = c.as_of_date
        {%- for k in keys %}
       and p.{{ k }} = c.{{ k }}
        {%- endfor %}
),

changes as (
    {%- for change, side, here, there in [('exited', 'old', 'was', 'is_now'), ('entered', 'new', 'is_now', 'was')] %}
    select as_of_date, previous_as_of_date,
        {%- for k in keys %} {{ k }},{% endfor %} '{{ change }}' as change
        {%- for col in columns %}, {{ side }}_{{ col }} as {{ col }}{% endfor %}
    from paired
    where {{ here }} and (not {{ there }}{% if value %} or new_{{ value }} <> old_{{ value }}{% endif %})
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)
{%- endmacro %}
