"""The consultants' web page: upload a profile, read the findings, open an explanation, download the report
and the data request. Server-rendered HTML (Jinja2) with a little JavaScript that calls the /v1 API; profile
text is only ever set as textContent, never as markup."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse
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
}


def add_web(app: FastAPI) -> None:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(lang: str = Query("zh", pattern="^(zh|en)$")) -> HTMLResponse:
        i = 1 if lang == "en" else 0
        words = {k: v[i] for k, v in WORDS.items()}
        html = env.get_template("index.html.j2").render(w=words, lang=lang, other="zh" if lang == "en" else "en",
                                                        version=app.version, knowledge=app.state.kb.version)
        from cpadvisor.service.security import csp_for_html
        return HTMLResponse(html, headers={"Content-Security-Policy": csp_for_html(html)})
