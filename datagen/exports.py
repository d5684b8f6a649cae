"""Rendering the true world into each source system's export (paths per config/sources.yml).

One function per file. Each decides how *that* system writes things (the CRM's Chinese
headers and GB18030, the till's ``|`` delimiter and ``2024/05/06`` dates, the app's
epoch-millisecond timestamps) and which defects it has, and returns a ``TextExport`` or
``ParquetExport`` of logical rows for the writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dirt as D
from . import identity as I
from . import names as N
from . import text as T
from . import world as W
from .behaviour import CHANNELS, Events, Items, Orders, Profiles, Purchases, Referrals, Visits
from .world import DAY, Accounts, Persons, Records, Stores, Timeline
from .writers import ParquetExport, TextExport

UTC_OFFSET = 8 * 3600
CITY_NAMES = [c[0] for c in N.CITIES]

APP_MOBILE = {"plain": 0.82, "plus86": 0.08, "plus86_spaced": 0.03, "86_space": 0.03, "0086_dash": 0.02, "dashed": 0.02}
CRM_MOBILE = {"plain": 0.58, "dashed": 0.1, "spaced": 0.1, "plus86_spaced": 0.05, "0086_dash": 0.05,
              "86_space": 0.05, "fullwidth": 0.05, "plus86": 0.02}
STORE_MOBILE = {"plain": 0.72, "spaced": 0.08, "dashed": 0.07, "fullwidth": 0.06, "86_space": 0.05, "plus86": 0.02}
ENT_MOBILE = {"plain": 0.68, "plus86_spaced": 0.1, "dashed": 0.1, "spaced": 0.1, "0086_dash": 0.02}


@dataclass
class Universe:
    """Everything generated, handed to the export renderers and the ground-truth writer."""

    seed: int
    tl: Timeline
    persons: Persons
    accounts: Accounts
    stores: Stores
    records: Records
    profiles: Profiles
    purchases: Purchases
    orders: Orders
    items: Items
    events: Events
    visits: Visits
    referrals: Referrals
    referred_by: np.ndarray      # per person, referrer person index or -1
    paid_cents: np.ndarray       # per person, sum of paid order amounts
    n_orders: np.ndarray         # per person, orders of any status
    identity: I.Identity         # per person, id number and home address
    consent: np.ndarray          # per record, marketing consent: 1 consents, 0 refuses, -1 no answer
    identity_dirt: bool          # the identity dirt of issue 16 (off: none of it is written)

    def rng(self, name: str) -> np.random.Generator:
        """The random stream of one export (independent of every other export)."""
        return T.stage_rng(self.seed, "export:" + name)


ENT_HONORIFIC = 0.02          # of enterprise contacts: 张总, 李经理 instead of the name
CRM_HONORIFIC = 0.03          # of contacts typed by sales reps: 王总, 李女士 instead of the name
CRM_WEAK_HONORIFIC = 0.04     # of paper-form re-entries
CRM_WEAK_YEAR_ONLY = 0.12     # of paper-form re-entries with a birthday: only the year was filled in


# ---------------------------------------------------------------------------- helpers
def _traditional(arr: pa.Array, mask: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The rows of ``mask`` written in traditional characters, and which rows that changed."""
    out = T.to_traditional(arr, mask)
    return out, np.asarray(pc.fill_null(pc.not_equal(out, arr), False))


def _null_some(rng: np.random.Generator, arr: pa.Array, p: float) -> pa.Array:
    """Blank out a share of an optional field."""
    return T.where(rng.random(len(arr)) < p, None, arr)


def _city_column(rng: np.random.Generator, city: np.ndarray, p_suffix: float, p_null: float) -> pa.Array:
    """City names, sometimes with the administrative suffix 市, sometimes missing."""
    name = T.lookup(CITY_NAMES, city)
    name = T.where(rng.random(len(city)) < p_suffix, T.join(name, "市"), name)
    return _null_some(rng, name, p_null)


