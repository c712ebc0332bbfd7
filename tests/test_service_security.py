"""Issue 33: the service is safe to expose on an intranet: the store needs a token and answers one enterprise at
a time, cross-site writes are refused, answers carry security headers, clients are rate-limited, /docs works
without internet, CPU work stays off the event loop, slow bodies and departed clients cost one line."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cpadvisor.service.app import create_app

REPO = Path(__file__).resolve().parent.parent
STEEL = REPO / "examples" / "steel_plant.yaml"
TEA = REPO / "examples" / "tea_processor.yaml"
YAML = {"content-type": "application/yaml"}
TOKEN = "another-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def stored(kb, tmp_path_factory):
    """A service with a store holding two enterprises (two assessments each)."""
    db = str(tmp_path_factory.mktemp("sec") / "s.db")
    c = TestClient(create_app(kb, db=db, token=TOKEN), raise_server_exceptions=False)
    for f in (STEEL, TEA, STEEL, TEA):
        assert c.post("/v1/assess", content=f.read_bytes(), headers={**YAML, **AUTH}).status_code == 200
    return c


def test_the_store_needs_the_token(stored):
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}):
        r = stored.get("/v1/history/湘中钢铁联合有限公司（示例）", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), headers


@pytest.mark.parametrize("who", ["%20", "%00", "有限公司", "湘中", "a"])
def test_no_word_returns_other_enterprises(stored, who):
    """`GET /v1/history/%20` returned every stored row; only an exact credit code or full name answers."""
    r = stored.get(f"/v1/history/{who}", headers=AUTH)
    assert r.status_code == 404, (who, r.text[:200])


def test_history_is_one_enterprise_a_page_at_a_time_with_its_own_changes(stored):
    r = stored.get("/v1/history/湘中钢铁联合有限公司（示例）?limit=1", headers=AUTH)
    assert r.status_code == 200 and len(r.json()) == 1 and int(r.headers["x-total-count"]) >= 2
    rows = stored.get("/v1/history/湘中钢铁联合有限公司（示例）", headers=AUTH).json()
    assert {x["enterprise"] for x in rows} == {"湘中钢铁联合有限公司（示例）"}
    assert rows[0]["changes"] is None and rows[1]["changes"] is not None  # compared with its own previous row
    code = rows[0]["credit_code"]
    assert len(stored.get(f"/v1/history/{code.lower()}", headers=AUTH).json()) == len(rows)
    assert stored.get("/v1/history/x?limit=1000", headers=AUTH).status_code == 422  # no whole-store page


def test_without_the_token_an_assessment_is_not_stored(stored):
    before = int(stored.get("/v1/history/湘中钢铁联合有限公司（示例）", headers=AUTH).headers["x-total-count"])
    assert stored.post("/v1/assess", content=STEEL.read_bytes(), headers=YAML).status_code == 200
    after = int(stored.get("/v1/history/湘中钢铁联合有限公司（示例）", headers=AUTH).headers["x-total-count"])
    assert after == before


def test_a_store_without_a_token_is_off(kb, tmp_path):
    c = TestClient(create_app(kb, db=str(tmp_path / "x.db")), raise_server_exceptions=False)
    c.post("/v1/assess", content=STEEL.read_bytes(), headers={**YAML, **AUTH})
    assert c.get("/v1/history/湘中钢铁联合有限公司（示例）", headers=AUTH).status_code == 404


def test_a_cross_site_simple_post_is_refused(stored):
    """A page on another origin can POST text/plain (read as YAML before) without a CORS preflight."""
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = stored.post("/v1/assess", content=STEEL.read_bytes(),
                        headers={"content-type": ctype, "origin": "http://evil.example", **AUTH})
        assert r.status_code == 415, ctype
    r = stored.options("/v1/assess", headers={"origin": "http://evil.example", "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in r.headers  # no CORS unless configured


def test_cors_only_for_configured_origins(kb):
    c = TestClient(create_app(kb, cors_origins=["http://portal.intranet"]))
    ok = c.get("/v1/version", headers={"origin": "http://portal.intranet"})
    assert ok.headers["access-control-allow-origin"] == "http://portal.intranet"
    other = c.get("/v1/version", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_security_headers_on_every_answer(stored):
    for path in ("/", "/docs", "/v1/version", "/v1/history/x"):
        h = stored.get(path).headers
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
    page = stored.get("/").headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in page and "unsafe-inline" not in page


def test_docs_are_served_without_internet(stored):
    html = stored.get("/docs").text
    assert "cdn" not in html.lower() and "/static/swagger/swagger-ui-bundle.js" in html
    js = stored.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    r = stored.get("/openapi.json", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/v1/openapi.json"


def test_host_allow_list(kb):
    c = TestClient(create_app(kb, allowed_hosts=["cpadvisor.intranet"]), base_url="http://cpadvisor.intranet")
    assert c.get("/v1/version").status_code == 200
    assert c.get("/v1/version", headers={"host": "evil.example"}).status_code == 400


def test_rate_limit_per_client(kb):
    c = TestClient(create_app(kb, rate_limit=5))
    codes = [c.get("/v1/version").status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    r = c.get("/v1/version")
    assert r.headers["content-type"] == "application/problem+json" and "retry-after" in r.headers


def test_deep_nesting_is_422_and_the_worker_lives(stored):
    """A 120 KB body nested 60,000 levels killed a service worker (empty reply)."""
    body = ("[" * 60000 + "]" * 60000).encode()
    r = stored.post("/v1/assess", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "嵌套层级过深" in r.json()["detail"]
    assert stored.get("/v1/version").status_code == 200


def test_a_batch_records_a_deeply_nested_file_and_goes_on(tmp_path):
    from cpadvisor.store.batch import run_batch
    from cpadvisor.store.db import INVALID, OK, Store
    import shutil
    d = tmp_path / "p"
    d.mkdir()
    (d / "deep.json").write_text("[" * 60000 + "]" * 60000, encoding="utf-8")
    shutil.copy(TEA, d / "tea.yaml")
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    res = run_batch([d], store, jobs=1)
    assert (res.ok, res.invalid, res.failed) == (1, 1, 0)
    rows = store.records(columns=("source_file", "status", "error"))
    assert {r.status for r in rows} == {OK, INVALID}
    store.close()
