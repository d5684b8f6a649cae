{#- The whole business in one row over the 365 days up to the newest tag snapshot, measured the
    way each store and channel is (macros/portraits/outlets.sql): customers who ordered, buyers,
    new and returning buyers, paid orders, net amount, average order value, the 90-day
    repurchase rate and the category with the most revenue. -#}
{{ outlet_portrait(whole_business_activity(ref('int_outlet_activity')), ref('fct_orders'), ref('customer_360'), 'all') }}