def _record_refs(records: Records, rec: np.ndarray) -> pa.Array:
    """Record ids for record indices (-1 gives null)."""
    values = pa.concat_arrays([records.record_id, pa.nulls(1, pa.string())])
    r = np.asarray(rec, dtype=np.int64)
    return values.take(pa.array(np.where(r < 0, len(records.record_id), r)))


def _sku_codes() -> list[str]:
    """``SKU10001``… one code per catalogue index."""
    return [f"SKU{10001 + i:05d}" for i in range(N.N_SKUS)]


def _pick(rng: np.random.Generator, pairs: list[tuple[str, float]], n: int) -> np.ndarray:
    """Weighted indices into a (label, weight) table."""
    return rng.choice(len(pairs), size=n, p=N.normalised_weights(pairs))


def _consent_strings(rng: np.random.Generator, consent: np.ndarray,
                     forms: list[list[tuple[str, float]]]) -> pa.Array:
    """Marketing consent as a system writes it (``forms[0]`` refusals, ``forms[1]`` consents);
    a record without an answer is blank. Its own random stream, so no other column moves."""
    pieces = []
    for value, variants in enumerate(forms):
        idx = np.flatnonzero(consent == value)
        pieces.append((idx, T.lookup([f for f, _ in variants], _pick(rng, variants, len(idx)))))
    return T.assemble(len(consent), pieces)


# ---------------------------------------------------------------------------- crm
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


# ---------------------------------------------------------------------------- app
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
    mall_rec = W.primary_record(u.records, person, N.MALL)
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


def event_exports(u: Universe) -> Iterator[TextExport]:
    """``app/events/month=YYYY-MM/events.jsonl``, one per month, in time order."""
    ev = u.events
    width = max(10, len(str(len(ev.ts))))
    months = ev.ts.astype("datetime64[s]").astype("datetime64[M]")
    bounds = np.searchsorted(months, np.unique(months))
    bounds = np.r_[bounds, len(ev.ts)]
    devices = T.random_tokens(T.stage_rng(u.seed, "devices"), ev.n_devices, 16, "0123456789abcdef")
    skus = _sku_codes()
    cats = [c for c, _, _ in N.CATEGORIES]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        month = str(months[lo])
        rng = u.rng("events:" + month)
        sl = slice(int(lo), int(hi))
        ts, future, bad = _dirty_times(rng, ev.ts[sl], u.tl.end_s, 0.001, 0.001, ["%Y-%m-%dT%H:%M:%S.%f+08:00"],
                                       millis=ev.ms[sl], bad_values=["N/A", "", "0000-00-00T00:00:00"])
        columns = {
            "event_id": T.ids("E", np.arange(lo + 1, hi + 1), width),
            "member_id": _record_refs(u.records, ev.record[sl]),
            "device_id": devices.take(pa.array(ev.device[sl])),
            "event": T.lookup(N.EVENT_TYPES, ev.etype[sl]),
            "ts": ts,
            "sku": T.lookup(skus, ev.sku[sl]),
            "category": T.lookup(cats, ev.category[sl]),
        }
        yield TextExport(f"app/events/month={month}/events.jsonl", "jsonl", columns,
                         {"future_timestamp": future, "unparseable_timestamp": bad})


