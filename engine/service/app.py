"""The HTTP service: a versioned JSON API (/v1) for other systems and a web page for consultants.

    cpadvisor serve --host 127.0.0.1 --port 8000 [--workers 2] [--db URL]

Profiles come in as JSON (``application/json``), YAML (``application/yaml``) or the Excel workbook
(``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``), read by the same loader as
files, with the same size limit; every bad input is a 4xx ``application/problem+json`` naming the field,
line (or sheet and cell) and message the CLI gives. The knowledge is loaded once per worker process.
"""
from __future__ import annotations

import os
import traceback
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cpadvisor._version import __version__
from cpadvisor.errors import CpadvisorError, EngineError, InputError, KnowledgeError, StoreError
from cpadvisor.knowledge.loader import KnowledgeBase, load_knowledge
from cpadvisor.knowledge.yamlio import MAX_BYTES

PROBLEM = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# the declared types only: text/plain (a CORS "simple" type a page on another origin can POST without a
# preflight) is refused, so a cross-site form cannot make the service assess or store anything
SUFFIX_OF = {"application/json": ".json", "application/yaml": ".yaml", "application/x-yaml": ".yaml",
             "text/yaml": ".yaml", "text/x-yaml": ".yaml", XLSX: ".xlsx"}
REPORT_TYPES = {"docx": DOCX, "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "xlsx": XLSX,
                "pdf": "application/pdf"}


class Problem(Exception):
    """An HTTP problem (RFC 9457): status, title and the one-line errors behind it."""

    def __init__(self, status: int, title: str, errors: list[InputError], kind: str = "invalid-input"):
        self.status, self.title, self.errors, self.kind = status, title, errors, kind


def _problem(status: int, title: str, errors: list[InputError], kind: str) -> JSONResponse:
    items = [{"message": e.message, "field": e.field, "file": e.file, "line": e.line, "text": e.one_line()}
             for e in errors]
    body = {"type": f"https://cpadvisor.example/problems/{kind}", "title": title, "status": status,
            "detail": items[0]["text"] if items else title, "errors": items}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _problems_of(exc: CpadvisorError) -> list[InputError]:
    found = getattr(exc, "problems", None)
    if found:
        return list(found)
    return [exc] if isinstance(exc, InputError) else [InputError(str(exc))]


