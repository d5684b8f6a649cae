"""The Chinese phone classification of staging against Google's libphonenumber (`phonenumbers`,
a test-only dependency): for any number a source may write, 'mobile' exactly when
libphonenumber calls it a Chinese mobile.

The macro is compiled once by dbt (the real macro, `dbt compile --inline`), then run on
DuckDB over the numbers Hypothesis draws: eleven digits starting with 1 (every prefix, issued
or not), written the ways exports write them (+86, 0086, spaces, dashes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from orchestration.warehouse import registered, scratch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRESSION = ("{{ cn_phone_status('v', cn_national_digits(cn_phone_digits('v'))) }} as status, "
              "{{ cn_phone_e164(cn_phone_status('v', cn_national_digits(cn_phone_digits('v'))), "
              "cn_national_digits(cn_phone_digits('v'))) }} as e164")


@pytest.fixture(scope="module")
def classify(dbt_scratch):
    """A function: raw numbers -> [(status, e164)], by the compiled staging macros."""
    work = dbt_scratch.parent  # dbt_inline's target folder, whose parse it reuses
    env = {**os.environ, "HUAXIANG_WAREHOUSE": str(dbt_scratch), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [str(os.path.join(os.path.dirname(sys.executable), "dbt")), "compile", "--inline",
         f"select v, {EXPRESSION} from numbers", "--output", "json", "--log-format", "json",
         "--profiles-dir", ".", "--target-path", str(work / "target")],
        cwd=os.path.join(REPO, "dbt_project"), env=env, capture_output=True, text=True, timeout=300)
    compiled = None
    for line in proc.stdout.splitlines():
        try:
            compiled = json.loads(line).get("data", {}).get("compiled") or compiled
        except json.JSONDecodeError:
            continue
    assert compiled, f"dbt compile failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"

    def run(numbers: list[str]) -> list[tuple[str, str | None]]:
        with scratch() as con, registered(con, "numbers", pa.table({"v": pa.array(numbers, pa.string())})):
            rows = {v: (s, e) for v, s, e in con.execute(compiled).fetchall()}
        return [rows[n] for n in numbers]

    return run


def libphonenumber_mobile(national: str) -> bool:
    number = phonenumbers.parse("+86" + national)
    return (phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE))


def junk(national: str) -> bool:
    """What the macro calls a placeholder before it classifies (cn_phone_is_junk)."""
    return (len(set(national)) == 1 or national[3:] == "0" * 8
            or national in ("12345678901", "01234567890", "13912345678", "18888888888"))


nationals = st.builds(lambda p, rest: f"1{p}{rest}", st.integers(30, 99).map(str),
                      st.text("0123456789", min_size=8, max_size=8))
writings = st.sampled_from(["{n}", "+86 {n}", "0086-{n}", "{a}-{b}-{c}", "(+86){a} {b} {c}", "86{n}"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(nationals, writings), min_size=1, max_size=200, unique_by=lambda t: t[0]))
def test_mobile_exactly_when_libphonenumber_says_so(classify, drawn):
    raws = [w.format(n=n, a=n[:3], b=n[3:7], c=n[7:]) for n, w in drawn]
    got = classify(raws)
    for (national, _), raw, (status, e164) in zip(drawn, raws, got):
        if junk(national):
            assert status == "junk", (raw, status)
            continue
        expected = libphonenumber_mobile(national)
        assert (status == "mobile") == expected, f"{raw}: staging says {status}, libphonenumber mobile={expected}"
        assert e164 == (f"+86{national}" if expected else None), raw


def test_every_issued_prefix_is_a_mobile_and_no_other(classify):
    """All 3- and 4-digit prefixes 130-199 (the ranges libphonenumber splits at 4 digits too)."""
    nationals = [f"{p}{d}1234567" for p in range(130, 200) for d in range(10)]
    got = classify(nationals)
    wrong = [(n, s) for n, (s, _) in zip(nationals, got) if (s == "mobile") != libphonenumber_mobile(n)]
    assert not wrong, wrong[:20]
