{#- One row per order line of every kept order, net of refunds: a refunded or cancelled order's
    lines keep their gross amount but add nothing to net revenue. An order that came without
    lines is one line with no product, so its amount is not lost. customer_id is the
    resolved customer of the order's source customer reference; an order whose reference
    names no kept customer record keeps a NULL customer_id (counted, never dropped).
    Incremental (macros/incremental.sql): only the orders re-judged since the last build,
    all of them when the customer ids were rebuilt. -#}
{{ config(materialized='incremental', incremental_strategy='append',
          meta={'test_rows_of_this_run': '_built_at'},
          pre_hook="{{ delete_rebuilt_orders() }}") }}
{%- set watermark = facts_watermark() %}
with orders as (
    select * from {{ ref('int_orders_validated') }} where is_valid
    {%- if watermark %} and order_id in ({{ rejudged_orders(watermark) }}){% endif %}
),

items as (
    select * from {{ ref('int_order_items_validated') }} where is_valid
    {%- if watermark %} and order_id in ({{ rejudged_orders(watermark) }}){% endif %}
),

lines as (
    select
        orders.order_id,
        items.line_no,
        items.sku,
        items.category,
        items.quantity,
        items.unit_price,
        cast(items.quantity * items.unit_price as decimal(18, 2)) as gross_amount
    from orders
    inner join items on items.order_id = orders.order_id
    union all
    select
        orders.order_id,
        1 as line_no,
        cast(null as {{ type_text() }}) as sku,
        cast(null as {{ type_text() }}) as category,
        cast(null as bigint) as quantity,
        cast(null as decimal(18, 2)) as unit_price,
        orders.amount as gross_amount
    from orders
    where not exists (select 1 from items where items.order_id = orders.order_id)
)

select
    concat(orders.order_id, '#', cast(lines.line_no as {{ type_text() }})) as order_line_id,
    orders.order_id,
    lines.line_no,
    xref.customer_id,
    orders.customer_source,
    orders.source_customer_ref,
    orders.customer_record_key,
    orders.ordered_at,
    cast(orders.ordered_at as date) as order_date,
    orders.status,
    orders.status = 'paid' as is_paid,
    orders.status = 'refunded' as is_refunded,
    orders.channel,
    orders.store_id,
    lines.sku,
    lines.category,
    lines.quantity,
    lines.unit_price,
    lines.gross_amount,
    case when orders.status = 'paid' then lines.gross_amount else cast(0 as decimal(18, 2)) end as net_amount,
    case when orders.status = 'refunded' then lines.gross_amount else cast(0 as decimal(18, 2)) end as refunded_amount,
    orders.amount as order_amount,
    orders.source_system,
    orders._source_file,
    orders._row_number,
    {{ run_stamp() }} as _built_at
from orders
inner join lines on lines.order_id = orders.order_id
left join {{ ref('customer_source_xref') }} as xref on xref.record_key = orders.customer_record_key
