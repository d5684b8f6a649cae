"""Defects and formatting variation, injected the way real exports get them.

Everything is vectorised and driven by the stage's random generator, so the same seed
gives the same defects at the same rows. Every defect that a test or the pipeline may
want to account for is logged with its file and 1-based data row number
(``ground_truth/dirt.csv``); pure formatting variation (``+86 138 …``) is not a defect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import names as N
from . import text as T
from .world import Persons, hanzi_names, pinyin_names

# ---------------------------------------------------------------------------- mobiles
MOBILE_FORMATS = ["plain", "plus86_spaced", "0086_dash", "86_space", "dashed", "spaced", "fullwidth", "plus86"]


def format_mobiles(rng: np.random.Generator, mobile: np.ndarray, weights: dict[str, float]) -> pa.Array:
    """Write 11-digit mobiles in the formats people and systems actually use."""
    n = len(mobile)
    keys = list(weights)
    p = np.array([weights[k] for k in keys])
    fmt = rng.choice(len(keys), size=n, p=p / p.sum())
    d = T.digit_matrix(mobile, 11)
    pieces = []
    for i, key in enumerate(keys):
        idx = np.flatnonzero(fmt == i)
        pieces.append((idx, _render_mobile(key, d[idx])))
    return T.assemble(n, pieces)


def _render_mobile(key: str, d: np.ndarray) -> pa.Array:
    """One mobile format applied to an (n, 11) digit matrix."""
    sp = lambda s: np.broadcast_to(np.frombuffer(s.encode(), np.uint8), (len(d), len(s)))  # noqa: E731
    a, b, c = d[:, :3], d[:, 3:7], d[:, 7:]
    if key == "fullwidth":
        return T.fullwidth_digits(d)
    mats = {
        "plain": [d],
        "plus86_spaced": [sp("+86 "), a, sp(" "), b, sp(" "), c],
        "0086_dash": [sp("0086-"), d],
        "86_space": [sp("86 "), d],
        "dashed": [a, sp("-"), b, sp("-"), c],
        "spaced": [a, sp(" "), b, sp(" "), c],
        "plus86": [sp("+86"), d],
    }[key]
    return T.matrix_to_arrow(np.concatenate(mats, axis=1))


def landlines(rng: np.random.Generator, city: np.ndarray) -> pa.Array:
    """Fixed-line numbers with the city's area code: ``021-62345678``, ``(010)87654321``."""
    n = len(city)
    area = T.lookup([c[5] for c in N.CITIES], city)
    local = T.int_strings(rng.integers(2, 9, n) * 10_000_000 + rng.integers(0, 10_000_000, n))
    style = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    return T.where(style == 0, T.join(area, "-", local),
                   T.where(style == 1, T.join("(", area, ")", local), T.join(area, " ", local)))


def phone_column(rng: np.random.Generator, mobile: np.ndarray, city: np.ndarray, weights: dict[str, float],
                 p_landline: float, p_junk: float, p_empty: float) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """Formatted phones with landlines, junk numbers and blanks mixed in; returns defect masks."""
    n = len(mobile)
    u = rng.random(n)
    landline = u < p_landline
    junk = (u >= p_landline) & (u < p_landline + p_junk)
    empty = (u >= p_landline + p_junk) & (u < p_landline + p_junk + p_empty)
    out = format_mobiles(rng, mobile, weights)
    out = T.where(landline, landlines(rng, city), out)
    out = T.where(junk, T.lookup(N.JUNK_MOBILES, rng.integers(0, len(N.JUNK_MOBILES), n)), out)
    out = T.where(empty, None, out)
    return out, {"landline": landline, "junk_mobile": junk, "_empty": empty}


# ---------------------------------------------------------------------------- e-mails
def email_column(rng: np.random.Generator, email: pa.Array, p_missing: float, p_messy: float,
                 p_junk: float) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """E-mails with upper case and stray spaces (`` Wang.Li@QQ.com ``), junk values and gaps."""
    n = len(email)
    u = rng.random(n)
    has = np.asarray(pc.is_valid(email))
    messy = (u < p_messy) & has
    title = pc.utf8_title(email)
    spaced = T.join(" ", title, " ")
    out = T.where(messy, T.where(rng.random(n) < 0.5, title, spaced), email)
    junk = (u >= p_messy) & (u < p_messy + p_junk)
    out = T.where(junk, T.lookup(N.JUNK_EMAILS, rng.integers(0, len(N.JUNK_EMAILS), n)), out)
    missing = (rng.random(n) < p_missing) & ~junk
    return T.where(missing, None, out), {"junk_email": junk}


# ---------------------------------------------------------------------------- names
_HOMO_INDEX = None


