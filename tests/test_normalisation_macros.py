"""The staging normalisation macros, run by dbt on DuckDB against the formats sources write."""

from __future__ import annotations

import pytest

from dbt_inline import dbt_show

PHONES = {
    # raw: (status, E.164)
    "13812345678": ("mobile", "+8613812345678"),
    "+86 138 1234 5678": ("mobile", "+8613812345678"),
    "0086-13812345678": ("mobile", "+8613812345678"),
    "86 13812345678": ("mobile", "+8613812345678"),
    "138-1234-5678": ("mobile", "+8613812345678"),
    "１３８１２３４５６７８": ("mobile", "+8613812345678"),
    "(+86)138 1234 5678": ("mobile", "+8613812345678"),
    "021-62345678": ("landline", "+862162345678"),
    "(010)87654321": ("landline", "+861087654321"),
    "0755 8765 4321": ("landline", "+8675587654321"),
    "0-13812345678": ("mobile", "+8613812345678"),     # a trunk 0 before a mobile
    "013812345678": ("mobile", "+8613812345678"),
    "13800000000": ("junk", None),
    "11111111111": ("junk", None),
    "12345678901": ("junk", None),
    "1381234": ("invalid", None),
    "abc": ("invalid", None),
    "  ": ("missing", None),
}
# a source of another country than China (sources file `country`): raw -> (status, E.164)
INTL_PHONES = {
    "+61 412 345 678": ("international", "+61412345678"),
    "(+61) 2 9876 5432": ("international", "+61298765432"),
    "＋６４ ２１ １２３ ４５６７": ("international", "+64211234567"),
    "+1 415-555-0100": ("international", "+14155550100"),
    "+86 138 1234 5678": ("international", "+8613812345678"),  # a Chinese number stays itself
    "0412 345 678": ("unverified", None),          # no country code: never +86, never guessed
    "13812345678": ("unverified", None),
    "(02) 9876 5432": ("unverified", None),
    "+61 4123": ("invalid", None),
    "+0 412 345 678": ("invalid", None),
    "1234": ("invalid", None),
    "00000000": ("junk", None),
    "n/a": ("invalid", None),
    " ": ("missing", None),
}
MASKS = {"+8613812345678": "138****5678", "+61412345678": "+61****5678",
         "+14155550100": "+14****0100", "+6491234567": "****4567"}
EMAILS = {
    " Wang.Li@QQ.com ": ("valid", "wang.li@qq.com"),
    "ｗａｎｇ＠１６３．ｃｏｍ": ("valid", "wang@163.com"),
    "test@test.com": ("junk", None),
    "无": ("junk", None),
    "none": ("junk", None),
    "not-an-email": ("invalid", None),
}
TIMESTAMPS = {
    "2025-03-04 13:22:05": "2025-03-04 13:22:05",
    "2025/03/04 13:22": "2025-03-04 13:22:00",
    "2025-03-04T13:22:05+08:00": "2025-03-04 13:22:05",
    "2025-03-04T13:22:05.123+08:00": "2025-03-04 13:22:05.123",
    "2025-03-04T05:22:05Z": "2025-03-04 13:22:05",
    "1704164645000": "2024-01-02 11:04:05",     # epoch: 13 digits are milliseconds
    "1700000000": "2023-11-15 06:13:20",        # 10 digits are seconds (docs/sources.md)
    "17000000000": None,                        # 11 or 12 digits: no unit fits, not a time
    "2024/05/06": "2024-05-06 00:00:00",
    "1985/3/12": "1985-03-12 00:00:00",
    "19850312": "1985-03-12 00:00:00",
    "2025-02-30 10:00:00": None,
    "2024-02-30T10:00:00.000+08:00": None,
    "0000-00-00T00:00:00": None,
    "N/A": None,
    "不详": None,
}
AMOUNTS = {"¥1,299.00": "1299.00", "99.5": "99.50", "-10": "-10.00", "CNY 12.5": "12.50", "abc": None,
           "1,234.50": "1234.50", "¥100": "100.00", "￥100": "100.00", "１２３．５": "123.50", "12.5元": "12.50",
           "RMB 8": "8.00", " +7 ": "7.00", ".5": "0.50",
           # never read by stripping what is not a digit: these are rejected, not 120.00 / 1309.00
           "1e20": None, "1e309": None, "1E3": None, "12,34": None, "1.2.3": None, "12-3": None,
           "NaN": None, "inf": None, "12345678901234567890": None, "": None}
