{#- One row per store and calendar month up to the newest tag snapshot (macros/portraits/outlets.sql). -#}
{{ outlet_monthly(ref('int_outlet_activity'), ref('customer_360'), 'store') }}