def _dirty_times(rng: np.random.Generator, secs: np.ndarray, end_s: int, p_future: float, p_bad: float,
                 fmts: list[str], kind: np.ndarray | None = None, millis: np.ndarray | None = None,
                 bad_values: list[str] | None = None) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Timestamps in the formats ``fmts`` (row i uses ``fmts[kind[i]]``), with a few set
    30–900 days after the end of data and a few unparseable ones (30 February, ``N/A``, blank).
    """
    n = len(secs)
    kind = np.zeros(n, dtype=np.int64) if kind is None else kind
    u = rng.random(n)
    future = u < p_future
    bad = (u >= p_future) & (u < p_future + p_bad)
    later = end_s - end_s % DAY + rng.integers(30, 901, n) * DAY + secs % DAY
    shifted = np.where(future, later, secs)
    y = T.date_parts(secs // DAY)[0]
    choices = bad_values or ["N/A", ""]
    junk_pick = rng.random(n) < 0.5
    junk_value = rng.integers(0, len(choices), n)
    pieces = []
    for k, fmt in enumerate(fmts):
        idx = np.flatnonzero(kind == k)
        out = T.format_times(shifted[idx], fmt, None if millis is None else millis[idx])
        impossible = T.join(T.int_strings(y[idx]), _impossible_date_suffix(fmt))
        junk = T.where(junk_pick[idx], impossible, T.lookup(choices, junk_value[idx]))
        pieces.append((idx, T.where(bad[idx], junk, out)))
    return T.assemble(n, pieces), future, bad


def _impossible_date_suffix(fmt: str) -> str:
    """The part after the year of a timestamp on 30 February, in the given format."""
    suffix = fmt.replace("%Y", "", 1)
    for token, value in (("%m", "02"), ("%d", "30"), ("%H", "10"), ("%M", "00"), ("%S", "00"), ("%f", "000")):
        suffix = suffix.replace(token, value)
    return suffix


# ---------------------------------------------------------------------------- store
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


# ---------------------------------------------------------------------------- ent
def ent_accounts_export(u: Universe) -> TextExport:
    """``ent/accounts.csv``: accounts in code order; a few missing or mistyped credit codes."""
    rng = u.rng("ent_accounts")
    a = u.accounts
    order = np.argsort(np.asarray(a.code.to_pylist(), dtype=object), kind="stable")
    n = a.n
    code = a.credit_code
    mistyped = rng.random(n) < 0.01
    wrong_last = T.join(pc.utf8_slice_codeunits(code, 0, 17),
                        T.lookup(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), rng.integers(0, 31, n)))
    still_valid = np.asarray(pc.equal(wrong_last, code))
    mistyped &= ~still_valid
    code = T.where(mistyped, wrong_last, code)
    missing = rng.random(n) < 0.03
    code = T.where(missing, None, code)
    columns = {
        "account_code": a.code,
        "company_name": a.names(),
        "credit_code": code,
        "industry": _null_some(rng, T.lookup(N.INDUSTRIES, a.industry()), 0.05),
        "city": _city_column(rng, a.city, 0.05, 0.02),
        "size": _null_some(rng, T.lookup([s for s, _ in N.COMPANY_SIZES], a.size), 0.05),
    }
    take = pa.array(order)
    columns = {k: v.take(take) for k, v in columns.items()}
    return TextExport("ent/accounts.csv", "csv", columns, {"invalid_credit_code": mistyped[order]})


def ent_contacts_export(u: Universe) -> TextExport:
    """``ent/contacts.csv``: enterprise contacts with work e-mail addresses and titles."""
    rng = u.rng("ent_contacts")
    idx = u.records.slice_of(3)
    person = u.records.person[idx]
    p = u.persons
    n = len(idx)
    acc = u.records.account[idx]
    name, name_def = D.name_column(rng, p, person, 0.03, 0.0, 0.02, 0.01)
    # an account manager's entry for a contact whose full name they never noted (张总, 李经理)
    more = u.rng("ent:names")
    honorific = (more.random(n) < ENT_HONORIFIC) & u.identity_dirt
    name = T.where(honorific, D.honorific_names(more, p, person, business=True), name)
    name_def = {k: v & ~honorific for k, v in name_def.items()}
    phone, phone_def = D.phone_column(rng, u.records.mobile[idx], p.city[person], ENT_MOBILE, 0.0, 0.005, 0.01)
    py = [N.CHAR_PINYIN[c] for c in N.GIVEN_CHARS]
    fam = T.lookup([f.lower() for _, f, _ in N.FAMILY_NAMES], p.family[person])
    given = T.join(T.lookup(py, p.g1[person]), T.lookup(py + [""], np.where(p.g2[person] < 0, len(py), p.g2[person])))
    local = T.where(rng.random(n) < 0.5, T.join(fam, ".", given), T.join(given, fam))
    work = T.join(local, "@", u.accounts.email_domains().take(pa.array(acc)))
    email, email_def = D.email_column(rng, work, 0.15, 0.04, 0.01)
    columns = {
        "contact_id": u.records.record_id.take(pa.array(idx)),
        "account_code": u.accounts.code.take(pa.array(acc)),
        "name": name,
        "mobile": phone,
        "email": email,
        "title": _null_some(rng, T.lookup(N.CONTACT_TITLES, p.title[person]), 0.05),
        "created_at": T.format_times(u.records.created[idx], "%Y-%m-%d %H:%M:%S"),
    }
    return TextExport("ent/contacts.csv", "csv", columns, {**name_def, **phone_def, **email_def,
                                                           "honorific": honorific}, records=idx)


# ---------------------------------------------------------------------------- service
SERVICE_MOBILE = {"plain": 0.84, "plus86": 0.04, "dashed": 0.04, "spaced": 0.04, "86_space": 0.04}
# per channel (names.SERVICE_CHANNELS: hotline, online chat, WeChat, e-mail), what the name field
# holds: legal name, form of address (王先生), screen name (小磊, Lucy, 用户5053), placeholder (客户)
SERVICE_NAME_KINDS = np.array([
    [0.45, 0.40, 0.00, 0.06, 0.09],   # the agent types what the caller said
    [0.40, 0.05, 0.45, 0.05, 0.05],   # the pre-chat form or the app login's name
    [0.25, 0.05, 0.65, 0.05, 0.00],   # the WeChat nickname
    [0.70, 0.10, 0.15, 0.00, 0.05],   # the sender's name
    [0.10, 0.10, 0.70, 0.00, 0.10],   # the marketplace nickname
])
SERVICE_TRUNK_PREFIX = 0.10   # of hotline callers' mobiles: the switchboard's caller id, ``0`` + mobile
SERVICE_LANDLINE = (0.12, 0.02, 0.0, 0.02, 0.0)   # per channel: the number is a landline (home, office)
SERVICE_NO_PHONE = (0.0, 0.06, 0.10, 0.75, 0.70)  # per channel: no number (chat visitors, e-mails, masked)
SERVICE_MALL_CHAT = 0.4       # of the marketplace's buyers the app knows too: came through the shop's chat
SERVICE_BIRTH_YEAR = 0.25     # asked the birth year to verify a membership; stored as a date, 1 January


def service_contacts_export(u: Universe) -> TextExport:
    """``service/contacts.csv``: the service desk's contacts (客服工单 contacts), UTF-8, Chinese
    headers. A customers-only source: no orders or events of its own. The name field holds a
    legal name, a form of address, a screen name or a placeholder, depending on the channel;
    the one number column (联系电话) holds the caller's mobile mostly, some landlines, and for
    hotline calls sometimes the switchboard's ``0`` + mobile; the birth year, when asked, is
    stored as a date on 1 January. Customers who write traditional characters keep them in
    what they type themselves (chat, e-mail). A contact from the marketplace shop's chat
    carries the buyer's marketplace id (平台账号) and rarely a number (the platform masks it); one
    from WeChat customer service carries the user's WeChat union id. Without identity dirt
    nobody has contacted the desk: the file has the header only."""
    rng = u.rng("service")
    idx = u.records.slice_of(N.SERVICE)
    person = u.records.person[idx]
    p = u.persons
    n = len(idx)
    has_email = np.asarray(pc.is_valid(p.email.take(pa.array(person))))
    channel = _pick(rng, N.SERVICE_CHANNELS, n)
    channel = np.where((channel == 3) & ~has_email, 1, channel)     # an e-mail needs an address
    # the marketplace's buyers reach the desk through the shop's chat, which shows their buyer id:
    # always those nobody else knows, some of those the app knows too
    mall_rec = W.primary_record(u.records, person, N.MALL)
    only_mall = np.bincount(u.records.person, minlength=p.n)[person] == 2     # this contact + the buyer id
    mall_chat = (mall_rec >= 0) & (only_mall | (rng.random(n) < SERVICE_MALL_CHAT))
    channel = np.where(mall_chat, 4, channel)
    cum = np.cumsum(SERVICE_NAME_KINDS, axis=1)[channel]
    kind = np.minimum((rng.random(n)[:, None] >= cum).sum(axis=1), SERVICE_NAME_KINDS.shape[1] - 1)
    hotline = channel == 0
    legal, name_def = D.name_column(rng, p, person, np.where(hotline, 0.06, 0.01), 0.0, 0.01, 0.0)
    honorific = D.honorific_names(rng, p, person)
    screen = D.screen_names(rng, p, person)
    placeholder = D.placeholder_names(rng, p, person)
    name = T.where(kind == 0, legal, T.where(kind == 1, honorific, T.where(kind == 2, screen,
                   T.where(kind == 3, placeholder, None))))
    name, trad_name = _traditional(name, p.trad[person] & ~hotline & ((kind == 0) | (kind == 2)))

    mobile = u.records.mobile[idx]
    phone, phone_def = D.phone_column(rng, mobile, p.city[person], SERVICE_MOBILE, 0.0, 0.01, 0.0)
    trunk = hotline & (rng.random(n) < SERVICE_TRUNK_PREFIX) & ~phone_def["junk_mobile"]
    phone = T.where(trunk, T.join("0", T.render([(mobile, 11)], n)), phone)
    v = rng.random(n)
    landline = v < np.asarray(SERVICE_LANDLINE)[channel]
    no_phone = ~landline & (v < np.asarray(SERVICE_LANDLINE)[channel] + np.asarray(SERVICE_NO_PHONE)[channel])
    phone = T.where(landline, D.landlines(rng, p.city[person]), T.where(no_phone, None, phone))
    junk = phone_def["junk_mobile"] & ~landline & ~no_phone
    mobile_in_phone = ~landline & ~no_phone & ~junk

    email, _ = D.email_column(rng, p.email.take(pa.array(person)), 0.0, 0.05, 0.0)
    wechat = channel == 2           # WeChat customer service knows the user's WeChat union id
    email = T.where((channel == 3) | (rng.random(n) < 0.05), email, None)
    gender_known = np.where(kind == 1, True, rng.random(n) < np.where(kind == 0, 0.6, 0.2))
    birth_year = rng.random(n) < SERVICE_BIRTH_YEAR
    year = T.date_parts(p.birth[person])[0]
    created = u.records.created[idx]
    tickets = 1 + rng.poisson(0.8, n)
    updated = created + (rng.random(n) * np.minimum(tickets - 1, 1) * (u.tl.end_s - created)).astype(np.int64)
    columns = {
        "客户ID": u.records.record_id.take(pa.array(idx)),
        "客户称呼": name,
        "联系电话": phone,
        "邮箱": email,
        "性别": T.where(gender_known, T.lookup(["男", "女"], p.gender[person]), None),
        "所在城市": _city_column(rng, p.city[person], 0.1, 0.45),
        "出生日期": T.where(birth_year, T.join(T.int_strings(year), "-01-01"), None),
        "来源渠道": T.lookup([c for c, _ in N.SERVICE_CHANNELS], channel),
        "平台账号": _record_refs(u.records, np.where(mall_chat, mall_rec, -1)),
        "微信UnionID": T.where(wechat, p.unionid.take(pa.array(person)), None),
        "工单数": T.int_strings(tickets),
        "创建时间": T.format_times(created, "%Y-%m-%d %H:%M:%S"),
        "最近联系时间": T.format_times(updated, "%Y-%m-%d %H:%M:%S"),
    }
    defects = {"name_typo": name_def["name_typo"] & (kind == 0), "padded_name": name_def["padded_name"] & (kind == 0),
               "honorific": kind == 1, "screen_name": kind == 2, "placeholder_name": kind == 3,
               "traditional_chars": trad_name, "mobile_in_phone": mobile_in_phone,
               "mobile_trunk_prefix": trunk & mobile_in_phone, "landline": landline, "junk_mobile": junk,
               "year_only_birth": birth_year,
               # nothing to link it by: no legal name, no mobile, no e-mail, no buyer id, no WeChat id
               "no_identifier": (kind != 0) & ~mobile_in_phone & ~np.asarray(pc.is_valid(email)) & ~mall_chat
               & ~wechat}
    return TextExport("service/contacts.csv", "csv", columns, defects, records=idx)


# ---------------------------------------------------------------------------- mall
def mall_order_exports(u: Universe) -> Iterator[TextExport]:
    """``mall/orders/orders_YYYY.csv``: the marketplace shop's order export, one file per year
    (UTF-8, Chinese headers). Orders-only: the buyer is named by the marketplace's buyer id
    (买家ID), and there is no customer table; no order lines either (the amount is the order's).
    Every year of the window has its file: a year without orders (each year, without identity
    dirt: nobody buys there) has the header only."""
    o = u.orders
    is_mall = np.asarray(u.records.source)[o.record] == N.MALL
    year = T.date_parts(o.time // DAY)[0]
    for y in u.tl.years_covered():
        sel = np.flatnonzero(is_mall & (year == y))     # none without identity dirt: a header only
        rng = u.rng(f"mall:{y}")
        t = o.time[sel]
        yy, mm, dd = T.date_parts(t // DAY)
        number = np.cumsum(rng.integers(1, 40, len(sel))) + int(rng.integers(10**14, 5 * 10**14))
        cents = o.amount_cents[sel]
        columns = {
            "订单编号": T.render([(yy % 100, 2), (mm, 2), (dd, 2), "-", (number, 15)], len(sel)),
            "买家ID": _record_refs(u.records, o.record[sel]),
            "下单时间": T.format_times(t, "%Y-%m-%d %H:%M:%S"),
            "订单状态": _status_strings(rng, o.status[sel], N.MALL_STATUS_FORMS),
            "实付金额": T.join(T.int_strings(cents // 100), ".", T.render([(cents % 100, 2)], len(sel))),
        }
        yield TextExport(f"mall/orders/orders_{y}.csv", "csv", columns)


def store_visit_exports(u: Universe) -> Iterator[TextExport]:
    """``store/visits/visits_YYYY.csv``: the stores' member check-in system (a card scanned at
    the door or the till), one file per year, with the card number, the store and the time in
    the till's ``2024/05/06 14:03:22`` format, a few future or unreadable times among them."""
    v = u.visits
    year = T.date_parts(v.ts // DAY)[0]
    store_ids = u.stores.store_ids().to_pylist()
    width = max(9, len(str(len(v.ts))))
    for y in u.tl.years_covered():
        sel = np.flatnonzero(year == y)
        if len(sel) == 0:
            continue
        rng = u.rng(f"visits:{y}")
        visit_time, future, bad = _dirty_times(rng, v.ts[sel], u.tl.end_s, 0.001, 0.001, ["%Y/%m/%d %H:%M:%S"])
        columns = {
            "visit_no": T.ids("V", sel + 1, width),
            "card_no": _record_refs(u.records, v.record[sel]),
            "store_id": T.lookup(store_ids, v.store[sel]),
            "visit_time": visit_time,
        }
        yield TextExport(f"store/visits/visits_{y}.csv", "csv", columns,
                         {"future_timestamp": future, "unparseable_timestamp": bad})


# ---------------------------------------------------------------------------- oms
def order_exports(u: Universe) -> Iterator[tuple[ParquetExport, ParquetExport]]:
    """``oms/orders/orders_YYYY.parquet`` and ``oms/order_items/order_items_YYYY.parquet`` per year.

    Files are split by the order's true year; the written ``order_time`` carries the dirt. The
    marketplace shop's orders are not in the OMS (see ``mall_order_exports``).
    """
    o, it = u.orders, u.items
    year = T.date_parts(o.time // DAY)[0]
    store_ids = u.stores.store_ids()
    skus = _sku_codes()
    cats = [c for c, _, _ in N.CATEGORIES]
    systems = np.asarray(u.records.source)[o.record]
    in_oms = systems < N.MALL
    width = 10
    for y in u.tl.years_covered():
        rng = u.rng(f"orders:{y}")
        sel = np.flatnonzero(in_oms & (year == y))       # sorted by time, as the orders are
        if len(sel) == 0:
            continue
        n = len(sel)
        fmt_kind = rng.choice(3, size=n, p=[0.85, 0.10, 0.05])
        order_time, future, bad = _dirty_times(
            rng, o.time[sel], u.tl.end_s, 0.002, 0.002,
            ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S+08:00"], kind=fmt_kind)
        amount = o.amount_cents[sel] / 100.0
        negative = rng.random(n) < 0.003
        amount = np.where(negative, -amount, amount)
        order_ids = T.ids("O", o.number[sel], width)
        table = pa.table({
            "order_id": order_ids,
            "customer_system": T.lookup(N.ORDER_SYSTEMS, systems[sel]),
            "customer_ref": _record_refs(u.records, o.record[sel]),
            "order_time": order_time,
            "status": _status_strings(rng, o.status[sel]),
            "amount": pa.array(amount, pa.float64()),
            "channel": T.lookup(CHANNELS, o.channel[sel]),
            "store_id": T.lookup(store_ids.to_pylist(), o.store[sel]),
        })
        orders = ParquetExport(f"oms/orders/orders_{y}.parquet", table,
                               {"future_timestamp": future, "unparseable_timestamp": bad,
                                "negative_amount": negative}, dup_rate=0.005)
        position = np.full(len(o.time), -1, np.int64)
        position[sel] = np.arange(n)
        lines = np.flatnonzero(position[it.order] >= 0)    # items are sorted by order, then line
        items = pa.table({
            "order_id": order_ids.take(pa.array(position[it.order[lines]])),
            "line_no": pa.array(it.line_no[lines].astype(np.int32)),
            "sku": T.lookup(skus, it.sku[lines]),
            "category": T.lookup(cats, it.category[lines]),
            "qty": pa.array(it.qty[lines].astype(np.int32)),
            "unit_price": pa.array(it.unit_cents[lines] / 100.0, pa.float64()),
        })
        yield orders, ParquetExport(f"oms/order_items/order_items_{y}.parquet", items)


def _status_strings(rng: np.random.Generator, status: np.ndarray,
                    table: list[list[tuple[str, float]]] = N.STATUS_FORMS) -> pa.Array:
    """Status as the OMS writes it: mostly ``paid``/``refunded``/``cancelled``, some ``PAID``, ``已支付``."""
    pieces = []
    for s, forms in enumerate(table):
        idx = np.flatnonzero(status == s)
        pick = _pick(rng, forms, len(idx))
        pieces.append((idx, T.lookup([f for f, _ in forms], pick)))
    return T.assemble(len(status), pieces)


def sales_rep_names(seed: int, k: int = 30) -> list[str]:
    """A fixed roster of sales reps (the CRM's 负责人), drawn from the name tables."""
    from .world import draw_names, hanzi_names
    rng = T.stage_rng(seed, "sales_reps")
    fam, g1, g2 = draw_names(rng, rng.integers(0, 2, k).astype(np.int8))
    return hanzi_names(fam, g1, g2).to_pylist()


__all__ = ["Universe", "TextExport", "ParquetExport", "crm_export", "app_members_export", "family_relations_export",
           "event_exports", "store_visit_exports", "store_members_export", "ent_accounts_export", "ent_contacts_export",
           "service_contacts_export", "order_exports", "mall_order_exports", "sales_rep_names"]
