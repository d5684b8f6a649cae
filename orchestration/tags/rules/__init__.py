"""Rule tags that operators write in YAML, checked and compiled to parameterised SQL.

A rule file (`config/rule_tags/*.yml`) holds one tag, or a list under `tags:`:

    key: predicted_churn
    name_zh: 预测流失
    name_en: Predicted churn
    description: Viewed products more than 4 times 53-31 days ago, and not at all since.
    owner: 运营部
    layer: predictive                   # rule (default) | predictive
    value_type: boolean                 # boolean | enum | number
    rule:
      all:
        - event: {type: view, min_count: 5, from_days_ago: 53, to_days_ago: 31}
        - event: {type: view, max_count: 0, from_days_ago: 30, to_days_ago: 0}

Conditions: `{field, op, value}` over fact tags, model tags, other rule tags and golden-record
fields (ops =, !=, <, <=, >, >=, in, not_in, between, is_null, is_not_null, contains);
`{event: {type, min_count | max_count, from_days_ago, to_days_ago}}`; nested `all`, `any`,
`not`. An enum tag has `buckets: [{value, label, when}, ..., {value, label, else: true}]`; a
number tag has `points: [{when, points}, ...]` (plus an optional `base`), the sum of the points
of the conditions a customer meets (a lead score, say).

For data engineers, `sql:` replaces `rule` / `buckets` / `points`: a single SELECT over the
tables `customers` (one row per customer: every tag and golden-record field), `events` and
`orders` (only rows on or before the as-of date), with the as-of date as the parameter
`$as_of`. A boolean tag's SELECT returns `customer_id` (the customers for whom it is true); an
enum or number tag's returns `customer_id, value` (an enum also lists its `values`). The
statement is parsed (sqlglot) and refused unless it is one read-only query over those tables.

Safety: every field and operator is checked against a whitelist (the catalogue), identifiers
are quoted from that whitelist only, and every literal is a bound parameter: nothing an
operator writes is pasted into SQL text. Every problem is reported as `file:line: tag 'key':
problem`; a broken tag (or one that depends on a broken tag, or sits in a cycle) is left out
and the others still compile.

The package: `schema` (the parsed objects and the file models), `loading` (YAML with lines,
checking, dependency order), `conditions` (the condition tree), `sql_form` (the `sql:` form's
checks), `compiling` (SQL with bound parameters) and `segments` (segment files and their SQL).
"""
