"""The `sql:` form of a rule tag: one read-only SELECT over the rule tables, checked with
sqlglot before anything runs, and rendered over the caller's relations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from orchestration.tags.rules.schema import MAX_SQL_CHARACTERS

# the tables a `sql:` rule may read (names in the rule -> what the caller binds them to)
SQL_TABLES = ("customers", "events", "orders")
# functions that reach outside the warehouse (files, network, settings, catalogue) are refused
_FORBIDDEN_FUNCTION = re.compile(
    r"^(read_|glob$|getenv$|sniff_|parquet_|duckdb_|pragma_|query$|query_table$|current_setting$|"
    r"load$|install$|set_|iceberg|delta_|sqlite_|postgres_|mysql_|http|json_execute|to_file|"
    r"write_|copy|export|import|attach|detach|checkpoint|which_secret|make_timestamp_ns_unsafe|"
    # values of any size from a small expression: repeat('x', 1e9) held 2.3 GB
    r"repeat$|lpad$|rpad$|range$|generate_series$|list_resize$|array_resize$|bar$)")


@dataclass(frozen=True)
class SqlRule:
    """A `sql:` rule, parsed and checked: `expression` has the rule's table names, rewritten
    to the caller's relations by `render`."""

    text: str
    expression: exp.Expression
    line: int

    def render(self, tables: dict[str, str]) -> tuple[str, int]:
        """The query with the tables bound, and how many times it names the parameter `$as_of`
        (written `$as_of` or `:as_of` in the rule; `$as_of` in the text returned)."""
        tree = self.expression.copy()
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if table.name not in ctes:
                table.replace(exp.to_table(tables[table.name]).as_(table.alias_or_name))
        n = 0
        for ph in list(tree.find_all(exp.Placeholder)):
            ph.replace(exp.Placeholder(this="as_of"))
            n += 1
        return tree.sql(dialect="duckdb"), n


def parse_sql_rule(text: Any, line: int, outputs: tuple[str, ...], fail) -> SqlRule:
    """Refuse anything but one read-only SELECT over SQL_TABLES returning `outputs`.

    `fail(line, message)` builds the error: the parser's line is mapped onto the file's."""
    if not isinstance(text, str) or not text.strip():
        raise fail(line, "sql: must be the text of a SELECT")
    if len(text) > MAX_SQL_CHARACTERS:
        raise fail(line, f"sql: {len(text):,} characters; a rule's SQL has at most {MAX_SQL_CHARACTERS:,}")
    body_line = line
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = body_line + max(0, int(first.get("line") or 1) - 1)
        raise fail(where, f"sql: cannot be parsed: {first.get('description', exc)}") from None
    if len(statements) != 1:
        raise fail(body_line, f"sql: must be a single SELECT, found {len(statements)} statements")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise fail(body_line, f"sql: must be a SELECT, not {tree.key.upper()}")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise fail(body_line, "sql: WITH RECURSIVE is not allowed in a rule: it can run without end")
        if isinstance(node, (exp.DDL, exp.DML, exp.Command, exp.Copy, exp.Attach, exp.Detach,
                             exp.Pragma, exp.Set, exp.Use, exp.Transaction, exp.Into)):
            raise fail(body_line, f"sql: {node.key.upper()} is not allowed: only a SELECT")
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier) or node.args.get("db") or node.args.get("catalog"):
                raise fail(body_line, f"sql: '{node.sql('duckdb')}' is not a table a rule may read; "
                                      f"use {list(SQL_TABLES)}")
            if node.name not in SQL_TABLES and node.name not in ctes:
                raise fail(body_line, f"sql: unknown table {node.name!r}; a rule reads {list(SQL_TABLES)}")
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if _FORBIDDEN_FUNCTION.match(name):
                raise fail(body_line, f"sql: function {name}() is not allowed in a rule")
        elif isinstance(node, exp.Placeholder):
            if node.name != "as_of":
                raise fail(body_line, f"sql: the only parameter is $as_of, not {node.sql('duckdb')!r}")
        elif isinstance(node, exp.Parameter):
            raise fail(body_line, f"sql: the only parameter is $as_of, not {node.sql('duckdb')!r}")
    selects = tuple(tree.named_selects)
    if selects != outputs:
        raise fail(body_line, f"sql: must return the columns {list(outputs)}, returns {list(selects)}")
    return SqlRule(text.strip(), tree, body_line)
