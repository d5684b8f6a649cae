"""Tests of the sample-data generator (``datagen``): contract, determinism, dirt bookkeeping, realism."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from datagen import generate
from datagen.cli import main as cli_main
from datagen.world_records import CREDIT_ALPHABET, credit_check_char

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = 1500
SEED = 7


@pytest.fixture(scope="module", params=[False, True], ids=["clean", "identity_dirt"])
def out(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated data set per mode (without and with the identity dirt of issue 16), shared
    by the read-only tests."""
    d = tmp_path_factory.mktemp("gen")
    generate(d, customers=CUSTOMERS, seed=SEED, progress=False, identity_dirt=request.param)
    return d


def _identity_dirt(out: Path) -> bool:
    """The mode a data set was generated in (DATASET.json records it)."""
    return json.loads((out / "landing" / "DATASET.json").read_text(encoding="utf-8"))["identity_dirt"]


@pytest.fixture(scope="module")
def contract() -> dict:
    """config/sources.yml, the contract the files must follow."""
    return yaml.safe_load((ROOT / "config" / "sources.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dirt(out: Path) -> pd.DataFrame:
    """ground_truth/dirt.csv."""
    return pd.read_csv(out / "ground_truth" / "dirt.csv", dtype={"file": str, "row_number": int, "defect": str})


@pytest.fixture(scope="module")
def persons(out: Path) -> pd.DataFrame:
    """ground_truth/persons.csv."""
    return pd.read_csv(out / "ground_truth" / "persons.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def records(out: Path) -> pd.DataFrame:
    """ground_truth/records.csv."""
    return pd.read_csv(out / "ground_truth" / "records.csv", dtype=str, keep_default_na=False)


def _tables(contract: dict):
    """(source, table name, spec) for every table of the contract."""
    for source, sdef in contract["sources"].items():
        for name, tdef in sdef["tables"].items():
            yield source, name, tdef


def _files(out: Path, pattern: str) -> list[Path]:
    return sorted((out / "landing").glob(pattern))


def _rel(out: Path, path: Path) -> str:
    return path.relative_to(out / "landing").as_posix()


def _text_rows(path: Path, tdef: dict) -> tuple[list[str] | None, list[str]]:
    """(CSV header or None, data lines) of a CSV/JSONL file, decoded with the contract's encoding."""
    enc = tdef.get("csv", {}).get("encoding", "utf-8")
    lines = path.read_bytes().decode(enc).split("\n")
    assert lines[-1] == "", "files end with a newline"
    lines = lines[:-1]
    if tdef["format"] == "csv":
        return lines[0].split(tdef["csv"]["delimiter"]), lines[1:]
    return None, lines


def _parse(line: str, tdef: dict, header: list[str] | None) -> dict | None:
    """A data line as a dict, or None when it is malformed."""
    if tdef["format"] == "jsonl":
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None
    fields = next(csv.reader(io.StringIO(line), delimiter=tdef["csv"]["delimiter"]))
    return dict(zip(header, fields)) if len(fields) == len(header) else None


# ---------------------------------------------------------------------------- contract
def test_every_contract_file_exists_with_its_columns(out: Path, contract: dict) -> None:
    for source, name, tdef in _tables(contract):
        files = _files(out, tdef["path"])
        assert files, f"{source}.{name}: nothing matches {tdef['path']}"
        expected = set(tdef["columns"].values()) | set(tdef.get("extra_columns", {}).values())
        for path in files:
            if tdef["format"] == "parquet":
                names = set(pq.read_schema(path).names)
            elif tdef["format"] == "csv":
                names = set(_text_rows(path, tdef)[0])
            else:
                first = json.loads(path.read_text(encoding="utf-8").split("\n", 1)[0])
                names = set(first)
            assert names == expected, f"{path}: {names ^ expected}"


def test_manifest_lists_every_landing_file(out: Path) -> None:
    manifest = json.loads((out / "landing" / "DATASET.json").read_text(encoding="utf-8"))
    on_disk = {_rel(out, p) for p in (out / "landing").rglob("*") if p.is_file()} - {"DATASET.json"}
    assert set(manifest["files"]) == on_disk
    assert manifest["seed"] == SEED and manifest["customers"] == CUSTOMERS
    assert manifest["start_date"] == "2023-07-01" and manifest["end_date"] == "2026-06-30"
    events = sorted(p for p in manifest["files"] if p.startswith("app/events/"))
    assert events[0] == "app/events/month=2023-07/events.jsonl"
    assert events[-1] == "app/events/month=2026-06/events.jsonl"


def test_parquet_types(out: Path) -> None:
    orders = pq.read_schema(_files(out, "oms/orders/*.parquet")[0])
    assert str(orders.field("order_time").type) == "string"
    assert str(orders.field("amount").type) == "double"
    items = pq.read_schema(_files(out, "oms/order_items/*.parquet")[0])
    assert str(items.field("line_no").type).startswith("int") and str(items.field("qty").type).startswith("int")


# ---------------------------------------------------------------------------- determinism
def _digest(d: Path) -> dict[str, str]:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, out: Path) -> None:
    mode = _identity_dirt(out)
    generate(tmp_path / "again", customers=CUSTOMERS, seed=SEED, progress=False, identity_dirt=mode)
    assert _digest(tmp_path / "again") == _digest(out)
    generate(tmp_path / "other", customers=CUSTOMERS, seed=SEED + 1, progress=False, identity_dirt=mode)
    a, b = _digest(out), _digest(tmp_path / "other")
    assert a["ground_truth/persons.csv"] != b["ground_truth/persons.csv"]
    assert a["landing/crm/contacts.csv"] != b["landing/crm/contacts.csv"]


def test_regeneration_removes_only_owned_files(tmp_path: Path) -> None:
    d = tmp_path / "data"
    generate(d, customers=300, seed=1, progress=False)
    stale = d / "landing" / "oms" / "orders" / "orders_2019.parquet"
    stale.write_bytes(b"old")
    (d / "warehouse.duckdb").write_bytes(b"keep")
    (d / "landing" / "othersource").mkdir()
    (d / "landing" / "othersource" / "x.csv").write_text("keep")
    generate(d, customers=300, seed=1, end_date=date(2025, 6, 30), years=1, progress=False)
    assert not stale.exists()
    assert not (d / "landing" / "oms" / "orders" / "orders_2026.parquet").exists()
    assert not (d / "landing" / "app" / "events" / "month=2026-01").exists()
    assert (d / "warehouse.duckdb").read_bytes() == b"keep"
    assert (d / "landing" / "othersource" / "x.csv").read_text() == "keep"


def test_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_main, ["--customers", "200", "--seed", "3", "--out", str(tmp_path),
                                           "--end-date", "2025-12-31", "--no-progress"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["end_date"] == "2025-12-31" and summary["files"]["ground_truth/persons.csv"] == 200
    assert (tmp_path / "landing" / "crm" / "contacts.csv").is_file()
    assert not summary["identity_dirt"] and summary["files"]["landing/service/contacts.csv"] == 0
    result = CliRunner().invoke(cli_main, ["--customers", "200", "--seed", "3", "--out", str(tmp_path),
                                           "--end-date", "2025-12-31", "--no-progress", "--identity-dirt"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["identity_dirt"] and summary["files"]["landing/service/contacts.csv"] > 0


# ---------------------------------------------------------------------------- dirt bookkeeping
def test_one_malformed_line_per_text_file_where_dirt_says(out: Path, contract: dict, dirt: pd.DataFrame) -> None:
    for _, _, tdef in _tables(contract):
        if tdef["format"] == "parquet":
            continue
        for path in _files(out, tdef["path"]):
            rel = _rel(out, path)
            header, lines = _text_rows(path, tdef)
            bad = [i + 1 for i, line in enumerate(lines) if _parse(line, tdef, header) is None]
            listed = dirt[(dirt.file == rel) & (dirt.defect == "malformed_line")].row_number.tolist()
            if not lines:                   # a header only (the new sources without identity dirt)
                assert listed == [], rel
                continue
            assert len(bad) == 1 and bad == listed, rel
            assert 0.2 * len(lines) <= bad[0] <= 0.8 * len(lines) + 1, "malformed line sits mid-file"


def test_exact_duplicates_are_logged_at_the_second_copy(out: Path, contract: dict, dirt: pd.DataFrame) -> None:
    checked = 0
    for _, _, tdef in _tables(contract):
        for path in _files(out, tdef["path"]):
            rel = _rel(out, path)
            dups = dirt[(dirt.file == rel) & (dirt.defect == "exact_duplicate")].row_number.to_numpy()
            if tdef["format"] == "parquet":
                df = pq.read_table(path).to_pandas()
                repeated = np.flatnonzero(df.astype(str).duplicated().to_numpy()) + 1
            else:
                _, lines = _text_rows(path, tdef)
                repeated = np.flatnonzero(pd.Series(lines).duplicated().to_numpy()) + 1
            assert list(repeated) == list(dups), rel
            checked += len(dups)
    assert checked > 0


def test_records_cover_every_customer_id(out: Path, contract: dict, records: pd.DataFrame) -> None:
    for source, name, tdef in _tables(contract):
        if tdef["kind"] != "customers":
            continue
        id_col = tdef["columns"]["source_record_id"]
        ids: set[str] = set()
        for path in _files(out, tdef["path"]):
            header, lines = _text_rows(path, tdef)
            rows = [_parse(line, tdef, header) for line in lines]
            ids |= {r[id_col] for r in rows if r is not None}
        truth = set(records.loc[records.source_system == source, "source_record_id"])
        assert ids == truth, f"{source}.{name}"
    assert records.source_record_id.is_unique


def test_order_refs_and_relations_point_at_known_records(out: Path, records: pd.DataFrame) -> None:
    orders = pd.concat([pq.read_table(p).to_pandas() for p in _files(out, "oms/orders/*.parquet")])
    system = orders.customer_system.map({"APP": "app", "POS": "store", "CRM": "crm", "ENT": "ent"})
    known = set(zip(records.source_system, records.source_record_id))
    assert all(k in known for k in zip(system, orders.customer_ref))
    assert orders.drop_duplicates().order_id.is_unique
    assert (orders.store_id.notna() == (orders.customer_system == "POS")).all()
    items = pd.concat([pq.read_table(p).to_pandas() for p in _files(out, "oms/order_items/*.parquet")])
    assert set(items.order_id) == set(orders.order_id)
    assert items.line_no.between(1, 4).all() and items.qty.between(1, 3).all()


def test_amount_is_the_sum_of_lines_except_negative_dirt(out: Path, dirt: pd.DataFrame) -> None:
    for path in _files(out, "oms/orders/*.parquet"):
        orders = pq.read_table(path).to_pandas()
        neg_rows = dirt[(dirt.file == _rel(out, path)) & (dirt.defect == "negative_amount")].row_number
        negative = orders.order_id.iloc[neg_rows - 1]
        year = path.stem.split("_")[-1]
        items = pq.read_table(path.parent.parent / "order_items" / f"order_items_{year}.parquet").to_pandas()
        total = (items.qty * items.unit_price).groupby(items.order_id).sum()
        o = orders.drop_duplicates("order_id").set_index("order_id")
        assert ((o.amount - total[o.index]).abs() < 0.005).sum() == len(o) - len(set(negative))
        assert (o.loc[list(set(negative)), "amount"] < 0).all()


def test_credit_codes_pass_the_checksum(out: Path, dirt: pd.DataFrame) -> None:
    df = pd.read_csv(out / "landing" / "ent" / "accounts.csv", dtype=str, on_bad_lines="skip")
    invalid_rows = set(dirt[(dirt.file == "ent/accounts.csv") & (dirt.defect == "invalid_credit_code")].row_number)
    raw = (out / "landing" / "ent" / "accounts.csv").read_text(encoding="utf-8").split("\n")[1:-1]
    invalid_codes = {raw[r - 1].split(",")[2] for r in invalid_rows}
    codes = df.credit_code.dropna()
    assert len(codes) > 0.9 * len(df)
    for code in codes:
        assert len(code) == 18 and all(c in CREDIT_ALPHABET for c in code)
        assert (credit_check_char(code[:17]) == code[17]) != (code in invalid_codes), code


# ---------------------------------------------------------------------------- realism
def test_persons_ground_truth(persons: pd.DataFrame, records: pd.DataFrame) -> None:
    assert len(persons) == CUSTOMERS and persons.person_id.is_unique
    assert persons.mobile.str.fullmatch(r"\+861[3-9]\d{9}").all() and persons.mobile.is_unique
    assert set(persons.person_id) == set(records.person_id), "everyone is in at least one source"
    share_email = (persons.email != "").mean()
    assert 0.5 < share_email < 0.7
    buyers = persons[persons.is_buyer == "true"]
    assert 0.8 < len(buyers) / len(persons) < 0.9
    assert 6 <= buyers.n_orders.astype(int).mean() <= 12


def test_spend_is_pareto_shaped(persons: pd.DataFrame) -> None:
    paid = np.sort(persons.total_paid_amount.astype(float)[persons.is_buyer == "true"].to_numpy())[::-1]
    top = paid[: len(paid) // 5].sum() / paid.sum()
    assert top >= 0.6


def test_churned_persons_buy_nothing_after_churn(out: Path, persons: pd.DataFrame, records: pd.DataFrame,
                                                 dirt: pd.DataFrame) -> None:
    churned = persons[persons.churn_date != ""]
    assert 0.1 * len(persons) < len(churned) < 0.7 * len(persons)
    assert (churned.churn_date == churned.last_order_date).all()
    frames = []
    for path in _files(out, "oms/orders/*.parquet"):
        o = pq.read_table(path).to_pandas()
        rel = _rel(out, path)
        bad = dirt[(dirt.file == rel) & dirt.defect.isin(["future_timestamp", "unparseable_timestamp"])].row_number
        frames.append(o.drop(index=o.index[bad - 1]))
    for path in _files(out, "mall/orders/*.csv"):   # the marketplace's orders: clean timestamps
        m = pd.read_csv(path, dtype=str, on_bad_lines="skip")
        frames.append(pd.DataFrame({"order_time": m["下单时间"], "customer_system": "MALL", "customer_ref": m["买家ID"]}))
    orders = pd.concat(frames)
    orders["when"] = pd.to_datetime(orders.order_time.str[:10].str.replace("/", "-"), format="%Y-%m-%d")
    system = orders.customer_system.map({"APP": "app", "POS": "store", "CRM": "crm", "ENT": "ent", "MALL": "mall"})
    ref = records.set_index(records.source_system + ":" + records.source_record_id).person_id
    orders["person_id"] = ref.loc[system + ":" + orders.customer_ref].to_numpy()
    last = orders.groupby("person_id").when.max()
    c = churned.set_index("person_id")
    assert (last.loc[c.index] <= pd.to_datetime(c.churn_date)).all()
    assert (last.loc[c.index] == pd.to_datetime(c.churn_date)).mean() > 0.95


def test_browsing_stops_after_churn(out: Path, persons: pd.DataFrame, records: pd.DataFrame) -> None:
    events = _events(out)
    app = records[records.source_system == "app"].set_index("source_record_id").person_id
    ev = events[events.member_id.notna() & (events.event != "referral")].copy()
    ev["person_id"] = app.loc[ev.member_id].to_numpy()
    ev["day"] = ev.ts.str[:10]
    churn = persons.set_index("person_id").churn_date
    ev["churn"] = churn.loc[ev.person_id].to_numpy()
    with_churn = ev[(ev.churn != "") & ev.day.str.match(r"\d{4}-\d{2}-\d{2}$") & (ev.day < "2026-07-01")]
    assert len(with_churn) > 0
    assert (with_churn.day <= with_churn.churn).all()


def _events(out: Path) -> pd.DataFrame:
    """All parseable event lines."""
    rows = []
    for p in _files(out, "app/events/*/*.jsonl"):
        for line in p.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return pd.DataFrame(rows)


def test_households_have_two_to_four_members_and_one_registrant(out: Path, persons: pd.DataFrame,
                                                                records: pd.DataFrame) -> None:
    hh = persons[persons.household_id != ""]
    assert 0.2 < len(hh) / len(persons) < 0.3
    sizes = hh.groupby("household_id").size()
    assert sizes.between(2, 4).all()
    roles = hh.groupby("household_id").household_role
    assert (roles.apply(lambda r: (r == "registrant").sum()) == 1).all()
    assert (roles.apply(lambda r: (r == "decision_maker").sum()) <= 1).all()
    assert (hh.groupby("household_id").city.nunique() == 1).all()
    fam = pd.read_csv(out / "landing" / "app" / "family_relations.csv", dtype=str, on_bad_lines="skip").drop_duplicates()
    app = records[records.source_system == "app"].set_index("source_record_id")
    fam["household_id"] = app.household_id.loc[fam.member_id].to_numpy()
    assert (fam.groupby("family_id").household_id.nunique() == 1).all()
    role = persons.set_index("person_id").household_role
    assert (role.loc[app.person_id.loc[fam.member_id]].to_numpy() == fam.role.to_numpy()).all()


def test_accounts_and_contacts(out: Path, persons: pd.DataFrame, records: pd.DataFrame) -> None:
    accounts = pd.read_csv(out / "ground_truth" / "accounts.csv", dtype=str)
    assert len(accounts) == round(CUSTOMERS / 40) and accounts.account_code.is_unique
    contacts = pd.read_csv(out / "landing" / "ent" / "contacts.csv", dtype=str, on_bad_lines="skip")
    assert set(contacts.account_code) <= set(accounts.account_code)
    ent = records[records.source_system == "ent"].set_index("source_record_id")
    acc_of_code = accounts.set_index("account_code").account_id
    assert (acc_of_code.loc[contacts.account_code].to_numpy() == ent.account_id.loc[contacts.contact_id].to_numpy()).all()
    share = (persons.account_id != "").mean()
    assert 0.06 < share < 0.1


def test_referrals_point_at_app_members(persons: pd.DataFrame, records: pd.DataFrame) -> None:
    referred = persons[persons.referred_by != ""]
    referrers = set(referred.referred_by)
    assert 0.02 < len(referrers) / len(persons) < 0.08
    app_persons = set(records.loc[records.source_system == "app", "person_id"])
    assert referrers <= app_persons and set(referred.person_id) <= app_persons


def test_activity_scales_orders_and_events(tmp_path):
    """The benchmark mix (activity 1.6) has about a third more orders and 60 % more events."""
    def per_customer(summary: dict) -> dict[str, float]:
        counts = {"orders": 0, "events": 0}
        for f, n in summary["files"].items():
            key = "orders" if "oms/orders/" in f else "events" if "app/events/" in f else None
            if key:
                counts[key] += n
        return {k: v / 3000 for k, v in counts.items()}

    base = per_customer(generate(tmp_path / "base", customers=3000, seed=5, progress=False))
    busy_summary = generate(tmp_path / "busy", customers=3000, seed=5, progress=False, activity=1.6)
    busy = per_customer(busy_summary)
    assert 1.15 < busy["orders"] / base["orders"] < 1.6 and 1.45 < busy["events"] / base["events"] < 1.75
    manifest = json.loads((tmp_path / "busy" / "landing" / "DATASET.json").read_text())
    assert manifest["activity"] == 1.6
    assert "activity" not in json.loads((tmp_path / "base" / "landing" / "DATASET.json").read_text())


# ---------------------------------------------------------------------------- dirt that breaks identity
def _customer_rows(out: Path, tdef: dict) -> pd.DataFrame:
    """The parseable data rows of a customers table's files, with their 1-based row number."""
    rows = []
    for path in _files(out, tdef["path"]):
        header, lines = _text_rows(path, tdef)
        for i, line in enumerate(lines, start=1):
            row = _parse(line, tdef, header)
            if row is not None:
                rows.append({"file": _rel(out, path), "row_number": i, **row})
    return pd.DataFrame(rows)


def test_records_dirt_column_is_the_rows_dirt(out: Path, contract: dict, records: pd.DataFrame,
                                             dirt: pd.DataFrame) -> None:
    """records.csv's dirt of a customer record = the defects dirt.csv gives its (first) row."""
    row_level = dirt[~dirt.defect.isin(["exact_duplicate", "malformed_line"])]
    checked = 0
    for source, sdef in contract["sources"].items():
        for tdef in sdef["tables"].values():
            if tdef["kind"] != "customers":
                continue
            rows = _customer_rows(out, tdef)
            if rows.empty:                  # a header only: no records of that source either
                assert source not in set(records.source_system), source
                continue
            id_col = tdef["columns"]["source_record_id"]
            first = rows.drop_duplicates(id_col)
            found = row_level.merge(first[["file", "row_number", id_col]], on=["file", "row_number"])
            expected = found.groupby(id_col).defect.apply(lambda d: ";".join(sorted(set(d))))
            truth = records[records.source_system == source].set_index("source_record_id").dirt
            assert (truth.loc[expected.index] == expected).all(), source
            assert (truth.drop(expected.index) == "").all(), source
            checked += len(expected)
    assert checked > 0.3 * len(records)
    mall = records[records.source_system == "mall"]
    if _identity_dirt(out):
        assert len(mall) > 0 and (mall.dirt == "orders_only").all()
    else:
        assert len(mall) == 0


def test_s2t_table_covers_every_character_the_generator_writes() -> None:
    import re

    from datagen.s2t_table import COVERED, S2T
    chars = set()
    for path in (ROOT / "datagen").glob("*.py"):
        if path.name != "s2t_table.py":
            chars |= set(re.findall(r"[\u4e00-\u9fff]", path.read_text(encoding="utf-8")))
    assert chars <= set(COVERED), f"rerun scripts/build_traditional_table.py for {sorted(chars - set(COVERED))}"
    assert S2T["陈"] == "陳" and S2T["刘"] == "劉" and S2T["张"] == "張" and S2T["区"] == "區"
    assert "余" not in S2T and "于" not in S2T, "as family names they keep their character"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A larger sample, for shares of rarer dirt."""
    d = tmp_path_factory.mktemp("gen_big")
    generate(d, customers=6000, seed=3, progress=False, identity_dirt=True)
    return d


def _read(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, on_bad_lines="skip", **kw)


def test_service_desk_names_numbers_and_birth_years(big: Path) -> None:
    svc = _read(big / "landing" / "service" / "contacts.csv").drop_duplicates("客户ID")
    truth = _read(big / "ground_truth" / "records.csv")
    persons = _read(big / "ground_truth" / "persons.csv").set_index("person_id")
    svc = svc.merge(truth[truth.source_system == "service"], left_on="客户ID", right_on="source_record_id")
    assert 0.1 < len(svc) / len(persons) < 0.3
    kinds = {k: svc.dirt.str.contains(k).mean() for k in ("honorific", "screen_name", "placeholder_name")}
    assert 0.12 < kinds["honorific"] < 0.32 and 0.15 < kinds["screen_name"] < 0.35
    assert 0.03 < kinds["placeholder_name"] < 0.1, kinds
    legal = svc[svc["客户称呼"] == persons.full_name.loc[svc.person_id].to_numpy()]
    assert 0.3 < len(legal) / len(svc) < 0.55
    hon = svc[svc.dirt.str.contains("honorific")]
    family = persons.full_name.loc[hon.person_id].str[0].to_numpy()
    assert (hon["客户称呼"].str[0] == family).mean() > 0.95           # 王先生 for 王伟 (欧阳 aside)
    assert hon["客户称呼"].str.contains("先生|女士|小姐|总|老师|哥|姐|经理").all()
    # the one number column: mostly the caller's own mobile, some landlines, a few "0" + mobile
    digits = svc["联系电话"].str.replace(r"\D", "", regex=True).str[-11:]
    own = digits == persons.mobile.loc[svc.person_id].str[-11:].to_numpy()
    assert 0.75 < own.mean() < 0.95
    assert svc.dirt.str.contains("landline").mean() > 0.02
    assert svc["联系电话"].str.fullmatch(r"01[3-9]\d{9}").sum() > 0
    years = svc["出生日期"][svc["出生日期"] != ""]
    assert 0.15 < len(years) / len(svc) < 0.35 and years.str.fullmatch(r"(19|20)\d\d-01-01").all()
    assert (years.str[:4].to_numpy() == persons.birth_date.loc[svc.person_id[years.index]].str[:4].to_numpy()).all()
    wechat = svc["来源渠道"] == "微信客服"
    assert ((svc["微信UnionID"] != "") == wechat).all()
    # no orders, no events name a service-desk contact
    refs = set(svc["客户ID"])
    for p in _files(big, "oms/orders/*.parquet"):
        assert not refs & set(pq.read_table(p).column("customer_ref").to_pylist())


def test_store_cards_split_names_and_weak_cards(big: Path) -> None:
    store = _read(big / "landing" / "store" / "members.csv", sep="|").drop_duplicates("card_no")
    truth = _read(big / "ground_truth" / "records.csv")
    persons = _read(big / "ground_truth" / "persons.csv").set_index("person_id")
    store = store.merge(truth[truth.source_system == "store"], left_on="card_no", right_on="source_record_id")
    clean = store[store.dirt.isin(["split_name", "split_name;weak_record"])]
    full = persons.full_name.loc[clean.person_id].to_numpy()
    assert len(clean) > 0.7 * len(store) and ((clean.surname + clean.given_name) == full).all()
    weak = store[store.weak == "true"]
    assert 0.02 < len(weak) / len(store) < 0.07
    assert (weak.phone == "").all() and (weak.address != "").mean() > 0.7 and (weak.birthday != "").mean() > 0.85
    for defect in ("name_parts_swapped", "whole_name_in_one_part", "traditional_chars"):
        assert store.dirt.str.contains(defect).sum() > 0, defect


def test_traditional_characters_read_back_as_the_true_name(big: Path) -> None:
    from datagen.s2t_table import S2T
    t2s = {t: s for s, t in S2T.items()}
    truth = _read(big / "ground_truth" / "records.csv")
    persons = _read(big / "ground_truth" / "persons.csv").set_index("person_id")
    trad = truth[truth.dirt.str.contains("traditional_chars")]
    assert 0.005 < len(trad) / len(truth) < 0.05
    assert set(trad.source_system) >= {"app", "store", "service"}
    store = _read(big / "landing" / "store" / "members.csv", sep="|").drop_duplicates("card_no").set_index("card_no")
    rows = store.loc[trad.source_record_id[trad.source_system == "store"]]
    names = trad[trad.source_system == "store"]
    ok = rows[~names.dirt.str.contains("name_typo|pinyin|swapped|whole|padded").to_numpy() & (rows.surname != "")]
    back = (ok.surname + ok.given_name).map(lambda s: "".join(t2s.get(c, c) for c in s))
    pid = truth.set_index(["source_system", "source_record_id"]).person_id
    expected = persons.full_name.loc[pid.loc[[("store", c) for c in ok.index]].to_numpy()]
    assert (back.to_numpy() == expected.to_numpy()).all()
    assert any(c in S2T.values() for c in "".join(ok.surname + ok.given_name))


def test_weak_records_meet_the_new_dirt(big: Path) -> None:
    truth = _read(big / "ground_truth" / "records.csv")
    weak = truth[truth.weak == "true"]
    assert set(weak.source_system) == {"crm", "store"}
    for defect in ("split_name", "traditional_chars", "year_only_birth", "honorific"):
        assert weak.dirt.str.contains(defect).sum() > 0, defect


def test_marketplace_is_orders_only_and_bound_buyers_are_linkable(big: Path) -> None:
    truth = _read(big / "ground_truth" / "records.csv")
    mall = truth[truth.source_system == "mall"]
    orders = pd.concat([_read(p) for p in _files(big, "mall/orders/*.csv")])
    assert set(orders["买家ID"]) <= set(mall.source_record_id) and orders["订单编号"].nunique() > len(mall)
    assert orders["订单状态"].isin(["交易成功", "已完成", "退款成功", "已退款", "交易关闭", "已取消"]).all()
    app = [json.loads(line) for line in (big / "landing" / "app" / "members.jsonl").read_text().splitlines()
           if line.endswith("}")]
    pid = truth.set_index(["source_system", "source_record_id"]).person_id
    bound = {m["mall_buyer_id"]: m["member_id"] for m in app if m.get("mall_buyer_id")}
    bought = {b: m for b, m in bound.items() if ("mall", b) in pid.index}
    assert len(bought) > 0.6 * len(bound), "a bound account without orders is no customer record"
    assert all(pid[("mall", b)] == pid[("app", m)] for b, m in bought.items())
    assert set(bound) - set(bought) <= set(bound) - set(orders["买家ID"])
    svc = _read(big / "landing" / "service" / "contacts.csv").drop_duplicates("客户ID")
    chat = svc[svc["平台账号"] != ""]
    assert (chat["来源渠道"] == "商城客服").all() and len(chat) > 0
    assert all(pid[("mall", b)] == pid[("service", c)] for b, c in zip(chat["平台账号"], chat["客户ID"])
               if ("mall", b) in pid.index)
    # every buyer id another system also knows is named there (bound in the app, or in the shop's
    # chat): nothing else could link a buyer id to anyone
    named = set(bound) | set(chat["平台账号"])
    others = set(truth.person_id[truth.source_system != "mall"])
    shared = mall[mall.person_id.isin(others)]
    assert len(shared) > 0 and set(shared.source_record_id) <= named
    assert len(mall) - len(shared) > 0, "some buyers are known only to the marketplace"


# identity dirt of issue 16 (its defects, and the sources and layouts that bring nothing but it)
IDENTITY_DIRT = {"honorific", "screen_name", "placeholder_name", "traditional_chars", "name_parts_swapped",
                 "whole_name_in_one_part", "mobile_in_phone", "mobile_trunk_prefix", "no_identifier", "orders_only"}


def test_without_identity_dirt_the_new_sources_hold_a_header_only(out: Path, contract: dict, records: pd.DataFrame,
                                                                   dirt: pd.DataFrame) -> None:
    if _identity_dirt(out):
        assert IDENTITY_DIRT - {"no_identifier"} <= set(dirt.defect) | {"orders_only"}
        assert {"service", "mall"} <= set(records.source_system)
        return
    for source in ("service", "mall"):
        for tdef in contract["sources"][source]["tables"].values():
            files = _files(out, tdef["path"])
            assert files
            for path in files:
                header, lines = _text_rows(path, tdef)
                assert lines == [] and set(header) == set(tdef["columns"].values()) | set(
                    tdef.get("extra_columns", {}).values()), path
    assert not {"service", "mall"} & set(records.source_system)
    assert not IDENTITY_DIRT & set(dirt.defect)
    assert not any(IDENTITY_DIRT & set(d.split(";")) for d in records.dirt)
    # year-only births: only the app's bare years (which predate issue 16); no weak store cards
    assert set(dirt.file[dirt.defect == "year_only_birth"]) == {"app/members.jsonl"}
    assert set(records.source_system[records.weak == "true"]) == {"crm"}
    app = [json.loads(line) for line in (out / "landing" / "app" / "members.jsonl").read_text().splitlines()
           if line.endswith("}")]
    assert all(m["mall_buyer_id"] is None for m in app)
    store = pd.read_csv(out / "landing" / "store" / "members.csv", sep="|", dtype=str, keep_default_na=False,
                        on_bad_lines="skip").drop_duplicates("card_no")
    assert (store.phone != "").mean() > 0.97       # no cards without a mobile (a few junk-free blanks aside)
