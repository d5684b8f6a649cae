"""The SQL behind the pages, over the BI copy (schema main: the BI tables by their mart names).

Every function takes an open read-only connection to the BI copy and returns plain dicts and
lists for the templates; nothing here writes, and nothing reads raw contact data (that is
exports/restricted.py, for stewards).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any


from web.lookup import lookup_keys
from orchestration.warehouse import Connection

SEARCH_LIMIT = 50
MEMBERS_SHOWN = 100  # a segment page's members, by spend
LAYER_NAMES = {"fact": "事实标签", "model": "模型标签", "predictive": "预测标签", "rule": "规则标签"}
CHANGE_NAMES = {"entered": "进入", "exited": "退出", "changed": "变更"}
EVENT_NAMES = {"view": "浏览", "search": "搜索", "favourite": "收藏", "add_to_cart": "加购", "login": "登录",
               "share": "分享", "referral": "推荐", "store_visit": "到店"}
ROLE_NAMES = {"registrant": "注册人", "decision_maker": "决策人", "user": "使用人", "member": "成员"}
# the keys of customer_tags.inputs, in Chinese (anything else is shown by its key)
INPUT_NAMES = {
    "recency_days": "距上次购买天数", "frequency": "购买次数", "monetary": "消费金额", "threshold": "阈值",
    "status": "状态", "r_score": "R评分", "f_score": "F评分", "m_score": "M评分", "r_high": "R高",
    "f_high": "F高", "m_high": "M高", "r_threshold": "R阈值", "f_threshold": "F阈值", "m_threshold": "M阈值",
    "days_since_last_order": "距上次下单天数", "cycle_days": "购买周期天数", "cycle_source": "周期来源",
    "cycle_ratio": "周期倍数", "revenue": "收入", "revenue_share_before": "此前累计收入占比",
    "window_days": "窗口天数", "model_version": "模型版本", "active_periods": "活跃期数", "n_periods": "期数",
    "period_days": "每期天数", "paid_orders_total": "累计付款订单", "is_member": "会员",
    "referrals_365d": "365天推荐数", "has_contact": "有联系方式", "events_total": "行为事件数",
    "churn_probability": "流失概率", "t_days": "观察天数", "recency": "最近购买间隔",
}


def rows(con: Connection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def one(con: Connection, sql: str, params: list | None = None) -> dict[str, Any] | None:
    found = rows(con, sql, params)
    return found[0] if found else None


def as_of_date(con: Connection) -> date | None:
    found = one(con, "select max(as_of_date) as d from customer_360")
    return found["d"] if found else None


# ----------------------------------------------------------------------------- search
def search(con: Connection, text: str) -> list[dict[str, Any]]:
    """Customers whose mobile, e-mail, record id or name matches what was typed; several for a
    common name (disambiguate by city and birth year) or a family's shared phone."""
    keys = lookup_keys(text)
    if not keys:
        return []
    pairs = " or ".join("(key_type = ? and key_value = ?)" for _ in keys)
    params = [v for pair in keys for v in pair]
    return rows(con, f"""
        with hits as (select customer_id, min(key_type) as matched_by from customer_lookup where {pairs}
                      group by customer_id)
        select c.customer_id, c.name_masked, c.mobile_masked, c.city, c.birth_year, c.gender,
               c.customer_state_name, c.rfm_segment_name, c.net_amount_total, c.n_records, hits.matched_by
        from hits join customer_360 as c on c.customer_id = hits.customer_id
        order by c.city nulls last, c.birth_year nulls last, c.customer_id
        limit {SEARCH_LIMIT}""", params)


# ----------------------------------------------------------------------------- the card
def _inputs_text(inputs: str | None) -> str:
    if not inputs:
        return ""
    try:
        data = json.loads(inputs)
    except json.JSONDecodeError:
        return inputs
    parts = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
        elif isinstance(value, bool):
            value = "是" if value else "否"
        parts.append(f"{INPUT_NAMES.get(key, key)} {value}")
    return "；".join(parts)


