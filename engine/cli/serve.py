"""``cpadvisor serve``: the HTTP API and the web page (uvicorn)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import err, guarded

    @app.command()
    @guarded
    def serve(host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
              port: int = typer.Option(8000, "--port", min=1, max=65535),
              workers: int = typer.Option(1, "--workers", "-w", min=1, help="worker processes (one per core)"),
              db: Optional[str] = typer.Option(None, "--db", help="store each assessment (SQLite file or URL) "
                                                                  "and serve /v1/history; needs --token-file"),
              token_file: Optional[Path] = typer.Option(None, "--token-file", help="a file holding the access token "
                                                        "the store's routes ask for (Authorization: Bearer <token>)"),
              allowed_host: list[str] = typer.Option([], "--allowed-host", help="a Host name to answer (repeat); "
                                                     "default: the --host address, localhost and 127.0.0.1"),
              cors_origin: list[str] = typer.Option([], "--cors-origin", help="an origin allowed to read answers "
                                                    "cross-site (repeat; none by default)"),
              rate_limit: int = typer.Option(600, "--rate-limit", min=0, help="requests per minute per client "
                                             "address (0: no limit)"),
              max_connections: int = typer.Option(100, "--max-connections", min=1, help="connections one worker "
                                                  "holds at once; more get 503")):
        """Serve the JSON API (/v1, OpenAPI at /docs) and the web page (/) with uvicorn.

        启动 HTTP 服务：/v1 JSON 接口（/docs 为 OpenAPI 文档）与网页。See README "Exposing the service".
        """
        from cpadvisor.errors import InputError
        try:
            import uvicorn
        except ImportError:
            from cpadvisor.errors import InputError
            raise InputError("the service needs the server extra: pip install 'cpadvisor[server]'") from None
        token = None
        if token_file is not None:
            try:
                token = token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise InputError(f"cannot read the token file / 无法读取令牌文件: {exc.strerror}", str(token_file),
                                 field="--token-file") from None
            if len(token) < 16:
                raise InputError("the access token must be at least 16 characters / 访问令牌至少16个字符",
                                 str(token_file), field="--token-file")
            os.environ["CPADVISOR_SERVE_TOKEN"] = token
        if db:
            if token is None and not os.environ.get("CPADVISOR_SERVE_TOKEN"):
                raise InputError("serving a store needs an access token: --token-file FILE (or CPADVISOR_SERVE_TOKEN) "
                                 "/ 提供数据库服务须设置访问令牌", field="--db")
            from cpadvisor.store.db import Store
            Store(db).close()  # fail early, one line, on a bad URL
            os.environ["CPADVISOR_SERVE_DB"] = db
        hosts = list(allowed_host) or sorted({host, "localhost", "127.0.0.1", "[::1]"} - {"0.0.0.0", "::"})
        if host in ("0.0.0.0", "::") and not allowed_host:
            err.print("warning: listening on every address without --allowed-host: answering any Host name / "
                      "未设置 --allowed-host", highlight=False)
            hosts = ["*"]
        os.environ["CPADVISOR_ALLOWED_HOSTS"] = ",".join(hosts)
        os.environ["CPADVISOR_CORS_ORIGINS"] = ",".join(cors_origin)
        os.environ["CPADVISOR_RATE_LIMIT"] = str(rate_limit)
        err.print(f"cpadvisor serve: http://{host}:{port}/ (API /v1, docs /docs), {workers} worker(s)",
                  highlight=False)
        from cpadvisor.service.protocol import NoDelayH11Protocol
        uvicorn.run("cpadvisor.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", http=NoDelayH11Protocol, limit_concurrency=max_connections,
                    timeout_keep_alive=5)
