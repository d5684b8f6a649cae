"""The identity macros (id numbers, credit codes, address keys, masks), run by dbt on DuckDB."""

from __future__ import annotations

import pytest

from dbt_inline import dbt_show

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def with_check(first17: str) -> str:
    """A GB 11643 id number: the 17 digits and their ISO 7064 MOD 11-2 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


VALID_ID = with_check("11010519491231002")      # the standard's own example: ...002X
ID_NUMBERS = {
    VALID_ID: "valid",
    with_check("44030419900307123"): "valid",
    VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"): "bad_check_character",
    with_check("11010519490231002"): "bad_birth_date",     # 31 February
    "11010519491231": "malformed",
    "1101051949123100ZX": "malformed",
}
ADDRESSES = {
    "浙江省杭州市西湖区人民路8号阳光花园3栋2单元502室": "人民路|8-3-2-502",
    "西湖区人民路8号阳光花园3栋2单元502室": "人民路|8-3-2-502",
    "人民路8号3-2-502": "人民路|8-3-2-502",
    "新疆维吾尔自治区乌鲁木齐市西湖区友谊路289号华府17栋4单元1601室": "友谊路|289-17-4-1601",
    "北京市长江路12号": "长江路|12",
    "没有门牌": None,
    # traditional characters give the simplified key
    "浙江省杭州市西湖區人民路8號陽光花園3棟2單元502室": "人民路|8-3-2-502",
    # latin script: the first two words of the street and the numbers
    "7 Wallaby Place, Delmar": "wallabyplace|7",
    "7 wallaby place delmar": "wallabyplace|7",
    "wallaby place": None,
}
# (written, country) -> as compared
POSTCODES = {("310012", "CN"): "310012", ("2000", "CN"): None, ("2000", "AU"): "2000",
             ("SW1A 1AA", "GB"): "SW1A1AA", ("100-0001", "JP"): "1000001", ("不详", "CN"): None, ("x", "AU"): None}
# records carrying a name -> its band in int_identity_name_frequency_weights (2, 3-4, 5-8, ...)
NAME_BANDS = {2: 0, 3: 1, 4: 1, 5: 2, 8: 2, 9: 3, 16: 3, 17: 4, 1024: 9, 1025: 10}
SIMPLIFIED = {"陳娜": "陈娜", "劉洋": "刘洋", "張偉": "张伟", "黃": "黄", "王小明": "王小明", "Wang": "Wang"}


@pytest.fixture(scope="module")
def results(dbt_scratch):
    wh = dbt_scratch
    parts = []
    for raw in ID_NUMBERS:
        parts.append(f"select 'id' as k, '{raw}' as v, {{{{ cn_id_number_status(\"'{raw}'\") }}}} as out")
    for raw in ADDRESSES:
        parts.append(f"select 'addr', '{raw}', {{{{ address_key(\"'{raw}'\") }}}}")
    for raw, country in POSTCODES:
        parts.append(f"select 'postcode', '{raw}/{country}', {{{{ normal_postcode(\"'{raw}'\", \"'{country}'\") }}}}")
    for raw in SIMPLIFIED:
        parts.append(f"select 'simplified', '{raw}', {{{{ to_simplified(\"'{raw}'\") }}}}")
    for code in ("91350100M000100Y43", "91350100M000100Y44", "9135010"):
        parts.append(f"select 'credit', '{code}', {{{{ cn_credit_code_status(\"'{code}'\") }}}}")
    for name in ("王小明", "欧阳明", "Wang Xiaoming"):
        parts.append(f"select 'mask_name', '{name}', {{{{ mask_person_name(\"'{name}'\") }}}}")
    parts.append("select 'mask_mobile', '+8613812345678', {{ mask_mobile(\"'+8613812345678'\") }}")
    parts.append("select 'hash_email', 'a@qq.com', {{ hash_email(\"'a@qq.com'\") }}")
    for name in ("上海华信科技有限公司", "华信科技（集团）股份有限公司"):
        parts.append(f"select 'stem', '{name}', {{{{ company_name_stem(\"'{name}'\") }}}}")
    parts.append("select 'customer_id', '42', {{ customer_id_from_seq('42') }}")
    for n in NAME_BANDS:
        parts.append(f"select 'name_band', '{n}', cast({{{{ identity_name_count_band('{n}') }}}} as varchar)")
    rows = dbt_show(" union all ".join(parts), wh)
    return {(r["k"], r["v"]): r["out"] for r in rows}


@pytest.mark.parametrize("raw,status", ID_NUMBERS.items())
def test_id_number_status(results, raw, status):
    assert results[("id", raw)] == status


@pytest.mark.parametrize("raw,key", ADDRESSES.items())
def test_address_key_is_the_same_for_every_way_of_writing_a_flat(results, raw, key):
    assert results[("addr", raw)] == key


@pytest.mark.parametrize("written,key", POSTCODES.items())
def test_postcodes_compare_in_their_country_form(results, written, key):
    assert results[("postcode", "/".join(written))] == key


@pytest.mark.parametrize("raw,simplified", SIMPLIFIED.items())
def test_traditional_characters_become_simplified(results, raw, simplified):
    assert results[("simplified", raw)] == simplified


def test_credit_code_check_character(results):
    assert results[("credit", "91350100M000100Y43")] == "valid"
    assert results[("credit", "91350100M000100Y44")] == "bad_check_character"
    assert results[("credit", "9135010")] == "malformed"


def test_masks_for_bi(results):
    assert results[("mask_name", "王小明")] == "王**"
    assert results[("mask_name", "欧阳明")] == "欧**"
    assert results[("mask_name", "Wang Xiaoming")] == "W*** ********"
    assert results[("mask_mobile", "+8613812345678")] == "138****5678"
    assert results[("hash_email", "a@qq.com")] == "f2a999adb12113e2e1a77ac6081a8999"


def test_company_name_stem_drops_the_legal_form(results):
    assert results[("stem", "上海华信科技有限公司")] == "上海华信科技"
    assert results[("stem", "华信科技（集团）股份有限公司")] == "华信科技集团"


def test_customer_ids_are_zero_padded(results):
    assert results[("customer_id", "42")] == "HX000000042"


@pytest.mark.parametrize("records,band", NAME_BANDS.items())
def test_names_are_banded_by_powers_of_two_of_their_record_count(results, records, band):
    assert results[("name_band", str(records))] == str(band)
