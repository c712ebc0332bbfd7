"""Portfolio summary of the stored assessments, against Hunan's 2025 policy targets.

The latest successful assessment of each enterprise counts (credit code, else name).
"""
from __future__ import annotations

import json

from collections import Counter
from pathlib import Path
from typing import Any, Optional

from cpadvisor.errors import InputError
from cpadvisor.models.profile import HUNAN_CITIES
from cpadvisor.models.targets import TARGET_SOURCE, TARGETS  # noqa: F401 - re-exported
from cpadvisor.report.labels import FIELD_LABELS
from cpadvisor.store.db import OK, TABLE, Store, enterprise_key
from cpadvisor.knowledge.yamlio import did_you_mean

# Quoted from the policy text itself (../shared/spec/policy-xgxjn-2024-194.txt, 二、工作目标, read): "到2025年……
# 规模以上工业单位增加值能耗比2020年下降14%，万元工业增加值用水量较2020年降幅不低于12%".
TOP = 10


def region_of(region: Optional[str]) -> Optional[str]:
    """A Hunan city or prefecture by full or short name ('长沙' -> '长沙市')."""
    if not region:
        return None
    region = region.strip()
    if region in HUNAN_CITIES:
        return region
    near = [c for c in HUNAN_CITIES if c.startswith(region)]
    if len(near) == 1:
        return near[0]
    raise InputError(f"not a city or prefecture of Hunan / 不是湖南省的市州: {region}"
                     f"{did_you_mean(region, HUNAN_CITIES)}", field="--region")


def _knowledge(knowledge: Optional[Path] = None) -> Any:
    """The knowledge base, or None if it does not load (names and number words are a convenience here)."""
    try:
        from cpadvisor.knowledge.loader import load_knowledge
        return load_knowledge(knowledge)
    except Exception:  # noqa: BLE001
        return None


def _info_of(kb: Any) -> dict[str, dict]:
    if kb is not None:
        return {mid: {"zh": i.measure.name.zh, "en": i.measure.name.en, "categories": list(i.measure.categories)}
                for mid, i in kb.measures.items()}
    from cpadvisor.knowledge.catalog import load_catalog
    return {mid: {"zh": e.name_zh, "en": e.name_en, "categories": []} for mid, e in load_catalog().items()}


def measure_info(knowledge: Optional[Path] = None) -> dict[str, dict]:
    """measure id -> names and categories (knowledge base; catalog names if it does not load)."""
    return _info_of(_knowledge(knowledge))


def summarize(store: Store, region: Optional[str] = None, knowledge: Optional[Path] = None) -> dict[str, Any]:
    """Counts, top measures, saving potential and the policy targets, as plain JSON-able data."""
    city = region_of(region)
    cols = ("id", "enterprise", "credit_code", "city", "profile_kind", "audit_type", "recommended", "saving_tce",
            "total_energy_tce", "knowledge_version", "created_at", "plans")
    where = [TABLE.c.status == OK, TABLE.c.profile_kind == "enterprise"]
    if city:
        where.append(TABLE.c.city == city)
    latest: dict[str, Any] = {}
    for r in store.records(*where, columns=cols):  # oldest first: the last one wins
        latest[enterprise_key(r)] = r
    rows = list(latest.values())
    n = len(rows)
    audit = Counter(r.audit_type or "none" for r in rows)
    measures = Counter(m for r in rows for m in set((r.recommended or "").split()))
    info = measure_info(knowledge)
    savers = [r for r in rows if r.saving_tce is not None]
    saving = round(sum(r.saving_tce for r in savers), 3)
    both = [r for r in savers if r.total_energy_tce]
    share = (100.0 * sum(r.saving_tce for r in both) / sum(r.total_energy_tce for r in both)) if both else None
    water_ids = {m for m, i in info.items() if "water" in i["categories"]}
    water_ents = sum(1 for r in rows if water_ids & set((r.recommended or "").split()))
    top = [{"measure_id": m, "zh": info.get(m, {}).get("zh", m), "en": info.get(m, {}).get("en", m),
            "enterprises": c, "share_pct": round(100.0 * c / n, 1)} for m, c in measures.most_common(TOP)]
    targets = []
    for t in TARGETS:
        item = {**t, "source": TARGET_SOURCE}
        if t["id"] == "energy_intensity":
            item["portfolio"] = {
                "enterprises_with_figures": len(both),
                "saving_share_pct": round(share, 2) if share is not None else None,
                "zh": (f"{len(both)} 家企业可量化节能潜力占其综合能耗 {share:.1f}%（现有产量下的绝对量，仅供对照）"
                       if share is not None else "无可量化节能潜力与综合能耗均齐全的企业"),
                "en": (f"quantified saving potential of {len(both)} enterprises = {share:.1f}% of their energy use "
                       "(absolute, at current output; indicative only)"
                       if share is not None else "no enterprise with both a quantified saving and its energy use"),
            }
        else:
            item["portfolio"] = {
                "enterprises_with_water_measures": water_ents,
                "zh": f"{water_ents} 家企业有建议实施的节水措施（评估未量化节水量）",
                "en": f"{water_ents} enterprises have water-saving measures recommended (savings not quantified)",
            }
        targets.append(item)
    return {
        "region": city, "enterprises": n, "plans": plan_summary(rows),
        "mandatory_audit": audit.get("mandatory", 0), "voluntary_audit": audit.get("voluntary", 0),
        "knowledge_versions": sorted({r.knowledge_version for r in rows}),
        "top_measures": top,
        "saving_tce_per_year": saving, "enterprises_with_saving": len(savers),
        "invalid_profiles": _invalid_latest(store),
        "targets": targets,
    }


