{#- Every staged customer record of every source, judged: kept (is_valid) or rejected with a
    reason. A record id seen twice keeps the most recently updated row. -#}
{{ judge_identified_records('customers',
    'updated_at desc nulls last, created_at desc nulls last, _source_file desc, _row_number desc') }}
