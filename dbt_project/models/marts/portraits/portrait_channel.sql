{#- One row per channel over the 365 days up to the newest tag snapshot (macros/portraits/outlets.sql). -#}
{{ outlet_portrait(ref('int_outlet_activity'), ref('fct_orders'), ref('customer_360'), 'channel') }}