def homophone_index() -> np.ndarray:
    """Given-char index -> index of its same-pinyin substitute, -1 when there is none."""
    global _HOMO_INDEX
    if _HOMO_INDEX is None:
        pos = {c: i for i, c in enumerate(N.GIVEN_CHARS)}
        _HOMO_INDEX = np.array([pos.get(N.HOMOPHONES.get(c, ""), -1) for c in N.GIVEN_CHARS])
    return _HOMO_INDEX


def name_column(rng: np.random.Generator, persons: Persons, person: np.ndarray, p_typo: float, p_pinyin: float,
                p_pad: float, p_empty: float) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """Full names as typed: homophone typos, pinyin instead of hanzi, stray (full-width) spaces."""
    n = len(person)
    homo = homophone_index()
    g1, g2 = persons.g1[person].copy(), persons.g2[person].copy()
    want_typo = rng.random(n) < p_typo
    can2 = (g2 >= 0) & (homo[np.maximum(g2, 0)] >= 0)
    can1 = homo[g1] >= 0
    typo2 = want_typo & can2
    typo1 = want_typo & ~can2 & can1
    g2[typo2] = homo[g2[typo2]]
    g1[typo1] = homo[g1[typo1]]
    family = persons.family[person]
    hanzi = hanzi_names(family, g1, g2)
    pinyin = rng.random(n) < p_pinyin
    style = rng.integers(0, 2, n)
    out = T.where(pinyin, pinyin_names(family, persons.g1[person], persons.g2[person], style), hanzi)
    u = rng.random(n)
    pad = u < p_pad
    pad_kind = rng.integers(0, 4, n)
    padded = T.where(pad_kind == 0, T.join(" ", out), T.where(pad_kind == 1, T.join(out, " "),
                     T.where(pad_kind == 2, T.join(out, "\u3000"), T.join(" ", out, "  "))))
    out = T.where(pad, padded, out)
    empty = (u >= p_pad) & (u < p_pad + p_empty)
    out = T.where(empty, None, out)
    typo = (typo1 | typo2) & ~pinyin & ~empty
    return out, {"name_typo": typo, "pinyin_name": pinyin & ~empty, "padded_name": pad}


def split_name_columns(rng: np.random.Generator, persons: Persons, person: np.ndarray, p_typo: float,
                       p_pinyin: float, p_pad: float, p_empty: float, p_swap: float,
                       p_whole: float) -> tuple[pa.Array, pa.Array, dict[str, np.ndarray]]:
    """Family name and given name in two columns, as a till or a form with 姓 / 名 boxes has
    them: homophone typos in the given name, pinyin (``Wang`` / ``Xiaoming``), stray spaces,
    the two swapped, or the whole name typed into one box (mostly the family-name box)."""
    n = len(person)
    homo = homophone_index()
    g1, g2 = persons.g1[person].copy(), persons.g2[person].copy()
    want_typo = rng.random(n) < p_typo
    can2 = (g2 >= 0) & (homo[np.maximum(g2, 0)] >= 0)
    can1 = homo[g1] >= 0
    typo2 = want_typo & can2
    typo1 = want_typo & ~can2 & can1
    g2[typo2] = homo[g2[typo2]]
    g1[typo1] = homo[g1[typo1]]
    family = persons.family[person]
    fam_h = T.lookup([f for f, _, _ in N.FAMILY_NAMES], family)
    given_h = T.join(T.lookup(N.GIVEN_CHARS, g1), T.lookup(N.GIVEN_CHARS + [""], _blank(g2)))
    py = [N.CHAR_PINYIN[c] for c in N.GIVEN_CHARS]
    fam_py = T.lookup([p for _, p, _ in N.FAMILY_NAMES], family)
    given_py = T.join(T.lookup([p.capitalize() for p in py], persons.g1[person]),
                      T.lookup(py + [""], _blank(persons.g2[person])))
    pinyin = rng.random(n) < p_pinyin
    fam = T.where(pinyin, fam_py, fam_h)
    given = T.where(pinyin, given_py, given_h)
    u = rng.random(n)
    swap = u < p_swap
    whole = (u >= p_swap) & (u < p_swap + p_whole)
    whole_in_given = whole & (rng.random(n) < 0.2)
    full = T.where(pinyin, T.join(fam, " ", given), T.join(fam, given))
    fam_out = T.where(swap, given, T.where(whole, T.where(whole_in_given, None, full), fam))
    given_out = T.where(swap, fam, T.where(whole, T.where(whole_in_given, full, None), given))
    v = rng.random(n)
    pad = v < p_pad
    pad_given = rng.random(n) < 0.5
    pad_kind = rng.integers(0, 3, n)

    def padded(col: pa.Array) -> pa.Array:
        return T.where(pad_kind == 0, T.join(" ", col), T.where(pad_kind == 1, T.join(col, " "), T.join(col, "\u3000")))

    fam_out = T.where(pad & ~pad_given, padded(fam_out), fam_out)
    given_out = T.where(pad & pad_given, padded(given_out), given_out)
    empty = (v >= p_pad) & (v < p_pad + p_empty)
    fam_out = T.where(empty, None, fam_out)
    given_out = T.where(empty, None, given_out)
    typo = (typo1 | typo2) & ~pinyin & ~empty
    return fam_out, given_out, {"split_name": ~empty, "name_typo": typo, "pinyin_name": pinyin & ~empty,
                                "padded_name": pad & ~empty & np.asarray(pc.is_valid(T.where(pad_given, given_out,
                                                                                               fam_out))),
                                "name_parts_swapped": swap & ~empty, "whole_name_in_one_part": whole & ~empty}


