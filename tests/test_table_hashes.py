"""bench/table_hashes.py: the proof that a refactor changed no data must see every change of a
value and none of row order, load stamps or the last bits of a double."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from table_hashes import differences, main, table_hashes  # bench/, on sys.path: conftest


def _warehouse(path: Path, rows: list[tuple], loaded_at: str = "2026-01-01") -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.t (id varchar, amount double, _loaded_at timestamp)")
    con.executemany(f"insert into marts.t values (?, ?, timestamp '{loaded_at}')", rows)
    con.close()
    return path


def test_same_rows_in_another_order_and_another_load_time_hash_the_same(tmp_path):
    a = table_hashes(_warehouse(tmp_path / "a.duckdb", [("x", 0.1 + 0.2), ("y", 2.0)]))
    b = table_hashes(_warehouse(tmp_path / "b.duckdb", [("y", 2.0), ("x", 0.3)], loaded_at="2026-02-02"))
    assert differences(a, b) == [] and a["marts.t"]["columns"] == ["id", "amount"]


def test_a_changed_value_a_duplicated_row_and_a_new_table_are_reported(tmp_path):
    base = table_hashes(_warehouse(tmp_path / "a.duckdb", [("x", 1.0), ("y", 2.0)]))
    assert differences(base, table_hashes(_warehouse(tmp_path / "b.duckdb", [("x", 1.0), ("y", 2.5)]))) == [
        "marts.t: rows 2 -> 2, other values"]
    assert differences(base, table_hashes(_warehouse(tmp_path / "c.duckdb", [("x", 1.0), ("x", 1.0), ("y", 2.0)])))
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    con.execute("create table marts.u as select 1 as k")
    con.close()
    assert differences(base, table_hashes(tmp_path / "a.duckdb")) == ["marts.u: new"]


def test_the_command_exits_1_when_a_table_differs(tmp_path, capsys):
    before = tmp_path / "before.json"
    assert main([str(_warehouse(tmp_path / "a.duckdb", [("x", 1.0)])), "--out", str(before)]) == 0
    assert main([str(tmp_path / "a.duckdb"), "--compare", str(before)]) == 0
    assert main([str(_warehouse(tmp_path / "b.duckdb", [("x", 9.0)])), "--compare", str(before)]) == 1
    assert "marts.t: rows 1 -> 1, other values" in capsys.readouterr().out


def test_bad_input_is_named_not_a_stack_trace(tmp_path, capsys):
    not_a_db = tmp_path / "x.duckdb"
    not_a_db.write_text("hello", encoding="utf-8")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{bad", encoding="utf-8")
    good = _warehouse(tmp_path / "a.duckdb", [("x", 1.0)])
    for args, said in (([str(not_a_db)], "cannot read the warehouse"),
                       ([str(good), "--compare", str(bad_json)], "cannot read the hashes to compare with"),
                       ([str(good), "--compare", str(tmp_path / "none.json")], "none.json")):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 2 and said in capsys.readouterr().err
