"""The true world behind the exports: persons, households, enterprise accounts, stores, records.

Everything here is the *ground truth*; the source exports are later rendered from it
with formatting variation and defects (see ``exports.py`` and ``dirt.py``). Arrays are
NumPy columns indexed by person / household / account / record number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from . import names as N
from . import text as T

DAY = 86_400


# --------------------------------------------------------------------------- timeline
@dataclass(frozen=True)
class Timeline:
    """The observed window: ``years`` years ending on ``end`` (inclusive), in local time (+08:00)."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date, years: int) -> Timeline:
        """Window of ``years`` years ending on ``end``; Feb 29 falls back to Feb 28."""
        try:
            back = end.replace(year=end.year - years)
        except ValueError:
            back = end.replace(year=end.year - years, day=28)
        return cls(start=back + timedelta(days=1), end=end)

    @property
    def start_s(self) -> int:
        """Epoch seconds (naive local clock) of the first second of the window."""
        return int((datetime(self.start.year, self.start.month, self.start.day) - datetime(1970, 1, 1)).total_seconds())

    @property
    def end_s(self) -> int:
        """Epoch seconds (naive local clock) of the last second of the window."""
        return int((datetime(self.end.year, self.end.month, self.end.day) - datetime(1970, 1, 1)).total_seconds()) + DAY - 1

    @property
    def days(self) -> int:
        """Length of the window in days."""
        return (self.end - self.start).days + 1

    def years_covered(self) -> list[int]:
        """Calendar years touched by the window (one orders file per year)."""
        return list(range(self.start.year, self.end.year + 1))


# Hour-of-day profile of consumer activity (lunch and evening peaks).
HOUR_WEIGHTS = np.array([0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 3.5, 4.0,
                         4.5, 3.5, 3.0, 3.0, 3.0, 3.5, 4.0, 5.0, 6.0, 6.0, 4.0, 2.0])


def time_of_day(rng: np.random.Generator, n: int, hour_weights: np.ndarray = HOUR_WEIGHTS) -> np.ndarray:
    """Seconds into the day following a realistic hourly profile."""
    hours = rng.choice(24, size=n, p=hour_weights / hour_weights.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)


# --------------------------------------------------------------------------- persons
@dataclass
class Persons:
    """One row per real human being (ground truth)."""

    n: int
    gender: np.ndarray      # int8: 0 = M, 1 = F
    family: np.ndarray      # int16 index into names.FAMILY_NAMES
    g1: np.ndarray          # int16 index into names.GIVEN_CHARS (first given char)
    g2: np.ndarray          # int16 index, -1 for one-character given names
    birth: np.ndarray       # int64 days since 1970-01-01
    mobile: np.ndarray      # int64 11-digit mobile, unique
    email: pa.Array         # normalised lower-case e-mail or null
    city: np.ndarray        # int16 index into names.CITIES
    unionid: pa.Array       # WeChat union id (used only where the person has an app record)
    household: np.ndarray   # int32 household index or -1
    role: np.ndarray        # int8 index into names.HOUSEHOLD_ROLES or -1
    account: np.ndarray     # int32 account index or -1 (contact of that enterprise account)
    title: np.ndarray       # int8 index into names.CONTACT_TITLES or -1
    trad: np.ndarray | None = None  # bool: writes traditional characters (from Hong Kong / Taiwan)

    def person_ids(self) -> pa.Array:
        """``P0000001`` style ids (7 digits, wider only beyond 9,999,999 persons)."""
        return T.ids("P", np.arange(1, self.n + 1), max(7, len(str(self.n))))

    def hanzi_names(self, family: np.ndarray | None = None, g1: np.ndarray | None = None,
                    g2: np.ndarray | None = None) -> pa.Array:
        """Chinese full names; the optional overrides let callers render typo variants."""
        return hanzi_names(self.family if family is None else family, self.g1 if g1 is None else g1,
                           self.g2 if g2 is None else g2)

    def pinyin_names(self, style: np.ndarray | None = None) -> pa.Array:
        """Pinyin names, see :func:`pinyin_names`."""
        return pinyin_names(self.family, self.g1, self.g2, style)

    def e164(self) -> pa.Array:
        """Mobile in E.164 (``+8613812345678``), the normalised form used in ground truth."""
        return T.render(["+86", (self.mobile, 11)], self.n)