def _blank(idx: np.ndarray) -> np.ndarray:
    """The -1 'no second given char' marker as the blank entry after the given-char table."""
    return np.where(idx < 0, len(N.GIVEN_CHARS), idx)


def _pick_forms(rng: np.random.Generator, group: np.ndarray, tables: list[list[tuple[str, float]]]) -> pa.Array:
    """A form per row from the weighted table of the row's group (e.g. gender)."""
    u = rng.random(len(group))
    pieces = []
    for g, forms in enumerate(tables):
        idx = np.flatnonzero(group == g)
        cum = np.cumsum(N.normalised_weights(forms))
        pick = np.minimum(np.searchsorted(cum, u[idx], side="right"), len(forms) - 1)
        pieces.append((idx, T.lookup([f for f, _ in forms], pick)))
    return T.assemble(len(group), pieces)


def honorific_names(rng: np.random.Generator, persons: Persons, person: np.ndarray,
                    business: bool = False) -> pa.Array:
    """The family name and a form of address instead of a name: 王先生, 曹女士, 李小姐, 刘老师;
    for business contacts mostly 张总, 李经理."""
    fam = T.lookup([f for f, _, _ in N.FAMILY_NAMES], persons.family[person])
    return T.join(fam, _pick_forms(rng, persons.gender[person], N.HONORIFICS_BUSINESS if business else N.HONORIFICS))


def placeholder_names(rng: np.random.Generator, persons: Persons, person: np.ndarray) -> pa.Array:
    """What stands in the name field when nobody asked: 先生 / 女士 (by the voice), 客户, 匿名 ..."""
    n = len(person)
    gendered = rng.random(n) < N.PLACEHOLDER_GENDERED_SHARE
    neutral = T.lookup([f for f, _ in N.PLACEHOLDER_NAMES],
                       rng.choice(len(N.PLACEHOLDER_NAMES), size=n, p=N.normalised_weights(N.PLACEHOLDER_NAMES)))
    return T.where(gendered, T.lookup(["先生", "女士"], persons.gender[person]), neutral)


SCREEN_NAME_KINDS = [0.30, 0.20, 0.25, 0.15, 0.10]  # from the name, English, phrase, auto, handle


def screen_names(rng: np.random.Generator, persons: Persons, person: np.ndarray) -> pa.Array:
    """Screen names where a name should be: from the given name (小磊, 磊磊, 晓明), an English
    name (Lucy), a phrase (岁月静好), the platform's default (用户5053, 微信用户), or an internet
    handle (xiaoming1987, momo_520, lei_zhang)."""
    n = len(person)
    kind = rng.choice(len(SCREEN_NAME_KINDS), size=n, p=SCREEN_NAME_KINDS)
    g1, g2 = persons.g1[person], persons.g2[person]
    last = T.lookup(N.GIVEN_CHARS, np.where(g2 >= 0, g2, g1))
    given = T.join(T.lookup(N.GIVEN_CHARS, g1), T.lookup(N.GIVEN_CHARS + [""], _blank(g2)))
    form = rng.integers(0, 3, n)
    derived = T.where(form == 0, T.join("小", last), T.where((form == 2) & (g2 >= 0), given, T.join(last, last)))
    english = T.lookup(N.ENGLISH_NAMES, rng.integers(0, len(N.ENGLISH_NAMES), n))
    phrase = T.lookup(N.NICKNAMES, rng.integers(0, len(N.NICKNAMES), n))
    auto = T.where(rng.random(n) < 0.8, T.join("用户", T.int_strings(rng.integers(1000, 10_000, n))), "微信用户")
    py = [N.CHAR_PINYIN[c] for c in N.GIVEN_CHARS]
    given_py = T.join(T.lookup(py, g1), T.lookup(py + [""], _blank(g2)))
    fam_py = T.lookup([p.lower() for _, p, _ in N.FAMILY_NAMES], persons.family[person])
    year = T.int_strings(T.date_parts(persons.birth[person])[0])
    hform = rng.integers(0, 3, n)
    handle = T.where(hform == 0, T.join(given_py, year),
                     T.where(hform == 1, T.join(T.lookup(N.HANDLE_WORDS, rng.integers(0, len(N.HANDLE_WORDS), n)), "_",
                                                T.int_strings(rng.integers(1, 1000, n))),
                             T.join(given_py, "_", fam_py)))
    return T.where(kind == 0, derived, T.where(kind == 1, english, T.where(kind == 2, phrase,
                   T.where(kind == 3, auto, handle))))


