{#- Each store's customers by RFM segment and state, and its revenue by category (macros/portraits/outlets.sql). -#}
{{ outlet_mix(ref('int_outlet_activity'), ref('fct_orders'), ref('customer_360'),
              source('model_tags', 'tag_value_labels'), 'store') }}