def hanzi_names(family: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> pa.Array:
    """Chinese full names (family name first, no space) from name-part indices."""
    fam_tab = [f for f, _, _ in N.FAMILY_NAMES]
    return T.join(T.lookup(fam_tab, family), T.lookup(N.GIVEN_CHARS, g1),
                  T.lookup(N.GIVEN_CHARS + [""], _none_to_blank(g2)))


def pinyin_names(family: np.ndarray, g1: np.ndarray, g2: np.ndarray, style: np.ndarray | None = None) -> pa.Array:
    """Pinyin names: style 0 ``Wang Xiaoming`` (default), style 1 ``xiaoming wang``."""
    fam_cap = [p for _, p, _ in N.FAMILY_NAMES]
    py = [N.CHAR_PINYIN[c] for c in N.GIVEN_CHARS]
    given_cap = T.join(T.lookup([p.capitalize() for p in py], g1), T.lookup(py + [""], _none_to_blank(g2)))
    western = T.join(T.lookup(fam_cap, family), " ", given_cap)
    if style is None:
        return western
    given_low = T.join(T.lookup(py, g1), T.lookup(py + [""], _none_to_blank(g2)))
    eastern = T.join(given_low, " ", T.lookup([p.lower() for p in fam_cap], family))
    return T.where(np.asarray(style) == 1, eastern, western)


def _none_to_blank(idx: np.ndarray) -> np.ndarray:
    """Map the -1 'no second char' marker to the trailing blank entry of a lookup table."""
    return np.where(idx < 0, len(N.GIVEN_CHARS), idx)


def make_persons(rng: np.random.Generator, n: int, tl: Timeline) -> Persons:
    """Draw persons, then households (which adjust gender, family name, age and city)."""
    city_w = np.array([c[4] for c in N.CITIES])
    gender = (rng.random(n) < 0.54).astype(np.int8)
    city = rng.choice(len(N.CITIES), size=n, p=city_w / city_w.sum()).astype(np.int16)
    age = np.where(rng.random(n) < 0.6, rng.normal(36, 6, n), rng.uniform(18, 70, n))
    age = np.clip(age, 18.05, 69.95)
    household, role = make_households(rng, n)
    in_hh = household >= 0
    # the mother registers, the father decides and pays, an adult child attends
    gender = np.where(in_hh & (role == 0), (rng.random(n) < 0.8), gender)
    gender = np.where(in_hh & (role == 1), (rng.random(n) < 0.2), gender).astype(np.int8)
    has_child = np.zeros(household.max() + 2 if in_hh.any() else 1, dtype=bool)
    has_child[household[role == 2]] = True
    parent = in_hh & (role <= 1) & has_child[np.where(in_hh, household, -1)]
    age = np.where(parent, rng.uniform(40, 56, n), age)
    age = np.where(in_hh & (role == 2), rng.uniform(18, 26, n), age)
    end_day = (tl.end - date(1970, 1, 1)).days
    birth = (end_day - age * 365.25).astype(np.int64)

    family, g1, g2 = draw_names(rng, gender)
    # household members share the registrant's city; children take the decision maker's surname
    first_member = household_heads(household, role, roles=(0,))
    city = np.where(in_hh, city[first_member], city).astype(np.int16)
    father = household_heads(household, role, roles=(1, 0))
    family = np.where(in_hh & (role == 2), family[father], family).astype(np.int16)

    mobile = draw_mobiles(rng, n)
    email = draw_emails(rng, family, g1, g2, birth)
    unionid = T.join("o", T.random_tokens(rng, n, 27, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    return Persons(n=n, gender=gender, family=family, g1=g1, g2=g2, birth=birth, mobile=mobile,
                   email=email, city=city, unionid=unionid, household=household, role=role,
                   account=np.full(n, -1, np.int32), title=np.full(n, -1, np.int8))


def household_heads(household: np.ndarray, role: np.ndarray, roles: tuple[int, ...]) -> np.ndarray:
    """Per person, the index of the household member holding the first available of ``roles``.

    Persons outside households map to themselves.
    """
    n = len(household)
    out = np.arange(n)
    if not (household >= 0).any():
        return out
    best = np.full(household.max() + 1, -1, dtype=np.int64)
    for r in reversed(roles):  # earlier roles in the tuple win
        members = np.flatnonzero((household >= 0) & (role == r))
        best[household[members]] = members
    in_hh = household >= 0
    head = best[household[in_hh]]
    out[in_hh] = np.where(head >= 0, head, out[in_hh])
    return out


def draw_names(rng: np.random.Generator, gender: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Family name by real frequency; 1–2 given chars from gender-typical pools."""
    n = len(gender)
    fam_w = np.array([w for _, _, w in N.FAMILY_NAMES])
    family = rng.choice(len(N.FAMILY_NAMES), size=n, p=fam_w / fam_w.sum()).astype(np.int16)
    pos = {c: i for i, c in enumerate(N.GIVEN_CHARS)}
    pools = [np.array([pos[c] for c in N.MALE_CHARS]), np.array([pos[c] for c in N.FEMALE_CHARS])]
    neutral = np.array([pos[c] for c in N.NEUTRAL_FIRST_CHARS])
    first_pools = [np.concatenate([neutral, pools[0]]), np.concatenate([neutral, pools[1]])]
    last = _pick_by_group(rng, gender, pools)
    first = _pick_by_group(rng, gender, first_pools)
    two = rng.random(n) < 0.72
    g1 = np.where(two, first, last).astype(np.int16)
    g2 = np.where(two, last, -1).astype(np.int16)
    return family, g1, g2


def _pick_by_group(rng: np.random.Generator, group: np.ndarray, pools: list[np.ndarray]) -> np.ndarray:
    """Uniform draw from ``pools[group[i]]`` for every i."""
    u = rng.random(len(group))
    out = np.empty(len(group), dtype=np.int64)
    for g, pool in enumerate(pools):
        m = group == g
        out[m] = pool[(u[m] * len(pool)).astype(np.int64)]
    return out


def draw_mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique, valid-looking 11-digit mobiles; collisions are redrawn until none remain."""
    prefixes = np.array(N.MOBILE_PREFIXES, dtype=np.int64)

    def draw(k: int) -> np.ndarray:
        return prefixes[rng.integers(0, len(prefixes), k)] * 10**8 + rng.integers(1_000_000, 10**8, k)

    mobile = draw(n)
    while True:
        dup = duplicate_positions(mobile)
        if len(dup) == 0:
            return mobile
        mobile[dup] = draw(len(dup))


def duplicate_positions(values: np.ndarray) -> np.ndarray:
    """Positions holding a value already seen at an earlier position (sorted)."""
    order = np.argsort(values, kind="stable")
    s = values[order]
    dup = np.zeros(len(values), dtype=bool)
    dup[order[1:][s[1:] == s[:-1]]] = True
    return np.flatnonzero(dup)


def draw_emails(rng: np.random.Generator, family: np.ndarray, g1: np.ndarray, g2: np.ndarray,
                birth: np.ndarray) -> pa.Array:
    """Personal e-mail for ~60 %: pinyin-based local parts or QQ numbers, made unique."""
    n = len(family)
    fam = [p.lower() for _, p, _ in N.FAMILY_NAMES]
    py = [N.CHAR_PINYIN[c] for c in N.GIVEN_CHARS]
    given = T.join(T.lookup(py, g1), T.lookup(py + [""], _none_to_blank(g2)))
    initials = T.join(T.lookup([p[0] for p in py], g1), T.lookup([p[0] for p in py] + [""], _none_to_blank(g2)))
    f = T.lookup(fam, family)
    yy = T.render([(T.date_parts(birth)[0] % 100, 2)], n)
    num3 = T.int_strings(rng.integers(1, 999, n))
    qq = T.int_strings(rng.integers(100_000, 3_000_000_000, n))
    style = rng.choice(5, size=n, p=[0.22, 0.18, 0.2, 0.15, 0.25])
    local = T.assemble(n, [
        (np.flatnonzero(style == 0), T.join(given, f).filter(pa.array(style == 0))),
        (np.flatnonzero(style == 1), T.join(f, ".", given).filter(pa.array(style == 1))),
        (np.flatnonzero(style == 2), T.join(f, given, yy).filter(pa.array(style == 2))),
        (np.flatnonzero(style == 3), T.join(initials, f, num3).filter(pa.array(style == 3))),
        (np.flatnonzero(style == 4), qq.filter(pa.array(style == 4))),
    ])
    dom_w = N.normalised_weights(N.EMAIL_DOMAINS)
    domain_idx = np.where(style == 4, 0, rng.choice(len(N.EMAIL_DOMAINS), size=n, p=dom_w))
    domain = T.lookup([d for d, _ in N.EMAIL_DOMAINS], domain_idx)
    email = T.join(local, "@", domain)
    email = make_unique(rng, email, local, domain)
    has = rng.random(n) < 0.6
    return T.where(has, email, None)


def make_unique(rng: np.random.Generator, email: pa.Array, local: pa.Array, domain: pa.Array) -> pa.Array:
    """Append digits to the local part of repeated addresses until every address is unique."""
    while True:
        codes = np.asarray(email.dictionary_encode().indices)
        dup = duplicate_positions(codes)
        if len(dup) == 0:
            return email
        mask = np.zeros(len(email), dtype=bool)
        mask[dup] = True
        suffix = T.int_strings(rng.integers(10, 100_000, len(email)))
        local = T.where(mask, T.join(local, suffix), local)
        email = T.join(local, "@", domain)


# --------------------------------------------------------------------------- households
def make_households(rng: np.random.Generator, n: int, share: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """~25 % of persons in households of 2–4: one registrant, at most one decision maker, users."""
    target = int(round(n * share))
    sizes = rng.choice([2, 3, 4], size=max(1, target // 2 + 2), p=[0.55, 0.30, 0.15])
    cum = np.cumsum(sizes)
    sizes = sizes[cum <= target]
    total = int(sizes.sum())
    household = np.full(n, -1, dtype=np.int32)
    role = np.full(n, -1, dtype=np.int8)
    if total == 0:
        return household, role
    members = rng.permutation(n)[:total]
    hh = np.repeat(np.arange(len(sizes)), sizes)
    pos = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    r = np.where(pos == 0, 0, np.where((pos == 1) & (rng.random(total) < 0.8), 1, 2))
    household[members] = hh
    role[members] = r
    return household, role


# persons who write their own name and address in traditional characters (from Hong Kong,
# Macao or Taiwan): a few everywhere, more in Guangdong and Fujian
TRAD_BASE_SHARE = 0.008
TRAD_REGIONAL_SHARE = {"广东": 0.05, "福建": 0.04}


def traditional_writers(rng: np.random.Generator, persons: Persons) -> np.ndarray:
    """Per person: writes traditional characters where they type their own details."""
    share = np.array([TRAD_REGIONAL_SHARE.get(c[1], TRAD_BASE_SHARE) for c in N.CITIES])[persons.city]
    return rng.random(persons.n) < share


def family_phone_households(rng: np.random.Generator, n_households: int) -> np.ndarray:
    """~30 % of households give one shared (the registrant's) mobile in some records."""
    return rng.random(n_households) < 0.30


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
