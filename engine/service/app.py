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
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cpadvisor._version import __version__
from cpadvisor.errors import CpadvisorError, EngineError, InputError, KnowledgeError, StoreError
from cpadvisor.knowledge.loader import KnowledgeBase, load_knowledge
from cpadvisor.service.http import (XLSX, Problem, problem_response,  # noqa: F401 - XLSX: the public name
                                    problems_of)


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
        return problem_response(exc.status, exc.title, exc.errors, exc.kind)

    @app.exception_handler(KnowledgeError)
    async def _k(_req: Request, exc: KnowledgeError) -> JSONResponse:
        return problem_response(500, "knowledge does not load / 知识库无法加载", exc.problems, "knowledge")

    @app.exception_handler(EngineError)
    async def _e(_req: Request, exc: EngineError) -> JSONResponse:
        return problem_response(500, "engine error / 推理引擎错误", [InputError(str(exc))], "engine")

    @app.exception_handler(StoreError)
    async def _s(_req: Request, exc: StoreError) -> JSONResponse:
        return problem_response(503, "database unavailable / 数据库不可用", [InputError(str(exc))], "store")

    @app.exception_handler(CpadvisorError)
    async def _c(_req: Request, exc: CpadvisorError) -> JSONResponse:
        return problem_response(422, "invalid input / 输入有误", problems_of(exc), "invalid-input")

    @app.exception_handler(RequestValidationError)
    async def _v(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [InputError(" ".join(str(e.get("msg", "")).split()), field=".".join(map(str, e.get("loc", ()))))
                for e in exc.errors()]
        return problem_response(422, "invalid request / 请求有误", errs, "invalid-request")

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
        return problem_response(408, "request body too slow / 请求体超时", [InputError(
            f"the body did not arrive within {BODY_SECONDS:.0f} s / 请求体超时", "<request>")], "timeout")

    @app.exception_handler(Exception)
    async def _x(_req: Request, exc: Exception) -> JSONResponse:  # a bug: logged, never shown as a traceback
        traceback.print_exception(exc)
        return problem_response(500, "internal error / 内部错误", [InputError(type(exc).__name__)], "internal")

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
