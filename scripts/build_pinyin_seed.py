"""Build ``dbt_project/seeds/name_hanzi_pinyin.csv``: every character of GB 2312 (6,763 hanzi) with
its pinyin, without tones, for the name comparison key.

Run once (``uv run --with pypinyin python scripts/build_pinyin_seed.py``); the CSV is
committed, so the pipeline never needs pypinyin. Characters whose common reading differs
as a family name (单 shan, 曾 zeng, 解 xie, ...) carry that reading in ``surname_pinyin``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pypinyin import Style, lazy_pinyin

# family names whose reading differs from the character's most common reading
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "盖": "ge", "乐": "yue", "尉": "yu", "缪": "miao", "种": "chong", "覃": "qin", "召": "shao",
    "长": "chang", "重": "chong", "秘": "bi", "员": "yun", "华": "hua", "纪": "ji", "翟": "zhai",
    "繁": "po", "折": "she", "过": "guo", "阚": "kan", "那": "na", "沈": "shen", "藏": "zang",
}


def gb2312_hanzi() -> list[str]:
    """Level 1 and 2 hanzi of GB 2312, in code order."""
    out = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.append(ch)
    return out


def main() -> None:
    target = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "name_hanzi_pinyin.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for ch in gb2312_hanzi():
        py = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
        if not py or not py[0].isascii():
            continue
        reading = py[0].replace("ü", "v")
        rows.append((ch, reading, SURNAME_READINGS.get(ch, reading)))
    with target.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["hanzi", "pinyin", "surname_pinyin"])
        w.writerows(rows)
    print(f"{len(rows)} characters -> {target}")


if __name__ == "__main__":
    main()
