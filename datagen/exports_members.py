"""The member and contact exports of the CRM, the app (members, family relations) and the
stores' till, each written the way that system writes.
"""

from __future__ import annotations


import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dirt as D
from . import identity as I
from . import names as N
from . import text as T
from . import world_records as WR
from .world_records import Accounts
from .writers import TextExport

from .exports import (
    APP_MOBILE,
    CITY_NAMES,
    CRM_MOBILE,
    STORE_MOBILE,
    UTC_OFFSET,
    Universe,
    _city_column,
    _consent_strings,
    _null_some,
    _pick,
    _record_refs,
    _traditional,
)

CRM_HONORIFIC = 0.03          # of contacts typed by sales reps: 王总, 李女士 instead of the name


CRM_WEAK_HONORIFIC = 0.04     # of paper-form re-entries


CRM_WEAK_YEAR_ONLY = 0.12     # of paper-form re-entries with a birthday: only the year was filled in


def crm_export(u: Universe, sales_reps: list[str]) -> TextExport:
    """``crm/contacts.csv``: sales-typed contacts, GB18030, Chinese headers, messy birthdays."""
    rng = u.rng("crm")
    idx = u.records.slice_of(1)
    person = u.records.person[idx]
    p = u.persons
    n = len(idx)
    name, name_def = D.name_column(rng, p, person, 0.03, 0.01, 0.02, 0.01)
    phone, phone_def = D.phone_column(rng, u.records.mobile[idx], p.city[person], CRM_MOBILE, 0.02, 0.005, 0.01)
    email, email_def = D.email_column(rng, p.email.take(pa.array(person)), 0.12, 0.06, 0.02)
    gender = _null_some(rng, T.lookup(["男", "女"], p.gender[person]), 0.10)
    birthday, bday_bad = _crm_birthdays(rng, p.birth[person])
    province = T.where(rng.random(n) < 0.6, T.lookup([c[2] for c in N.CITIES], p.city[person]),
                       T.lookup([c[1] for c in N.CITIES], p.city[person]))
    province = _null_some(rng, province, 0.08)
    company, industry = _crm_companies(rng, u, person)
    ident = _crm_identity(rng, u, idx, person)
    weak = u.records.weak[idx]
    name = T.where(weak, ident["weak_name"], name)
    birthday = T.where(weak, ident["weak_birthday"], birthday)
    phone = T.where(weak, None, phone)
    email = T.where(weak, None, email)
    # names, birthdays and addresses as people really leave them; a stream of its own, so the
    # columns above keep their values: a rep types a form of address for a lead whose full name
    # they never got (王总, 李女士); a paper form gives only the birth year (typed ``1987``), or
    # comes from a customer who writes traditional characters, kept as written (identity dirt)
    more = u.rng("crm:names")
    honorific = (more.random(n) < np.where(weak, CRM_WEAK_HONORIFIC, CRM_HONORIFIC)) & u.identity_dirt
    business = p.account[person] >= 0
    honorifics = T.where(business, D.honorific_names(more, p, person, business=True), D.honorific_names(more, p, person))
    name = T.where(honorific, honorifics, name)
    year_only = weak & (more.random(n) < CRM_WEAK_YEAR_ONLY) & np.asarray(pc.is_valid(birthday))
    year_only &= u.identity_dirt
    birthday = T.where(year_only, T.int_strings(T.date_parts(p.birth[person])[0]), birthday)
    on_form = weak & p.trad[person]
    name, trad_name = _traditional(name, on_form)
    address, trad_address = _traditional(ident["address"], on_form)
    created = u.records.created[idx]
    updated = created + (rng.random(n) ** 2 * (u.tl.end_s - created)).astype(np.int64)
    referred = u.referred_by[person] >= 0
    lead = np.where(referred & (rng.random(n) < 0.6), 2, _pick(rng, N.LEAD_SOURCES, n))
    lead = np.where((p.account[person] >= 0) & (rng.random(n) < 0.5), rng.choice([0, 1], n), lead)
    columns = {
        "客户编号": u.records.record_id.take(pa.array(idx)),
        "姓名": name,
        "手机": phone,
        "邮箱": email,
        "性别": gender,
        "生日": birthday,
        "省份": province,
        "城市": _city_column(rng, p.city[person], 0.25, 0.05),
        "公司名称": company,
        "客户级别": _null_some(rng, T.lookup(N.CRM_LEVELS, _crm_levels(rng, u, person)), 0.05),
        "线索来源": _null_some(rng, T.lookup([s for s, _ in N.LEAD_SOURCES], lead), 0.06),
        "负责人": T.lookup(sales_reps, rng.integers(0, len(sales_reps), n)),
        "行业": industry,
        "身份证号": ident["id_number"],
        "地址": address,
        "邮编": ident["postcode"],
        "创建时间": T.format_times(created, "%Y-%m-%d %H:%M:%S"),
        "更新时间": T.format_times(updated, "%Y-%m-%d %H:%M:%S"),
        "营销许可": _consent_strings(u.rng("crm:consent"), u.consent[idx], N.CRM_CONSENT_FORMS),
    }
    strong = ~weak
    named = strong & ~honorific
    defects = {**{k: v & named for k, v in name_def.items()}, **{k: v & strong for k, v in phone_def.items()},
               **{k: v & strong for k, v in email_def.items()}, "unparseable_birth_date": bday_bad & strong,
               "family_phone": u.records.family_phone[idx] & ~phone_def["landline"]
               & ~phone_def["junk_mobile"] & ~phone_def["_empty"],
               "invalid_id_number": ident["invalid_id"], "weak_record": weak,
               "honorific": honorific, "year_only_birth": year_only, "traditional_chars": trad_name | trad_address}
    defects["name_typo"] = defects["name_typo"] | (ident["weak_typo"] & ~honorific)
    defects["given_name_first"] = ident["weak_given_first"] & ~honorific
    defects["transposed_birth_date"] = ident["weak_transposed"] & ~year_only
    return TextExport("crm/contacts.csv", "csv", columns, defects, encoding="gb18030", records=idx)