INTEGERS = {"3": "3", "+3": "3", " 12 ": "12", "1,000": "1000", "3.0": "3", "-2": "-2",
            "1e3": None, "0x10": None, "12.5": None, "1_000": None, "abc": None, "99999999999999999999": None}
STATUSES = {"paid": "paid", "PAID": "paid", "已支付": "paid", "已退款": "refunded", "Cancelled": "cancelled",
            "已取消": "cancelled", "lost": "unknown"}
GENDERS = {"男": "M", "F": "F", "female": "F", "U": None, "": None}


def values(d: dict) -> str:
    return ", ".join("('" + k.replace("'", "''") + "')" for k in d)


@pytest.fixture(scope="module")
def results(dbt_scratch):
    wh = dbt_scratch
    sql = f"""
    with phones as (
        select v, {{{{ cn_national_digits(cn_phone_digits('v')) }}}} as n from (values {values(PHONES)}) t(v)
    ), emails as (
        select v, {{{{ normalize_email('v') }}}} as e from (values {values(EMAILS)}) t(v)
    )
    select 'phone' as kind, v, {{{{ cn_phone_status('v', 'n') }}}} as a,
           {{{{ cn_phone_e164(cn_phone_status('v', 'n'), 'n') }}}} as b from phones
    union all
    select 'email', v, {{{{ email_status('v', 'e') }}}}, case when {{{{ email_status('v', 'e') }}}} = 'valid' then e end from emails
    union all
    select 'ts', v, cast({{{{ parse_local_timestamp('v') }}}} as varchar), null from (values {values(TIMESTAMPS)}) t(v)
    union all
    select 'amount', v, cast({{{{ parse_amount_cny('v') }}}} as varchar), null from (values {values(AMOUNTS)}) t(v)
    union all
    select 'integer', v, cast({{{{ parse_integer('v') }}}} as varchar), null from (values {values(INTEGERS)}) t(v)
    union all
    select 'status', v, {{{{ normalize_order_status('v') }}}}, null from (values {values(STATUSES)}) t(v)
    union all
    select 'gender', v, {{{{ normalize_gender('v') }}}}, null from (values {values(GENDERS)}) t(v)
    union all
    select 'intl', v, {{{{ intl_phone_status('v', cn_phone_digits('v')) }}}},
           {{{{ intl_phone_e164(intl_phone_status('v', cn_phone_digits('v')), cn_phone_digits('v')) }}}}
    from (values {values(INTL_PHONES)}) t(v)
    union all
    select 'mask', v, {{{{ mask_mobile('v') }}}}, cast({{{{ regexp_full_match(mask_mobile('v'), masked_mobile_pattern()) }}}} as varchar)
    from (values {values(MASKS)}) t(v)
    union all
    select 'clean', v, {{{{ clean_text('v') }}}}, {{{{ clean_city('v') }}}} from (values ('　杭州市 '), ('  ')) t(v)
    union all
    select 'invisible', k, {{{{ clean_person_text('v') }}}}, {{{{ mask_person_name(clean_person_text('v')) }}}} from (values
        ('nul', '王' || chr(0) || '伟'), ('esc', chr(27) || '[31m王伟'), ('rlo', chr(8238) || '王伟'),
        ('zwsp', '王' || chr(8203) || '伟' || chr(65279)), ('only', chr(8238) || chr(8203)),
        ('tab', '王' || chr(9) || '伟')) t(k, v)
    union all
    select 'birth_year', v, cast({{{{ parse_birth_year('v') }}}} as varchar), cast({{{{ parse_birth_date('v') }}}} as varchar)
    from (values ('1990'), ('1985-03-12'), ('不详'), ('9999-12-31'), ('1899-12-31'), ('0001-01-01'), ('2101')) t(v)
    union all
    select 'not_null_columns', column_name, cast(null_values as varchar), null from ({{{{ test_not_null_columns(
        model="(select * from (values (1, null, 'x'), (null, null, 'y'), (3, 4, 'z')) t(a, b, c))",
        columns=['a', 'b', 'c']) }}}}) generic_test
    """
    rows = dbt_show(sql, wh)
    out: dict[tuple[str, str], tuple] = {}
    for r in rows:
        out[(r["kind"], r["v"])] = (r["a"], r["b"])
    return out


