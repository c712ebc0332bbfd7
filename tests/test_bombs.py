"""Issue 33: inputs built to exhaust the machine are refused within a bound the harness sets (the process runs
under an address-space limit and a time-out, so a regression fails instead of swapping the machine)."""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

REPO = Path(__file__).resolve().parent.parent
LIMIT_BYTES = 1_500_000_000  # the bomb used to take 3.7 GB
TIMEOUT = 60  # seconds; it used to take 75-80


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def run_bounded(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cpadvisor", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=_bounded, cwd=REPO)


def _book(path: Path, where: str, sheet: str = "企业", dimension: bool = True) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"] = "字段"
    ws[where] = "boom"
    wb.save(path)
    return path


@pytest.mark.parametrize("where", ["A1048576", "XFD3"])
def test_a_sheet_spanning_the_whole_grid_is_refused(tmp_path, where):
    f = _book(tmp_path / "bomb.xlsx", where)
    assert f.stat().st_size < 30_000
    r = run_bounded("assess", str(f))
    assert r.returncode == 2, r.stderr[-400:]
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and str(f) in lines[0] and "工作表范围过大" in lines[0] and "'企业'" in lines[0]


def test_a_sheet_whose_dimension_lies_is_refused_while_streaming(tmp_path):
    """The <dimension> tag removed: the rows are streamed, nothing past the limit is kept, the value refused."""
    import zipfile
    f = _book(tmp_path / "liar.xlsx", "A900000")
    out = tmp_path / "liar2.xlsx"
    with zipfile.ZipFile(f) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                import re
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            zout.writestr(item, data)
    r = run_bounded("assess", str(out))
    assert r.returncode == 2 and "工作表行数过多" in r.stderr, r.stderr[-400:]


def test_a_zip_bomb_is_refused_from_the_archive_directory(tmp_path):
    import zipfile
    f = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/big.bin", b"\0" * 60_000_000)  # 60 MB of zeros, about 60 KB packed
    assert f.stat().st_size < 200_000
    r = run_bounded("assess", str(f))
    assert r.returncode == 2 and "工作簿解压后过大" in r.stderr, r.stderr[-400:]


def test_a_very_hidden_sheet_is_not_read(tmp_path, kb):
    """A "veryHidden" 生产单元 sheet (invisible in Excel) is not read as data."""
    import io

    from openpyxl import load_workbook

    from cpadvisor.intake.profiles import load_profile
    from cpadvisor.intake.workbook import write_workbook
    f = tmp_path / "t.xlsx"
    data = {"name": "某厂", "sectors": ["steel"], "units": [{"id": "GL1", "type": "industrial_boiler"}]}
    f.write_bytes(write_workbook(kb, data, packs=["steel"]))
    assert [u.id for u in load_profile(f, kb).units] == ["GL1"]
    wb = load_workbook(io.BytesIO(f.read_bytes()))
    wb["生产单元"].sheet_state = "veryHidden"
    wb.save(f)
    assert load_profile(f, kb).units == []


# ------------------------------------------------------------ formula injection in exported workbooks
EVIL = ['=HYPERLINK("http://example.invalid","x")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-2+3"]


def _no_formula(path_or_bytes) -> list:
    import io

    from openpyxl import load_workbook
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    wb = load_workbook(io.BytesIO(data))
    seen = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value in EVIL:
                    seen.append(c.value)
    return seen


def _evil_profile() -> dict:
    return {"name": EVIL[0], "sectors": ["steel"], "county": EVIL[3],
            "units": [{"id": EVIL[1], "type": "industrial_boiler", "fuel": "coal"}],
            "products": [{"name": EVIL[2], "key": "steel_blast_furnace", "unit_energy": 400}],
            "plans": [{"id": "p1", "measure": "steel.orc_waste_heat_power", "name": EVIL[4], "investment_wan": 10,
                       "annual_saving_wan": 2, "status": "implemented"}]}


def test_convert_writes_formula_like_values_as_text_and_reads_them_back(kb, tmp_path):
    from cpadvisor.intake.profiles import load_profile
    src = tmp_path / "evil.json"
    import json
    src.write_text(json.dumps(_evil_profile(), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "evil.xlsx"
    r = run_bounded("convert", str(src), str(out))
    assert r.returncode == 0, r.stderr
    assert set(_no_formula(out)) >= {EVIL[0], EVIL[1], EVIL[2], EVIL[4]}
    back = load_profile(out, kb)
    assert back.name == EVIL[0] and back.units[0].id == EVIL[1] and back.products[0].name == EVIL[2]
    assert back.plans[0].name == EVIL[4]


def test_request_summary_and_service_workbooks_hold_no_formula(kb, tmp_path):
    import json

    from fastapi.testclient import TestClient

    from cpadvisor import assess
    from cpadvisor.report.request import requests, write_request_xlsx
    from cpadvisor.service.app import create_app
    from cpadvisor.store.db import Store
    from cpadvisor.store.summary import summarize, write_xlsx
    a = assess(_evil_profile(), kb=kb)
    _no_formula(write_request_xlsx(kb, a, requests(kb, a)))
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.save_assessment(a)
    write_xlsx(store, summarize(store), tmp_path / "s.xlsx")
    store.close()
    assert EVIL[0] in _no_formula(tmp_path / "s.xlsx")
    client = TestClient(create_app())
    r = client.post("/v1/report?format=xlsx", content=json.dumps(_evil_profile()),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    _no_formula(r.content)


def test_merged_cells_are_named_not_silently_dropped(kb, tmp_path):
    """Issue 33: merged cells silently dropped fields; they are refused, naming the sheet and the range."""
    import io

    from openpyxl import load_workbook

    from cpadvisor.errors import InputError
    from cpadvisor.intake.profiles import load_profile
    from cpadvisor.intake.workbook import write_workbook
    f = tmp_path / "m.xlsx"
    f.write_bytes(write_workbook(kb, {"name": "某厂", "sectors": ["steel"],
                                      "units": [{"id": "GL1", "type": "industrial_boiler"}]}, packs=["steel"]))
    wb = load_workbook(io.BytesIO(f.read_bytes()))
    wb["生产单元"].merge_cells("A3:B3")
    wb.save(f)
    with pytest.raises(InputError) as exc:
        load_profile(f, kb)
    assert "'生产单元'" in str(exc.value) and "A3:B3" in str(exc.value) and "合并单元格" in str(exc.value)
