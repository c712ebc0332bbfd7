"""``cpadvisor history`` and ``cpadvisor summary``: what the assessment store holds."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

STATUS = {"applies": "建议/applies", "to_verify": "待核实/to verify", "in_place": "已实施/in place",
          "superseded": "被替代/superseded"}
PLAN_STATUS = {"proposed": "拟实施/proposed", "accepted": "已确定/accepted", "implemented": "已实施/implemented",
               "rejected": "已否决/rejected"}


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import emit, lang_option, guarded, kb_option, out
    from cpadvisor.cli.batch import db_option

    @app.command()
    @guarded
    def history(enterprise: str = typer.Argument(..., help="enterprise name (or part of it) or credit code"),
                db: Optional[str] = db_option(),
                as_json: bool = typer.Option(False, "--json", help="machine-readable JSON on stdout")):
        """Past assessments of an enterprise and what changed between consecutive ones."""
        from cpadvisor.errors import InputError
        from cpadvisor.store.db import OK, Store, changes, enterprise_key

        store = Store(db)
        recs = store.history(enterprise)
        store.close()
        if not recs:
            raise InputError(f"no assessment of '{enterprise}' in the store / 库中没有该企业的评估记录",
                             field="ENTERPRISE")
        groups: dict[str, list] = {}
        code_of = {r.enterprise: r.credit_code for r in recs if r.credit_code}
        for r in recs:  # a row without a credit code joins the enterprise of the same name
            key = r.credit_code or code_of.get(r.enterprise) or enterprise_key(r)
            groups.setdefault(key, []).append(r)
        result = []
        for key, rows in groups.items():
            ok = [r for r in rows if r.status == OK]
            diffs = {b.id: changes(a, b) for a, b in zip(ok, ok[1:])}
            result.append({"enterprise": rows[-1].enterprise, "credit_code": rows[-1].credit_code, "assessments": [
                {"id": r.id, "at": r.created_at.isoformat(), "status": r.status, "error": r.error,
                 "knowledge_version": r.knowledge_version, "source_file": r.source_file,
                 "audit_type": r.audit_type, "recommended": r.n_recommended, "to_verify": r.n_to_verify,
                 "saving_tce": r.saving_tce, "plans": list(r.plan_states().values()),
                 "changes": diffs.get(r.id)} for r in rows]})
        if as_json:
            sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
            return
        if len(groups) > 1:
            out.print(f"{len(groups)} 家企业匹配 / enterprises match '{enterprise}'", highlight=False)
        for g in result:
            out.print(Text(f"{g['enterprise']}  {g['credit_code'] or ''}", style="bold"))
            t = Table()
            for col in ("#", "时间/time (UTC)", "知识库/knowledge", "审核/audit", "建议/rec.", "待核实/verify",
                        "节能潜力/saving tce", "文件/file"):
                t.add_column(col, overflow="fold")
            for a in g["assessments"]:
                if a["status"] != OK:
                    t.add_row(str(a["id"]), a["at"][:19], a["knowledge_version"], "✗", "", "", "",
                              Text(a["error"] or ""))
                    continue
                t.add_row(str(a["id"]), a["at"][:19], a["knowledge_version"], a["audit_type"] or "-",
                          str(a["recommended"]), str(a["to_verify"]),
                          "" if a["saving_tce"] is None else f"{a['saving_tce']:,.1f}", Text(a["source_file"] or ""))
            emit(t)
            for a in g["assessments"]:
                c = a["changes"]
                if not c:
                    continue
                out.print(f"#{a['id']} 变化 / changes:", highlight=False)
                if c["knowledge"]:
                    out.print(f"  知识库/knowledge {c['knowledge'][0]} → {c['knowledge'][1]}", highlight=False)
                if not c["profile_changed"]:
                    out.print("  画像未变 / profile unchanged", highlight=False)
                for m in c["added"]:
                    out.print(f"  [green]+[/green] {m}", highlight=False)
                for m in c["removed"]:
                    out.print(f"  [red]-[/red] {m}", highlight=False)
                for m, old, new in c["status_changed"]:
                    out.print(f"  ~ {m}: {STATUS.get(old, old)} → {STATUS.get(new, new)}", highlight=False)
                for pc in c.get("plans", []):
                    was = PLAN_STATUS.get(pc["from"], pc["from"]) if pc["from"] else "新方案/new plan"
                    out.print(f"  方案/plan {pc['id']} ({pc['measure']}): {was} → {PLAN_STATUS.get(pc['to'], pc['to'])}"
                              + (f" ({pc['date']})" if pc["date"] else ""), highlight=False)
                if not (c["added"] or c["removed"] or c["status_changed"] or c.get("plans")):
                    out.print("  措施无变化 / no change in measures", highlight=False)

    @app.command()
    @guarded
    def summary(db: Optional[str] = db_option(),
                region: Optional[str] = typer.Option(None, "--region", help="a Hunan city, e.g. 长沙市 (or 长沙)"),
                chart: Optional[Path] = typer.Option(None, "--chart", help="write a chart (.png or .svg)"),
                xlsx: Optional[Path] = typer.Option(None, "--xlsx", help="export the portfolio table and each "
                                                                        "enterprise's findings to an Excel workbook"),
                lang: str = lang_option(),
                as_json: bool = typer.Option(False, "--json", help="machine-readable JSON on stdout"),
                performance: Optional[str] = typer.Option(
                    None, "--performance", help="the 清洁生产审核绩效表 of one enterprise (credit code or name): "
                    "implemented plans and key indicators before/after, from its stored assessments"),
                md: Optional[Path] = typer.Option(None, "--md", help="with --performance: write the table as a "
                                                                     "Markdown report section"),
                measure: Optional[str] = typer.Option(
                    None, "--measure", help="the enterprises recommended this measure (its id), most room first: "
                    "ordered by the number the measure ranks on (a reuse rate, a unit's energy use …)"),
                knowledge: Optional[Path] = kb_option()):
        """Portfolio summary: mandatory audits, top measures, saving potential vs Hunan's 2025 targets; or, with
        --performance, one enterprise's performance table (绩效表)."""
        from cpadvisor.store.db import Store
        from cpadvisor.store.summary import summarize, write_chart, write_xlsx

        store = Store(db)
        if performance is not None:
            from cpadvisor.store.performance import performance as perf_of, performance_md, write_performance_xlsx
            try:
                perf = perf_of(store, performance)
            finally:
                store.close()
            if xlsx:
                write_performance_xlsx(perf, xlsx)
            text = performance_md(perf, lang)
            if md:
                md.parent.mkdir(parents=True, exist_ok=True)
                md.write_text(text, encoding="utf-8")
            if as_json:
                sys.stdout.write(json.dumps(perf, ensure_ascii=False, indent=2) + "\n")
            elif not md:
                sys.stdout.write(text)
            return
        if measure is not None:
            from cpadvisor.store.summary import ranking
            try:
                rk = ranking(store, measure, region, knowledge)
            finally:
                store.close()
            if as_json:
                sys.stdout.write(json.dumps(rk, ensure_ascii=False, indent=2) + "\n")
                return
            en = lang == "en"
            t = Table(title=(f"Recommended: {rk['en']}" if en else f"建议实施：{rk['zh']}")
                      + (f" — {rk['region']}" if rk["region"] else ""))
            for col in ("#", "enterprise", "city", "ranked on", "units") if en else ("序号", "企业", "市州", "排序依据",
                                                                                     "装置"):
                t.add_column(col, overflow="fold")
            for r in rk["enterprises"]:
                t.add_row(str(r["rank"]), r["enterprise"] or "-", r["city"] or "-",
                          (r["number_en"] if en else r["number_zh"]) or ("not given" if en else "未填"),
                          ", ".join(r["units"]) if en else "、".join(r["units"]))
            emit(t)
            if not rk["enterprises"]:
                out.print("no stored assessment recommends it / 尚无评估建议实施该措施", highlight=False)
            return
        s = summarize(store, region, knowledge)
        if xlsx:
            write_xlsx(store, s, xlsx, region, knowledge)
        store.close()
        if chart:
            write_chart(s, chart, lang)
        if as_json:
            sys.stdout.write(json.dumps(s, ensure_ascii=False, indent=2) + "\n")
            return
        en = lang == "en"
        n = s["enterprises"]
        pct = (lambda k: f"{100.0 * k / n:.1f}%") if n else (lambda k: "-")
        head = Table(title=("Portfolio" if en else "评估组合") + (f" — {s['region']}" if s["region"] else ""))
        head.add_column("indicator" if en else "指标")
        head.add_column("value" if en else "数值", justify="right")
        head.add_row("enterprises assessed" if en else "已评估企业", str(n))
        head.add_row("mandatory audit" if en else "须强制性清洁生产审核", f"{s['mandatory_audit']} ({pct(s['mandatory_audit'])})")
        head.add_row("voluntary audit" if en else "自愿性审核", f"{s['voluntary_audit']} ({pct(s['voluntary_audit'])})")
        head.add_row("quantified saving potential, tce/a" if en else "可量化节能潜力（吨标煤/年）",
                     f"{s['saving_tce_per_year']:,.1f} ({s['enterprises_with_saving']})")
        pl = s["plans"]
        if pl["total"]:
            head.add_row("plans (implemented / proposed+accepted+implemented)" if en else "方案（已实施／非否决方案）",
                         f"{pl['by_status'].get('implemented', 0)} / {pl['not_rejected']} "
                         f"({pl['implementation_rate_pct']}%)")
            r = pl["realised"]
            head.add_row("realised savings (implemented plans)" if en else "已实施方案的年节约量",
                         f"{r['tce']:,.1f} tce; {r['mwh']:,.1f} MWh; {r['tco2']:,.1f} tCO2; {r['wan']:,.1f} 万元")
        head.add_row("profiles rejected (latest run)" if en else "画像有误（最近一次）", str(s["invalid_profiles"]))
        head.add_row("knowledge versions" if en else "知识库版本", ", ".join(s["knowledge_versions"]) or "-")
        emit(head)
        top = Table(title="Most often recommended measures" if en else "最常建议的措施")
        for col in ("measure", "name", "enterprises", "share") if en else ("措施编号", "名称", "企业数", "占比"):
            top.add_column(col)
        for m in s["top_measures"]:
            top.add_row(m["measure_id"], m["en"] if en else m["zh"], str(m["enterprises"]), f"{m['share_pct']}%")
        emit(top)
        tt = Table(title="Policy targets (2025)" if en else "政策目标（2025年）")
        for col in ("target", "portfolio", "source") if en else ("目标", "本组合", "来源"):
            tt.add_column(col, overflow="fold")
        for t in s["targets"]:
            k = "en" if en else "zh"
            tt.add_row(t[k], t["portfolio"][k], t["source"][k])
        emit(tt)
        if chart:
            out.print(f"chart / 图表: {chart}", highlight=False)
        if xlsx:
            out.print(f"workbook / 工作簿: {xlsx}", highlight=False)
