"""The 清洁生产审核绩效表 of one enterprise, from the assessments the store holds.

Per implemented plan (status ``implemented`` in the latest assessment): investment, the yearly saving by carrier and
in money, the CO2 it avoids; and the plant's key indicators before and after (the first and the latest stored
assessment): total energy, electricity and water, each product's unit energy, water and material use, each unit's
emission concentrations. A figure that is not in both profiles is named as missing, never filled in.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from cpadvisor.errors import InputError
from cpadvisor.store.db import OK, Store, enterprise_key

ENTERPRISE_FIGURES = (("total_energy_tce", "综合能耗", "Total energy use", "tce/a"),
                      ("electricity_mwh", "年用电量", "Electricity use", "MWh/a"),
                      ("water_m3", "年取水量", "Water intake", "m³/a"))
PRODUCT_FIGURES = (("unit_energy", "单位产品能耗", "Unit energy use"), ("unit_water", "单位产品水耗", "Unit water use"),
                   ("unit_material", "单位产品物耗", "Unit material use"))
UNIT_FIGURES = (("so2_mg_m3", "二氧化硫排放浓度", "SO2 concentration"),
                ("nox_mg_m3", "氮氧化物排放浓度", "NOx concentration"),
                ("dust_mg_m3", "颗粒物排放浓度", "Particulate concentration"))
CARRIERS = {"coal": ("煤炭", "coal"), "electricity": ("电力", "electricity"), "natural_gas": ("天然气", "natural gas"),
            "water": ("水", "water"), "steam": ("蒸汽", "steam"), "coke": ("焦炭", "coke")}


def _change(before: Optional[float], after: Optional[float]) -> Optional[float]:
    if before is None or after is None or before == 0:
        return None
    return round(100.0 * (after - before) / before, 2)


def _row(zh: str, en: str, unit: str, before: Optional[float], after: Optional[float], missing: list) -> dict:
    if before is None or after is None:
        missing.append({"zh": f"{zh}：{'整改前' if before is None else '整改后'}无数据",
                        "en": f"{en}: no figure {'before' if before is None else 'after'}"})
    return {"zh": zh, "en": en, "unit": unit, "before": before, "after": after, "change_pct": _change(before, after)}


def _indicators(before: dict, after: dict, missing: list) -> list[dict]:
    rows = [_row(zh, en, unit, before.get(k), after.get(k), missing) for k, zh, en, unit in ENTERPRISE_FIGURES
            if before.get(k) is not None or after.get(k) is not None]
    old = {p["name"]: p for p in before.get("products") or []}
    for p in after.get("products") or []:
        q = old.get(p["name"], {})
        for k, zh, en in PRODUCT_FIGURES:
            if p.get(k) is None and q.get(k) is None:
                continue
            unit = p.get(f"{k}_unit") or q.get(f"{k}_unit") or ""
            rows.append(_row(f"{p['name']} {zh}", f"{p['name']} {en.lower()}", unit, q.get(k), p.get(k), missing))
    old_units = {u.get("id"): u for u in before.get("units") or []}
    for u in after.get("units") or []:
        v = (old_units.get(u.get("id")) or {}).get("attributes") or {}
        a = u.get("attributes") or {}
        for k, zh, en in UNIT_FIGURES:
            if a.get(k) is None and v.get(k) is None:
                continue
            rows.append(_row(f"{u.get('id')} {zh}", f"{u.get('id')} {en}", "mg/m³", v.get(k), a.get(k), missing))
    return rows


def performance(store: Store, who: str) -> dict[str, Any]:
    """The performance table of the enterprise ``who`` (credit code or name): implemented plans and the key
    indicators of its first and latest stored assessments."""
    recs = [r for r in store.history(who) if r.status == OK]
    if not recs:
        raise InputError(f"no assessment of '{who}' in the store / 库中没有该企业的评估记录", field="--performance")
    key = enterprise_key(recs[-1])
    recs = [r for r in recs if enterprise_key(r) == key]
    after = json.loads(recs[-1].result_json)
    before = json.loads(recs[0].result_json) if len(recs) > 1 else None
    profile_after = json.loads(recs[-1].profile_json or "{}")
    profile_before = json.loads(recs[0].profile_json or "{}") if before is not None else None
    missing: list[dict] = []
    plans = []
    for p in after.get("plans") or []:
        if p["status"] != "implemented":
            continue
        gone = [f for f in ("investment_wan", "annual_saving_wan") if p.get(f) is None]
        if not p.get("savings"):
            gone.append("savings")
        for f in gone:
            missing.append({"zh": f"方案“{p['name']['zh']}”缺少：{FIGURE_WORDS[f][0]}",
                            "en": f"plan '{p['name']['en']}' lacks: {FIGURE_WORDS[f][1]}"})
        plans.append({"id": p["plan_id"], "measure_id": p["measure_id"], "name": p["name"],
                      "implemented": p.get("status_date"), "investment_wan": p.get("investment_wan"),
                      "annual_saving_wan": p.get("annual_saving_wan"), "annual_net_wan": p.get("annual_net_wan"),
                      "savings": [{"carrier": s["carrier"], "amount": s["amount"], "unit": s["unit"],
                                   "co2_t": s.get("co2_t")} for s in p.get("savings") or []],
                      "co2_t_per_year": p.get("co2_t_per_year"), "co2_incomplete": p.get("co2_incomplete", False)})
    if not plans:
        missing.append({"zh": "最近一次评估中没有已实施的方案", "en": "no plan is implemented in the latest assessment"})
    if before is None:
        missing.append({"zh": "库中只有一次评估：整改前后指标无法对比（请先保存整改前的评估）",
                        "en": "only one assessment is stored: no before/after comparison (store the one before)"})
        indicators: list[dict] = []
    else:
        indicators = _indicators(profile_before or {}, profile_after, missing)
    totals = {k: round(sum(p[k] or 0 for p in plans), 3) for k in ("investment_wan", "annual_saving_wan",
                                                                     "co2_t_per_year")}
    return {"enterprise": after["profile_name"], "credit_code": after.get("credit_code"),
            "before": {"id": recs[0].id, "at": recs[0].created_at.isoformat()} if before is not None else None,
            "after": {"id": recs[-1].id, "at": recs[-1].created_at.isoformat()},
            "plans": plans, "totals": totals, "indicators": indicators, "missing": missing}


FIGURE_WORDS = {"investment_wan": ("投资（万元）", "investment"), "annual_saving_wan": ("年经济效益（万元）", "yearly saving"),
                "savings": ("年节约量（按能源、水、物料）", "yearly savings by carrier")}


def _carrier(c: str, lang: str) -> str:
    words = CARRIERS.get(c)
    return (words[0] if lang != "en" else words[1]) if words else c


def _num(x: Optional[float]) -> str:
    return "—" if x is None else f"{x:,.2f}".rstrip("0").rstrip(".")


def performance_md(perf: dict, lang: str = "zh") -> str:
    """The table as a report section (Markdown), in the client's words."""
    en = lang == "en"
    t = (lambda zh, e: e if en else zh)
    lines = [f"## {t('清洁生产审核绩效表', 'Cleaner-production audit performance table')}", "",
             f"{t('企业', 'Enterprise')}: {perf['enterprise']}" + (f" ({perf['credit_code']})" if perf['credit_code'] else ""),
             "", f"### {t('已实施方案', 'Implemented plans')}", ""]
    lines += ["| " + " | ".join((t("方案", "Plan"), t("实施日期", "Implemented"), t("投资（万元）", "Investment (10k yuan)"),
                                t("年节约量", "Yearly savings"), t("年经济效益（万元）", "Yearly saving (10k yuan)"),
                                t("减排CO2（t/a）", "CO2 avoided (t/a)"))) + " |", "| --- | --- | ---: | --- | ---: | ---: |"]
    for p in perf["plans"]:
        sav = "; ".join(f"{_carrier(s['carrier'], lang)} {_num(s['amount'])} {s['unit']}" for s in p["savings"]) or "—"
        lines.append(f"| {p['name']['en' if en else 'zh']} | {p['implemented'] or '—'} | {_num(p['investment_wan'])} | "
                     f"{sav} | {_num(p['annual_saving_wan'])} | {_num(p['co2_t_per_year'])} |")
    tot = perf["totals"]
    lines.append(f"| **{t('合计', 'Total')}** | | {_num(tot['investment_wan'])} | | {_num(tot['annual_saving_wan'])} | "
                 f"{_num(tot['co2_t_per_year'])} |")
    lines += ["", f"### {t('主要指标整改前后对比', 'Key indicators before and after')}", ""]
    if perf["indicators"]:
        lines += ["| " + " | ".join((t("指标", "Indicator"), t("单位", "Unit"), t("整改前", "Before"),
                                    t("整改后", "After"), t("变化", "Change"))) + " |", "| --- | --- | ---: | ---: | ---: |"]
        for r in perf["indicators"]:
            ch = "—" if r["change_pct"] is None else f"{r['change_pct']:+.2f} %"
            lines.append(f"| {r['en' if en else 'zh']} | {r['unit']} | {_num(r['before'])} | {_num(r['after'])} | {ch} |")
    else:
        lines.append(t("无可对比的指标，见缺少的数据。", "No indicator to compare: see the missing figures."))
    if perf["missing"]:
        lines += ["", f"**{t('缺少的数据', 'Missing figures')}**", ""]
        lines += [f"- {m['en' if en else 'zh']}" for m in perf["missing"]]
    return "\n".join(lines) + "\n"


