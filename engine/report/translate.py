"""English words for the Chinese parts of cited data: policy clauses, document names, county names.

Clauses and standard numbers are translated by rule ("三(二)2 钢铁行业" -> "Sec. 3(2)2, steel industry";
"GB 21256-2025 表3" -> "GB 21256-2025 Table 3"); a document name without a rule uses the knowledge's
``cite_en``; a county is romanised with pypinyin and keeps its Chinese name in parentheses (the client's word).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef《》〔〕]")
NUM = {c: i for i, c in enumerate("一二三四五六七八九十", 1)}
SECTORS = {
    "钢铁行业": "steel industry", "石化化工行业": "petrochemical and chemical industry",
    "有色金属行业": "non-ferrous metals industry", "建材行业": "building-materials industry",
    "造纸行业": "paper industry", "食品加工行业": "food-processing industry", "电子行业": "electronics industry",
    "电力行业": "power industry", "焦化": "coking", "原料药": "active pharmaceutical ingredients",
    "工业涂装": "industrial coating", "包装印刷": "packaging printing",
}
LEVELS = {"标杆水平": "benchmark level", "基准水平": "baseline level"}


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text or ""))


def clause_en(clause: str) -> str:
    """'三(二)2 钢铁行业' -> 'Sec. 3(2)2, steel industry' (the policy's own numbering, in Arabic numerals)."""
    m = re.match(r"^([一二三四五六七八九十])(?:\(([一二三四五六七八九十])\))?(\d*)\s*(.*)$", clause.strip())
    if not m:
        return clause
    out = f"Sec. {NUM[m[1]]}" + (f"({NUM[m[2]]})" if m[2] else "") + (m[3] or "")
    rest = m[4].strip()
    if rest:
        out += ", " + SECTORS.get(rest, rest)
    return out


CLAUSE_IN_TEXT = re.compile(r"[一二三四五六七八九十]\([一二三四五六七八九十]\)\d*")


def clauses_en(text: str) -> str:
    """Clause numbers written inside an English text ('see 三(四)3') in the English form ('see Sec. 3(4)3')."""
    return CLAUSE_IN_TEXT.sub(lambda m: clause_en(m.group(0)), text) if "(" in text else text


def cite_en(cite: str, cite_en_given: Optional[str] = None) -> str:
    """A document and table in English: GB numbers by rule, NDRC notices by rule, others from ``cite_en``."""
    if cite_en_given:
        return cite_en_given
    m = re.match(r"^(GB(?:/T)? ?[\d.]+-\d{4})\s*(表[\d/表]+)?\s*(.*)$", cite)
    if m:
        out = m[1]
        if m[2]:
            tables = m[2].replace("表", "").split("/")
            out += (" Tables " if len(tables) > 1 else " Table ") + "/".join(tables)
        rest = m[3].strip()
        if rest and not has_cjk(rest):
            out += " " + rest
        return out
    m = re.match(r"^发改产业〔(\d{4})〕(\d+)号\s*(.*)$", cite)
    if m:
        level = next((v for k, v in LEVELS.items() if k in m[3]), "")
        return f"NDRC notice Fa Gai Chan Ye [{m[1]}] No. {m[2]}" + (f", {level}" if level else "")
    return cite


SUFFIX = (("自治县", "Autonomous County"), ("区", "District"), ("县", "County"), ("市", "City"))


@lru_cache(maxsize=512)
def place_en(name: str) -> str:
    """'岳塘区' -> 'Yuetang District (岳塘区)'; a name that is already Latin is kept."""
    if not has_cjk(name):
        return name
    from pypinyin import lazy_pinyin
    for zh, en in SUFFIX:
        if name.endswith(zh) and len(name) > len(zh):
            stem = "".join(lazy_pinyin(name[: -len(zh)])).capitalize()
            return f"{stem} {en} ({name})"
    return f"{''.join(lazy_pinyin(name)).capitalize()} ({name})"


UNITS_EN = {"重箱": "weight case"}  # flat glass is counted in weight cases (重量箱)
# the per-product units of the 清洁生产评价指标体系 (kgce/t焦, m³/t钢 …)
INDICATOR_UNITS_EN = {"/t焦": "/t coke", "/t矿": "/t ore", "/t铁": "/t iron", "/t钢": "/t steel"}


def indicator_unit_en(unit: str) -> str:
    """An indicator's unit in English: 'kgce/t焦' -> 'kgce/t coke'."""
    for zh, en in INDICATOR_UNITS_EN.items():
        unit = unit.replace(zh, en)
    return unit


def units_en(value):
    """Unit words in English in every text of a report context (lists and dicts walked)."""
    if isinstance(value, str):
        for zh, en in UNITS_EN.items():
            if zh in value:
                value = value.replace(zh, en)
        return value
    if isinstance(value, dict):
        return {k: units_en(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(units_en(v) for v in value)
    return value
