"""Top-level driver: build the world, simulate behaviour, write exports and ground truth."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from . import behaviour as B
from . import browsing as BR
from . import exports as X
from . import exports_activity as XA
from . import exports_contacts as XC
from . import exports_members as XM
from . import identity as I
from . import names as N
from . import text as T
from . import world as W
from . import world_records as WR
from .dirt import DirtLog
from .writers import ParquetExport, TextExport, write_parquet_export, write_plain_csv, write_text_export

GENERATED_BY = "huaxiang datagen 1"
# Files the generator owns (relative to landing/ and ground_truth/); nothing else is ever deleted.
OWNED_LANDING = ["DATASET.json", "crm/contacts.csv", "app/members.jsonl", "app/family_relations.csv",
                 "app/events/month=*/events.jsonl", "store/members.csv", "store/visits/visits_*.csv", "ent/accounts.csv", "ent/contacts.csv",
                 "service/contacts.csv", "mall/orders/orders_*.csv",
                 "oms/orders/orders_*.parquet", "oms/order_items/order_items_*.parquet"]
OWNED_TRUTH = ["records.csv", "persons.csv", "dirt.csv", "accounts.csv"]


def generate(out_dir: Path, customers: int = 10_000, seed: int = 42, end_date: date = date(2026, 6, 30),
             years: int = 3, progress: bool = True, activity: float = 1.0, identity_dirt: bool = False) -> dict:
    """Generate the landing exports and ground truth for ``customers`` persons into ``out_dir``.

    ``identity_dirt`` adds the identity dirt of issue 16 (see datagen/README.md): the service
    desk's contacts, the marketplace shop's buyers, forms of address, screen names, traditional
    characters, year-only birth dates, swapped name parts, weak store cards ... Off (the default
    until identity resolution handles it), the service desk's and the marketplace's files hold a
    header only and the other files none of that dirt.
    Same arguments give byte-identical files. Returns a summary with the files written
    (path relative to ``out_dir`` -> data rows) and the elapsed seconds.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if not 0 < activity <= 10:
        raise ValueError("activity must be in (0, 10]: it multiplies purchase rates and browsing")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    landing, truth = out_dir / "landing", out_dir / "ground_truth"
    tl = W.Timeline.ending(end_date, years)
    n_months = (tl.end.year - tl.start.year) * 12 + tl.end.month - tl.start.month + 1
    bar = tqdm(total=14 + 2 * len(tl.years_covered()) + n_months, desc="datagen", unit="step", disable=not progress)

    def step(label: str) -> None:
        bar.set_postfix_str(label, refresh=False)
        bar.update(1)

    clean_owned(landing, truth)
    step("cleaned")
    u = build_universe(seed, customers, tl, step, activity, identity_dirt)
    log = DirtLog()
    files: dict[str, int] = {}

    record_dirt: dict[str, np.ndarray] = {}

    def emit(exp: TextExport | ParquetExport) -> None:
        rng = T.stage_rng(seed, "plan:" + exp.relpath)
        writer = write_text_export if isinstance(exp, TextExport) else write_parquet_export
        files[exp.relpath] = writer(landing, exp, rng, log)
        if isinstance(exp, TextExport) and exp.records is not None:
            note_record_dirt(record_dirt, exp, len(u.records.person))

    reps = X.sales_rep_names(seed)
    for make in (lambda: XM.crm_export(u, reps), lambda: XM.app_members_export(u), lambda: XM.family_relations_export(u),
                 lambda: XM.store_members_export(u), lambda: XC.ent_accounts_export(u),
                 lambda: XC.ent_contacts_export(u), lambda: XC.service_contacts_export(u)):
        exp = make()
        emit(exp)
        step(exp.relpath)
    for orders, items in XA.order_exports(u):
        emit(orders)
        emit(items)
        step(orders.relpath)
    for exp in XA.mall_order_exports(u):
        emit(exp)
        step(exp.relpath)
    for exp in XA.event_exports(u):
        emit(exp)
        step(exp.relpath)
    for exp in XA.store_visit_exports(u):
        emit(exp)
    record_dirt["orders_only"] = u.records.source == N.MALL

    truth_files = write_ground_truth(truth, u, log, record_dirt)
    step("ground truth")
    manifest = {"seed": seed, "customers": customers, "start_date": tl.start.isoformat(),
                "end_date": tl.end.isoformat(), "generated_by": GENERATED_BY,
                **({"activity": activity} if activity != 1.0 else {}), "identity_dirt": identity_dirt,
                "files": dict(sorted(files.items()))}
    (landing / "DATASET.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    bar.close()
    summary_files = {f"landing/{k}": v for k, v in sorted(files.items())}
    summary_files.update({f"ground_truth/{k}": v for k, v in truth_files.items()})
    return {"out_dir": str(out_dir), "seed": seed, "customers": customers, "start_date": tl.start.isoformat(),
            "end_date": tl.end.isoformat(), "identity_dirt": identity_dirt, "files": summary_files,
            "elapsed_seconds": round(time.perf_counter() - started, 2)}


def build_universe(seed: int, customers: int, tl: W.Timeline, step: Callable[[str], None],
                   activity: float = 1.0, identity_dirt: bool = False) -> X.Universe:
    """Simulate the true world and everyone's behaviour (no files written). `activity`
    multiplies every buyer's purchase rate and the members' browsing (1.0: the default mix of
    about 7 orders and 20 events per customer; 1.6 gives about 9 orders and 32 events, the benchmark mix)."""
    rng = lambda name: T.stage_rng(seed, name)  # noqa: E731
    persons = W.make_persons(rng("persons"), customers, tl)
    persons.trad = W.traditional_writers(rng("traditional"), persons) if identity_dirt else np.zeros(persons.n, bool)
    accounts = WR.make_accounts(rng("accounts"), persons)
    stores = WR.make_stores(rng("stores"), customers)
    identity = I.make_identity(rng("identity"), persons)
    n_households = int(persons.household.max()) + 1 if (persons.household >= 0).any() else 0
    family_phone = W.family_phone_households(rng("family_phone"), n_households)
    step("persons")
    profiles = B.make_profiles(rng("profiles"), customers)
    purchases = B.make_purchases(rng("purchases"), profiles, tl, rate_scale=activity)
    step("purchases")
    records = WR.make_records(rng("records"), persons, stores, purchases.first, tl, family_phone, identity_dirt)
    step("records")
    orders, items = B.make_orders(rng("orders"), profiles, purchases, records, stores)
    step("orders")
    referrals = B.make_referrals(rng("referrals"), records, customers, tl)
    events = BR.make_events(rng("events"), profiles, purchases, records, referrals, tl,
                           per_member=BR.EVENTS_PER_MEMBER * activity)
    visits = BR.make_store_visits(rng("visits"), profiles, purchases, orders, records, stores, tl)
    step("events")
    consent = WR.record_consent(rng("consent"), persons, records)
    referred_by = np.full(customers, -1, np.int64)
    referred_by[referrals.referred] = referrals.referrer
    paid = np.bincount(orders.person, weights=np.where(orders.status == 0, orders.amount_cents, 0),
                       minlength=customers).astype(np.int64)
    return X.Universe(seed=seed, tl=tl, persons=persons, accounts=accounts, stores=stores, records=records,
                      profiles=profiles, purchases=purchases, orders=orders, items=items, events=events, visits=visits,
                      referrals=referrals, referred_by=referred_by, paid_cents=paid,
                      n_orders=np.bincount(orders.person, minlength=customers),
                      identity=identity, consent=consent, identity_dirt=identity_dirt)


def note_record_dirt(record_dirt: dict[str, np.ndarray], exp: TextExport, n_records: int) -> None:
    """Add a customer export's defects (masks over its logical rows) to the per-record masks."""
    for defect, mask in exp.defects.items():
        if defect.startswith("_"):
            continue
        rows = exp.records[np.asarray(mask, bool)]
        if defect not in record_dirt:
            record_dirt[defect] = np.zeros(n_records, bool)
        record_dirt[defect][rows] = True


def dirt_labels(record_dirt: dict[str, np.ndarray], n: int) -> pa.Array:
    """Per record, its defects as ``a;b;c`` in alphabetical order (empty when clean)."""
    out = pa.array([""] * n, pa.string()) if n else pa.array([], pa.string())
    for defect in sorted(record_dirt):
        out = T.where(record_dirt[defect], T.join(out, defect + ";"), out)
    return pc.utf8_rtrim(out, characters=";")


def write_ground_truth(truth: Path, u: X.Universe, log: DirtLog,
                       record_dirt: dict[str, np.ndarray] | None = None) -> dict[str, int]:
    """``persons.csv``, ``records.csv``, ``accounts.csv`` and ``dirt.csv`` (never read by the pipeline)."""
    p, r = u.persons, u.records
    pid = p.person_ids()
    hh_width = max(6, len(str(int(p.household.max()) + 1))) if (p.household >= 0).any() else 6
    hh_ids = T.where(p.household >= 0, T.ids("H", p.household + 1, hh_width), None)
    acc_ids = T.where(p.account >= 0, u.accounts.account_ids().take(pa.array(np.maximum(p.account, 0))), None)
    pur = u.purchases

    def day(secs: np.ndarray) -> pa.Array:
        return T.where(secs >= 0, T.format_times(np.maximum(secs, 0), "%Y-%m-%d"), None)

    def boolean(mask: np.ndarray) -> pa.Array:
        return T.lookup(["false", "true"], mask.astype(np.int64))

    cents = u.paid_cents
    persons_cols = {
        "person_id": pid,
        "full_name": p.hanzi_names(),
        "pinyin_name": p.pinyin_names(),
        "gender": T.lookup(["M", "F"], p.gender),
        "birth_date": T.format_times(p.birth * W.DAY, "%Y-%m-%d"),
        "mobile": p.e164(),
        "email": p.email,
        "id_number": u.identity.id_number,
        "address": u.identity.addresses(p, np.arange(p.n)),
        "postcode": u.identity.postcode,
        "province": T.lookup([c[1] for c in N.CITIES], p.city),
        "city": T.lookup([c[0] for c in N.CITIES], p.city),
        "household_id": hh_ids,
        "household_role": T.lookup(N.HOUSEHOLD_ROLES, p.role),
        "account_id": acc_ids,
        "first_order_date": day(pur.first),
        "last_order_date": day(pur.last),
        "n_orders": T.int_strings(u.n_orders),
        "total_paid_amount": T.join(T.int_strings(cents // 100), ".", T.render([(cents % 100, 2)], p.n)),
        "is_buyer": boolean(u.n_orders > 0),
        "churn_date": day(np.where(pur.churned, pur.last, -1)),
        "referred_by": T.where(u.referred_by >= 0, pid.take(pa.array(np.maximum(u.referred_by, 0))), None),
        "is_loyal": boolean(u.profiles.is_loyal),
        # may we market to them: false if any of their records refuses (an opt-out wins), else true
        # if any consents, else blank (never asked)
        "marketing_consent": T.lookup(["false", "true"], WR.person_consent(u.consent, r, p.n)),
    }
    # a marketplace buyer id is a customer record only where an order names it (a member may
    # bind an account they never buy with)
    ordered = np.bincount(u.orders.record, minlength=len(r.person)) > 0
    listed = np.flatnonzero((r.source != N.MALL) | ordered)
    rec_person = pa.array(r.person)
    records_cols = {
        "source_system": T.lookup(N.SOURCES, r.source),
        "source_record_id": r.record_id,
        "person_id": pid.take(rec_person),
        "household_id": hh_ids.take(rec_person),
        "account_id": acc_ids.take(rec_person),
        "weak": boolean(r.weak),
        # what is wrong with the record as exported (its row's defects in dirt.csv, plus
        # orders_only for a marketplace buyer known only from orders), to slice evaluations by
        "dirt": dirt_labels(record_dirt or {}, len(r.person)),
    }
    records_cols = {k: v.take(pa.array(listed)) for k, v in records_cols.items()}
    accounts_cols = {"account_code": u.accounts.code, "account_id": u.accounts.account_ids()}
    dirt = log.frame()
    dirt_cols = {"file": pa.array(dirt["file"].astype(str).to_numpy(), pa.string()),
                 "row_number": T.int_strings(dirt["row_number"].to_numpy(np.int64)),
                 "defect": pa.array(dirt["defect"].astype(str).to_numpy(), pa.string())}
    return {
        "persons.csv": write_plain_csv(truth / "persons.csv", persons_cols),
        "records.csv": write_plain_csv(truth / "records.csv", records_cols),
        "accounts.csv": write_plain_csv(truth / "accounts.csv", accounts_cols),
        "dirt.csv": write_plain_csv(truth / "dirt.csv", dirt_cols),
    }


def clean_owned(landing: Path, truth: Path) -> None:
    """Delete the files a previous run wrote (and directories left empty), nothing else."""
    doomed: set[Path] = set()
    manifest = landing / "DATASET.json"
    if manifest.is_file():
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        except (ValueError, AttributeError):
            listed = {}
        for rel in listed:
            path = (landing / rel).resolve()
            if path.is_relative_to(landing.resolve()):
                doomed.add(path)
    for pattern in OWNED_LANDING:
        doomed.update(p.resolve() for p in landing.glob(pattern))
    for name in OWNED_TRUTH:
        doomed.add((truth / name).resolve())
    for path in sorted(doomed):
        if path.is_file():
            path.unlink()
    for root in (landing, truth):
        if root.is_dir():
            for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                if not any(d.iterdir()):
                    d.rmdir()
