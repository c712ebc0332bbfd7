"""The Excel workbook of a profile (openpyxl): written from the vocabulary or a profile, read back with the
sheet and cell of every value, so that an error names ``企业画像.xlsx!生产单元!C7``.

Sheets: 说明 (instructions), 企业 or 园区 (one field a row), 生产单元, 产品, 能源, 固体废物, VOCs工序, 清洁生产方案 and 已实施措施
(one item a row: Chinese headers in row 1, the English field names in row 2, data from row 3), and a hidden
_lists sheet behind the drop-downs. Vocabulary fields show Chinese labels; reading maps labels, keys and
aliases back to keys. Numbers keep Excel's precision (15 significant digits).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Union, get_args

from cpadvisor.errors import InputError
from cpadvisor.intake.labels import Labels, labels_of
from cpadvisor.intake.migrate import OLD_ATTRIBUTES
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.profile import SAVING_WORDS, FuelKind
from cpadvisor.knowledge.yamlio import Doc

Loc = tuple[Any, ...]
HEAD_ROWS = 2  # Chinese header, English field name
SPLIT = re.compile(r"[,，、;；\n]+")
TRUE_WORDS = {"是", "有", "yes", "y", "true", "t", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "没有", "no", "n", "false", "f", "0", "×"}


@dataclass(frozen=True)
class Col:
    key: str  # field name (attributes.<name> for a pack attribute)
    zh: str
    en: str
    kind: str = "text"  # text, number, int, bool, term:<vocabulary kind>, terms:<kind> (a list), list
    unit: str = ""


ENTERPRISE_FIELDS = [
    Col("name", "企业名称", "Name"), Col("credit_code", "统一社会信用代码", "Unified social credit code"),
    Col("city", "所在市州", "City"), Col("county", "区县", "County"), Col("park", "所在园区", "Industrial park"),
    Col("size", "企业规模", "Size", "term:size"), Col("sectors", "所属行业", "Sectors", "terms:sectors"),
    Col("subsectors", "细分行业", "Subsectors", "terms:subsectors"),
    Col("industry_codes", "国民经济行业代码", "Industry codes (GB/T 4754)", "list"),
    Col("project_type", "项目类型", "Project type", "term:project_type"),
    Col("cp_audit_passed", "已通过清洁生产审核", "Cleaner-production audit passed", "bool"),
    Col("financing_constrained", "融资受限", "Financing constrained", "bool"),
    Col("total_energy_tce", "年综合能耗", "Total energy use", "number", "tce"),
    Col("electricity_mwh", "年用电量", "Electricity use", "number", "MWh"),
    Col("water_m3", "年取水量", "Water intake", "number", "m³"),
    Col("emissions.over_standard", "污染物排放超过标准", "Emissions over the standard", "bool"),
    Col("emissions.over_total_quota", "超过总量控制指标", "Over the total-load quota", "bool"),
    Col("emissions.toxic_hazardous", "使用或排放有毒有害物质", "Uses or emits toxic substances", "bool"),
    Col("emissions.energy_over_quota", "能耗超过限额标准", "Energy use over the quota", "bool"),
    Col("emissions.on_mandatory_list", "列入强制性审核名单", "On the mandatory-audit list", "bool"),
    Col("emissions.list_published", "名单公布日期", "Date the list was published", "date"),
    Col("emissions.list_department", "名单发布部门（environment/energy）", "Department that published the list"),
    Col("emissions.last_audit_completed", "上一轮审核完成日期", "Date the last audit was completed", "date"),
    Col("emissions.toxic_categories", "有毒有害物质类别（hazardous_waste、toxic_chemicals、heavy_metals、pops、other_toxic）",
        "Toxic substance categories", "list"),
]
PARK_FIELDS = [
    Col("name", "园区名称", "Name"), Col("city", "所在市州", "City"), Col("county", "区县", "County"),
    Col("level", "园区级别", "Level", "term:level"), Col("enterprise_count", "入园企业数", "Enterprises", "int"),
    Col("enterprises", "入园企业", "Enterprise names", "list"),
    Col("leading_sectors", "主导产业", "Leading sectors", "terms:sectors"),
    Col("shared_facilities", "公共设施", "Shared facilities", "terms:shared_facilities"),
    Col("water_reuse_rate", "水重复利用率", "Water reuse rate", "number", "0–1"),
    Col("total_energy_tce", "年综合能耗", "Total energy use", "number", "tce"),
    *[Col(f"energy_mix.{k}", f"能源结构·{zh}", f"Energy mix: {en}", "number", "0–1")
      for k, zh, en in (("coal", "煤", "coal"), ("oil", "油", "oil"), ("gas", "气", "gas"),
                        ("electricity", "电", "electricity"), ("renewables", "可再生能源", "renewables"))],
]

# item sheets: (sheet, profile list, columns)
UNITS = ("生产单元", "units", [
    Col("id", "装置编号", "ID"), Col("type", "装置类型", "Type", "term:unit_types"), Col("count", "数量", "Count", "int"),
    Col("capacity", "规模", "Capacity", "number"), Col("capacity_unit", "规模单位", "Capacity unit"),
    Col("fuel", "燃料", "Fuel", "term:fuels"), Col("other_fuels", "其他燃料", "Other fuels", "terms:fuels"),
    Col("measures_in_place", "已实施措施编号", "Measures in place", "terms:measures"),
])
PRODUCTS = ("产品", "products", [
    Col("name", "产品名称", "Name"), Col("key", "对标产品", "Product key", "term:products"),
    Col("annual_output", "年产量", "Annual output", "number"), Col("output_unit", "产量单位", "Output unit"),
    Col("unit_energy", "单位产品能耗", "Unit energy use", "number"), Col("unit_energy_unit", "能耗单位", "Energy unit"),
    Col("unit_water", "单位产品取水量", "Unit water use", "number"), Col("unit_water_unit", "取水量单位", "Water unit"),
    Col("unit_material", "单位产品物耗", "Unit material use", "number"),
    Col("unit_material_unit", "物耗单位", "Material unit"),
    Col("cp_advanced_energy", "清洁生产先进值·能耗", "CP advanced level: energy", "number"),
    Col("cp_advanced_water", "清洁生产先进值·取水", "CP advanced level: water", "number"),
    Col("cp_advanced_material", "清洁生产先进值·物耗", "CP advanced level: material", "number"),
    Col("in_project", "属于新改扩建生产线", "Part of the new, rebuilt or expanded line", "bool"),
])
ENERGY = ("能源", "energy", [
    Col("fuel", "能源品种", "Fuel", "term:fuels"), Col("annual", "年用量", "Annual use", "number"),
    Col("unit", "计量单位", "Unit"),
])
WASTES = ("固体废物", "solid_wastes", [
    Col("kind", "种类", "Kind", "term:waste_kinds"), Col("name", "名称（企业叫法）", "Name (the plant's own)"),
    Col("annual_t", "年产生量", "Annual amount", "number", "t"),
    Col("disposal", "处置方式", "Disposal", "term:disposals"), Col("hazardous", "危险废物", "Hazardous", "bool"),
])
VOCS = ("VOCs工序", "voc_operations", [
    Col("kind", "工序", "Operation", "term:voc_kinds"), Col("material", "物料", "Material", "term:voc_materials"),
    Col("method", "治理方式", "Method", "term:voc_methods"), Col("enclosed", "密闭", "Enclosed", "bool"),
    Col("annual_solvent_t", "年溶剂用量", "Annual solvent use", "number", "t"),
    Col("capture_efficiency_pct", "收集效率", "Capture efficiency", "number", "%"),
    Col("voc_content_g_l", "VOCs含量", "VOC content", "number", "g/L"),
])
PLANS = ("清洁生产方案", "plans", [
    Col("id", "方案编号", "Plan id"), Col("measure", "措施编号", "Measure", "term:measures"),
    Col("name", "方案名称", "Name"),
    Col("investment_wan", "总投资", "Investment", "number", "万元"),
    Col("annual_saving_wan", "年节约费用", "Annual money saved", "number", "万元/年"),
    Col("operating_cost_change_wan", "年运行费用增加（减少填负数）", "Rise in operating cost", "number", "万元/年"),
    Col("savings", "年节约量（如 coal 7800 t（无烟煤，工业锅炉）; electricity 2400 MWh）", "Annual savings", "savings"),
    Col("life_years", "寿命期", "Life", "int", "年"),
    Col("discount_rate", "折现率", "Discount rate", "number", "0–1"),
    Col("depreciation_years", "折旧年限", "Depreciation period", "int", "年"),
    Col("income_tax_rate", "所得税税率", "Income tax rate", "number", "0–1"),
    Col("benchmark_irr", "基准收益率", "Benchmark rate of return", "number", "0–1"),
    Col("cost_class", "费用类别（无/低费、中费、较高费、高费）", "Cost class (low/medium/higher/high)"),
    Col("status", "状态（拟实施/已采纳/已实施/已否决）", "Status (proposed/accepted/implemented/rejected)", "plan_status"),
    Col("status_date", "状态日期", "Status date", "date"), Col("note", "说明", "Note"),
])
SAVING = re.compile(r"^\s*([a-z][a-z0-9_]*)\s+(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s(（]+)\s*(?:[(（]([^)）]*)[)）])?\s*$")
IN_PLACE = ("已实施措施", "measures_in_place", [Col("measure", "措施编号", "Measure", "term:measures")])
NOTES = Col("notes", "备注", "Notes")
ITEM_SHEETS = (UNITS, PRODUCTS, ENERGY, WASTES, VOCS)
FORM = {"enterprise": "企业", "park": "园区"}
INSTRUCTIONS = "说明"
LISTS = "_lists"


# ------------------------------------------------------------------ attributes and vocabularies

def _attr_cols(kb: KnowledgeBase, on: str, packs: Optional[set[str]], present: Iterable[str] = (),
               offer_old: bool = True) -> list[Col]:
    """The attribute columns of a sheet: the packs' own (all with ``packs`` None) and any the profile gives; an old
    attribute (retired, or an old 'already done' flag) only where the profile gives it, unless ``offer_old``."""
    cols = []
    present = set(present)
    for name, a in sorted(kb.vocab.attributes(on).items()):
        owner = kb.vocab.owner.get(("attributes", name))
        if packs is not None and owner not in packs and name not in present:
            continue
        if not offer_old and name in OLD_ATTRIBUTES and name not in present:
            continue
        kind = {"bool": "bool", "number": "number", "enum": f"attr:{name}", "text": "text"}[a.type]
        cols.append(Col(f"attributes.{name}", a.zh, a.en, kind, a.unit or ""))
    return cols


def _words(kb: KnowledgeBase, labels: Labels, kind: str, packs: Optional[set[str]], many: bool = True) -> list[str]:
    """The drop-down words of a vocabulary kind: Chinese labels; in a column that takes several words (``many``),
    a label holding a separator (，、;) is its key, since the cell is split on them. The list lives in a range of
    the hidden sheet, so Excel never splits a label at its commas."""
    if kind == "measures":  # the id, then its name (the id is read back)
        return [f"{m} {kb.measures[m].measure.name.zh}" for m in sorted(
            m for m, info in kb.measures.items() if packs is None or info.pack in packs)]
    if kind in ("size", "project_type", "level"):
        from cpadvisor.intake.labels import FIXED
        return [labels.label(kind, k) for k in FIXED[kind]]
    if kind == "sectors":
        keys = sorted(kb.vocab.sectors)
    else:
        keys = sorted(k for k in kb.vocab.terms[kind]
                      if packs is None or kb.vocab.owner.get((kind, k)) in packs)
    return [_listable(labels.label(kind, k), k) if many else labels.label(kind, k) for k in keys]


# ------------------------------------------------------------------ writing

_SAVING_WORD_OF = {key: word for word, key in SAVING_WORDS.items()}  # anthracite -> 无烟煤


def _saving_text(x: dict) -> str:
    """'coal 7800 t', with the coal's kind and equipment in words where given: 'coal 7800 t（无烟煤，工业锅炉）'."""
    extra = [_SAVING_WORD_OF.get(x.get(k), x.get(k)) for k in ("fuel_kind", "equipment") if x.get(k)]
    return f"{x['carrier']} {x['amount']:g} {x['unit']}" + (f"（{'，'.join(extra)}）" if extra else "")


