"""The world's organisations and records: enterprise accounts (with valid unified social
credit codes), stores, the source records each person leaves in each system, and the
marketing consent each record holds. Persons, households and time are in world.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import names as N
from . import text as T

from .world import DAY, Persons, Timeline, duplicate_positions, household_heads

# --------------------------------------------------------------------------- accounts
@dataclass
class Accounts:
    """Enterprise (B2B) customers; contacts are persons with ``Persons.account`` set."""

    n: int
    city: np.ndarray
    first: np.ndarray       # index into names.COMPANY_FIRST
    second: np.ndarray      # index into names.COMPANY_SECOND
    word: np.ndarray        # index into names.INDUSTRY_WORDS
    joint_stock: np.ndarray  # bool: 股份有限公司
    size: np.ndarray        # index into names.COMPANY_SIZES
    credit_code: pa.Array
    code: pa.Array          # the ENT system's own account code (EA000123)

    def account_ids(self) -> pa.Array:
        """Ground-truth ids ``A00001``."""
        return T.ids("A", np.arange(1, self.n + 1), max(5, len(str(self.n))))

    def industry(self) -> np.ndarray:
        """Industry index (into names.INDUSTRIES) implied by the company's industry word."""
        return np.array([w[2] for w in N.INDUSTRY_WORDS])[self.word]

    def names(self, short: np.ndarray | None = None) -> pa.Array:
        """Registered names, e.g. 上海华信科技有限公司; ``short`` rows drop city and suffix."""
        brand = T.join(T.lookup([c for c, _ in N.COMPANY_FIRST], self.first),
                       T.lookup([c for c, _ in N.COMPANY_SECOND], self.second),
                       T.lookup([w for w, _, _ in N.INDUSTRY_WORDS], self.word))
        full = T.join(T.lookup([c[0] for c in N.CITIES], self.city), brand,
                      T.where(self.joint_stock, "股份有限公司", "有限公司"))
        return full if short is None else T.where(short, brand, full)

    def email_domains(self) -> pa.Array:
        """Company mail domains such as ``huaxintech.com.cn``."""
        return T.join(T.lookup([p for _, p in N.COMPANY_FIRST], self.first),
                      T.lookup([p for _, p in N.COMPANY_SECOND], self.second),
                      T.lookup([t for _, t, _ in N.INDUSTRY_WORDS], self.word),
                      T.lookup([".com", ".com.cn", ".cn"], (self.first + self.word) % 3))


CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def credit_check_char(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters of a unified social credit code."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def make_credit_codes(rng: np.random.Generator, city: np.ndarray) -> pa.Array:
    """Valid 18-char unified social credit codes: 91 + region + GB 11714 org code + GB 32100 check.

    Both check characters are computed for real so that validators accept them.
    """
    n = len(city)
    prefix4 = np.array([int(c[6]) for c in N.CITIES])[city]
    region = prefix4 * 100 + rng.integers(2, 19, n)
    body = rng.integers(0, 10, size=(n, 8))
    org_check = (11 - (body * ORG_WEIGHTS).sum(axis=1) % 11) % 11  # 10 -> 'X'
    region_digits = T.digit_matrix(region, 6) - 48
    values = np.concatenate([np.full((n, 1), 9), np.full((n, 1), 1), region_digits, body,
                             np.where(org_check == 10, CREDIT_ALPHABET.index("X"), org_check)[:, None]], axis=1)
    check = (31 - (values * CREDIT_WEIGHTS).sum(axis=1) % 31) % 31
    alphabet = np.frombuffer(CREDIT_ALPHABET.encode("ascii"), dtype=np.uint8)
    return T.matrix_to_arrow(alphabet[np.concatenate([values, check[:, None]], axis=1)])


def make_accounts(rng: np.random.Generator, persons: Persons, per_persons: int = 40,
                  contact_share: float = 0.08) -> Accounts:
    """~1 account per 40 persons and ~8 % of persons as their contacts (≥1 per account)."""
    n_acc = max(1, int(round(persons.n / per_persons)))
    n_contacts = min(persons.n, max(n_acc, int(round(persons.n * contact_share))))
    contacts = rng.permutation(persons.n)[:n_contacts]
    acc_of = np.concatenate([np.arange(n_acc), rng.integers(0, n_acc, n_contacts - n_acc)])
    persons.account[contacts] = acc_of
    first_contact = np.empty(n_acc, dtype=np.int64)
    first_contact[acc_of[:n_acc]] = contacts[:n_acc]
    city = persons.city[first_contact]
    lead = np.zeros(n_contacts, dtype=bool)
    lead[:n_acc] = True
    titles = np.where(lead, rng.choice([0, 1, 8, 7], n_contacts, p=[0.4, 0.35, 0.15, 0.1]),
                      rng.integers(0, len(N.CONTACT_TITLES), n_contacts))
    persons.title[contacts] = titles

    first = rng.integers(0, len(N.COMPANY_FIRST), n_acc)
    second = rng.integers(0, len(N.COMPANY_SECOND), n_acc)
    word = rng.integers(0, len(N.INDUSTRY_WORDS), n_acc)
    while True:  # company names must be unique: redraw the brand of repeated names
        key = ((city.astype(np.int64) * 100 + first) * 100 + second) * 100 + word
        dup = duplicate_positions(key)
        if len(dup) == 0:
            break
        first[dup] = rng.integers(0, len(N.COMPANY_FIRST), len(dup))
        second[dup] = rng.integers(0, len(N.COMPANY_SECOND), len(dup))
        word[dup] = rng.integers(0, len(N.INDUSTRY_WORDS), len(dup))
    size_p = N.normalised_weights(N.COMPANY_SIZES)
    codes = make_credit_codes(rng, city)
    code_numbers = np.sort(rng.choice(900_000, size=n_acc, replace=False)) + 100_000 if n_acc < 900_000 \
        else np.arange(n_acc) + 100_000
    code_order = rng.permutation(n_acc)
    return Accounts(n=n_acc, city=city, first=first, second=second, word=word,
                    joint_stock=rng.random(n_acc) < 0.1, size=rng.choice(len(size_p), n_acc, p=size_p),
                    credit_code=codes, code=T.ids("EA", code_numbers[code_order], max(6, len(str(code_numbers.max())))))


# --------------------------------------------------------------------------- stores
@dataclass
class Stores:
    """Offline stores ``S001``…, placed in cities by population weight."""

    n: int
    city: np.ndarray

    def store_ids(self) -> pa.Array:
        """``S001`` style ids."""
        return T.ids("S", np.arange(1, self.n + 1), max(3, len(str(self.n))))

    def traditional_ime(self) -> np.ndarray:
        """Per store: its tills type traditional characters (the Shenzhen stores are run by a
        Hong Kong franchisee whose POS uses a traditional input method)."""
        return np.array([c[0] == "深圳" for c in N.CITIES])[self.city]

    def pick_for(self, rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
        """A store in the person's city where there is one, else any store by size."""
        order = np.argsort(self.city, kind="stable")
        counts = np.bincount(self.city, minlength=len(N.CITIES))
        starts = np.cumsum(counts) - counts
        cnt = counts[city]
        local = order[np.minimum(starts[city] + (rng.random(len(city)) * cnt).astype(np.int64), self.n - 1)]
        anywhere = rng.integers(0, self.n, len(city))
        return np.where(cnt > 0, local, anywhere).astype(np.int32)


def make_stores(rng: np.random.Generator, n_persons: int) -> Stores:
    """Store count grows with the customer base (12..400); every tier-1/2 city gets one first."""
    n = int(np.clip(n_persons // 1000, 12, 400))
    big = np.array([i for i, c in enumerate(N.CITIES) if c[3] <= 2])[:n]
    w = np.array([c[4] for c in N.CITIES])
    rest = rng.choice(len(N.CITIES), size=n - len(big), p=w / w.sum())
    return Stores(n=n, city=np.sort(np.concatenate([big, rest])).astype(np.int16))


# --------------------------------------------------------------------------- records
@dataclass
class Records:
    """Customer records as the source systems hold them, sorted by (source, creation time).

    A person has one record per source it appears in, plus a second record in ~2 % of
    cases (re-registration). Records of one source are contiguous and in id order.
    """

    source: np.ndarray      # int8 index into names.SOURCES
    person: np.ndarray      # int32
    created: np.ndarray     # int64 epoch seconds (local)
    primary: np.ndarray     # bool: the person's first record in this source
    mobile: np.ndarray      # int64 mobile written on this record (true or the family phone)
    family_phone: np.ndarray  # bool: mobile is another household member's
    store: np.ndarray       # int32 store index (store records) or -1
    account: np.ndarray     # int32 account index (ent records) or -1
    record_id: pa.Array     # id exactly as written in the export
    weak: np.ndarray        # bool: written with name, birth date and address only (no phone, e-mail, id)

    def slice_of(self, source: int) -> np.ndarray:
        """Record indices of one source (contiguous)."""
        return np.flatnonzero(self.source == source)


REENTRY_SHARE = 0.10       # of CRM-present persons, a second, weak CRM entry
WEAK_PRIMARY_SHARE = 0.02  # of primary CRM records, written weak
WEAK_STORE_SHARE = 0.04    # of primary store cards: no mobile given (name, birthday, address)
MALL_ONLY_SHARE = 0.15     # of buyers in no other system: they buy only in the marketplace shop
MALL_BOUND_SHARE = 0.12    # of app members who buy: bound their marketplace account, buy there too
SERVICE_SHARE = (0.06, 0.20)  # contacted the service desk: non-buyers, buyers


def presence(rng: np.random.Generator, persons: Persons, buyer: np.ndarray,
             identity_dirt: bool = False) -> np.ndarray:
    """(n, 6) bool matrix person × source (names.SOURCES); every person is in at least one source.

    Without ``identity_dirt`` nobody is in the marketplace shop or the service desk (their
    files are written with a header only), and the draws are those of the four original
    sources, so the records are the ones the generator made before those two sources existed.

    The marketplace shop (orders only) knows its buyers by its own buyer id: buyers nobody else
    knows, and app members who bound that account in the app (the app export carries the id, so
    the two can be linked); a member buying there without binding is not generated, since
    nothing in any export could tell them apart from a stranger. The service desk (customers
    only) has the people who contacted it, buyers more often.
    """
    n = persons.n
    ent = persons.account >= 0
    app = rng.random(n) < 0.66
    crm = (rng.random(n) < 0.32) | (ent & (rng.random(n) < 0.4))
    store = rng.random(n) < 0.37
    none = ~(app | crm | store | ent)
    pick = rng.choice(3, size=n, p=[0.5, 0.2, 0.3])
    if not identity_dirt:
        app |= none & (pick == 0)
        crm |= none & (pick == 1)
        store |= none & (pick == 2)
        nobody = np.zeros(n, bool)
        return np.stack([app, crm, store, ent, nobody, nobody], axis=1)
    mall_only = none & buyer & (rng.random(n) < MALL_ONLY_SHARE)
    app |= none & (pick == 0) & ~mall_only
    crm |= none & (pick == 1) & ~mall_only
    store |= none & (pick == 2) & ~mall_only
    mall = mall_only | (app & buyer & (rng.random(n) < MALL_BOUND_SHARE))
    service = rng.random(n) < np.where(buyer, SERVICE_SHARE[1], SERVICE_SHARE[0])
    return np.stack([app, crm, store, ent, mall, service], axis=1)


def make_records(rng: np.random.Generator, persons: Persons, stores: Stores, first_purchase: np.ndarray,
                 tl: Timeline, family_phone: np.ndarray, identity_dirt: bool = False) -> Records:
    """Create every customer record with its creation time, store, account and written mobile.

    Records are created before the person's first purchase (so orders can reference them);
    re-registrations come later and are only used by orders placed after they exist. Without
    ``identity_dirt``: no marketplace buyer ids, no service-desk contacts, no weak store cards,
    with the random draws of the generator before them (the same records, ids and mobiles).
    """
    n = persons.n
    buyer = first_purchase >= 0
    pres = presence(rng, persons, buyer, identity_dirt)
    t_first = np.where(buyer, first_purchase - rng.exponential(40 * DAY, n).astype(np.int64),
                       rng.integers(tl.start_s - 365 * DAY, tl.end_s - DAY, n))
    t_first = np.maximum(t_first, tl.start_s - 730 * DAY)
    limit = np.where(buyer, first_purchase, np.minimum(tl.end_s - 3600, t_first + 365 * DAY))

    p_idx, s_idx = np.nonzero(pres)  # row-major: person order, then source
    created = t_first[p_idx] + (rng.random(len(p_idx)) ** 2 * (limit - t_first)[p_idx]).astype(np.int64)
    # a service-desk contact comes after a purchase (after-sales) or any time for a non-buyer
    if identity_dirt:
        after = np.where(buyer, first_purchase, t_first)[p_idx]
        contact = after + (rng.random(len(p_idx)) * np.maximum(tl.end_s - 3600 - after, 0)).astype(np.int64)
        created = np.where(s_idx == N.SERVICE, contact, created)
    # re-registrations in the systems people sign up to (not the marketplace nor the service desk)
    again = (rng.random(len(p_idx)) < 0.02) & (s_idx < N.MALL)
    # a second CRM entry typed by another rep from a paper form: name, birth date, address only
    reentry = ~again & (s_idx == 1) & (rng.random(len(p_idx)) < REENTRY_SHARE)
    a_idx = np.flatnonzero(again | reentry)
    re_created = np.minimum(created[a_idx] + rng.integers(30 * DAY, 600 * DAY, len(a_idx)), tl.end_s - 3600)
    person = np.concatenate([p_idx, p_idx[a_idx]]).astype(np.int32)
    source = np.concatenate([s_idx, s_idx[a_idx]]).astype(np.int8)
    created = np.concatenate([created, re_created]).astype(np.int64)
    primary = np.concatenate([np.ones(len(p_idx), bool), np.zeros(len(a_idx), bool)])
    weak_primary = (s_idx == 1) & (rng.random(len(p_idx)) < WEAK_PRIMARY_SHARE)
    if identity_dirt:        # store cards without a mobile: name, birthday, address only
        weak_primary |= (s_idx == N.STORE) & (rng.random(len(p_idx)) < WEAK_STORE_SHARE)
    weak = np.concatenate([weak_primary, reentry[a_idx]])

    order = np.lexsort((rng.random(len(person)), created, source))
    person, source, created, primary, weak = person[order], source[order], created[order], primary[order], weak[order]
    m = len(person)

    mobile = persons.mobile[person].copy()
    hh = persons.household[person]
    in_fp = np.append(family_phone, False)[np.where(hh >= 0, hh, len(family_phone))]
    # staff type the family's one number into CRM and till records; the app logs in with the
    # member's own SMS-verified mobile, and enterprise contacts give their own
    shares = in_fp & (persons.role[person] != 0) & np.isin(source, (N.CRM, N.STORE))
    shares &= rng.random(m) < 0.35
    registrant = household_heads(persons.household, persons.role, roles=(0,))
    mobile[shares] = persons.mobile[registrant[person[shares]]]

    store = np.full(m, -1, dtype=np.int32)
    is_store = source == 2
    store[is_store] = stores.pick_for(rng, persons.city[person[is_store]])
    account = np.where(source == 3, persons.account[person], -1).astype(np.int32)
    record_id = _record_ids(rng, source, store)
    return Records(source=source, person=person, created=created, primary=primary, mobile=mobile,
                   family_phone=shares & ~weak, store=store, account=account, record_id=record_id, weak=weak)


def _record_ids(rng: np.random.Generator, source: np.ndarray, store: np.ndarray) -> pa.Array:
    """Sequential ids per source with small gaps (deleted records), in creation order.

    app ``M`` + 8 digits, crm ``C`` + 8 digits, store card ``8`` + store number (3) + 8 digits,
    ent contact ``CT`` + 7 digits, service-desk contact ``KF`` + 8 digits; the marketplace's
    buyer ids are opaque (``mk`` + 10 hex digits, a scrambled sequence: unique, not ordered).
    """
    pieces = []
    for s, (prefix, width) in enumerate([("M", 8), ("C", 8), ("8", 8), ("CT", 7), ("mk", 10), ("KF", 8)]):
        idx = np.flatnonzero(source == s)
        gaps = 1 + np.where(rng.random(len(idx)) < 0.12, rng.integers(1, 6, len(idx)), 0)
        seq = np.cumsum(gaps) + (10 if s == 3 else 0)
        if s == N.MALL:
            pieces.append((idx, T.join(prefix, T.hex_strings(_scramble40(seq, rng), width))))
            continue
        width = max(width, len(str(int(seq[-1])))) if len(seq) else width
        if s == 2:
            pieces.append((idx, T.render(["8", (store[idx] + 1, 3), (seq, width)], len(idx))))
        else:
            pieces.append((idx, T.ids(prefix, seq, width)))
    return T.assemble(len(source), pieces)


def _scramble40(seq: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A bijection of [0, 2**40): distinct inputs give distinct, random-looking outputs."""
    mult = int(rng.integers(1 << 30, 1 << 39)) * 2 + 1          # odd: invertible modulo 2**40
    add = int(rng.integers(0, 1 << 40))
    return ((seq.astype(np.uint64) * np.uint64(mult) + np.uint64(add)) & np.uint64((1 << 40) - 1)).astype(np.int64)


def primary_record(records: Records, person: np.ndarray, source: int) -> np.ndarray:
    """Per given person, their primary record in ``source``, or -1."""
    prim = np.flatnonzero(records.primary & (records.source == source))
    lookup = np.full(int(records.person.max()) + 2 if len(records.person) else 1, -1, np.int64)
    lookup[records.person[prim]] = prim
    p = np.asarray(person, np.int64)
    return lookup[np.where((p >= 0) & (p < len(lookup) - 1), p, len(lookup) - 1)]


# ---------------------------------------------------------------------------- marketing consent
CONSENT_LIKES = 0.78                          # persons who, when asked, agree to marketing
# per source (app, crm, store, ent, mall, service): the record holds an answer
CONSENT_ASKED = np.array([0.90, 0.65, 0.85, 0.0, 0.0, 0.0])
CONSENT_CHANGED = (0.05, 0.15)                # answer against the attitude: a channel opt-out, a stale consent


def record_consent(rng: np.random.Generator, persons: Persons, records: Records) -> np.ndarray:
    """Marketing consent as each record holds it: 1 consents, 0 refuses (or withdrew), -1 no answer.

    A person's attitude decides most answers; some records disagree (opted out in one channel only,
    or a consent given before a later refusal), so the records of one person can conflict.
    """
    likes = rng.random(persons.n) < CONSENT_LIKES
    n = len(records.person)
    asked = rng.random(n) < CONSENT_ASKED[records.source]
    like = likes[records.person]
    changed = rng.random(n) < np.where(like, CONSENT_CHANGED[0], CONSENT_CHANGED[1])
    return np.where(asked, (like ^ changed).astype(np.int8), np.int8(-1)).astype(np.int8)


def person_consent(consent: np.ndarray, records: Records, n_persons: int) -> np.ndarray:
    """Per person (PIPL: an opt-out wins): 0 when any record refuses, else 1 when any consents, else -1."""
    refuses = np.bincount(records.person[consent == 0], minlength=n_persons) > 0
    agrees = np.bincount(records.person[consent == 1], minlength=n_persons) > 0
    return np.where(refuses, 0, np.where(agrees, 1, -1)).astype(np.int8)
