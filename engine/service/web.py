"""The consultants' web page: upload a profile, read the findings, open an explanation, download the report
and the data request. Server-rendered HTML (Jinja2) with a little JavaScript that calls the /v1 API; profile
text is only ever set as textContent, never as markup."""
from __future__ import annotations

from pathlib import Path

from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


WORDS = {
    "title": ("清洁生产措施评估", "Cleaner-production assessment"),
    "lead": ("上传企业（园区）画像：YAML、JSON 或 Excel 工作簿（cpadvisor init 生成）。",
             "Upload a profile: YAML, JSON or the Excel workbook made by cpadvisor init."),
    "file": ("画像文件", "Profile file"), "go": ("评估", "Assess"), "lang": ("English", "中文"),
    "obligations": ("义务与审核", "Obligations and audits"), "recommended": ("建议实施的措施", "Recommended measures"),
    "to_verify": ("待核实", "To verify"), "measure": ("措施", "Measure"), "status": ("状态", "Status"),
    "priority": ("优先级", "Priority"), "clause": ("条款", "Clause"), "units": ("装置", "Units"),
    "reason": ("理由 / 待核实资料", "Reason / facts to collect"), "explain": ("解释", "Explain"),
    "report_docx": ("下载 Word 报告", "Word report"), "report_html": ("HTML 报告", "HTML report"),
    "request": ("下载资料清单", "Data request"), "none": ("无", "none"), "error": ("输入有误", "Invalid input"),
    "summary": ("项建议实施，", " recommended, "), "summary2": ("项待核实", " to verify"),
    "applies": ("建议实施", "recommended"), "st_to_verify": ("待核实", "to verify"),
    "high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low"), "api": ("API 文档", "API docs"),
    "cp_title": ("清洁生产水平评价", "Cleaner-production level"), "cp_grade": ("评价等级", "Grade"),
    "cp_indicator": ("指标", "Indicator"), "cp_value": ("企业数值", "Plant value"), "cp_reached": ("达到级别", "Level"),
    "cp_missing": ("待补充", "to collect"), "unverified": ("基准值未核实", "levels not verified"),
    "lv_I": ("Ⅰ级", "level I"), "lv_II": ("Ⅱ级", "level II"), "lv_III": ("Ⅲ级", "level III"),
    "lv_below": ("未达到Ⅲ级", "below level III"),
    "optional": ("可选核实（与本企业关系不明显的问题）", "Optional questions (no sign in the profile that they matter)"),
    "benchmarks": ("对标分析", "Benchmarking"), "questions": ("待补充", "To collect"), "values": ("依据的数据", "Data used"),
    "audit": ("审核类型", "Type of audit"), "trace": ("规则追踪", "Rule trace"),
    "summary3": ("项可选核实", " optional"),
    "steps_title": ("使用步骤", "How to use it"),
    "steps": ("1. 下载本行业的空白工作簿（下方链接，与 cpadvisor init 生成的相同），在 Excel 中填写企业、装置、产品、能源等表；"
              "2. 上传填好的工作簿（或 YAML/JSON 画像），查看结论；3. 下载 Word 报告与资料清单，资料清单填好后可合并回画像再评估。",
              "1. Download the blank workbook of the sector (links below; the same as cpadvisor init) and fill in the "
              "enterprise, units, products and energy sheets in Excel; 2. upload it (or a YAML/JSON profile) and read "
              "the findings; 3. download the Word report and the data request; the answered request merges back."),
    "templates": ("空白工作簿", "Blank workbooks"),
}


def page_view(kb: Any, a: Any, lang: str) -> dict:
    """An assessment as the page shows it, in the report's own words: the audit-type conclusion, the findings
    grouped as the CLI counts them (obligations, recommended, to verify, optional), each with its name, status,
    clause, units, reason and the questions in words (never ids or rule syntax); the benchmarks and the
    清洁生产水平评价. The measure id travels only as a data attribute for those who ask for the trace."""
    from cpadvisor.report.context import Ctx
    c = Ctx(a, lang, kb)
    obligation_kinds = ("obligation", "gate", "programme", "incentive")

    def item(f: Any) -> dict:
        it = c.finding_item(f)
        return {"id": f.measure_id, "name": it["name"], "status": it["status"], "status_key": f.status,
                "priority": it["priority"], "clause": it["clause"], "units": it["units"], "reason": it["reason"],
                "questions": it["missing"], "verdict": it["verdict"],
                "values": [f"{e['label']} = {e['value']}" for e in it["evidence"]]}
    groups: dict[str, list] = {"obligations": [], "recommended": [], "to_verify": [], "optional": []}
    for f in a.findings:
        if f.status not in ("applies", "to_verify"):
            continue
        if f.kind in obligation_kinds and not f.optional:
            groups["obligations"].append(item(f))
        elif f.status == "applies":
            groups["recommended"].append(item(f))
        else:
            groups["optional" if f.optional else "to_verify"].append(item(f))
    bench = [{"product": b["product"], "indicator": b["indicator"], "value": b["value"], "rating": b["rating"]}
             for b in c.benchmarks()["items"]]
    return {"name": a.profile_name, "audit": c.audit()["conclusion"], **groups,
            "counts": {"recommended": len(a.recommended), "to_verify": len(a.to_verify), "optional": len(a.optional)},
            "benchmarks": bench, "cp_eval": c.cp_eval()}


def add_web(app: FastAPI) -> None:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    kb = app.state.kb

    @app.post("/v1/page", include_in_schema=False)
    async def page(request: Request, lang: str = Query("zh", pattern="^(zh|en)$")) -> JSONResponse:
        """The page's view of a profile (the same body as /v1/assess)."""
        from starlette.concurrency import run_in_threadpool

        from cpadvisor.advisor import assess
        from cpadvisor.service.http import body_bytes, media, parse_profile_body, upload_name
        raw = await body_bytes(request)
        name = upload_name(request)
        profile = await run_in_threadpool(parse_profile_body, kb, raw, media(request), name)
        a = await run_in_threadpool(assess, profile, kb=kb)
        return JSONResponse(await run_in_threadpool(page_view, kb, a, lang))

    @app.get("/v1/template", include_in_schema=False)
    def template(sector: str = Query(..., pattern="^[a-z_]+$")) -> Response:
        """A blank workbook for a sector (what `cpadvisor init SECTOR` writes)."""
        from cpadvisor.intake.workbook import write_workbook
        if sector not in kb.packs:
            from cpadvisor.errors import InputError
            from cpadvisor.service.http import Problem
            raise Problem(404, "unknown sector / 未知行业", [InputError(f"unknown sector '{sector}'", field="sector")],
                          "not-found")
        return Response(write_workbook(kb, None, packs=[sector], kind="park" if sector == "parks" else "enterprise"),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="cpadvisor-{sector}.xlsx"'})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(lang: str = Query("zh", pattern="^(zh|en)$")) -> HTMLResponse:
        i = 1 if lang == "en" else 0
        words = {k: v[i] for k, v in WORDS.items()}
        sectors = [(code, (pf.pack.name.en if lang == "en" else pf.pack.name.zh))
                   for code, pf in kb.packs.items() if code not in ("common", "policy")]
        html = env.get_template("index.html.j2").render(w=words, lang=lang, other="zh" if lang == "en" else "en",
                                                        version=app.version, knowledge=app.state.kb.version,
                                                        sectors=sectors)
        from cpadvisor.service.security import csp_for_html
        return HTMLResponse(html, headers={"Content-Security-Policy": csp_for_html(html)})
