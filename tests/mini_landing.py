"""A tiny hand-written landing folder with known answers, in the layout of config/sources.yml.

Small enough to reason about row by row: every defect below has an expected outcome that the
tests assert (which rows load, which are rejected and why, what staging makes of each value).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CRM_HEADER = "客户编号,姓名,手机,邮箱,性别,生日,省份,城市,公司名称,客户级别,线索来源,负责人,行业,创建时间,更新时间"
CRM_ROWS = [
    "C00000001,王小明,+86 138 1234 5678, Wang.XM@QQ.com ,男,1985-03-12,浙江省,杭州市,,A,官网,李销售,,2024-05-06 10:11:12,2024-06-01 09:00:00",
    "C00000002,李丽,0086-13912345670,,女,1990/3/5,上海,上海,,B,展会,李销售,,2024-05-07 10:11:12,",
    'C00000003,"张,伟",138-0000-0000,test@test.com,,不详,,北京,华信科技有限公司,VIP,转介绍,赵销售,信息技术,2024-05-08 10:11:12,',
    "C00000004,赵敏,021-62345678,zm@163.com,女,19880808,广东,深圳,,C,电话营销,赵销售,,2024-05-09 10:11:12,",
    "C00000005,broken,line,with,too,many,fields,,,,,,,,,,,,",  # malformed: line 6
    "C00000006,刘洋,１３７００１１２２３３,ly@126.com,男,1979-01-01,四川,成都,,A,门店,李销售,,2024-05-10 10:11:12,",
    "C00000006,刘洋,１３７００１１２２３３,ly@126.com,男,1979-01-01,四川,成都,,A,门店,李销售,,2024-05-10 10:11:12,",  # exact duplicate
]

APP_MEMBERS = [
    {"member_id": "M00000001", "nickname": "小明", "mobile": "13812345678", "email": "wang.xm@qq.com",
     "unionid": "oABCDEFGHIJKLMNOPQRSTUVWXYZa", "register_channel": "小程序",
     "register_time": "2024-01-02T03:04:05+08:00", "city": "杭州", "gender": "M", "birthday": 1985},
    {"member_id": "M00000002", "nickname": "快乐妈妈", "mobile": "1381234", "email": None,
     "unionid": "oBBCDEFGHIJKLMNOPQRSTUVWXYZa", "register_channel": "APP",
     "register_time": 1704164645000, "city": "上海", "gender": None, "birthday": None},
]

EVENTS = [
    {"event_id": "E1", "member_id": "M00000001", "device_id": "d1", "event": "view",
     "ts": "2026-06-01T10:00:00.000+08:00", "sku": "SKU00001", "category": "图书"},
    {"event_id": "E2", "member_id": None, "device_id": "d9", "event": "search",
     "ts": "2026-06-02T11:00:00.000+08:00", "sku": None, "category": None},
    {"event_id": "E3", "member_id": "M00000002", "device_id": "d2", "event": "view",
     "ts": "2031-01-01T00:00:00.000+08:00", "sku": "SKU00002", "category": "玩具"},  # future
]


def orders_table() -> pa.Table:
    rows = [
        # order_id, system, ref, time, status, amount, channel, store
        ("O0000000001", "APP", "M00000001", "2026-05-01 10:00:00", "paid", 200.0, "小程序", None),
        ("O0000000002", "CRM", "C00000002", "2026/05/02 11:00", "已支付", 99.5, "电话销售", None),
        ("O0000000003", "APP", "M00000001", "2026-05-03T12:00:00+08:00", "REFUNDED", 50.0, "APP", None),
        ("O0000000004", "APP", "M00000002", "2026-05-04 10:00:00", "paid", -10.0, "APP", None),  # negative
        ("O0000000005", "APP", "M00000002", "2031-05-04 10:00:00", "paid", 10.0, "APP", None),   # future
        ("O0000000006", "POS", "80000000001", "N/A", "paid", 10.0, "门店", "S001"),              # bad time
        ("O0000000007", "POS", "89999999999", "2026-06-01 09:00:00", "cancelled", 30.0, "门店", "S002"),
    ]
    cols = list(zip(*rows))
    return pa.table({
        "order_id": cols[0], "customer_system": cols[1], "customer_ref": cols[2],
        "order_time": cols[3], "status": cols[4], "amount": pa.array(cols[5], pa.float64()),
        "channel": cols[6], "store_id": pa.array(cols[7], pa.string()),
    })


def items_table() -> pa.Table:
    rows = [
        ("O0000000001", 1, "SKU00001", "图书", 2, 50.0),
        ("O0000000001", 2, "SKU00002", "玩具", 1, 100.0),
        ("O0000000002", 1, "SKU00003", "课程", 1, 99.5),
        ("O0000000003", 1, "SKU00001", "图书", 1, 50.0),
        ("O0000000004", 1, "SKU00001", "图书", 1, 10.0),   # its order is rejected
        ("O0000000007", 1, "SKU00004", "童装", 1, 30.0),
    ]
    cols = list(zip(*rows))
    return pa.table({"order_id": cols[0], "line_no": pa.array(cols[1], pa.int64()), "sku": cols[2],
                     "category": cols[3], "qty": pa.array(cols[4], pa.int64()),
                     "unit_price": pa.array(cols[5], pa.float64())})


def write_mini_landing(landing: Path) -> Path:
    (landing / "crm").mkdir(parents=True, exist_ok=True)
    (landing / "crm" / "contacts.csv").write_bytes(
        ("\n".join([CRM_HEADER, *CRM_ROWS]) + "\n").encode("gb18030"))
    (landing / "app" / "events" / "month=2026-06").mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(m, ensure_ascii=False) for m in APP_MEMBERS]
    lines.insert(1, '{"member_id": "M0000')  # malformed: line 2
    (landing / "app" / "members.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (landing / "app" / "family_relations.csv").write_text(
        "family_id,member_id,role\nF000001,M00000001,registrant\nF000001,M00000002,decision_maker\n"
        "F000001,M00000003,teacher\n", encoding="utf-8")
    (landing / "app" / "events" / "month=2026-06" / "events.jsonl").write_text(
        "\n".join(json.dumps(e, ensure_ascii=False) for e in EVENTS) + "\n", encoding="utf-8")
    (landing / "store").mkdir(parents=True, exist_ok=True)
    (landing / "store" / "members.csv").write_text(
        "card_no|name|phone|store_id|store_city|join_date\n"
        "80000000001|王小明|138 1234 5678|S001|杭州|2023/01/05\n"
        "80000000002|Li Li|11111111111|S002|上海|2023/02/05\n", encoding="utf-8")
    (landing / "ent").mkdir(parents=True, exist_ok=True)
    (landing / "ent" / "accounts.csv").write_text(
        "account_code,company_name,credit_code,industry,city,size\n"
        "A00001,北京华信科技有限公司,91110000600037341L,信息技术,北京,50-199\n", encoding="utf-8")
    (landing / "ent" / "contacts.csv").write_text(
        "contact_id,account_code,name,mobile,email,title,created_at\n"
        "T0001,A00001,张伟,13600000001,zhangwei@huaxin.com,采购经理,2024-03-01 09:00:00\n",
        encoding="utf-8")
    (landing / "oms" / "orders").mkdir(parents=True, exist_ok=True)
    (landing / "oms" / "order_items").mkdir(parents=True, exist_ok=True)
    pq.write_table(orders_table(), landing / "oms" / "orders" / "orders_2026.parquet")
    pq.write_table(items_table(), landing / "oms" / "order_items" / "order_items_2026.parquet")
    return landing
