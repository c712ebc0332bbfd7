"""``cpadvisor serve``: the HTTP API and the web page (uvicorn)."""
from __future__ import annotations

import os
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.app import err, guarded

    @app.command()
    @guarded
    def serve(host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
              port: int = typer.Option(8000, "--port", min=1, max=65535),
              workers: int = typer.Option(1, "--workers", "-w", min=1, help="worker processes (one per core)"),
              db: Optional[str] = typer.Option(None, "--db", help="store each assessment (SQLite file or URL) "
                                                                  "and serve /v1/history")):
        """Serve the JSON API (/v1, OpenAPI at /docs) and the web page (/) with uvicorn.

        启动 HTTP 服务：/v1 JSON 接口（/docs 为 OpenAPI 文档）与网页。
        """
        try:
            import uvicorn
        except ImportError:
            from cpadvisor.errors import InputError
            raise InputError("the service needs the server extra: pip install 'cpadvisor[server]'") from None
        if db:
            from cpadvisor.store.db import Store
            Store(db).close()  # fail early, one line, on a bad URL
            os.environ["CPADVISOR_SERVE_DB"] = db
        err.print(f"cpadvisor serve: http://{host}:{port}/ (API /v1, docs /docs), {workers} worker(s)",
                  highlight=False)
        from cpadvisor.service.protocol import NoDelayH11Protocol
        uvicorn.run("cpadvisor.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", http=NoDelayH11Protocol)