def write_performance_xlsx(perf: dict, path: Path) -> Path:
    """The table as a workbook: 已实施方案 and 指标对比, and what is missing."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "已实施方案"
    head = ("方案 / plan", "措施编号 / measure", "实施日期 / implemented", "投资（万元）/ investment",
            "年节约量 / yearly savings", "年经济效益（万元）/ yearly saving", "减排CO2 t/a / CO2 avoided")
    ws.append(head)
    for p in perf["plans"]:
        ws.append((p["name"]["zh"], p["measure_id"], p["implemented"], p["investment_wan"],
                   "; ".join(f"{_carrier(s['carrier'], 'zh')} {_num(s['amount'])} {s['unit']}" for s in p["savings"]),
                   p["annual_saving_wan"], p["co2_t_per_year"]))
    tot = perf["totals"]
    ws.append(("合计 / total", None, None, tot["investment_wan"], None, tot["annual_saving_wan"], tot["co2_t_per_year"]))
    ind = wb.create_sheet("指标对比")
    ind.append(("指标 / indicator", "单位 / unit", "整改前 / before", "整改后 / after", "变化 % / change %"))
    for r in perf["indicators"]:
        ind.append((r["zh"], r["unit"], r["before"], r["after"], r["change_pct"]))
    miss = wb.create_sheet("缺少的数据")
    miss.append(("缺少的数据 / missing figures",))
    for m in perf["missing"]:
        miss.append((f"{m['zh']} / {m['en']}",))
    for sheet in (ws, ind, miss):
        for c in sheet[1]:
            c.font = bold
        sheet.freeze_panes = "A2"
        for col in "ABCDEFG":
            sheet.column_dimensions[col].width = 26
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from cpadvisor.intake.xlsx import text_safe
    text_safe(wb)
    wb.save(str(path))
    return path