def ranking(store: Store, measure_id: str, region: Optional[str] = None,
            knowledge: Optional[Path] = None) -> dict[str, Any]:
    """The enterprises (and parks) recommended one measure, in the order of the number its rule ranks on (issue
    29): the most room first (the lowest reuse rate, the largest energy use); those without the number after it,
    by name. The latest successful assessment of each counts."""
    from cpadvisor.knowledge.loader import load_knowledge

    kb = load_knowledge(knowledge)
    info = kb.measures.get(measure_id)
    if info is None:
        raise InputError(f"unknown measure id '{measure_id}'{did_you_mean(measure_id, kb.measures)} / 未知措施编号",
                         field="--measure")
    city = region_of(region)
    where = [TABLE.c.status == OK] + ([TABLE.c.city == city] if city else [])
    latest: dict[str, Any] = {}
    for r in store.records(*where, columns=("enterprise", "credit_code", "city", "result_json")):
        latest[enterprise_key(r)] = r
    rows = []
    for r in latest.values():
        f = next((f for f in (json.loads(r.result_json or "{}").get("findings") or [])
                  if f.get("measure_id") == measure_id and f.get("status") == "applies"), None)
        if f is None:
            continue
        on = f.get("ranked_on") or {}
        rows.append({"enterprise": r.enterprise, "credit_code": r.credit_code, "city": r.city,
                     "priority": f.get("priority"), "units": f.get("units") or [],
                     "field": on.get("field"), "value": on.get("value"), "order": on.get("order"),
                     **_number_words(kb, on)})
    rows.sort(key=lambda x: (x["value"] is None, x["field"] or "",
                             0 if x["value"] is None else (x["value"] if x["order"] == "asc" else -x["value"]),
                             x["enterprise"] or ""))
    for i, row in enumerate(rows, start=1):
        row["rank"] = i
    m = info.measure
    return {"measure_id": measure_id, "zh": m.name.zh, "en": m.name.en, "region": city, "enterprises": rows}


def _number_words(kb: Any, on: dict) -> dict[str, Optional[str]]:
    """What the ranking number is and its value, in words (zh, en): 工业废水回用率 12 %."""
    if not on.get("field") or kb is None:
        return {"number_zh": None, "number_en": None}
    fact, field = on["field"].split(".", 1)
    spec = kb.specs.get(fact, {}).get(field)
    attr = kb.vocab.attributes(fact).get(field) if fact in ("enterprise", "unit", "park") else None
    unit = getattr(attr, "unit", None)
    v = on["value"]
    shown = f"{v * 100:g}%" if spec is not None and spec.max == 1 and not unit else f"{v:g}{' ' + unit if unit else ''}"
    zh, en = (spec.zh, spec.en) if spec is not None and spec.zh else FIELD_LABELS.get(field, (field, field))
    return {"number_zh": f"{zh} {shown}", "number_en": f"{en} {shown}"}


