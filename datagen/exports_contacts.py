"""The enterprise accounts and contacts, and the service desk's contacts.
"""

from __future__ import annotations


import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dirt as D
from . import names as N
from . import text as T
from . import world_records as WR
from .writers import TextExport

from .exports import (
    ENT_MOBILE,
    Universe,
    _city_column,
    _null_some,
    _pick,
    _record_refs,
    _traditional,
)

ENT_HONORIFIC = 0.02          # of enterprise contacts: 张总, 李经理 instead of the name


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


SERVICE_MOBILE = {"plain": 0.84, "plus86": 0.04, "dashed": 0.04, "spaced": 0.04, "86_space": 0.04}


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
    mall_rec = WR.primary_record(u.records, person, N.MALL)
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
