"""The HTTP side shared by the API, the web page and the app: media types, problems (RFC 9457) and reading a
request's body into a profile, with the CLI's errors."""
from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from cpadvisor.errors import CpadvisorError, InputError
from cpadvisor.knowledge.loader import KnowledgeBase
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


def problem_response(status: int, title: str, errors: list[InputError], kind: str) -> JSONResponse:
    items = [{"message": e.message, "field": e.field, "file": e.file, "line": e.line, "text": e.one_line()}
             for e in errors]
    body = {"type": f"https://cpadvisor.example/problems/{kind}", "title": title, "status": status,
            "detail": items[0]["text"] if items else title, "errors": items}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def problems_of(exc: CpadvisorError) -> list[InputError]:
    found = getattr(exc, "problems", None)
    if found:
        return list(found)
    return [exc] if isinstance(exc, InputError) else [InputError(str(exc))]


def upload_name(request: Any) -> str:
    """The uploaded file's own name (the page sends it in X-Filename), for error lines; '<request>' otherwise."""
    import re
    from urllib.parse import unquote
    raw = unquote(request.headers.get("x-filename") or "")
    name = re.sub(r"[\x00-\x1f/\\]", "", raw).strip()[:120]
    return name or "<request>"


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

