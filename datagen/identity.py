"""Identity attributes of persons (resident id number, home address, postcode) and the way
people and clerks write them down: abbreviated addresses, transposed birth-date digits,
given names written before family names.

These exist so that records without a phone or e-mail can still be linked, by name,
birth date and address, the way a real matcher has to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import names as N
from . import text as T
from .world import DAY, Persons, duplicate_positions

DISTRICTS = ["东城区", "西城区", "城南区", "城北区", "新城区", "高新区", "开发区", "江北区", "江南区", "鼓楼区",
             "临江区", "滨湖区", "金水区", "龙华区", "天河区", "海淀区", "武侯区", "西湖区"]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "青年路", "学院路",
           "长江路", "黄河路", "滨江路", "花园路", "幸福路", "光明路", "东风路", "南京路", "北京路", "工业路",
           "团结路", "友谊路", "迎宾路", "环城路", "府前街", "西大街", "东大街", "南大街", "北大街", "振兴路",
           "复兴路", "朝阳路", "红旗路", "育才路", "健康路", "金桥路", "银河路", "翠柳街", "桂花街", "梧桐街"]
COMMUNITIES = ["阳光花园", "锦绣家园", "幸福里", "翠湖苑", "金色家园", "华府", "名都", "新村", "丽景湾", "书香苑",
               "碧水云天", "枫林苑", "紫荆公寓", "御景园", "春晓苑", "東方花城"]
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = "10X98765432"


@dataclass
class Identity:
    """Per person: resident id number and home address parts (ground truth)."""

    id_number: pa.Array
    district: np.ndarray    # index into DISTRICTS
    street: np.ndarray      # index into STREETS
    number: np.ndarray      # house number on the street
    community: np.ndarray   # index into COMMUNITIES
    building: np.ndarray
    unit: np.ndarray
    room: np.ndarray
    postcode: pa.Array

    def addresses(self, persons: Persons, rows: np.ndarray, style: np.ndarray | None = None) -> pa.Array:
        """Addresses of ``persons[rows]``; style 0 full, 1 no province/city, 2 short (``3-2-502``).

        The styles are how the same flat is written on a web form, by a clerk, and on a
        delivery slip; a matcher must see them as one address.
        """
        n = len(rows)
        style = np.zeros(n, np.int64) if style is None else np.asarray(style)
        city = persons.city[rows]
        prov = [c[2] for c in N.CITIES]
        municipal = np.array([c[0] == c[1] for c in N.CITIES])[city]
        region = T.where(municipal, T.join(T.lookup([c[0] for c in N.CITIES], city), "市"),
                         T.join(T.lookup(prov, city), T.lookup([c[0] for c in N.CITIES], city), "市"))
        street = T.join(T.lookup(DISTRICTS, self.district[rows]), T.lookup(STREETS, self.street[rows]),
                        T.int_strings(self.number[rows]), "号")
        community = T.lookup(COMMUNITIES, self.community[rows])
        b, u, r = (T.int_strings(a[rows]) for a in (self.building, self.unit, self.room))
        flat_full = T.join(community, b, "栋", u, "单元", r, "室")
        flat_short = T.join(b, "-", u, "-", r)
        full = T.join(region, street, flat_full)
        no_region = T.join(street, flat_full)
        short = T.join(T.lookup(STREETS, self.street[rows]), T.int_strings(self.number[rows]), "号", flat_short)
        return T.where(style == 0, full, T.where(style == 1, no_region, short))


def make_identity(rng: np.random.Generator, persons: Persons) -> Identity:
    """Id numbers (GB 11643 with a real check character, unique) and home addresses.

    Household members share the registrant's flat.
    """
    from .world import household_heads

    n = persons.n
    district = rng.integers(0, len(DISTRICTS), n)
    street = rng.integers(0, len(STREETS), n)
    number = rng.integers(1, 400, n)
    community = rng.integers(0, len(COMMUNITIES), n)
    building = rng.integers(1, 30, n)
    unit = rng.integers(1, 6, n)
    room = rng.integers(1, 33, n) * 100 + rng.integers(1, 5, n)
    home = household_heads(persons.household, persons.role, roles=(0,))
    district, street, number, community, building, unit, room = (
        a[home] for a in (district, street, number, community, building, unit, room))

    code4 = np.array([int(c[6]) for c in N.CITIES])[persons.city]
    region = code4 * 100 + district + 1
    y, m, d = T.date_parts(persons.birth)
    seq = rng.integers(0, 500, n) * 2 + np.where(persons.gender == 0, 1, 0)  # odd for men
    while True:
        key = ((region.astype(np.int64) * 100_000_000 + y * 10_000 + m * 100 + d) * 1000) + seq
        dup = duplicate_positions(key)
        if len(dup) == 0:
            break
        seq[dup] = rng.integers(0, 500, len(dup)) * 2 + np.where(persons.gender[dup] == 0, 1, 0)
    digits = np.concatenate([T.digit_matrix(region, 6), T.digit_matrix(y, 4), T.digit_matrix(m, 2),
                             T.digit_matrix(d, 2), T.digit_matrix(seq, 3)], axis=1)
    total = ((digits.astype(np.int64) - 48) * ID_WEIGHTS).sum(axis=1) % 11
    check = np.frombuffer(ID_CHECK.encode("ascii"), dtype=np.uint8)[total]
    id_number = T.matrix_to_arrow(np.concatenate([digits, check[:, None]], axis=1))
    postcode = T.render([(code4 % 100 * 10_000 + (code4 // 100 % 100) * 100 + district, 6)], n)
    return Identity(id_number=id_number, district=district, street=street, number=number,
                    community=community, building=building, unit=unit, room=room, postcode=postcode)


def mistype_id_numbers(rng: np.random.Generator, ids: pa.Array) -> pa.Array:
    """Change one digit of each id (a typo the check character catches)."""
    n = len(ids)
    pos = rng.integers(6, 17, n)
    s = np.array(ids.to_pylist(), dtype=object)
    out = []
    for value, p, delta in zip(s, pos, rng.integers(1, 10, n)):
        digit = (int(value[p]) + int(delta)) % 10
        out.append(value[:p] + str(digit) + value[p + 1:])
    return pa.array(out, pa.string())


def transposed_birth_dates(rng: np.random.Generator, birth: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD`` with two adjacent digits of the day or month swapped (still a real date
    where possible, e.g. 1985-03-12 -> 1985-03-21), as a hurried clerk types it."""
    y, m, d = T.date_parts(birth)
    swap_day = d % 10 * 10 + d // 10
    ok_day = (swap_day >= 1) & (swap_day <= 28) & (swap_day != d)
    swap_month = m % 10 * 10 + m // 10
    ok_month = (swap_month >= 1) & (swap_month <= 12) & (swap_month != m)
    use_day = ok_day & ((rng.random(len(birth)) < 0.7) | ~ok_month)
    new_d = np.where(use_day, swap_day, d)
    new_m = np.where(~use_day & ok_month, swap_month, m)
    # month and day swapped (03-12 -> 12-03) when neither digit swap gives a date
    both = ~use_day & ~ok_month
    new_m, new_d = np.where(both & (d <= 12), d, new_m), np.where(both & (d <= 12), m, new_d)
    return T.render([(y, 4), "-", (new_m, 2), "-", (new_d, 2)], len(birth))


def given_first_names(persons: Persons, rows: np.ndarray) -> pa.Array:
    """Hanzi names written given name first with a space (``小明 王``): family and given swapped."""
    from .world import _none_to_blank

    fam = T.lookup([f for f, _, _ in N.FAMILY_NAMES], persons.family[rows])
    given = T.join(T.lookup(N.GIVEN_CHARS, persons.g1[rows]),
                   T.lookup(N.GIVEN_CHARS + [""], _none_to_blank(persons.g2[rows])))
    return T.join(given, " ", fam)


def birth_strings(birth: np.ndarray, fmt: str) -> pa.Array:
    """Birth dates (days since 1970) formatted with ``fmt``."""
    return T.format_times(np.asarray(birth, np.int64) * DAY, fmt)


__all__ = ["Identity", "make_identity", "mistype_id_numbers", "transposed_birth_dates", "given_first_names",
           "birth_strings"]
