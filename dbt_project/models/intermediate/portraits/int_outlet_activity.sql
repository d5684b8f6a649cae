{#- Every order and every store visit at an outlet, one row each: the input of the store and
    channel portraits. An outlet is a store (orders with a store id, and the store visits of
    the check-in systems) or a sales channel (every order; a missing channel is '未知'). An
    order with no resolved customer and an anonymous visit count as orders and visits, never
    as customers. -#}
{{ config(tags=['tag_store']) }}
{{ outlet_activity(ref('fct_orders'), ref('fct_customer_events')) }}
