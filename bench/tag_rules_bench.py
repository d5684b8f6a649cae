"""Times the rule-tag, segment, export and report steps on a warehouse a run has built (the same
functions the Dagster assets call). Writes model_tags.tag_inputs and the temp tables only.

    .venv/bin/python bench/tag_rules_bench.py /tmp/t100k_v2/w.duckdb /tmp/t100k_v2/timing
"""
import sys, time
from pathlib import Path
import duckdb
from orchestration.settings import DEFAULT_TAGS, DEFAULT_RULE_TAGS, DEFAULT_SEGMENTS
from orchestration.tags.catalogue import load_tag_config
from orchestration.tags.rule_tags import load_rules
from orchestration.tags.segments import load_segment_definitions, evaluate_segments
from orchestration.tags.rule_engine import write_tag_inputs, prepare_relations, evaluate_rule_tags
from orchestration.exports.segments import export_all_segments
from orchestration.exports.bi import export_bi
from orchestration.reports.portrait_data import load_portrait_data
from orchestration.reports.portrait_html import render_portrait_report

w = sys.argv[1]; out = Path(sys.argv[2])
config = load_tag_config(DEFAULT_TAGS)
tags, _ = load_rules(config, DEFAULT_RULE_TAGS)
segs, _ = load_segment_definitions(config, DEFAULT_RULE_TAGS, DEFAULT_SEGMENTS)
con = duckdb.connect(w)
t = time.perf_counter(); as_of = write_tag_inputs(con, config); print(f"tag_inputs {time.perf_counter()-t:.2f}s")
prepare_relations(con, as_of)
for tag in tags:
    t = time.perf_counter(); ev = evaluate_rule_tags(con, [tag], as_of); print(f"rule {tag.key} {time.perf_counter()-t:.2f}s {len(ev.errors)} errors")
t = time.perf_counter(); built, errs = evaluate_segments(con, segs, {t.key for t in tags}); print(f"segments {time.perf_counter()-t:.2f}s")
con.close()
con = duckdb.connect(w, read_only=True)
t = time.perf_counter(); export_all_segments(con, out / "exports"); print(f"segment files {time.perf_counter()-t:.2f}s")
t = time.perf_counter(); r = export_bi(con, out / "bi"); print(f"bi copy {time.perf_counter()-t:.2f}s {sum(r.tables.values()):,} rows")
t = time.perf_counter(); html = render_portrait_report(load_portrait_data(con)); print(f"report {time.perf_counter()-t:.2f}s {len(html):,} chars")