def _rule_fields(definition: str | None) -> list[str]:
    """Every field a rule's definition names, in order of first appearance."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("field"), str) and node["field"] not in found:
                found.append(node["field"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    try:
        walk(json.loads(definition or "{}"))
    except json.JSONDecodeError:
        pass
    return found


def _value_text(value: Any) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def card(con: Connection, customer_id: str) -> dict[str, Any] | None:
    head = one(con, "select * from customer_360 where customer_id = ?", [customer_id])
    if head is None:
        return None
    as_of = head["as_of_date"]
    definitions = {d["tag_key"]: d for d in rows(con, "select tag_key, name_zh, layer, definition, rule_version, "
                                                     "position from tag_definitions")}
    inputs_row = one(con, "select * from tag_inputs where customer_id = ?", [customer_id]) or {}
    tags = []
    for t in rows(con, "select tag_key, value, value_label, numeric_value, rule_version, inputs from customer_tags "
                       "where customer_id = ? and as_of_date = ?", [customer_id, as_of]):
        d = definitions.get(t["tag_key"], {})
        reason = _inputs_text(t["inputs"])
        if d.get("layer") == "rule":
            fields = _rule_fields(d.get("definition"))
            reason = "；".join(f"{definitions.get(f, {}).get('name_zh', f)} {_value_text(inputs_row.get(f))}"
                              for f in fields)
        tags.append({"key": t["tag_key"], "name": d.get("name_zh", t["tag_key"]), "layer": d.get("layer", ""),
                     "layer_name": LAYER_NAMES.get(d.get("layer", ""), d.get("layer", "")),
                     "value": t["value_label"] or _value_text(t["value"]) if t["value"] is not None else "空",
                     "reason": reason, "rule_version": t["rule_version"] or d.get("rule_version"),
                     "position": d.get("position") or 0})
    tags.sort(key=lambda t: (list(LAYER_NAMES).index(t["layer"]) if t["layer"] in LAYER_NAMES else 9,
                             t["position"], t["key"]))
    segment_names = {s["segment_key"]: s["name_zh"] for s in rows(con, "select segment_key, name_zh from segment_definitions")}
    segments = []
    for s in rows(con, "select segment_key, reasons, rule_version, as_of_date from segment_members "
                       "where customer_id = ? and as_of_date = (select max(as_of_date) from segment_members)",
                  [customer_id]):
        try:
            reasons = json.loads(s["reasons"] or "{}")
        except json.JSONDecodeError:
            reasons = {}
        segments.append({"key": s["segment_key"], "name": segment_names.get(s["segment_key"], s["segment_key"]),
                         "as_of_date": s["as_of_date"], "rule_version": s["rule_version"],
                         "reason": "；".join(f"{definitions.get(k, {}).get('name_zh', k)} {_value_text(v)}"
                                            for k, v in reasons.items())})
    timeline = [{**c, "tag_name": definitions.get(c["tag_key"], {}).get("name_zh", c["tag_key"]),
                 "change_name": CHANGE_NAMES.get(c["change"], c["change"])}
                for c in rows(con, "select as_of_date, tag_key, change, coalesce(value_label, value) as value "
                                   "from tag_changes where customer_id = ? order by as_of_date desc, tag_key limit 200",
                              [customer_id])]
    orders = rows(con, """
        select order_id, max(order_date) as order_date, max(status) as status, max(channel) as channel,
               max(store_id) as store_id, sum(net_amount) as net_amount, sum(gross_amount) as gross_amount,
               string_agg(distinct category, '、' order by category) as categories
        from fct_orders where customer_id = ? group by order_id order by order_date desc, order_id desc limit 10""",
                  [customer_id])
    events = rows(con, """
        select event_type, count(*) as events, max(event_date) as last_date
        from fct_customer_events where customer_id = ? and event_date <= ? and event_date > ? - interval 90 day
        group by event_type order by events desc""", [customer_id, as_of, as_of])
    for e in events:
        e["name"] = EVENT_NAMES.get(e["event_type"], e["event_type"])
    records = rows(con, "select * from customer_source_records where customer_id = ? order by source_system, "
                        "source_table, source_record_id", [customer_id])
    household = []
    if head.get("household_id"):
        household = rows(con, """
            select m.customer_id, m.role, c.name_masked, c.city, c.birth_year
            from household_member as m left join dim_customer as c on c.customer_id = m.customer_id
            where m.household_id = ? order by m.customer_id""", [head["household_id"]])
        for h in household:
            h["role_name"] = ROLE_NAMES.get(h["role"], h["role"])
    account = one(con, "select * from dim_account where account_id = ?", [head["account_id"]]) \
        if head.get("account_id") else None
    predictive = {t["key"]: t for t in tags if t["key"] in ("churn_probability", "p_alive", "churn_risk")}
    return {"head": head, "tags": tags, "segments": segments, "timeline": timeline, "orders": orders,
            "events": events, "records": records, "household": household, "account": account,
            "predictive": predictive, "household_role_name": ROLE_NAMES.get(head.get("household_role") or "", "")}


# ----------------------------------------------------------------------------- stores, channels
OUTLETS = {"store": ("portrait_store", "store_id", "门店"), "channel": ("portrait_channel", "channel", "渠道")}


def outlets(con: Connection, kind: str) -> list[dict[str, Any]]:
    table, key, _ = OUTLETS[kind]
    return rows(con, f"select *, {key} as outlet from {table} order by net_amount desc, {key}")


def outlet(con: Connection, kind: str, outlet_id: str) -> dict[str, Any] | None:
    table, key, _ = OUTLETS[kind]
    summary = one(con, f"select * from {table} where {key} = ?", [outlet_id])
    if summary is None:
        return None
    mix = rows(con, f"select dimension, value, value_label, customers, net_amount, share from {table}_mix "
                    f"where {key} = ? order by dimension, share desc, value", [outlet_id])
    monthly = rows(con, f"select * from {table}_monthly where {key} = ? order by month", [outlet_id])
    return {"summary": summary, "monthly": monthly,
            "mix": {dim: [m for m in mix if m["dimension"] == dim] for dim in ("rfm_segment", "customer_state", "category")}}


# ----------------------------------------------------------------------------- segments
def segments(con: Connection) -> list[dict[str, Any]]:
    return rows(con, "select * from segment_definitions order by members desc, segment_key")


def segment(con: Connection, key: str) -> dict[str, Any] | None:
    definition = one(con, "select * from segment_definitions where segment_key = ?", [key])
    if definition is None:
        return None
    history = rows(con, "select as_of_date, members from segment_snapshots where segment_key = ? "
                        "order by as_of_date", [key])
    makeup = rows(con, """
        select dimension, dimension_name, value, value_label, customers, share, share_of_all_customers, lift
        from portrait_segment_distribution where segment_key = ?
        order by dimension, lift desc nulls last""", [key])
    members = rows(con, f"""
        select m.customer_id, c.name_masked, c.mobile_masked, c.city, c.customer_state_name, c.net_amount_total
        from segment_members as m join customer_360 as c on c.customer_id = m.customer_id
        where m.segment_key = ? and m.as_of_date = (select max(as_of_date) from segment_members where segment_key = ?)
        order by c.net_amount_total desc nulls last, m.customer_id limit {MEMBERS_SHOWN}""", [key, key])
    return {"definition": definition, "history": history, "makeup": makeup, "members": members}