def _crm_identity(rng: np.random.Generator, u: Universe, idx: np.ndarray, person: np.ndarray) -> dict:
    """Id number (35 %, 2 % of them mistyped), address (70 %), postcode (40 %); and, for weak
    records, the name, birth date and address as a paper form gives them: typos, given name
    first, transposed digits, abbreviated or missing parts."""
    n = len(idx)
    p, ident = u.persons, u.identity
    weak = u.records.weak[idx]
    id_number = ident.id_number.take(pa.array(person))
    invalid = rng.random(n) < 0.02
    id_number = T.where(invalid, I.mistype_id_numbers(rng, id_number), id_number)
    has_id = (rng.random(n) < 0.35) & ~weak
    style = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    address = ident.addresses(p, person, style)
    address = T.where((rng.random(n) < np.where(weak, 0.92, 0.85)), address, None)
    postcode = ident.postcode.take(pa.array(person))
    postcode = T.where(rng.random(n) < np.where(weak, 0.5, 0.4), postcode, None)

    name_kind = rng.choice(4, size=n, p=[0.70, 0.15, 0.10, 0.05])
    typo_name, typo_def = D.name_column(rng, p, person, 1.0, 0.0, 0.0, 0.0)
    plain = p.hanzi_names().take(pa.array(person))
    weak_name = T.where(name_kind == 0, plain, T.where(name_kind == 1, typo_name,
                        T.where(name_kind == 2, I.given_first_names(p, person), None)))
    bd_kind = rng.choice(3, size=n, p=[0.80, 0.12, 0.08])
    birth = p.birth[person]
    weak_birthday = T.where(bd_kind == 0, I.birth_strings(birth, "%Y-%m-%d"),
                            T.where(bd_kind == 1, I.transposed_birth_dates(rng, birth), None))
    return {"id_number": T.where(has_id, id_number, None), "invalid_id": has_id & invalid,
            "address": address, "postcode": postcode, "weak_name": weak_name, "weak_birthday": weak_birthday,
            "weak_typo": weak & (name_kind == 1) & typo_def["name_typo"], "weak_given_first": weak & (name_kind == 2),
            "weak_transposed": weak & (bd_kind == 1)}