def _cell_value(col: Col, value: Any, labels: Labels) -> Any:
    if value is None:
        return None
    if col.kind == "savings":
        return "; ".join(_saving_text(x) for x in value) or None
    if col.kind == "plan_status":
        return PLAN_STATUS_LABELS.get(value, value)
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind.startswith("terms:"):
        kind = col.kind.split(":", 1)[1]
        return "、".join(v if kind == "measures" else _listable(labels.label(kind, v), v) for v in value) or None
    if col.kind == "list":
        return "、".join(map(str, value)) or None
    if col.kind.startswith("term:"):
        kind = col.kind.split(":", 1)[1]
        return value if kind == "measures" else labels.label(kind, value)
    if col.kind.startswith("attr:"):
        if isinstance(value, bool):
            return "是" if value else "否"
        return labels.attr_label(col.kind.split(":", 1)[1], value) if isinstance(value, str) else value
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


PLAN_STATUS_LABELS = {"proposed": "拟实施", "accepted": "已采纳", "implemented": "已实施", "rejected": "已否决"}


def _listable(word: str, key: str) -> str:
    """A word that can stand in a list cell (a label holding a separator is written as its key)."""
    return key if SPLIT.search(word) else word


def _get(d: dict, key: str) -> Any:
    cur: Any = d
    for part in key.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def write_workbook(kb: KnowledgeBase, profile: Optional[dict] = None, packs: Optional[Iterable[str]] = None,
                   kind: str = "enterprise") -> bytes:
    """The workbook of a profile (a plain dict, e.g. ``model_dump(mode='json')``), or a blank template for packs."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    labels = labels_of(kb)
    p = profile or {}
    kind = p.get("kind", kind)
    scope: Optional[set[str]] = None
    if packs is not None:
        scope = set(packs) | {"common", "policy"} | ({"parks"} if kind == "park" else set())
    elif p:
        scope = set(p.get("sectors") or p.get("leading_sectors") or []) | {"common", "policy"} | \
            ({"parks"} if kind == "park" else set())
    wb = Workbook()
    head_font = Font(bold=True)
    key_font = Font(italic=True, color="808080", size=9)
    fill = PatternFill("solid", fgColor="DDEBF7")
    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    ranges: dict[str, str] = {}

    def list_range(kind_: str) -> Optional[str]:
        if kind_ in ranges:
            return ranges[kind_]
        if kind_.startswith("attr:"):
            a = kb.vocab.terms["attributes"][kind_.split(":", 1)[1]]
            words = [labels.attr_label(kind_.split(":", 1)[1], v) for v in a.values or []]  # type: ignore[union-attr]
        elif kind_ == "bool":
            words = ["是", "否"]
        else:
            name = kind_.split(":", 1)[1] if kind_.startswith(("one:", "many:")) else kind_
            words = _words(kb, labels, name, scope, many=not kind_.startswith("one:"))
        if not words:
            return None
        col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
        from openpyxl.utils import get_column_letter
        letter = get_column_letter(col)
        lists.cell(1, col, kind_)
        for i, w in enumerate(words, start=2):
            lists.cell(i, col, w)
        ranges[kind_] = f"{LISTS}!${letter}$2:${letter}${len(words) + 1}"
        return ranges[kind_]

    def validate(ws: Any, col: Col, cells: str) -> None:
        k = col.kind
        dv = None
        if k == "plan_status":
            dv = DataValidation(type="list", formula1='"拟实施,已采纳,已实施,已否决"', allow_blank=True)
        elif k == "bool" or k.startswith(("term:", "terms:", "attr:")):
            ref = list_range(("one:" if k.startswith("term:") else "many:") + k.split(":", 1)[1]
                             if k.startswith(("term:", "terms:")) else k)
            if ref:
                dv = DataValidation(type="list", formula1=f"={ref}", allow_blank=True, errorStyle="warning",
                                    showErrorMessage=True, error="不在词表中：请从下拉列表选择，或写编号 / not in the vocabulary")
        elif k in ("number", "int"):
            dv = DataValidation(type="decimal" if k == "number" else "whole", operator="between",
                                formula1="-1000000000000", formula2="1000000000000", allow_blank=True,
                                showErrorMessage=True, error="请填写数字 / a number, please")
        if dv is not None:
            dv.promptTitle = col.zh[:32]
            dv.prompt = f"{col.en}" + (f" ({col.unit})" if col.unit else "")
            dv.showInputMessage = True
            ws.add_data_validation(dv)
            dv.add(cells)

    # instructions
    ins = wb.active
    ins.title = INSTRUCTIONS
    for i, line in enumerate(instructions(kind), start=1):
        ins.cell(i, 1, line)
    ins.column_dimensions["A"].width = 110

    # the form sheet
    form = wb.create_sheet(FORM[kind])
    fields = (ENTERPRISE_FIELDS if kind == "enterprise" else PARK_FIELDS) + \
        _attr_cols(kb, "enterprise" if kind == "enterprise" else "park", scope,
                   (p.get("attributes") or {}).keys(), offer_old=False)
    for c, (zh, en) in enumerate((("字段", "Field"), ("field", "key"), ("值", "Value"), ("单位", "Unit"),
                                  ("备注", "Notes")), start=1):
        form.cell(1, c, zh).font = head_font
        form.cell(2, c, en).font = key_font
    for r, col in enumerate(fields, start=HEAD_ROWS + 1):
        form.cell(r, 1, f"{col.zh} / {col.en}").fill = fill
        form.cell(r, 2, col.key).font = key_font
        value = _get(p, col.key)
        if value is None and not p and col.key == "name":
            value = "（企业名称）" if kind == "enterprise" else "（园区名称）"
        if value is None and not p and col.key == "sectors" and packs:
            value = [x for x in packs if x in kb.vocab.sectors]
        form.cell(r, 3, _cell_value(col, value, labels))
        form.cell(r, 4, col.unit or None)
        validate(form, col, f"C{r}")
    for letter, width in (("A", 44), ("B", 30), ("C", 36), ("D", 10), ("E", 30)):
        form.column_dimensions[letter].width = width
    form.freeze_panes = "C3"

    # item sheets
    sheets = ITEM_SHEETS if kind == "enterprise" else ()
    for title, field_name, cols in sheets:
        ws = wb.create_sheet(title)
        items = p.get(field_name) or []
        allcols = list(cols)
        if field_name == "units":
            present = {k for u in items for k in (u.get("attributes") or {})}
            allcols += _attr_cols(kb, "unit", scope, present, offer_old=False)
        allcols.append(NOTES)
        _items_sheet(ws, allcols, items, labels, head_font, key_font, fill, validate)
    if kind == "enterprise":
        _indicator_sheet(wb, kb, p, scope, head_font, key_font, fill)
    ws = wb.create_sheet(PLANS[0])  # the consultant's plans with their economics (enterprise or park)
    _items_sheet(ws, PLANS[2] + [NOTES], p.get("plans") or [], labels, head_font, key_font, fill, validate)
    ws = wb.create_sheet(IN_PLACE[0])  # measures in place on the enterprise or park (a unit's: its own column)
    rows = [{"measure": m} for m in p.get("measures_in_place") or []]
    _items_sheet(ws, IN_PLACE[2] + [NOTES], rows, labels, head_font, key_font, fill, validate)
    wb.move_sheet(LISTS, offset=len(wb.sheetnames))
    buf = io.BytesIO()
    from cpadvisor.intake.xlsx import text_safe
    text_safe(wb)
    wb.save(buf)
    return buf.getvalue()


CP_SHEET = "清洁生产指标"
FROM_PRODUCT = "取自画像中产品的单位产品能耗 / read from the product's unit energy"
CP_COLS = [("system", "指标体系编号", 18), ("indicator", "指标编号", 22), ("group", "一级指标", 22),
           ("name", "二级指标", 30), ("unit", "单位", 12), ("I", "Ⅰ级", 16), ("II", "Ⅱ级", 16), ("III", "Ⅲ级", 16),
           ("answer", "数值或评级（填写）", 18), ("quality", "数据质量（实测/统计/估算）", 16),
           ("note", "说明（评级理由、不适用原因）", 30)]


def _indicator_sheet(wb: Any, kb: KnowledgeBase, p: dict, scope: Optional[set[str]], head_font: Any, key_font: Any,
                     fill: Any) -> None:
    """清洁生产指标: each indicator of the 清洁生产评价指标体系 that apply (by the profile's subsectors, or every system of
    the chosen packs on a blank template), its unit and Ⅰ/Ⅱ/Ⅲ values side by side, and an empty value column. Values
    the profile holds elsewhere (a product's unit energy) are read from there and marked so."""
    subs = set(p.get("subsectors") or ())
    systems = [i for i in kb.indicator_systems.values()
               if (subs & set(i.system.subsectors)) or (not subs and (scope is None or i.pack in scope))]
    if not systems:
        return
    ws = wb.create_sheet(CP_SHEET)
    for c, (key, zh, width) in enumerate(CP_COLS, start=1):
        h = ws.cell(1, c, zh)
        h.font = head_font
        h.fill = fill
        ws.cell(2, c, key).font = key_font
        ws.column_dimensions[chr(64 + c)].width = width
    entered = p.get("cp_indicators") or {}
    r = HEAD_ROWS + 1
    for info in systems:
        sysm = info.system
        for g in sysm.groups:
            for ind in g.indicators:
                sign = "≤" if ind.direction == "<=" else "≥"
                levels = [f"{sign}{ind.levels[k]:g}" if k in ind.levels else (ind.texts[k].zh if k in ind.texts else "—")
                          for k in ("I", "II", "III")]
                got = (entered.get(sysm.id) or {}).get(ind.id) or {}
                answer = got.get("value") if got.get("value") is not None else got.get("rating")
                note = got.get("note")
                if answer is None and note is None and ind.value_from is not None and ind.value_from.products:
                    note = FROM_PRODUCT
                quality = {"measured": "实测", "statistical": "统计", "estimated": "估算"}.get(got.get("quality"))
                row = [sysm.id, ind.id, g.name.zh, ind.name.zh + (" *" if ind.limiting else ""),
                       ind.unit_label or ind.unit or "", *levels, answer, quality, note]
                for c, v in enumerate(row, start=1):
                    ws.cell(r, c, v)
                r += 1
    ws.freeze_panes = "E3"


def _read_indicators(ws: Any, cells: dict[Loc, str], out: dict[str, Any]) -> None:
    """cp_indicators from the 清洁生产指标 sheet: a row with a value or rating in the answer column."""
    col = {str(ws.cell(2, c).value).strip(): c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value}
    if not {"system", "indicator", "answer"} <= set(col):
        return
    for r in range(HEAD_ROWS + 1, ws.max_row + 1):
        answer = ws.cell(r, col["answer"]).value
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            continue
        sid, iid = ws.cell(r, col["system"]).value, ws.cell(r, col["indicator"]).value
        if not sid or not iid:
            continue
        item: dict[str, Any] = {"value": answer} if isinstance(answer, (int, float)) and not isinstance(answer, bool) \
            else {"rating": str(answer).strip()}
        if isinstance(answer, str):
            try:
                item = {"value": float(answer.strip())}
            except ValueError:
                pass
        quality = ws.cell(r, col["quality"]).value if "quality" in col else None
        note = ws.cell(r, col["note"]).value if "note" in col else None
        if quality:
            item["quality"] = str(quality).strip()
        if note and str(note).strip() != FROM_PRODUCT:
            item["note"] = str(note).strip()
        out.setdefault("cp_indicators", {}).setdefault(str(sid).strip(), {})[str(iid).strip()] = item
        loc = ("cp_indicators", str(sid).strip(), str(iid).strip())
        cells[loc] = f"{CP_SHEET}!I{r}"
        for k in item:
            cells[loc + (k,)] = f"{CP_SHEET}!{ {'value': 'I', 'rating': 'I', 'quality': 'J', 'note': 'K'}[k] }{r}"


def _items_sheet(ws: Any, cols: list[Col], items: list[dict], labels: Labels, head_font: Any, key_font: Any,
                 fill: Any, validate: Any) -> None:
    from openpyxl.utils import get_column_letter
    for c, col in enumerate(cols, start=1):
        h = ws.cell(1, c, col.zh + (f"（{col.unit}）" if col.unit else ""))
        h.font = head_font
        h.fill = fill
        ws.cell(2, c, col.key).font = key_font
        ws.column_dimensions[get_column_letter(c)].width = max(12, min(40, len(col.zh) * 2 + 4))
        letter = get_column_letter(c)
        validate(ws, col, f"{letter}{HEAD_ROWS + 1}:{letter}{HEAD_ROWS + 500}")
    for r, item in enumerate(items, start=HEAD_ROWS + 1):
        for c, col in enumerate(cols, start=1):
            ws.cell(r, c, _cell_value(col, _get(item, col.key), labels))
    ws.freeze_panes = "A3"


def instructions(kind: str) -> list[str]:
    what = "企业" if kind == "enterprise" else "园区"
    return [
        f"cpadvisor {what}画像工作簿 / cpadvisor {kind} profile workbook",
        "",
        f"1. 在“{FORM[kind]}”表C列逐项填写（名称必填；不清楚的留空，评估结果会列为“待核实”）。",
        "   Fill in column C of the form sheet (the name is required; leave unknown values empty: they are listed as to verify).",
        "2. 生产单元、产品、能源、固体废物、VOCs工序各表：每行一项；第1行为中文表头，第2行为字段名（请勿修改）。",
        "   Item sheets: one item a row; row 1 is the Chinese header, row 2 the field name (do not change it).",
        "3. 带下拉的单元格从列表中选择；也可填写编号（如 coal）或常用写法（如 煤）。多个值用顿号或逗号分隔。",
        "   Pick words from the drop-downs, or write the key (coal) or a common word (煤); separate several values with 、 or ,.",
        "4. 是/否 字段填“是”或“否”；数字字段只填数字，单位见表头或D列。",
        "   Yes/no fields take 是 or 否; number fields take numbers only, in the unit of the header or column D.",
        "5. 运行 cpadvisor assess 本文件.xlsx；出错时提示“文件!表!单元格 [字段]”。",
        "   Then run: cpadvisor assess this.xlsx; an error names file!sheet!cell [field].",
    ]


# ------------------------------------------------------------------ reading

class SheetDoc(Doc):
    """A profile read from a workbook: ``cells`` maps a field path to ``sheet!cell``."""

    def __init__(self, data: Any, cells: dict[Loc, str], file: str):
        super().__init__(data, {})
        self.cells = cells
        self.file = file

    def where(self, loc: Iterable[Any]) -> Optional[str]:
        loc = tuple(loc)
        for n in range(len(loc), -1, -1):
            cell = self.cells.get(loc[:n])
            if cell is not None:
                return cell
        return None


def _bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return value


def _read_value(col: Col, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if col.kind == "savings":  # "coal 7800 tce; electricity 2400 MWh" (a part that does not parse stays text)
        out: list[Any] = []
        for part in re.split(r"[;；\n]", str(value)):
            if part.strip():
                m = SAVING.match(part)
                if not m:
                    out.append(part.strip())
                    continue
                item: dict[str, Any] = {"carrier": m[1], "amount": float(m[2].replace(",", "")), "unit": m[3]}
                for word in re.split(r"[,，、\s]+", m[4] or ""):  # （无烟煤，工业锅炉）: the coal's kind, equipment
                    key = SAVING_WORDS.get(word.strip(), word.strip())
                    if key in get_args(FuelKind):
                        item["fuel_kind"] = key
                    elif key:
                        item["equipment"] = key
                out.append(item)
        return out
    if col.kind == "date":
        return value.date().isoformat() if hasattr(value, "date") else str(value).strip()
    if col.kind == "bool":
        return _bool(value)
    if col.kind.startswith("terms:") or col.kind == "list":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        return [w.strip() for w in SPLIT.split(str(value)) if w.strip()]
    if col.kind == "term:measures":  # the drop-down shows "id 名称": the id is the first word
        return str(value).split()[0] if str(value).strip() else None
    if col.kind.startswith("term:"):
        return str(value).strip()
    if col.kind == "plan_status":
        return str(value).strip()
    if col.kind.startswith("attr:"):
        return _bool(value) if isinstance(value, str) and value.strip().casefold() in TRUE_WORDS | FALSE_WORDS \
            else (value.strip() if isinstance(value, str) else value)
    if col.kind == "text":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value) if not isinstance(value, str) else value.strip()
    if col.kind in ("number", "int") and isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            return int(text) if col.kind == "int" else float(text)
        except ValueError:
            return value
    return value


def _put(d: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        d = d.setdefault(part, {})
    d[parts[-1]] = value


def _cols_by_key(ws: Any) -> dict[str, int]:
    return {str(ws.cell(2, c).value).strip(): c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value}


def read_workbook(path: Union[str, Path], kb: KnowledgeBase, data: Optional[bytes] = None) -> SheetDoc:
    """Plain profile data of a workbook, with the sheet and cell of every value."""
    from openpyxl.utils import get_column_letter

    from cpadvisor.intake.xlsx import read_sheets

    file = str(path)
    if data is None:
        from cpadvisor.knowledge.yamlio import MAX_BYTES, read_bytes
        data = read_bytes(Path(path), MAX_BYTES)
    # only the sheets the template defines are read (streaming, within the row and column limits)
    titles = [FORM["enterprise"], FORM["park"], PLANS[0], IN_PLACE[0], CP_SHEET] + [t for t, _, _ in ITEM_SHEETS]
    sheetnames, wb = read_sheets(data, file, titles)
    cells: dict[Loc, str] = {}
    out: dict[str, Any] = {}
    kind = "park" if FORM["park"] in sheetnames and FORM["enterprise"] not in sheetnames else "enterprise"
    form_title = FORM[kind]
    if form_title not in sheetnames:
        raise InputError(f"the workbook has no sheet '{FORM['enterprise']}' or '{FORM['park']}' / 工作簿缺少企业（园区）表",
                         file)
    if kind == "park":
        out["kind"] = "park"
    known = {c.key: c for c in (ENTERPRISE_FIELDS if kind == "enterprise" else PARK_FIELDS)}
    for a in _attr_cols(kb, "enterprise" if kind == "enterprise" else "park", None):
        known[a.key] = a
    form = wb[form_title]
    for r in range(HEAD_ROWS + 1, form.max_row + 1):
        key = form.cell(r, 2).value
        if not key:
            continue
        key = str(key).strip()
        where = f"{form_title}!C{r}"
        col = known.get(key) or (Col(key, key, key, "text") if not key.startswith("attributes.") else
                                 Col(key, key, key, "attr:" + key.split(".", 1)[1]))
        value = _read_value(col, form.cell(r, 3).value)
        loc = tuple(key.split("."))
        cells[loc] = where
        if value is not None:
            _put(out, key, value)
            if isinstance(value, list):
                for i in range(len(value)):
                    cells[loc + (i,)] = where
    if kind == "enterprise":
        for title, field_name, cols in ITEM_SHEETS:
            if title not in wb:
                continue
            ws = wb[title]
            bykey = {c.key: c for c in cols}
            if field_name == "units":
                bykey.update({c.key: c for c in _attr_cols(kb, "unit", None)})
            items = _read_items(ws, title, field_name, bykey, cells, get_column_letter)
            if items:
                out[field_name] = items
    if kind == "enterprise" and CP_SHEET in wb:
        _read_indicators(wb[CP_SHEET], cells, out)
    if PLANS[0] in wb:
        items = _read_items(wb[PLANS[0]], PLANS[0], "plans", {c.key: c for c in PLANS[2]}, cells, get_column_letter)
        if items:
            out["plans"] = items
    if IN_PLACE[0] in wb:
        ws = wb[IN_PLACE[0]]
        mine: dict[Loc, str] = {}
        rows = _read_items(ws, IN_PLACE[0], "_in_place", {"measure": IN_PLACE[2][0]}, mine, get_column_letter)
        ids = []
        for i, r in enumerate(rows):
            if r.get("measure"):
                cells[("measures_in_place", len(ids))] = mine[("_in_place", i, "measure")]
                ids.append(r["measure"])
        if ids:
            out["measures_in_place"] = ids
    return SheetDoc(out, cells, file)


def _read_items(ws: Any, title: str, field_name: str, bykey: dict[str, Col], cells: dict[Loc, str],
                letter_of: Any) -> list[dict]:
    heads = _cols_by_key(ws)
    items: list[dict] = []
    for r in range(HEAD_ROWS + 1, ws.max_row + 1):
        item: dict[str, Any] = {}
        row_cells: dict[str, str] = {}
        for key, c in heads.items():
            col = bykey.get(key) or (Col(key, key, key, "attr:" + key.split(".", 1)[1]) if key.startswith("attributes.")
                                     else Col(key, key, key, "text"))
            value = _read_value(col, ws.cell(r, c).value)
            if value is not None:
                _put(item, key, value)
                row_cells[key] = f"{title}!{letter_of(c)}{r}"
        if not item:
            continue
        i = len(items)
        items.append(item)
        cells[(field_name, i)] = f"{title}!A{r}"
        for key, cell in row_cells.items():
            loc = (field_name, i) + tuple(key.split("."))
            cells[loc] = cell
            v = _get(item, key)
            if isinstance(v, list):
                for j in range(len(v)):
                    cells[loc + (j,)] = cell
    return items