# ---------------------------------------------------------------------------- rows
@dataclass
class RowPlan:
    """Where each logical row lands in the file, with duplicate copies and the malformed line.

    ``order`` lists the logical row of every valid output line in file order; the
    malformed line (a corrupted copy of ``order[malformed_at]``) is written just before it.
    """

    n_logical: int
    order: np.ndarray
    dup_positions: np.ndarray           # output positions of second copies
    malformed_at: int | None = None

    @property
    def n_lines(self) -> int:
        """Data rows in the file (valid rows, duplicates and the malformed line)."""
        return len(self.order) + (self.malformed_at is not None)

    def row_numbers(self) -> np.ndarray:
        """1-based file row number of every entry of ``order``."""
        rows = np.arange(1, len(self.order) + 1)
        if self.malformed_at is not None:
            rows[self.malformed_at:] += 1
        return rows

    def first_copy_rows(self) -> np.ndarray:
        """1-based row number of the first copy of each logical row."""
        rows = self.row_numbers()
        out = np.zeros(self.n_logical, dtype=np.int64)
        is_first = np.ones(len(self.order), dtype=bool)
        is_first[self.dup_positions] = False
        out[self.order[is_first]] = rows[is_first]
        return out

    @property
    def malformed_row(self) -> int | None:
        """1-based row number of the malformed line."""
        return None if self.malformed_at is None else self.malformed_at + 1


def plan_rows(rng: np.random.Generator, n: int, dup_rate: float, malformed: bool) -> RowPlan:
    """Pick exact duplicates (second copy somewhere later) and a mid-file malformed line."""
    dup = np.flatnonzero(rng.random(n) < dup_rate)
    key = np.concatenate([np.arange(n, dtype=np.float64), dup + rng.random(len(dup)) * (n - dup)])
    order = np.argsort(key, kind="stable")
    is_dup = order >= n
    logical = np.concatenate([np.arange(n), dup])[order]
    plan = RowPlan(n_logical=n, order=logical, dup_positions=np.flatnonzero(is_dup))
    if malformed and len(logical) > 0:
        plan.malformed_at = int(len(logical) * rng.uniform(0.3, 0.7))
    return plan


def corrupt_csv_line(line: str, delimiter: str) -> str:
    """An unescaped delimiter inside the second field: one field too many."""
    fields = line.split(delimiter)
    target = fields[1] if len(fields) > 1 else fields[0]
    cut = max(1, len(target) // 2)
    fields[1 if len(fields) > 1 else 0] = target[:cut] + delimiter + target[cut:]
    return delimiter.join(fields)


def corrupt_jsonl_line(line: str) -> str:
    """A JSON object cut off inside its first string value (an interrupted write)."""
    quote = line.find('"', line.find(":") + 1)
    cut = quote + 1 + max(1, (line.find('"', quote + 1) - quote - 1) // 2)
    return line[:cut]


# ---------------------------------------------------------------------------- logging
@dataclass
class DirtLog:
    """Collects (file, row number, defect) for ``ground_truth/dirt.csv``."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, file: str, rows: np.ndarray, defect: str) -> None:
        """Log one defect for each given 1-based row number of ``file``."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            self.parts.append(pd.DataFrame({"file": file, "row_number": rows, "defect": defect}))

    def log_plan(self, file: str, plan: RowPlan, defects: dict[str, np.ndarray]) -> None:
        """Translate logical-row defect masks through the row plan and log them."""
        first = plan.first_copy_rows()
        for defect, mask in defects.items():
            if defect.startswith("_"):  # helper masks, not defects
                continue
            self.add(file, first[np.flatnonzero(mask)], defect)
        self.add(file, plan.row_numbers()[plan.dup_positions], "exact_duplicate")
        if plan.malformed_row is not None:
            self.add(file, np.array([plan.malformed_row]), "malformed_line")

    def frame(self) -> pd.DataFrame:
        """All defects, sorted by file, row and defect."""
        if not self.parts:
            return pd.DataFrame({"file": [], "row_number": [], "defect": []})
        df = pd.concat(self.parts, ignore_index=True)
        return df.sort_values(["file", "row_number", "defect"], kind="stable").reset_index(drop=True)
