"""The HTTP service: every route and error case with the framework's test client, the bad-input corpus as
problem+json 4xx, results identical to the library's, and the web page driven in real headless Chromium."""
from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from cpadvisor.advisor import assess, explain
from cpadvisor.intake.workbook import write_workbook
from cpadvisor.service.app import XLSX, create_app
from tests.test_bad_input_corpus import CORPUS

REPO = Path(__file__).resolve().parent.parent
STEEL = REPO / "examples" / "steel_plant.yaml"
YAML = {"content-type": "application/yaml"}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(kb, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("svc") / "svc.db")
    return TestClient(create_app(kb, db=db, token=TOKEN), raise_server_exceptions=False)


TOKEN = "s3cret-token-for-tests"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def _same(a: dict, b) -> None:
    a = dict(a)
    b = json.loads(b.model_dump_json())
    a.pop("assessed_at")
    b.pop("assessed_at")
    assert a == b


def test_version_and_docs(client, kb):
    v = client.get("/v1/version").json()
    assert v["knowledge"] == kb.version and v["measures"] == len(kb.catalog) >= 122 and v["package"].startswith("0.")
    assert client.get("/docs").status_code == 200
    spec = client.get("/v1/openapi.json").json()
    for path in ("/v1/assess", "/v1/explain/{measure_id}", "/v1/report", "/v1/request", "/v1/measures",
                 "/v1/vocabulary", "/v1/schema/profile", "/v1/schema/assessment", "/v1/version",
                 "/v1/history/{enterprise}"):
        assert path in spec["paths"], path
    comps = spec["components"]["schemas"]
    assert "Assessment" in comps and "Finding" in comps and "Profile" in comps
    assert "sintering_machine" in comps["Unit"]["properties"]["type"]["enum"]


@pytest.mark.parametrize("fmt, ctype", [("yaml", "application/yaml"), ("json", "application/json"), ("xlsx", XLSX)])
def test_assess_in_every_format_equals_the_library(client, kb, fmt, ctype):
    if fmt == "yaml":
        body = STEEL.read_bytes()
    elif fmt == "json":
        body = json.dumps(json.loads(assess(STEEL, kb=kb).model_dump_json())["profile"], ensure_ascii=False).encode()
    else:
        body = write_workbook(kb, assess(STEEL, kb=kb).profile)
    r = client.post("/v1/assess", content=body, headers={"content-type": ctype})
    assert r.status_code == 200, r.text
    _same(r.json(), assess(STEEL, kb=kb))


def test_explain_report_request_measures_vocabulary_schemas(client, kb):
    body = STEEL.read_bytes()
    e = client.post("/v1/explain/steel.hot_charging", content=body, headers=YAML).json()
    assert e == json.loads(explain(STEEL, "steel.hot_charging", kb=kb).model_dump_json())
    for fmt, sig in (("docx", b"PK"), ("xlsx", b"PK"), ("html", b"<!DOCTYPE html"), ("md", b"# ")):
        for lang in ("zh", "en"):
            r = client.post(f"/v1/report?format={fmt}&lang={lang}", content=body, headers=YAML)
            assert r.status_code == 200 and r.content.startswith(sig), (fmt, lang, r.text[:200])
    saved = assess(STEEL, kb=kb).model_dump_json().encode()
    r = client.post("/v1/report?format=md", content=saved, headers={"content-type": "application/json"})
    assert r.status_code == 200 and "湘中钢铁" in r.text  # a saved assessment in, its report out
    wb = openpyxl.load_workbook(io.BytesIO(client.post("/v1/report?format=xlsx", content=body, headers=YAML).content))
    assert wb.sheetnames == ["结论", "资料清单"]
    rows = client.post("/v1/request", content=body, headers=YAML).json()
    from cpadvisor.report.request import requests
    assert [r["path"] for r in rows] == [r.path for r in requests(kb, assess(STEEL, kb=kb))]
    x = client.post("/v1/request?format=xlsx", content=body, headers=YAML)
    assert x.headers["content-type"] == XLSX and "资料清单" in openpyxl.load_workbook(io.BytesIO(x.content)).sheetnames
    assert client.post("/v1/request?format=md", content=body, headers=YAML).text.startswith("# 资料清单")
    ms = client.get("/v1/measures").json()
    assert len(ms) == len(kb.catalog) and client.get("/v1/measures?pack=steel").json()[0]["pack"] == "steel"
    assert client.get("/v1/vocabulary").json()["knowledge_version"] == kb.version
    assert client.get("/v1/schema/profile").json()["title"].startswith("cpadvisor profile")
    assert client.get("/v1/schema/assessment").json()["title"].startswith("cpadvisor assessment")


