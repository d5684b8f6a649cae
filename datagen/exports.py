"""Rendering the true world into each source system's export (paths per config/sources.yml).

The shared part: the universe every export reads and the helpers they share; the exports
themselves are in exports_members.py, exports_contacts.py and exports_activity.py, one function
per file. Each decides how *that* system writes things (the CRM's Chinese
headers and GB18030, the till's ``|`` delimiter and ``2024/05/06`` dates, the app's
epoch-millisecond timestamps) and which defects it has, and returns a ``TextExport`` or
``ParquetExport`` of logical rows for the writers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import identity as I
from . import names as N
from . import text as T
from .behaviour import Events, Items, Orders, Profiles, Purchases, Referrals
from .browsing import Visits
from .world import Persons, Timeline
from .world_records import Accounts, Records, Stores

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


def sales_rep_names(seed: int, k: int = 30) -> list[str]:
    """A fixed roster of sales reps (the CRM's 负责人), drawn from the name tables."""
    from .world import draw_names, hanzi_names
    rng = T.stage_rng(seed, "sales_reps")
    fam, g1, g2 = draw_names(rng, rng.integers(0, 2, k).astype(np.int8))
    return hanzi_names(fam, g1, g2).to_pylist()
