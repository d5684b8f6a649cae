"""The web pages' pure parts: what people type into the search box, users and passwords, the
audit log, and the charts and shared templates (the pages themselves run over a real BI copy in
tests/test_pipeline_e2e.py)."""

from __future__ import annotations

import hashlib
import stat

import pytest

from orchestration.exports.restricted import AuditLog
from web.lookup import lookup_keys, mobile_e164
from web.users import UsersFileError, load_users, remove_user, save_user, verify_password


@pytest.mark.parametrize("typed", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                   "+86-138-1234-5678", "0086 13812345678", "86 13812345678", "(+86)13812345678",
                                   "１３８１２３４５６７８", " 138.1234.5678 ", "013812345678"])
def test_a_mobile_typed_any_way_is_the_e164_number(typed):
    assert mobile_e164(typed) == "+8613812345678"


@pytest.mark.parametrize("typed", ["12345", "abc", "", "138123456789999", "张伟"])
def test_what_is_no_mobile_is_not_made_one(typed):
    assert mobile_e164(typed) is None


def test_lookup_keys_hash_like_the_mart():
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    assert lookup_keys("138 1234 5678")[0] == ("mobile", md5("+8613812345678"))
    assert ("email", md5("li.na@example.com")) in lookup_keys("Li.Na@Example.com")
    assert ("name", md5("张伟")) in lookup_keys(" 张 伟 ")
    assert ("record", "800600000001") in lookup_keys("800600000001")
    assert all(k != "name" for k, _ in lookup_keys("800600000001"))  # digits are no name
    assert lookup_keys("   ") == []


def test_users_are_saved_hashed_and_checked(tmp_path):
    path = tmp_path / "users.yml"
    save_user(path, "li.na", "steward", "correct horse battery")
    save_user(path, "wang", "viewer", "another long one")
    text = path.read_text()
    assert "correct horse" not in text and "scrypt$" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    users = load_users(path)
    assert users["li.na"].may_reveal and not users["wang"].may_reveal
    assert verify_password("correct horse battery", users["li.na"].password_hash)
    assert not verify_password("correct horse batterY", users["li.na"].password_hash)
    assert remove_user(path, "wang") and set(load_users(path)) == {"li.na"}
    for name, role, password, message in [("x y", "viewer", "long enough pw", "letters, digits"),
                                          ("ok", "admin", "long enough pw", "not one of"),
                                          ("ok", "viewer", "short", "at least 10")]:
        with pytest.raises(UsersFileError, match=message):
            save_user(path, name, role, password)


def test_a_users_file_with_a_plain_password_is_refused(tmp_path):
    path = tmp_path / "users.yml"
    path.write_text("users:\n  - {name: li, role: steward, password: hunter2}\n")
    with pytest.raises(UsersFileError, match="must be a hash written by `huaxiang users add`"):
        load_users(path)


def test_the_audit_log_appends_who_did_what(tmp_path):
    log = AuditLog(tmp_path)
    log.record("li.na", "steward", "reveal_contact", customer_id="HX1")
    log.record("wang", "viewer", "segment_export_masked", segment_key="vip", rows=12)
    entries = AuditLog(tmp_path).entries()
    assert [(e.user, e.action, e.customer_id, e.segment_key, e.rows) for e in entries] == [
        ("li.na", "reveal_contact", "HX1", None, None), ("wang", "segment_export_masked", None, "vip", 12)]
    assert entries[0].at.endswith("+08:00")
    assert stat.S_IMODE((tmp_path / "restricted").stat().st_mode) == 0o700


# ----------------------------------------------------------------------------- charts and templates
EVIL = '<script>alert("x")</script>'


def _outlet(mix_rows: list[dict]) -> dict:
    import datetime

    monthly = [{"month": datetime.date(2024, m, 1), "visitors": 10 + m, "buyers": None if m == 3 else m,
                "net_amount": 100.0 * m} for m in range(1, 7)]
    return {"monthly": monthly, "mix": {"rfm_segment": mix_rows, "customer_state": [], "category": [
        {"value": "美妆", "value_label": "美妆", "customers": 3, "net_amount": 1234.5, "share": 0.6}]}}


def test_the_pages_draw_the_reports_charts_and_escape_them():
    from web.app import outlet_charts

    mix = [{"value": "important_value", "value_label": EVIL, "customers": 7, "net_amount": None, "share": 0.7},
           {"value": None, "value_label": None, "customers": 3, "net_amount": None, "share": 0.3}]
    charts = outlet_charts("store", "S001", _outlet(mix))
    assert [name for name, _ in charts["trend"]] == ["到店客户", "买家", "销售额"]
    assert all('<svg class="chart"' in str(chart) for _, chart in charts["trend"])
    assert ">2024-06<" in charts["trend"][0][1]  # the newest month is labelled
    assert charts["trend"][1][1].count('class="point"') == 5  # March has no figure: a gap, not a zero
    assert EVIL not in charts["rfm_segment"] and "&lt;script&gt;" in charts["rfm_segment"]
    assert "未知：3 人 · 30.0%" in charts["rfm_segment"] and "¥1,234 · 60.0%" in charts["category"]
    assert charts["customer_state"] is None  # no rows: the template says so
    assert [name for name, _ in outlet_charts("channel", "APP", _outlet(mix))["trend"]] == ["买家", "销售额"]


def test_one_environment_knows_the_pages_and_the_reports_macros():
    from markupsafe import Markup

    from orchestration.reports.templating import environment
    from web.app import HERE

    env = environment(HERE / "templates")
    assert {"outlet.html", "card.html", "macros.html", "portrait.html"} <= set(env.list_templates())
    chart = env.from_string('{% import "macros.html" as ui %}{{ ui.chart(svg) }}|{{ ui.chart(none) }}|{{ ui.chart(none, note) }}')
    out = chart.render(svg=Markup("<svg></svg>"), note=EVIL)
    assert out == '<svg></svg>|<p class="nodata">暂无数据</p>|<p class="nodata">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>'