def create_app(kb: Optional[KnowledgeBase] = None, db: Optional[str] = None, token: Optional[str] = None,
               allowed_hosts: Optional[list[str]] = None, cors_origins: Optional[list[str]] = None,
               rate_limit: Optional[int] = None) -> FastAPI:
    """The ASGI app (``uvicorn --factory cpadvisor.service.app:create_app``); the environment gives what
    ``serve`` was told: CPADVISOR_SERVE_DB, CPADVISOR_SERVE_TOKEN, CPADVISOR_ALLOWED_HOSTS,
    CPADVISOR_CORS_ORIGINS, CPADVISOR_RATE_LIMIT (see :mod:`cpadvisor.service.security`). The store is on only
    with a database and an access token."""
    from cpadvisor.service.security import DEFAULT_RATE, Guard, split_setting
    kb = kb or load_knowledge()
    db = db or os.environ.get("CPADVISOR_SERVE_DB") or None
    token = token or os.environ.get("CPADVISOR_SERVE_TOKEN") or None
    hosts = allowed_hosts if allowed_hosts is not None else split_setting(os.environ.get("CPADVISOR_ALLOWED_HOSTS"))
    origins = cors_origins if cors_origins is not None else split_setting(os.environ.get("CPADVISOR_CORS_ORIGINS"))
    rate = rate_limit if rate_limit is not None else int(os.environ.get("CPADVISOR_RATE_LIMIT") or DEFAULT_RATE)
    app = FastAPI(title="cpadvisor", version=__version__,
                  description="清洁生产规则引擎 / cleaner-production rules engine (湘工信节能〔2024〕194号). "
                              "Knowledge " + kb.version + ". The store's routes need `Authorization: Bearer <token>`.",
                  docs_url=None, redoc_url=None, openapi_url="/v1/openapi.json")
    from cpadvisor.advisor import engine_of
    engine_of(kb)  # compile the rulesets once per worker
    app.state.kb = kb
    app.state.db = db if db and token else None  # no store without an access token
    app.state.token = token
    if origins:
        from starlette.middleware.cors import CORSMiddleware
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization"])
    if hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.add_middleware(Guard, rate=rate)  # outermost: headers on every answer, the rate limit before any work

    @app.exception_handler(Problem)
    async def _p(_req: Request, exc: Problem) -> JSONResponse:
        return _problem(exc.status, exc.title, exc.errors, exc.kind)

    @app.exception_handler(KnowledgeError)
    async def _k(_req: Request, exc: KnowledgeError) -> JSONResponse:
        return _problem(500, "knowledge does not load / 知识库无法加载", exc.problems, "knowledge")

    @app.exception_handler(EngineError)
    async def _e(_req: Request, exc: EngineError) -> JSONResponse:
        return _problem(500, "engine error / 推理引擎错误", [InputError(str(exc))], "engine")

    @app.exception_handler(StoreError)
    async def _s(_req: Request, exc: StoreError) -> JSONResponse:
        return _problem(503, "database unavailable / 数据库不可用", [InputError(str(exc))], "store")

    @app.exception_handler(CpadvisorError)
    async def _c(_req: Request, exc: CpadvisorError) -> JSONResponse:
        return _problem(422, "invalid input / 输入有误", _problems_of(exc), "invalid-input")

    @app.exception_handler(RequestValidationError)
    async def _v(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [InputError(" ".join(str(e.get("msg", "")).split()), field=".".join(map(str, e.get("loc", ()))))
                for e in exc.errors()]
        return _problem(422, "invalid request / 请求有误", errs, "invalid-request")

    from starlette.requests import ClientDisconnect

    from cpadvisor.service.security import BodyTimeout

    @app.exception_handler(ClientDisconnect)
    async def _gone(req: Request, _exc: ClientDisconnect) -> JSONResponse:  # one line, no traceback
        import sys
        client = req.client.host if req.client else "?"
        print(f"cpadvisor serve: client {client} disconnected during {req.method} {req.url.path}", file=sys.stderr)
        return JSONResponse({}, status_code=400)

    @app.exception_handler(BodyTimeout)
    async def _slow(_req: Request, _exc: BodyTimeout) -> JSONResponse:
        from cpadvisor.service.security import BODY_SECONDS
        return _problem(408, "request body too slow / 请求体超时", [InputError(
            f"the body did not arrive within {BODY_SECONDS:.0f} s / 请求体超时", "<request>")], "timeout")

    @app.exception_handler(Exception)
    async def _x(_req: Request, exc: Exception) -> JSONResponse:  # a bug: logged, never shown as a traceback
        traceback.print_exception(exc)
        return _problem(500, "internal error / 内部错误", [InputError(type(exc).__name__)], "internal")

    _docs(app)
    from cpadvisor.service.routes import add_routes
    add_routes(app)
    from cpadvisor.service.web import add_web
    add_web(app)
    return app


def _docs(app: FastAPI) -> None:
    """Swagger UI from the installed swagger-ui-bundle package (never a CDN: intranets have no internet), and
    /openapi.json where tools look for it."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse, RedirectResponse

    from cpadvisor.service.security import csp_for_html
    try:
        import swagger_ui_bundle
        from starlette.staticfiles import StaticFiles
        app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
        assets = "/static/swagger"
    except ImportError:  # the server extra brings it; without it /docs says so
        assets = None

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if assets is None:
            return HTMLResponse("<p>Swagger UI needs the swagger-ui-bundle package: pip install 'cpadvisor[server]'. "
                                "The API is described at <a href='/v1/openapi.json'>/v1/openapi.json</a>.</p>")
        page = get_swagger_ui_html(openapi_url="/v1/openapi.json", title="cpadvisor API",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{assets}/favicon-32x32.png")
        html = page.body.decode("utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": csp_for_html(html)})

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_redirect() -> RedirectResponse:
        return RedirectResponse("/v1/openapi.json", status_code=308)


async def body_bytes(request: Request) -> bytes:
    """The request body, refused above the file size limit (413) before it is all read."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise Problem(413, "too large / 请求过大", [InputError(
            f"body is {int(declared) / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit / 请求过大", "<request>")],
            "too-large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise Problem(413, "too large / 请求过大", [InputError(
                f"body over the {MAX_BYTES / 1e6:.0f} MB limit / 请求过大", "<request>")], "too-large")
        chunks.append(chunk)
    return b"".join(chunks)


def media(request: Request) -> str:
    return (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()


def parse_profile_body(kb: KnowledgeBase, raw: bytes, content_type: str, name: str = "<request>") -> Any:
    """A validated profile from a request body (JSON, YAML or xlsx), with the CLI's errors."""
    from cpadvisor.intake.profiles import profile_from_bytes
    suffix = SUFFIX_OF.get(content_type)
    if suffix is None:
        raise Problem(415, "unsupported media type / 不支持的内容类型", [InputError(
            f"send application/json, application/yaml or {XLSX}, not {content_type}", "<request>",
            field="Content-Type")], "unsupported-media-type")
    if not raw.strip():
        raise Problem(400, "empty body / 请求体为空", [InputError("empty body / 请求体为空", "<request>")], "empty")
    return profile_from_bytes(raw, name + suffix if not name.endswith(suffix) else name, kb)


def json_body(raw: bytes, name: str = "<request>") -> Any:
    from cpadvisor.knowledge.yamlio import decode, loads
    return loads(decode(raw, name), name).data

