{#- Connected components by label propagation, as CTEs to splice into a WITH list. Every node
    starts with its own key as label and takes the smallest label among itself and its
    neighbours, `passes` times (each pass reads the previous one once, so the plan grows
    linearly; a global iterative algorithm would not port to Spark). Needs CTEs `cc_nodes`
    (node) and `cc_edges` (node_a, node_b) defined before; defines `cc_result` (node, label,
    label_before): label_before = label means the last pass changed nothing for that node. -#}
{% macro connected_components_ctes(passes) -%}
cc_neighbours as (
    select node_a as node, node_b as other from cc_edges
    union all
    select node_b as node, node_a as other from cc_edges
    union all
    select node, node as other from cc_nodes
),

cc_l0 as (
    select node, node as label from cc_nodes
),
{%- for i in range(1, passes + 1) %}

cc_l{{ i }} as (
    select cc_neighbours.node, min(prev.label) as label
    from cc_neighbours
    inner join cc_l{{ i - 1 }} as prev on prev.node = cc_neighbours.other
    group by cc_neighbours.node
),
{%- endfor %}

cc_result as (
    select
        cc_neighbours.node,
        min(prev.label) as label,
        max(case when cc_neighbours.other = cc_neighbours.node then prev.label end) as label_before
    from cc_neighbours
    inner join cc_l{{ passes }} as prev on prev.node = cc_neighbours.other
    group by cc_neighbours.node
)
{%- endmacro %}

{#- Sorted, comma-separated distinct values of a group. -#}
{% macro string_agg_sorted(expr) -%}
    {{ return(adapter.dispatch('string_agg_sorted', 'huaxiang')(expr)) }}
{%- endmacro %}
{% macro default__string_agg_sorted(expr) -%}
    concat_ws(',', array_sort(collect_set({{ expr }})))
{%- endmacro %}
{% macro duckdb__string_agg_sorted(expr) -%}
    string_agg(distinct {{ expr }}, ',' order by {{ expr }})
{%- endmacro %}
