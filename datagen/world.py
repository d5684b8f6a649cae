"""The true world behind the exports: time, persons and households (enterprise accounts,
stores, source records and consent are in ``world_records.py``).

Everything here is the *ground truth*; the source exports are later rendered from it
with formatting variation and defects (see ``exports*.py`` and ``dirt.py``). Arrays are
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