def plan_summary(rows: list) -> dict[str, Any]:
    """Plans of the latest assessment of each enterprise: counts by status, the implementation rate
    (implemented / plans not rejected) and the yearly savings of the implemented ones."""
    plans = [p for r in rows for p in json.loads(getattr(r, "plans", None) or "[]")]
    by = Counter(p["status"] for p in plans)
    live = len(plans) - by.get("rejected", 0)
    done = [p for p in plans if p["status"] == "implemented"]
    return {"total": len(plans), "by_status": dict(by), "not_rejected": live,
            "implementation_rate_pct": round(100.0 * len(done) / live, 1) if live else None,
            "enterprises_with_plans": sum(1 for r in rows if getattr(r, "plans", None)),
            "realised": {k: round(sum(p.get(k) or 0 for p in done), 3) for k in ("tce", "mwh", "tco2", "wan")}}


def _invalid_latest(store: Store) -> int:
    """Source files whose latest row is a rejected profile."""
    last: dict[str, str] = {}
    for r in store.records(TABLE.c.source_file.is_not(None), columns=("source_file", "status")):
        last[r.source_file] = r.status
    return sum(1 for s in last.values() if s == "invalid")


def write_chart(summary: dict, path: Path, lang: str = "zh") -> Path:
    """Bar charts (top measures; saving potential vs the 14% target) as PNG or SVG."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise InputError("chart must be a .png or .svg file / 图表须为 PNG 或 SVG", str(path), field="--chart")
    cjk = next((f.name for f in font_manager.fontManager.ttflist
                if any(k in f.name for k in ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "SimHei",
                                             "Source Han"))), None)
    zh = lang != "en" and cjk is not None
    rc = {"font.family": [cjk, "DejaVu Sans"]} if zh else {}
    rc["svg.fonttype"] = "none"  # an SVG keeps its words as text (searchable, readable by a screen reader)
    with plt.rc_context(rc):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [2.2, 1]})
        top = list(reversed(summary["top_measures"]))
        labels = [(t["zh"] if zh else t["measure_id"]) for t in top]
        ax1.barh(labels, [t["enterprises"] for t in top], color="#3a7ca5")
        from matplotlib.ticker import MaxNLocator
        ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax1.set_xlabel("企业数 / enterprises" if zh else "enterprises")
        ax1.set_title(("最常建议的措施" if zh else "Most often recommended measures")
                      + f" (n={summary['enterprises']})")
        energy = summary["targets"][0]
        share = energy["portfolio"].get("saving_share_pct")
        names = ["政策目标：单位增加值\n能耗较2020年-14%\n（强度指标）" if zh else "policy target:\nenergy per value added\n-14% vs 2020 (intensity)",
                 "本组合：可量化节能潜力\n÷综合能耗\n（现有产量下的绝对量）" if zh else "portfolio: quantified\nsaving / energy use\n(absolute, current output)"]
        vals = [energy["reduction_pct"], share or 0.0]
        bars = ax2.bar(names, vals, color=["#9e9e9e", "#e07a1f"])
        for b, v in zip(bars, [f"{energy['reduction_pct']:.0f}%", f"{share:.1f}%" if share is not None else "n/a"]):
            ax2.annotate(v, (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom")
        ax2.set_ylabel("% 能耗 / % of energy use" if zh else "% of energy use")
        ax2.set_title("两者口径不同，并列对照，非同口径比较" if zh else "Different bases: side by side, not like for like",
                      fontsize=10)
        fig.text(0.01, 0.01, (TARGET_SOURCE["zh"] + " / " if zh else "") + TARGET_SOURCE["en"]
                 + f"; saving potential {summary['saving_tce_per_year']:,.0f} tce/a", fontsize=8)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
        plt.close(fig)
    return path


def write_xlsx(store: Store, s: dict[str, Any], path: Path, region: Optional[str] = None,
               knowledge: Optional[Path] = None) -> None:
    """The portfolio as a workbook: 汇总 (the summary), 企业 (one row per enterprise) and 措施 (each enterprise's
    findings, one row per finding), from the latest assessment of each enterprise."""
    import json as _json

    from openpyxl import Workbook
    from openpyxl.styles import Font

    city = region_of(region)
    where = [TABLE.c.status == OK, TABLE.c.profile_kind == "enterprise"]  # as the summary counts them
    if city:
        where.append(TABLE.c.city == city)
    latest: dict[str, Any] = {}
    for r in store.records(*where, columns=("id", "enterprise", "credit_code", "city", "profile_kind", "audit_type",
                                            "n_recommended", "n_to_verify", "saving_tce", "total_energy_tce",
                                            "knowledge_version", "created_at", "result_json")):
        latest[enterprise_key(r)] = r
    kb = _knowledge(knowledge)  # loaded once: the measures' names and the ranking numbers' words
    info = _info_of(kb)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    bold = Font(bold=True)
    rows = [("指标 / indicator", "数值 / value"), ("地区 / region", s["region"] or "全部 / all"),
            ("已评估企业 / enterprises", s["enterprises"]), ("强制性审核 / mandatory audit", s["mandatory_audit"]),
            ("自愿性审核 / voluntary audit", s["voluntary_audit"]),
            ("可量化节能潜力 tce/a / quantified saving", s["saving_tce_per_year"]),
            ("画像有误 / profiles rejected", s["invalid_profiles"]),
            ("知识库版本 / knowledge", ", ".join(s["knowledge_versions"]))]
    for t in s["targets"]:
        rows.append((t["zh"], t["portfolio"]["zh"]))
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            c = ws.cell(i, j, v)
            if i == 1:
                c.font = bold
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 70
    ents = wb.create_sheet("企业")
    head = ("企业 / enterprise", "统一社会信用代码", "市州 / city", "审核类型 / audit", "建议实施 / recommended",
            "待核实 / to verify", "节能潜力 tce/a", "综合能耗 tce", "评估时间 / assessed", "知识库 / knowledge")
    fnd = wb.create_sheet("措施")
    fhead = ("企业 / enterprise", "统一社会信用代码", "措施编号 / measure", "名称 / name", "状态 / status",
             "优先级 / priority", "条款 / clause", "装置 / units", "待核实资料 / missing", "排序依据 / ranked on")
    for sheet, h in ((ents, head), (fnd, fhead)):
        for j, v in enumerate(h, start=1):
            sheet.cell(1, j, v).font = bold
    status = {"applies": "建议实施", "to_verify": "待核实", "in_place": "已实施", "superseded": "被替代"}
    r_e = r_f = 2
    for r in sorted(latest.values(), key=lambda x: (x.city or "", x.enterprise or "")):
        for j, v in enumerate((r.enterprise, r.credit_code, r.city, r.audit_type, r.n_recommended, r.n_to_verify,
                               r.saving_tce, r.total_energy_tce, r.created_at.isoformat()[:19] if r.created_at else None,
                               r.knowledge_version), start=1):
            ents.cell(r_e, j, v)
        r_e += 1
        for f in (_json.loads(r.result_json or "{}").get("findings") or []):
            vals = (r.enterprise, r.credit_code, f["measure_id"], info.get(f["measure_id"], {}).get("zh", f["name"]["zh"]),
                    status.get(f["status"], f["status"]), f.get("priority"), f.get("clause"), "、".join(f.get("units") or []),
                    "、".join(f.get("missing") or []), _number_words(kb, f.get("ranked_on") or {})["number_zh"])
            for j, v in enumerate(vals, start=1):
                fnd.cell(r_f, j, v)
            r_f += 1
    for sheet in (ents, fnd):
        sheet.freeze_panes = "A2"
        for col in "ABCDEFGHIJK":
            sheet.column_dimensions[col].width = 22
    from cpadvisor.intake.xlsx import text_safe
    text_safe(wb)
    wb.save(str(path))
