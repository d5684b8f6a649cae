"""Campaign exports: a segment's members who consented, with the real contact a campaign tool
needs, into the restricted area, each export audited.

The masked exports (exports/segments.py) are what everyone may share; this one sends mobiles
and e-mails out of the pipeline, so it only holds customers whose marketing consent is true
(an opt-out in any source record wins, and unknown is no), goes to `<outputs>/restricted/
campaigns/` (0700 folder, 0600 file) instead of the BI area, and leaves a row in the audit
log: who, which segment and date, how many rows, which file.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from orchestration.exports.files import sql_literal
from orchestration.exports.restricted import LOCAL_TIMEZONE, AuditLog, contacts_path, restricted_folder
from orchestration.exports.snapshot import snapshot_path
from orchestration.warehouse import open_scratch


class CampaignExportError(ValueError):
    """A segment, a date or a missing file, said plainly."""


@dataclass(frozen=True)
class CampaignExport:
    segment_key: str
    as_of_date: date
    path: Path
    rows: int
    left_out_without_consent: int


def export_campaign(outputs: Path, key: str, as_of: date | None = None, user: str | None = None) -> CampaignExport:
    bi, contacts = snapshot_path(outputs), contacts_path(outputs)
    for path, what in ((bi, "BI copy"), (contacts, "restricted contacts")):
        if not path.exists():
            raise CampaignExportError(f"no {what} at {path}: run `huaxiang run` first")
    con = open_scratch()
    try:
        con.execute(f"attach {sql_literal(bi)} as bi (read_only)")
        con.execute(f"attach {sql_literal(contacts)} as restricted (read_only)")
        dates = [r[0] for r in con.execute("select distinct as_of_date from bi.main.segment_members "
                                           "where segment_key = ? order by 1 desc", [key]).fetchall()]
        if not dates:
            known = [r[0] for r in con.execute("select segment_key from bi.main.segment_definitions order by 1").fetchall()]
            raise CampaignExportError(f"no segment {key!r} with members (segments: {', '.join(known) or 'none'})")
        day = as_of or dates[0]
        if day not in dates:
            raise CampaignExportError(f"segment {key!r} has no snapshot on {day} (newest {dates[0]})")
        folder = restricted_folder(outputs) / "campaigns"
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(LOCAL_TIMEZONE).strftime("%Y%m%d-%H%M%S")
        path = folder / f"{key}-{day.isoformat()}-{stamp}.csv"
        members = """from bi.main.segment_members as m
            left join restricted.main.contacts as c on c.customer_id = m.customer_id
            where m.segment_key = ? and m.as_of_date = ?"""
        total = con.execute(f"select count(*) {members}", [key, day]).fetchall()[0][0]
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        # COPY answers with the rows it wrote
        rows = con.execute(f"""copy (select m.customer_id, c.full_name, c.mobile, c.email, m.segment_key, m.as_of_date
                                     {members} and c.marketing_consent and (c.mobile is not null or c.email is not null)
                                     order by m.customer_id)
                               to {sql_literal(tmp)} (header, delimiter ',')""", [key, day]).fetchall()[0][0]
    finally:
        con.close()
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    who = user or getpass.getuser()
    AuditLog(outputs).record(who, "cli", "campaign_export", segment_key=key, rows=rows,
                             detail=f"{path.name}; as of {day}; {total - rows} member(s) left out "
                                    "(no consent or no contact)")
    return CampaignExport(key, day, path, rows, total - rows)