@pytest.mark.parametrize("raw, expected", PHONES.items())
def test_phone(results, raw, expected):
    assert results[("phone", raw)] == expected


@pytest.mark.parametrize("raw, expected", EMAILS.items())
def test_email(results, raw, expected):
    assert results[("email", raw)] == expected


@pytest.mark.parametrize("raw, expected", TIMESTAMPS.items())
def test_timestamp(results, raw, expected):
    got = results[("ts", raw)][0]
    assert (got[: len(expected)] if got and expected else got) == expected


@pytest.mark.parametrize("raw, expected", AMOUNTS.items())
def test_amount(results, raw, expected):
    assert results[("amount", raw)][0] == expected


@pytest.mark.parametrize("raw, expected", INTEGERS.items())
def test_integer(results, raw, expected):
    assert results[("integer", raw)][0] == expected


@pytest.mark.parametrize("raw, expected", STATUSES.items())
def test_order_status(results, raw, expected):
    assert results[("status", raw)][0] == expected


@pytest.mark.parametrize("raw, expected", GENDERS.items())
def test_gender(results, raw, expected):
    assert results[("gender", raw)][0] == expected


@pytest.mark.parametrize("raw, expected", INTL_PHONES.items())
def test_phone_of_another_country(results, raw, expected):
    assert results[("intl", raw)] == expected


@pytest.mark.parametrize("e164, masked", MASKS.items())
def test_mask_mobile_and_its_test_pattern(results, e164, masked):
    assert results[("mask", e164)] == (masked, "true")


def test_mask_and_text(results):
    assert results[("clean", "　杭州市 ")] == ("杭州市", "杭州")
    assert results[("clean", "  ")] == (None, None)


def test_birth_year(results):
    assert results[("birth_year", "1990")] == ("1990", None)
    assert results[("birth_year", "1985-03-12")] == ("1985", "1985-03-12")
    assert results[("birth_year", "不详")] == (None, None)


@pytest.mark.parametrize("raw", ["9999-12-31", "1899-12-31", "0001-01-01", "2101"])
def test_a_birth_date_outside_1900_2100_is_no_birth_date(results, raw):
    assert results[("birth_year", raw)] == (None, None)


@pytest.mark.parametrize("key, expected", [("nul", "王伟"), ("esc", "[31m王伟"), ("rlo", "王伟"), ("zwsp", "王伟"),
                                           ("only", None), ("tab", "王 伟")])
def test_control_and_invisible_characters_are_removed(results, key, expected):
    assert results[("invisible", key)][0] == expected
    assert "\u202e" not in (results[("invisible", key)][1] or "")


def test_not_null_columns_names_each_column_with_nulls_and_counts_them(results):
    """The generic test behind every model's not-null columns (one scan for all of them)."""
    got = {v: a for (kind, v), (a, _b) in results.items() if kind == "not_null_columns"}
    assert got == {"a": "1", "b": "2"}
