"""The JSON API under /v1: assess, explain, report, request, measures, vocabulary, schemas, version, history."""
from __future__ import annotations

import io
import json
from typing import Any, Optional

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from cpadvisor._version import __version__
from cpadvisor.errors import InputError
from cpadvisor.models.results import Assessment, Explanation
from cpadvisor.service.http import (REPORT_TYPES, XLSX, Problem, body_bytes, json_body, media,
                                    parse_profile_body, upload_name)

PROFILE_BODY = {
    "description": "A profile: JSON (the profile schema, /v1/schema/profile), YAML, or the Excel workbook of "
                   "`cpadvisor init` / 画像：JSON、YAML 或 Excel 工作簿",
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}},
                "application/yaml": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}},
}


class Version(BaseModel):
    package: str
    knowledge: str
    measures: int
    rules: int


class MeasureInfo(BaseModel):
    id: str
    pack: str
    kind: str
    clause: str
    cost: str
    categories: list[str]
    name: dict[str, str]
    description: dict[str, str]
    rules: list[str]


class RequestRow(BaseModel):
    path: str
    fact: str
    item: str
    unit: str
    allowed: str
    where: str
    waiting: list[str]


def add_routes(app: FastAPI) -> None:
    kb = app.state.kb

    def store():
        from cpadvisor.store.db import Store
        return Store(app.state.db)

    async def profile_of(request: Request) -> Any:
        raw = await body_bytes(request)
        return await run_in_threadpool(parse_profile_body, kb, raw, media(request), upload_name(request))

    def authorized(request: Request) -> bool:
        from cpadvisor.service.security import bearer_ok
        return bearer_ok(request.headers.get("authorization"), app.state.token)

    def keep(a: Assessment, request: Request) -> None:
        """Store the assessment when the store is on and the request carries its token."""
        if app.state.db and authorized(request):
            s = store()
            try:
                s.use_knowledge(kb)
                s.save_assessment(a)
            finally:
                s.close()

    def report_of(raw: bytes, content_type: str, format: str, lang: str, name: str = "<request>") -> Any:
        """The report of a profile or saved assessment (run on a worker thread: rendering is CPU work)."""
        from cpadvisor.advisor import assess
        a = None
        if content_type == "application/json":
            from cpadvisor.intake.profiles import saved_assessment
            a = saved_assessment(json_body(raw), kb, "<request>")
        if a is None:
            profile = parse_profile_body(kb, raw, content_type, name)
            refuse_large(profile)
            a = assess(profile, kb=kb)
        if format == "xlsx":
            return assessment_workbook(kb, a, lang)
        from cpadvisor.report import render_report
        if format == "pdf":  # as the CLI prints it: the HTML report through headless Chromium
            from cpadvisor.report.pdf import chromium, pdf_bytes
            if chromium() is None:
                raise Problem(503, "PDF unavailable / 无法生成PDF", [InputError(
                    "PDF needs Chromium on the server (apt-get install chromium); ask for docx or html / "
                    "服务器未安装Chromium")], "unavailable")
            return pdf_bytes(render_report(a, "html", lang, kb=kb))
        return render_report(a, format, lang, kb=kb)

    @app.get("/v1/version", response_model=Version, tags=["meta"])
    def version() -> Version:
        """Package and knowledge versions / 版本。"""
        return Version(package=__version__, knowledge=kb.version, measures=len(kb.measures), rules=len(kb.rules))

    @app.post("/v1/assess", response_model=Assessment, tags=["assess"], openapi_extra={"requestBody": PROFILE_BODY})
    async def assess_route(request: Request) -> Response:
        """Assess a profile: obligations, recommended measures, facts to verify / 评估画像。"""
        from cpadvisor.advisor import assess
        profile = await profile_of(request)
        a = await run_in_threadpool(assess, profile, kb=kb)  # CPU work off the event loop
        await run_in_threadpool(keep, a, request)
        return as_json(a)  # already a validated model: serialised once, not validated again

    @app.post("/v1/explain/{measure_id}", response_model=Explanation, tags=["assess"],
              openapi_extra={"requestBody": PROFILE_BODY})
    async def explain_route(measure_id: str, request: Request) -> Response:
        """Why a measure was (not) recommended: each rule and condition with the profile value / 解释。"""
        from cpadvisor.advisor import explain
        profile = await profile_of(request)
        return as_json(await run_in_threadpool(explain, profile, measure_id, kb=kb))

    @app.post("/v1/report", tags=["report"], response_class=Response,
              openapi_extra={"requestBody": {**PROFILE_BODY, "description": PROFILE_BODY["description"] +
                                             "; or a saved assessment (the JSON of /v1/assess)"}},
              responses={200: {"content": {t: {} for t in REPORT_TYPES.values()}}})
    async def report_route(request: Request, format: str = Query("docx", pattern="^(docx|html|md|xlsx|pdf)$"),
                           lang: str = Query("zh", pattern="^(zh|en)$")) -> Response:
        """The consultant's report (docx, html, md, pdf with Chromium) or the assessment as a workbook (xlsx) / 报告。"""
        raw = await body_bytes(request)
        data: Any = await run_in_threadpool(report_of, raw, media(request), format, lang, upload_name(request))
        name = f"report.{format}"
        return Response(data if isinstance(data, bytes) else data.encode("utf-8"), media_type=REPORT_TYPES[format],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.post("/v1/request", tags=["report"], response_model=list[RequestRow],
              openapi_extra={"requestBody": PROFILE_BODY},
              responses={200: {"content": {"application/json": {}, XLSX: {}, "text/markdown": {}}}})
    async def request_route(request: Request, format: str = Query("json", pattern="^(json|xlsx|md)$"),
                            lang: str = Query("zh", pattern="^(zh|en)$")) -> Any:
        """The data request (资料清单): every missing fact once, where it goes, what waits on it."""
        from cpadvisor.advisor import assess
        from cpadvisor.report.request import request_markdown, requests, write_request_xlsx
        profile = await profile_of(request)
        a = await run_in_threadpool(assess, profile, kb=kb)
        rows = await run_in_threadpool(requests, kb, a)
        if format == "xlsx":
            return Response(await run_in_threadpool(write_request_xlsx, kb, a, rows), media_type=XLSX,
                            headers={"Content-Disposition": 'attachment; filename="request.xlsx"'})
        if format == "md":
            return Response(request_markdown(kb, a, rows, lang).encode("utf-8"), media_type="text/markdown; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="request.md"'})
        return [RequestRow(path=r.path, fact=r.fact, item=r.item, unit=r.unit, allowed=r.allowed, where=r.where,
                           waiting=r.waiting) for r in rows]

    @app.get("/v1/measures", response_model=list[MeasureInfo], tags=["knowledge"])
    def measures(pack: Optional[str] = None) -> list[MeasureInfo]:
        """The measures of the knowledge base / 措施。"""
        if pack is not None and pack not in kb.packs:
            from cpadvisor.errors import did_you_mean
            raise Problem(404, "unknown pack / 未知知识包", [InputError(
                f"unknown pack '{pack}'{did_you_mean(pack, kb.packs)}", field="pack")], "not-found")
        return [MeasureInfo(id=m.id, pack=i.pack, kind=m.kind, clause=m.clause, cost=m.cost,
                            categories=list(m.categories), name=m.name.model_dump(), description=m.description.model_dump(),
                            rules=[r.key for r in i.rules])
                for i in kb.measures.values() for m in [i.measure] if pack is None or i.pack == pack]

    @app.get("/v1/vocabulary", tags=["knowledge"])
    def vocabulary(pack: Optional[str] = None) -> JSONResponse:
        """The vocabulary: words with zh/en labels and aliases, every attribute / 词汇。"""
        from cpadvisor.intake.schema import vocabulary as vocab
        if pack is not None and pack not in kb.packs:
            raise Problem(404, "unknown pack / 未知知识包", [InputError(f"unknown pack '{pack}'", field="pack")],
                          "not-found")
        return JSONResponse(vocab(kb, pack))

    @app.get("/v1/schema/profile", tags=["knowledge"])
    def schema_profile() -> JSONResponse:
        """The JSON Schema of a profile, with the vocabulary / 画像的 JSON Schema。"""
        from cpadvisor.intake.schema import profile_schema
        return JSONResponse(profile_schema(kb))

    @app.get("/v1/schema/assessment", tags=["knowledge"])
    def schema_assessment() -> JSONResponse:
        """The JSON Schema of an Assessment / 评估结果的 JSON Schema。"""
        from cpadvisor.intake.schema import assessment_schema
        return JSONResponse(assessment_schema())

    @app.get("/v1/history/{enterprise}", tags=["store"])
    def history(enterprise: str, request: Request, limit: int = Query(20, ge=1, le=100),
                offset: int = Query(0, ge=0)) -> JSONResponse:
        """Past assessments of one enterprise, by its exact credit code or full name, oldest first, a page at a
        time (``limit``, ``offset``; the total in ``X-Total-Count``), each with what changed since the enterprise's
        previous one. Needs the store (``serve --db`` with a token) and ``Authorization: Bearer <token>``."""
        if not app.state.db:
            raise Problem(404, "no store / 未配置数据库", [InputError(
                "the service was started without a store (--db with an access token): no history / "
                "未配置数据库，无历史记录")], "no-store")
        if not authorized(request):
            from cpadvisor.service.http import problem_response
            resp = problem_response(401, "unauthorized / 未授权", [InputError(
                "send the service's access token: Authorization: Bearer <token> / 需要访问令牌")], "unauthorized")
            resp.headers["WWW-Authenticate"] = 'Bearer realm="cpadvisor"'
            return resp
        from cpadvisor.store.db import OK, changes, enterprise_key
        s = store()
        try:
            recs = s.history_exact(enterprise)
        finally:
            s.close()
        if not recs:
            raise Problem(404, "not found / 无记录", [InputError(
                f"no assessment of '{enterprise.strip()[:100]}' in the store (exact credit code or full name) / "
                "库中没有该企业的评估记录（须为完整名称或统一社会信用代码）", field="enterprise")], "not-found")
        diffs: dict[int, Any] = {}
        last: dict[str, Any] = {}
        for r in recs:  # what changed since the same enterprise's previous assessment
            if r.status != OK:
                continue
            key = enterprise_key(r)
            if key in last:
                diffs[r.id] = changes(last[key], r)
            last[key] = r
        page = recs[offset:offset + limit]
        return JSONResponse([{"id": r.id, "at": r.created_at.isoformat(), "enterprise": r.enterprise,
                              "credit_code": r.credit_code, "status": r.status, "audit_type": r.audit_type,
                              "recommended": r.n_recommended, "to_verify": r.n_to_verify,
                              "knowledge_version": r.knowledge_version, "changes": diffs.get(r.id)} for r in page],
                            headers={"X-Total-Count": str(len(recs))})

    _profile_component(app)


MAX_REPORT_ITEMS = 2000  # units, products, energy, wastes, VOC operations and plans of a profile reported here


def refuse_large(profile: Any) -> None:
    """A report of a profile with more items than a plant has is refused (413) rather than rendered for minutes on
    a shared service; the CLI renders it."""
    n = sum(len(getattr(profile, f, None) or ()) for f in ("units", "products", "energy", "solid_wastes",
                                                           "voc_operations", "plans", "enterprises"))
    if n > MAX_REPORT_ITEMS:
        raise Problem(413, "too large for a report here / 画像过大", [InputError(
            f"the profile has {n} items, over the service's {MAX_REPORT_ITEMS} for a report: use "
            "`cpadvisor report` / 画像条目过多，请用命令行生成报告", "<request>")], "too-large")


def as_json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _profile_component(app: FastAPI) -> None:
    """Put the profile schema (with the vocabulary) into the OpenAPI components."""
    kb = app.state.kb
    base = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        from cpadvisor.intake.schema import profile_schema
        prof = json.loads(json.dumps(profile_schema(kb)).replace("#/$defs/", "#/components/schemas/"))
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        for k, v in prof.pop("$defs", {}).items():
            comps.setdefault(k, v)
        prof.pop("$schema", None)
        prof.pop("$id", None)
        comps["Profile"] = prof
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def assessment_workbook(kb: Any, a: Assessment, lang: str = "zh") -> bytes:
    """An assessment as a workbook: 结论 (each finding) and 资料清单 (the data request)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Font

    from cpadvisor.report.request import requests, write_request_xlsx
    en = lang == "en"
    req = load_workbook(io.BytesIO(write_request_xlsx(kb, a, requests(kb, a))))
    wb = Workbook()
    ws = wb.active
    ws.title = "Findings" if en else "结论"
    head = (("measure", "name", "status", "priority", "clause", "units", "reason", "missing") if en else
            ("措施编号", "名称", "状态", "优先级", "条款", "装置", "理由", "待核实资料"))
    status = {"applies": ("建议实施", "recommended"), "to_verify": ("待核实", "to verify"),
              "in_place": ("已实施", "in place"), "superseded": ("被替代", "superseded")}
    for j, h in enumerate(head, start=1):
        ws.cell(1, j, h).font = Font(bold=True)
    for i, f in enumerate(a.findings, start=2):
        vals = (f.measure_id, f.name.get(lang), status.get(f.status, (f.status, f.status))[1 if en else 0],
                f.priority, f.clause, ", ".join(f.units), f.reason.get(lang) if f.reason else "", ", ".join(f.missing))
        for j, v in enumerate(vals, start=1):
            ws.cell(i, j, v)
    for col, w in zip("ABCDEFGH", (36, 30, 12, 8, 12, 20, 60, 40)):
        ws.column_dimensions[col].width = w
    src = req["资料清单"]
    dst = wb.create_sheet("资料清单")
    for row in src.iter_rows(values_only=True):
        dst.append(list(row))
    buf = io.BytesIO()
    from cpadvisor.intake.xlsx import text_safe
    text_safe(wb)
    wb.save(buf)
    return buf.getvalue()
