"""Marketing consent (PIPL: marketing needs consent; an explicit opt-out wins), end to end:
the staging macro on the spellings sources write, the raw quality check that flags unknown
spellings, the generator's columns and ground truth, and the golden record's survivorship on a
real run of the whole graph over a hand-written landing folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dbt_inline import dbt_show
from mini_landing import write_mini_landing
from orchestration.ingest.quality import MARKETING_CONSENT_SPELLINGS, validate_frame
from orchestration.runner import run_job
from orchestration.settings import REPO_ROOT, Settings
from orchestration.sources_config import load_sources_config

# raw text -> staged marketing_consent
CONSENTS = {
    "true": True, "TRUE": True, "True": True, "1": True, "yes": True, "Yes": True, "Y": True, "y": True,
    "是": True, "同意": True, "已同意": True, "已订阅": True, "订阅": True, "允许": True, "opt-in": True,
    " 同意 ": True, "　同意　": True, "Ｙ": True, "ｙｅｓ": True,
    "false": False, "FALSE": False, "0": False, "no": False, "No": False, "N": False, "n": False,
    "否": False, "拒绝": False, "不同意": False, "退订": False, "已退订": False, "取消订阅": False,
    "opt-out": False, " N ": False, "Ｎ": False,
    "": None, "   ": None, "待定": None, "maybe": None, "2": None, "-": None, "同意?": None,
}


def _values(keys) -> str:
    return ", ".join("('" + k.replace("'", "''") + "')" for k in keys)


@pytest.fixture(scope="module")
def normalised(dbt_scratch) -> dict[str, object]:
    wh = dbt_scratch
    keys = sorted(set(CONSENTS) | set(MARKETING_CONSENT_SPELLINGS))
    rows = dbt_show(f"select v, {{{{ normalize_marketing_consent('v') }}}} as c "
                    f"from (values {_values(keys)}, (null)) t(v)", wh)
    return {r["v"]: r["c"] for r in rows}


@pytest.mark.parametrize("raw, expected", CONSENTS.items())
def test_staging_reads_messy_consent_spellings(normalised, raw, expected):
    assert normalised[raw] is expected


def test_null_stays_null(normalised):
    assert normalised[None] is None


def test_every_spelling_the_raw_check_accepts_is_read(normalised):
    unread = [s for s in MARKETING_CONSENT_SPELLINGS if normalised[s] is None]
    assert not unread, f"the raw check accepts spellings staging cannot read: {unread}"


def _customers_frame(consents: list[str | None]) -> pd.DataFrame:
    n = len(consents)
    return pd.DataFrame({
        "source_record_id": [f"S{i}" for i in range(n)], "full_name": ["王小明"] * n,
        "mobile": ["13811472258"] * n, "city": ["杭州"] * n, "birth_date": ["1985/03/12"] * n,
        "created_at": ["2023/01/05"] * n, "marketing_consent": consents,
        "_row_number": list(range(1, n + 1)), "_row_hash": ["0" * 32] * n,
    })


def test_raw_check_flags_unknown_consent_spellings(default_sources):
    table = load_sources_config(default_sources).table("store__members")
    clean = validate_frame(_customers_frame(["Y", "N", "y", None] * 50), table)
    assert clean.success, clean.summary
    dirty = validate_frame(_customers_frame(["Y", "N", "待定", None] * 50), table)
    assert not dirty.success and not dirty.errors
    (failure,) = dirty.failures
    assert failure["expectation"] == "expect_column_values_to_be_in_set(marketing_consent)"
    assert failure["unexpected_count"] == 50 and failure["examples"][0] == "待定"


# ---------------------------------------------------------------------------- generator
@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    from datagen import generate
    out = tmp_path_factory.mktemp("consent_gen")
    generate(out, customers=600, seed=11, progress=False)
    return out


def _records_consent(out: Path) -> pd.DataFrame:
    """(source_system, source_record_id, consent as 1 / 0 / -1) of every generated record."""
    land = out / "landing"
    app = []
    for line in (land / "app" / "members.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue  # the file's one malformed line
        assert obj["marketing_opt_in"] in (True, False, None)
        app.append(("app", obj["member_id"], {True: 1, False: 0, None: -1}[obj["marketing_opt_in"]]))
    crm = pd.read_csv(land / "crm" / "contacts.csv", encoding="gb18030", dtype=str, keep_default_na=False,
                      on_bad_lines="skip")
    store = pd.read_csv(land / "store" / "members.csv", sep="|", dtype=str, keep_default_na=False,
                        on_bad_lines="skip")
    crm_forms = {"同意": 1, "已同意": 1, "是": 1, "拒绝": 0, "不同意": 0, "否": 0, "退订": 0, "": -1}
    store_forms = {"Y": 1, "y": 1, "N": 0, "n": 0, "": -1}
    assert set(crm["营销许可"]) <= set(crm_forms) and set(store["accept_sms"]) <= set(store_forms)
    rows = app + [("crm", r, crm_forms[c]) for r, c in zip(crm["客户编号"], crm["营销许可"])] \
        + [("store", r, store_forms[c]) for r, c in zip(store["card_no"], store["accept_sms"])]
    return pd.DataFrame(rows, columns=["source_system", "source_record_id", "consent"]).drop_duplicates()


def test_generator_writes_consent_in_each_systems_spelling(generated):
    rec = _records_consent(generated)
    app = rec[rec.source_system == "app"].consent.value_counts(normalize=True)
    assert 0.62 < app[1] < 0.78 and 0.13 < app[0] < 0.27 and 0.05 < app[-1] < 0.15
    for src in ("crm", "store"):
        assert set(rec[rec.source_system == src].consent) == {1, 0, -1}


def test_ground_truth_consent_is_the_opt_out_wins_rule(generated):
    rec = _records_consent(generated)
    truth = pd.read_csv(generated / "ground_truth" / "records.csv", dtype=str, keep_default_na=False)
    persons = pd.read_csv(generated / "ground_truth" / "persons.csv", dtype=str, keep_default_na=False)
    rec = rec.merge(truth[["source_system", "source_record_id", "person_id"]])
    answered = rec[rec.consent >= 0].groupby("person_id").consent.min()  # any 0 wins
    expected = answered.map({0: "false", 1: "true"}).reindex(persons.person_id).fillna("")
    assert (persons.set_index("person_id").marketing_consent == expected).all()
    assert {"true", "false", ""} == set(persons.marketing_consent)


# ---------------------------------------------------------------------------- golden record
CRM_HEADER = ("客户编号,姓名,手机,邮箱,性别,生日,省份,城市,公司名称,客户级别,线索来源,负责人,行业,"
              "身份证号,地址,邮编,创建时间,更新时间,营销许可")


def crm_row(cid: str, name: str, mobile: str, consent: str, updated: str = "") -> str:
    return f"{cid},{name},{mobile},,,1985-03-12,浙江,杭州,,A,官网,李销售,,,,,2024-01-01 10:00:00,{updated},{consent}"


def app_member(mid: str, nickname: str, mobile: str, opt_in: bool | None) -> str:
    return json.dumps({"member_id": mid, "nickname": nickname, "mobile": mobile, "email": None,
                       "unionid": None, "register_channel": "APP", "register_time": "2024-01-02T03:04:05+08:00",
                       "city": "杭州", "gender": None, "birthday": None, "address": None,
                       "marketing_opt_in": opt_in}, ensure_ascii=False)


# one person per mobile; the records of a person share it
CRM = [
    crm_row("C1", "王小明", "13811472258", "拒绝"),          # opts out; the app (trusted more) says yes
    crm_row("C2", "李丽", "13935084461", "同意"),
    crm_row("C3", "张伟", "13602871139", " 已订阅 "),        # consents here, opts out at the store
    crm_row("C4", "赵敏", "13757396620", "待定"),            # cannot be read: not consent
    crm_row("C5", "刘洋", "15067723318", "yes"),
    crm_row("C6", "陈静", "18658190042", "退订", updated="2024-06-01 09:00:00"),  # newer than S6
]
APP = [
    app_member("M1", "小明", "13811472258", True),
    app_member("M2", "丽丽", "13935084461", None),
    app_member("M3", "伟哥", "13602871139", True),
]
STORE = [   # the POS keeps family and given name in two fields
    "S2|李|丽|13935084461|S001|杭州|2023/01/05|1985/03/12||",
    "S3|张|伟|136 0287 1139|S001|杭州|2023/02/05|1985/03/12||n",
    "S4|赵|敏|13757396620|S001|杭州|2023/02/06|1985/03/12||",
    "S5|刘|洋|15067723318|S001|杭州|2023/02/07|1985/03/12||Y",
    "S6|陈|静|18658190042|S001|杭州|2023/01/05|1985/03/12||N",
]
# record -> (golden marketing_consent of its customer, the record that decided it)
EXPECTED = {
    "crm:C1": (False, "crm:C1"), "app:M1": (False, "crm:C1"),
    "crm:C2": (True, "crm:C2"), "app:M2": (True, "crm:C2"), "store:S2": (True, "crm:C2"),
    "crm:C3": (False, "store:S3"), "app:M3": (False, "store:S3"), "store:S3": (False, "store:S3"),
    "crm:C4": (None, None), "store:S4": (None, None),
    "crm:C5": (True, None), "store:S5": (True, None),       # two consents: either record may decide
    "crm:C6": (False, "crm:C6"), "store:S6": (False, "crm:C6"),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("consent_run")
    project = root / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    landing = write_mini_landing(root / "landing")
    (landing / "crm" / "contacts.csv").write_bytes(("\n".join([CRM_HEADER, *CRM]) + "\n").encode("gb18030"))
    (landing / "app" / "members.jsonl").write_text("\n".join(APP) + "\n", encoding="utf-8")
    (landing / "store" / "members.csv").write_text(
        "card_no|surname|given_name|phone|store_id|store_city|join_date|birthday|address|accept_sms\n"
        + "\n".join(STORE) + "\n",
        encoding="utf-8")
    settings = Settings(landing_dir=landing, warehouse=root / "w.duckdb", dbt_project_dir=project,
                        identity_min_precision=0.0, identity_min_recall=0.0)
    outcome = run_job(settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        staged = {(s, r): (c, raw) for s, r, c, raw in con.execute(
            "select source_system, source_record_id, marketing_consent, marketing_consent_raw "
            "from intermediate.int_customer_records_validated").fetchall()}
        golden = {k: (c, src) for k, c, src in con.execute(
            "select x.record_key, d.marketing_consent, d.marketing_consent_source "
            "from marts.customer_source_xref x join marts.dim_customer d using (customer_id)").fetchall()}
        customers = {k: cid for k, cid in con.execute(
            "select record_key, customer_id from marts.customer_source_xref").fetchall()}
    finally:
        con.close()
    return {"outcome": outcome, "staged": staged, "golden": golden, "customers": customers}


def test_the_run_succeeds_with_every_check_passing(run):
    """Staging, golden record and dim_customer build, and their tests (the consent ones among
    them) pass, and so does everything after them."""
    outcome = run["outcome"]
    assert outcome.success and not outcome.failed_checks and not outcome.failed_steps, outcome.render()
    # only the CRM file holds an unknown spelling
    assert not [c for c in outcome.warned_checks if "marketing_consent" in c and "crm" not in c]


def test_an_unreadable_consent_is_flagged_not_guessed(run):
    assert run["staged"][("crm", "C4")] == (None, "待定")
    assert any(c.startswith("raw/crm__contacts:great_expectations") and "marketing_consent" in c
               for c in run["outcome"].warned_checks), run["outcome"].warned_checks


def test_staging_keeps_the_raw_text_beside_the_boolean(run):
    s = run["staged"]
    assert s[("crm", "C1")] == (False, "拒绝")
    assert s[("crm", "C3")] == (True, " 已订阅 ")
    assert s[("app", "M1")] == (True, "true")
    assert s[("app", "M2")] == (None, None)
    assert s[("store", "S3")] == (False, "n")
    assert s[("store", "S2")] == (None, None)


def test_the_people_were_linked_as_the_fixture_assumes(run):
    c = run["customers"]
    for a, b in [("crm:C1", "app:M1"), ("crm:C2", "store:S2"), ("crm:C3", "store:S3"), ("crm:C3", "app:M3"),
                 ("crm:C4", "store:S4"), ("crm:C5", "store:S5"), ("crm:C6", "store:S6")]:
        assert c[a] == c[b], (a, b)


@pytest.mark.parametrize("record_key", sorted(EXPECTED))
def test_golden_consent_an_opt_out_wins(run, record_key):
    consent, source = EXPECTED[record_key]
    got_consent, got_source = run["golden"][record_key]
    assert got_consent is consent
    if source is not None or consent is None:
        assert got_source == source
    else:
        assert got_source in ("crm:C5", "store:S5")
