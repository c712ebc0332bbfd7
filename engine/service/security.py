"""What makes the service safe to expose on an intranet: an access token for the store, a Host allow-list, no
cross-origin reads unless configured, security headers, a per-client rate limit, a body time-out, one log line for
a client that goes away. Plain ASGI middleware (no response buffering), configured by ``create_app`` and ``serve``.

Settings (``serve`` options, or the environment its workers read):

- ``CPADVISOR_SERVE_TOKEN``: the bearer token (RFC 6750, ``Authorization: Bearer <token>``) that the store's
  routes ask for; without it the store is off even with ``--db``.
- ``CPADVISOR_ALLOWED_HOSTS``: comma-separated Host names answered (others get 400).
- ``CPADVISOR_CORS_ORIGINS``: comma-separated origins allowed to read responses cross-site (none by default).
- ``CPADVISOR_RATE_LIMIT``: requests per minute per client address (default 600; 0 = off).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
from typing import Any, Awaitable, Callable, Optional

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

DEFAULT_RATE = 600  # per minute per client address
# a request body must arrive within this (a body trickled byte by byte is refused); CPADVISOR_BODY_SECONDS
BODY_SECONDS = float(os.environ.get("CPADVISOR_BODY_SECONDS") or 30.0)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer"), (b"cross-origin-resource-policy", b"same-origin")]
_INLINE = re.compile(r"<(script|style)\b[^>]*>(.*?)</\1>", re.S)


def csp_for_html(html: str) -> str:
    """A Content-Security-Policy for one of our own pages: its inline scripts and styles allowed by their hash,
    everything else from this origin only; never framed."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    return ("default-src 'self'; img-src 'self' data:; "
            f"script-src 'self' {' '.join(hashes['script'])}; style-src 'self' {' '.join(hashes['style'])}; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'").replace("  ", " ")


def bearer_ok(authorization: Optional[str], token: Optional[str]) -> bool:
    """The request carries the service's token (compared in constant time)."""
    if not token or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _problem(status: int, title: str, detail: str, kind: str, extra: Optional[list] = None) -> tuple[dict, bytes]:
    body = json.dumps({"type": f"https://cpadvisor.example/problems/{kind}", "title": title, "status": status,
                       "detail": detail, "errors": [{"message": detail, "text": detail}]}, ensure_ascii=False).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/problem+json"),
                         (b"content-length", str(len(body)).encode())] + (extra or [])}
    return start, body


class Guard:
    """Security headers on every response, a per-client rate limit, a body time-out, and one log line (no
    traceback) for a client that disconnects mid-request."""

    def __init__(self, app: Any, rate: int = DEFAULT_RATE, body_seconds: float = BODY_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.app, self.rate, self.body_seconds, self.clock = app, rate, body_seconds, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last time)
        self._lock = threading.Lock()

    def _allow(self, client: str) -> bool:
        if self.rate <= 0:
            return True
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * self.rate / 60.0)
            ok = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if ok else tokens, now)
            if len(self._buckets) > 10_000:  # forget the oldest clients
                for k in sorted(self._buckets, key=lambda k: self._buckets[k][1])[:5_000]:
                    del self._buckets[k]
        return ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        if not self._allow(client):
            start, body = _problem(429, "too many requests / 请求过于频繁",
                                   f"more than {self.rate} requests a minute from {client} / 请求过于频繁，请稍后再试",
                                   "rate-limited", [(b"retry-after", b"10")])
            await self._send_with_headers(send, start, body)
            return
        deadline = self.clock() + self.body_seconds

        async def timed_receive() -> dict:
            import anyio
            left = deadline - self.clock()
            if left <= 0:
                raise BodyTimeout()
            try:
                with anyio.fail_after(left):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout() from None

        async def send_secure(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", API_CSP.encode()))
                message = dict(message, headers=list(message.get("headers", [])) + extra)
            await send(message)

        try:
            await self.app(scope, timed_receive, send_secure)
        except BodyTimeout:
            start, body = _problem(408, "request body too slow / 请求体超时",
                                   f"the body did not arrive within {self.body_seconds:.0f} s / 请求体超时", "timeout")
            try:
                await self._send_with_headers(send, start, body)
            except Exception:  # noqa: BLE001 - the response had started: the client will see a cut
                pass
        except ClientGone:
            print(f"cpadvisor serve: client {client} disconnected before the request was read", file=sys.stderr)

    async def _send_with_headers(self, send: Send, start: dict, body: bytes) -> None:
        start = dict(start, headers=list(start["headers"]) + HEADERS
                     + [(b"content-security-policy", API_CSP.encode())])
        await send(start)
        await send({"type": "http.response.body", "body": body})


class BodyTimeout(Exception):
    """The request body did not arrive in time."""


class ClientGone(Exception):
    """The client disconnected while its request was read."""


def split_setting(value: Optional[str]) -> list[str]:
    return [x.strip() for x in (value or "").split(",") if x.strip()]