def _crm_birthdays(rng: np.random.Generator, birth: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """``1985-03-12`` mostly, some ``1985/3/12`` and ``19850312``, blanks and junk (``不详``)."""
    n = len(birth)
    y, m, d = T.date_parts(birth)
    style = rng.choice(5, size=n, p=[0.74, 0.10, 0.07, 0.06, 0.03])
    iso = T.render([(y, 4), "-", (m, 2), "-", (d, 2)], n)
    slash = T.join(T.int_strings(y), "/", T.int_strings(m), "/", T.int_strings(d))
    compact = T.render([(y, 4), (m, 2), (d, 2)], n)
    junk_kind = rng.integers(0, 4, n)
    junk = T.where(junk_kind == 0, "不详", T.where(junk_kind == 1, T.join(T.int_strings(y), "-13-45"),
                   T.where(junk_kind == 2, T.join(T.int_strings(y), "-02-30"), "0000-00-00")))
    out = T.where(style == 0, iso, T.where(style == 1, slash, T.where(style == 2, compact,
                  T.where(style == 3, None, junk))))
    return out, style == 4


def _crm_companies(rng: np.random.Generator, u: Universe, person: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Company and industry: the real account for enterprise contacts, a prospect's company for ~15 %."""
    n = len(person)
    acc = u.persons.account[person]
    is_contact = (acc >= 0) & (rng.random(n) < 0.9)
    other = ~is_contact & (rng.random(n) < 0.15)
    acc_names = u.accounts.names(short=rng.random(u.accounts.n) < 0.3)
    acc_industry = T.lookup(N.INDUSTRIES, u.accounts.industry())
    city = rng.integers(0, len(N.CITIES), n)
    first = rng.integers(0, len(N.COMPANY_FIRST), n)
    second = rng.integers(0, len(N.COMPANY_SECOND), n)
    word = rng.integers(0, len(N.INDUSTRY_WORDS), n)
    prospects = Accounts(n=n, city=city, first=first, second=second, word=word,
                         joint_stock=np.zeros(n, bool), size=np.zeros(n, np.int64),
                         credit_code=pa.nulls(n, pa.string()), code=pa.nulls(n, pa.string()))
    a = np.maximum(acc, 0)
    company = T.where(is_contact, acc_names.take(pa.array(a)), T.where(other, prospects.names(), None))
    industry = T.where(is_contact, acc_industry.take(pa.array(a)),
                       T.where(other, T.lookup(N.INDUSTRIES, prospects.industry()), None))
    return company, _null_some(rng, industry, 0.1)


def _crm_levels(rng: np.random.Generator, u: Universe, person: np.ndarray) -> np.ndarray:
    """Customer level from spend rank among buyers (VIP top 5 %, A top 25 %, B top 60 %), 15 % noise."""
    spend = u.paid_cents[person].astype(np.float64)
    buyers = u.paid_cents[u.paid_cents > 0]
    if len(buyers) == 0:
        return rng.integers(0, 4, len(person))
    q60, q25, q5 = np.quantile(buyers, [0.4, 0.75, 0.95])
    level = np.where(spend >= q5, 3, np.where(spend >= q25, 0, np.where(spend >= q60, 1, 2)))
    return np.where(rng.random(len(person)) < 0.15, rng.integers(0, 4, len(person)), level)


def app_members_export(u: Universe) -> TextExport:
    """``app/members.jsonl``: self-registered members; nicknames, union ids, mixed-type register_time."""
    rng = u.rng("app_members")
    idx = u.records.slice_of(0)
    person = u.records.person[idx]
    p = u.persons
    n = len(idx)
    kind = rng.choice(4, size=n, p=[0.40, 0.45, 0.10, 0.05])
    nick = T.lookup(N.NICKNAMES, rng.integers(0, len(N.NICKNAMES), n))
    nick = T.where(rng.random(n) < 0.25, T.join(nick, T.int_strings(rng.integers(1, 2025, n))), nick)
    real, name_def = D.name_column(rng, p, person, 0.0, 0.0, 0.02, 0.0)
    pinyin = D.pinyin_names(p.family[person], p.g1[person], p.g2[person], rng.integers(0, 2, n))
    nickname = T.where(kind == 0, nick, T.where(kind == 1, real, T.where(kind == 2, pinyin, None)))
    # the app verifies the mobile by SMS at registration: always present and real
    mobile, phone_def = D.phone_column(rng, u.records.mobile[idx], p.city[person], APP_MOBILE, 0.0, 0.0, 0.0)
    email, email_def = D.email_column(rng, p.email.take(pa.array(person)), 0.45, 0.04, 0.01)
    primary = u.records.primary[idx]
    no_union = rng.random(n) < np.where(primary, 0.15, 0.6)
    unionid = T.where(no_union, None, p.unionid.take(pa.array(person)))
    referred = u.referred_by[person] >= 0
    channel = np.where(referred & (rng.random(n) < 0.8), 0, _pick(rng, N.REGISTER_CHANNELS, n))
    created = u.records.created[idx]
    epoch_ms = (created - UTC_OFFSET) * 1000 + rng.integers(0, 1000, n)
    iso = T.join('"', T.format_times(created, "%Y-%m-%dT%H:%M:%S+08:00"), '"')
    register_time = T.where(rng.random(n) < 0.10, T.int_strings(epoch_ms), iso)
    g = rng.random(n)
    gender = T.where(g < 0.80, T.lookup(["M", "F"], p.gender[person]), T.where(g < 0.85, "U", None))
    b = rng.random(n)
    birthday = T.where(b < 0.55, T.join('"', I.birth_strings(p.birth[person], "%Y-%m-%d"), '"'),
                       T.where(b < 0.75, T.int_strings(T.date_parts(p.birth[person])[0]), None))
    address = T.where(rng.random(n) < 0.65, u.identity.addresses(p, person, rng.choice(3, size=n, p=[0.6, 0.3, 0.1])),
                      None)
    # members from Hong Kong or Taiwan type their own name and address in traditional characters
    self_typed = p.trad[person]
    nickname, trad_name = _traditional(nickname, self_typed & (kind == 1))
    address, trad_address = _traditional(address, self_typed)
    # a member who bound their marketplace account (会员绑定) carries its buyer id
    mall_rec = WR.primary_record(u.records, person, N.MALL)
    bound = u.records.primary[idx] & (mall_rec >= 0)
    columns = {
        "member_id": u.records.record_id.take(pa.array(idx)),
        "nickname": nickname,
        "mobile": mobile,
        "email": email,
        "unionid": unionid,
        "register_channel": T.lookup([c for c, _ in N.REGISTER_CHANNELS], channel),
        "register_time": register_time,
        "city": _city_column(rng, p.city[person], 0.05, 0.10),
        "gender": gender,
        "birthday": birthday,
        "address": address,
        "marketing_opt_in": T.lookup(["false", "true"], u.consent[idx]),   # JSON boolean, null: no answer
        "mall_buyer_id": _record_refs(u.records, np.where(bound, mall_rec, -1)),
    }
    defects = {"pinyin_name": kind == 2, "padded_name": name_def["padded_name"] & (kind == 1),
               "junk_mobile": phone_def["junk_mobile"], **email_def,
               "family_phone": u.records.family_phone[idx] & ~phone_def["junk_mobile"] & ~phone_def["_empty"],
               "year_only_birth": (b >= 0.55) & (b < 0.75), "traditional_chars": trad_name | trad_address}
    return TextExport("app/members.jsonl", "jsonl", columns, defects,
                      raw=frozenset({"register_time", "birthday", "marketing_opt_in"}), records=idx)


def family_relations_export(u: Universe) -> TextExport:
    """``app/family_relations.csv``: the app's own families (F000001) over its members, with roles."""
    r = u.records
    prim = np.flatnonzero((r.source == 0) & r.primary)
    hh = u.persons.household[r.person[prim]]
    prim, hh = prim[hh >= 0], hh[hh >= 0]
    # families are numbered in the order their first member registered
    order = np.lexsort((r.created[prim], hh))
    prim, hh = prim[order], hh[order]
    first_seen = np.r_[True, hh[1:] != hh[:-1]][:len(hh)]
    fam_start = r.created[prim][first_seen]
    fam_rank = np.empty(first_seen.sum(), np.int64)
    fam_rank[np.argsort(fam_start, kind="stable")] = np.arange(len(fam_rank))
    family_no = fam_rank[np.cumsum(first_seen) - 1] + 1
    order = np.lexsort((r.created[prim], family_no))
    prim, family_no = prim[order], family_no[order]
    role = u.persons.role[r.person[prim]]
    columns = {
        "family_id": T.ids("F", family_no, max(6, len(str(int(family_no.max())))) if len(family_no) else 6),
        "member_id": r.record_id.take(pa.array(prim)),
        "role": T.lookup(N.HOUSEHOLD_ROLES, role),
    }
    return TextExport("app/family_relations.csv", "csv", columns)


def store_members_export(u: Universe) -> TextExport:
    """``store/members.csv``: till-typed cards, ``|``-delimited, ``2024/05/06`` join dates.

    The POS keeps family and given name in two fields (``surname`` / ``given_name``) and, since
    the card form asks for it, sometimes a mailing address. A few customers give no mobile: their
    card holds a name, a birthday and an address only (weak). The Shenzhen stores' tills type
    traditional characters (a Hong Kong franchisee's POS).
    """
    rng = u.rng("store")
    idx = u.records.slice_of(N.STORE)
    person = u.records.person[idx]
    p = u.persons
    n = len(idx)
    store = u.records.store[idx]
    weak = u.records.weak[idx]
    # swapped parts and the whole name in one part are identity dirt (the draws stay the same)
    swap, whole = (0.015, 0.02) if u.identity_dirt else (0.0, 0.0)
    surname, given, name_def = D.split_name_columns(rng, p, person, 0.03, 0.05, 0.03, 0.01, swap, whole)
    phone, phone_def = D.phone_column(rng, u.records.mobile[idx], p.city[person], STORE_MOBILE, 0.005, 0.005, 0.01)
    phone = T.where(weak, None, phone)
    birthday = T.where(rng.random(n) < np.where(weak, 0.08, 0.2), None, I.birth_strings(p.birth[person], "%Y/%m/%d"))
    address = u.identity.addresses(p, person, rng.choice(3, size=n, p=[0.15, 0.35, 0.5]))
    address = T.where(rng.random(n) < np.where(weak, 0.85, 0.30), address, None)
    trad_till = u.stores.traditional_ime()[store] & u.identity_dirt
    surname, trad_surname = _traditional(surname, trad_till)
    given, trad_given = _traditional(given, trad_till)
    address, trad_address = _traditional(address, trad_till)
    columns = {
        "card_no": u.records.record_id.take(pa.array(idx)),
        "surname": surname,
        "given_name": given,
        "phone": phone,
        "store_id": u.stores.store_ids().take(pa.array(store)),
        "store_city": _null_some(rng, T.lookup(CITY_NAMES, u.stores.city[store]), 0.02),
        "join_date": T.format_times(u.records.created[idx], "%Y/%m/%d"),
        "birthday": birthday,
        "address": address,
        "accept_sms": _consent_strings(u.rng("store:consent"), u.consent[idx], N.STORE_CONSENT_FORMS),
    }
    strong = ~weak
    defects = {**name_def, **{k: v & strong for k, v in phone_def.items()},
               "family_phone": u.records.family_phone[idx] & ~phone_def["landline"]
               & ~phone_def["junk_mobile"] & ~phone_def["_empty"],
               "traditional_chars": trad_surname | trad_given | trad_address, "weak_record": weak}
    return TextExport("store/members.csv", "csv", columns, defects, delimiter="|", records=idx)
