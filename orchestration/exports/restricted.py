"""The restricted area: raw contact data for the few who may see it, and the audit of who did.

Why a separate file: the BI copy and every web page hold masked contact data only. A data
steward may reveal one customer's contact on the customer card, and a campaign export needs
real mobiles and e-mails of the customers who consented. Both read `<outputs>/restricted/
contacts.duckdb`, written at the end of each run from the golden records (whole file, then one
rename), in a folder only the pipeline's user may open (0700, files 0600). Every reveal and
every export is written to `restricted/audit.sqlite` (table audit_log: when, who, which role,
what, whom, how many rows): SQLite because the web server and the CLI both append to it, and
SQLite lets writers take turns.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


from orchestration.exports.files import database_written_whole
from orchestration.warehouse import Connection, open_read_only

CONTACTS_NAME = "contacts"
AUDIT_NAME = "audit.sqlite"
LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
CONTACTS_SQL = """select customer_id, full_name, mobile, email, marketing_consent
from intermediate.int_customer_golden"""


def restricted_folder(outputs: Path) -> Path:
    folder = outputs / "restricted"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def contacts_path(outputs: Path) -> Path:
    return outputs / "restricted" / f"{CONTACTS_NAME}.duckdb"


def write_contacts(con: Connection, outputs: Path) -> int:
    """(Re)write the restricted contacts from the warehouse `con`; returns the customers."""
    restricted_folder(outputs)
    with database_written_whole(con, contacts_path(outputs), "restricted_copy", mode=0o600):
        con.execute(f"create table restricted_copy.main.contacts as {CONTACTS_SQL}")
        rows = con.execute("select count(*) from restricted_copy.main.contacts").fetchall()[0][0]
    return rows


@dataclass(frozen=True)
class Contact:
    customer_id: str
    full_name: str | None
    mobile: str | None
    email: str | None
    marketing_consent: bool | None


def read_contact(outputs: Path, customer_id: str) -> Contact | None:
    path = contacts_path(outputs)
    if not path.exists():
        return None
    with open_read_only(path) as con:
        rows = con.execute("select customer_id, full_name, mobile, email, marketing_consent from contacts "
                           "where customer_id = ?", [customer_id]).fetchall()
    return Contact(*rows[0]) if rows else None


@dataclass(frozen=True)
class AuditEntry:
    at: str
    user: str
    role: str
    action: str
    customer_id: str | None
    segment_key: str | None
    rows: int | None
    detail: str | None


class AuditLog:
    """Append-only: who revealed whose contact, who exported which segment with raw contacts."""

    def __init__(self, outputs: Path) -> None:
        self.path = restricted_folder(outputs) / AUDIT_NAME

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("create table if not exists audit_log (id integer primary key, at text not null, "
                    "user text not null, role text not null, action text not null, customer_id text, "
                    "segment_key text, rows integer, detail text)")
        os.chmod(self.path, 0o600)
        return con

    def record(self, user: str, role: str, action: str, customer_id: str | None = None,
               segment_key: str | None = None, rows: int | None = None, detail: str | None = None) -> AuditEntry:
        at = datetime.now(LOCAL_TIMEZONE).isoformat(timespec="seconds")
        entry = AuditEntry(at, user, role, action, customer_id, segment_key, rows, detail)
        con = self._connect()
        try:
            with con:
                con.execute("insert into audit_log (at, user, role, action, customer_id, segment_key, rows, detail) "
                            "values (?, ?, ?, ?, ?, ?, ?, ?)",
                            [at, user, role, action, customer_id, segment_key, rows, detail])
        finally:
            con.close()
        return entry

    def entries(self) -> list[AuditEntry]:
        con = self._connect()
        try:
            return [AuditEntry(*r) for r in con.execute(
                "select at, user, role, action, customer_id, segment_key, rows, detail from audit_log order by id")]
        finally:
            con.close()
