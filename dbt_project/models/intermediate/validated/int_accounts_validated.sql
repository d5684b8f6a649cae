{#- Every staged enterprise account, judged like customer records: kept (is_valid) or rejected
    with a reason; an account id seen twice keeps the most recently created row. -#}
{{ judge_identified_records('accounts',
    'created_at desc nulls last, _source_file desc, _row_number desc') }}
