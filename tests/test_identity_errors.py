"""bench/identity_errors.py's recall ceiling: which true pairs share no value of any field,
even through a third record of the same person (no matcher can find those)."""

from __future__ import annotations

import duckdb

from identity_errors import evidence_ceiling


def test_pairs_joined_through_a_third_record_are_reachable_and_strangers_are_not():
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("""
        create table intermediate.int_identity_records as select * from (values
            ('crm:1', '+8613811472258', null,      '王小明', null),      -- P1: mobile and name
            ('app:1', '+8613811472258', null,      null,     null),      -- P1: the same mobile
            ('shop:1', null,            null,      '王小明', null),      -- P1: the same name only
            ('desk:1', null,            '+8657188886666', null, null),   -- P1: a landline nobody else has
            ('crm:2', null,             null,      '李丽',   '1990-07-01'),   -- P2
            ('app:2', null,             null,      null,     null)       -- P2: nothing at all
        ) t(record_key, mobile, landline, name_key, birth_date)""")
    con.execute("""
        create temp table _rec as select * from (values
            ('crm:1', 'P1'), ('app:1', 'P1'), ('shop:1', 'P1'), ('desk:1', 'P1'),
            ('crm:2', 'P2'), ('app:2', 'P2')) t(record_key, person_id)""")
    # every true pair, none found (the ceiling does not depend on what the matcher did)
    con.execute("""
        create temp table _true as
        select a.record_key as key_a, b.record_key as key_b, false as found
        from _rec a join _rec b on a.person_id = b.person_id and a.record_key < b.record_key""")
    got = evidence_ceiling(con)
    assert got["fields"] == ["mobile", "landline", "name_key", "birth_date"]
    # P1: crm-app (mobile), crm-shop (name), app-shop (through crm) reachable; desk:1 with none
    # of the three; P2: app:2 holds nothing
    assert got["reachable_pairs"] == 3
    assert got["missed_unreachable"] == 4
    assert abs(got["recall_ceiling"] - 3 / 7) < 1e-12