def test_history_with_a_store(client):
    body = STEEL.read_bytes()
    client.post("/v1/assess", content=body, headers={**YAML, **AUTH})
    client.post("/v1/assess", content=body, headers={**YAML, **AUTH})
    h = client.get("/v1/history/湘中钢铁联合有限公司（示例）", headers=AUTH).json()
    assert len(h) >= 2 and h[-1]["changes"] is not None
    r = client.get("/v1/history/no-such-enterprise", headers=AUTH)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_no_store_no_history(kb):
    c = TestClient(create_app(kb), raise_server_exceptions=False)
    r = c.get("/v1/history/x")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("name, text, line, field, words", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_bad_input_is_a_problem_4xx(client, name, text, line, field, words):
    r = client.post("/v1/assess", content=text.encode(), headers=YAML)
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM, r.text[:300]
    p = r.json()
    assert p["status"] == r.status_code and words in p["detail"]
    assert p["errors"][0]["line"] == line
    if field:
        assert p["errors"][0]["field"] == field
    assert "Traceback" not in r.text


@pytest.mark.parametrize("body, headers, status, words", [
    (b"", YAML, 400, "empty"),
    (b"name: x\n", {"content-type": "image/png"}, 415, "application/json"),
    (b"x" * (5 * 1024 * 1024 + 10), YAML, 413, "limit"),
    (b"\xff\xfe\x00name", YAML, 422, "UTF-8"),
    (b"name: {{ 7*7 }}\n", YAML, 422, "a key must be text"),
    (b"[1, 2]", {"content-type": "application/json"}, 422, "mapping"),
    (b"not a workbook", {"content-type": XLSX}, 422, "xlsx"),
    (b'{"findings": [], "knowledge_version": "x"}', {"content-type": "application/json"}, 422, "assessment"),
])
def test_malformed_wrong_type_unknown_too_large(client, body, headers, status, words):
    path = "/v1/report?format=md" if b"findings" in body else "/v1/assess"
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == status and r.headers["content-type"] == PROBLEM, (r.status_code, r.text[:300])
    assert words in r.json()["detail"]


def test_bad_query_and_unknown_names(client):
    body = STEEL.read_bytes()
    for path in ("/v1/report?format=odt", "/v1/report?lang=fr", "/v1/request?format=doc"):  # pdf is served (issue 32)
        r = client.post(path, content=body, headers=YAML)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    r = client.post("/v1/explain/steel.hot_chargin", content=body, headers=YAML)
    assert r.status_code == 422 and "did you mean 'steel.hot_charging'" in r.json()["detail"]
    assert client.get("/v1/measures?pack=stel").status_code == 404


def test_profile_strings_are_data_never_templates(client):
    r = client.post("/v1/report?format=html", content="name: '{{ 7*7 }}<script>x</script>'\nsectors: [steel]\n".encode(),
                    headers=YAML)
    assert r.status_code == 200 and "{{ 7*7 }}" in r.text and "49" not in r.text.split("<body", 1)[-1][:2000]
    assert "<script>x</script>" not in r.text


def test_page_is_chinese_by_default_with_an_english_switch(client):
    zh = client.get("/").text
    en = client.get("/?lang=en").text
    assert "清洁生产措施评估" in zh and "lang=en" in zh
    assert "Cleaner-production assessment" in en and 'lang="en"' in en


# ---------------------------------------------------------------- a real browser

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cpadvisor", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def test_serve_starts_on_loopback(server):
    import urllib.request
    with urllib.request.urlopen(server + "/v1/version", timeout=10) as r:
        assert json.loads(r.read())["measures"] >= 122


def test_browser_uploads_reads_the_table_and_downloads_the_report(server, tmp_path, kb):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/ci.d/chromium.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(server + "/")
        assert "清洁生产措施评估" in driver.title
        driver.find_element(By.ID, "profile").send_keys(str(STEEL))
        driver.find_element(By.ID, "go").click()
        wait = WebDriverWait(driver, 60)
        wait.until(EC.visibility_of_element_located((By.ID, "recommended")))
        rows = driver.find_elements(By.CSS_SELECTOR, "#recommended tr[data-measure]")
        shown = {r.get_attribute("data-measure") for r in rows}
        expected = {f.measure_id for f in assess(STEEL, kb=kb).recommended if f.kind == "measure"}
        assert shown == expected and len(shown) > 5
        assert "common.kiln_clean_fuel_substitution" in {r.get_attribute("data-measure")
                                        for r in driver.find_elements(By.CSS_SELECTOR, "#to-verify tr[data-measure]")}
        # 清洁生产水平评价 on the page: the steel system's indicators with their levels (issue 30)
        cp = {r.get_attribute("data-indicator"): r.find_elements(By.TAG_NAME, "td")[-1].text
              for r in driver.find_elements(By.CSS_SELECTOR, "#cp-eval tr[data-indicator]")}
        assert cp["ironmaking_energy"] == "Ⅱ级" and cp["sintering_energy"] == "Ⅰ级" and cp["fresh_water"] == "待补充"
        # the client's words: no ids, field paths or rule syntax in what the page shows (issue 32)
        body = driver.find_element(By.ID, "result").text
        for word in ("verify.", "derived.", "enterprise.", "policy.", "is_a", "art8_"):
            assert word not in body, word
        assert "强制性清洁生产审核" in driver.find_element(By.ID, "audit").text
        assert driver.find_elements(By.CSS_SELECTOR, "#optional tr[data-measure]")  # optional apart, as the CLI counts
        assert "可选核实" in driver.find_element(By.ID, "summary").text
        assert "清洁生产水平评价" in driver.find_element(By.ID, "cp-eval").text
        rows[0].find_element(By.CSS_SELECTOR, "button.explain").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#recommended tr.explained li")))
        driver.find_element(By.CSS_SELECTOR, "#recommended tr.explained button.trace").click()  # the trace on request
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#recommended tr.explained ul.muted li")))
        driver.find_element(By.ID, "dl-docx").click()
        driver.find_element(By.ID, "dl-request").click()
        deadline = time.time() + 60
        while time.time() < deadline:
            names = {p.name for p in downloads.iterdir() if not p.name.endswith(".crdownload")}
            if {"steel_plant-report.docx", "steel_plant-request.xlsx"} <= names:
                break
            time.sleep(0.2)
        assert (downloads / "steel_plant-report.docx").read_bytes()[:2] == b"PK", list(downloads.iterdir())
        assert "资料清单" in openpyxl.load_workbook(downloads / "steel_plant-request.xlsx").sheetnames
        # the consultant's way in English: a filled workbook uploaded, the result read, every file downloaded
        driver.get(server + "/?lang=en")
        assert "Cleaner-production assessment" in driver.title
        book = tmp_path / "steel_book.xlsx"
        book.write_bytes(write_workbook(kb, assess(STEEL, kb=kb).profile))
        driver.find_element(By.ID, "profile").send_keys(str(book))
        driver.find_element(By.ID, "go").click()
        wait.until(EC.visibility_of_element_located((By.ID, "recommended")))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#recommended tr[data-measure]"))
        assert "Mandatory cleaner-production audit" in driver.find_element(By.ID, "audit").text
        text = driver.find_element(By.ID, "result").text
        assert "Ironmaking process energy use" in text and "verify." not in text
        for button in ("dl-docx", "dl-html", "dl-request"):
            driver.find_element(By.ID, button).click()
        want = {"steel_book-report.docx", "steel_book-report.html", "steel_book-request.xlsx"}
        deadline = time.time() + 60
        while time.time() < deadline:
            names = {p.name for p in downloads.iterdir() if not p.name.endswith(".crdownload")}
            if want <= names:
                break
            time.sleep(0.2)
        assert want <= {p.name for p in downloads.iterdir()}, list(downloads.iterdir())
        assert "Cleaner-Production" in (downloads / "steel_book-report.html").read_text(encoding="utf-8")
        # a blank workbook from the landing page
        driver.find_element(By.CSS_SELECTOR, 'a[href="/v1/template?sector=steel"]').click()
        deadline = time.time() + 60
        while time.time() < deadline and not (downloads / "cpadvisor-steel.xlsx").exists():
            time.sleep(0.2)
        assert "企业" in openpyxl.load_workbook(downloads / "cpadvisor-steel.xlsx").sheetnames
    finally:
        driver.quit()


def test_the_page_view_speaks_the_clients_words_and_counts_like_the_cli(client, kb):
    """Issue 32: the page showed ids (verify.…, derived.…, enterprise.…) and English conditions, and counted optional
    questions with the others; /v1/page gives what the report shows."""
    r = client.post("/v1/page?lang=zh", content=STEEL.read_bytes(), headers=YAML)
    assert r.status_code == 200, r.text[:300]
    v = r.json()
    a = assess(STEEL, kb=kb)
    assert v["counts"] == {"recommended": len(a.recommended), "to_verify": len(a.to_verify),
                           "optional": len(a.optional)}
    shown = json.dumps({k: v[k] for k in ("obligations", "recommended", "to_verify", "optional", "audit")},
                       ensure_ascii=False)
    shown = shown.replace('"id": ', "")  # the measure id travels as data for the trace only
    for word in ("verify.", "derived.", "enterprise.emissions", "is_a", "art8_"):
        assert word not in shown, word
    assert v["benchmarks"] and v["cp_eval"][0]["rows"]
    en = client.post("/v1/page?lang=en", content=STEEL.read_bytes(), headers=YAML).json()
    assert "Mandatory cleaner-production audit" in en["audit"]


def test_errors_name_the_uploaded_file_and_blank_workbooks_download(client):
    r = client.post("/v1/assess", content=b"name: x\nsectors: [nope]\n",
                    headers={"content-type": "application/yaml", "x-filename": "%E9%86%B4%E9%99%B5.yaml"})
    assert r.status_code == 422 and r.json()["detail"].startswith("醴陵.yaml:2:")
    t = client.get("/v1/template?sector=building_materials")
    assert t.status_code == 200 and t.content[:2] == b"PK"
    assert openpyxl.load_workbook(io.BytesIO(t.content)).sheetnames[:2] == ["说明", "企业"]
    page = client.get("/").text
    assert "/v1/template?sector=steel" in page and "cpadvisor init" in page


def test_the_service_makes_pdfs_like_the_cli(client):
    """Issue 32: /v1/report?format=pdf was 422 though the CLI makes PDFs."""
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (scripts/ci.d/chromium.sh)")
    r = client.post("/v1/report?format=pdf&lang=zh", content=STEEL.read_bytes(), headers=YAML)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"
