"""Portfolio summary: counts, top measures, saving potential, policy targets, chart."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cpadvisor.store.batch import collect, run_batch
from cpadvisor.errors import InputError
from cpadvisor.store.db import Store
from cpadvisor.store.summary import TARGET_SOURCE, region_of, summarize, write_chart
from tests.test_store import FIXTURES, store_url  # noqa: F401 - the parametrized store fixture
from cpadvisor.advisor import assess


@pytest.fixture
def filled(kb, store_url):
    store = Store(store_url)
    run_batch([FIXTURES], store, jobs=1)
    yield store
    store.close()


def _direct(kb):
    return [assess(f, kb=kb) for f in collect([FIXTURES / "good"])]


def test_summary_matches_direct_assessments(kb, filled):
    direct = _direct(kb)
    s = summarize(filled)
    assert s["enterprises"] == len(direct) == 4
    assert s["mandatory_audit"] == sum(a.audit_type() == "mandatory" for a in direct)
    assert s["mandatory_audit"] >= 1
    want = Counter(f.measure_id for a in direct for f in a.recommended)
    got = {m["measure_id"]: m["enterprises"] for m in s["top_measures"]}
    assert len(got) == min(10, len(want))
    assert all(got[m] == want[m] for m in got)
    assert min(got.values()) >= max((c for m, c in want.items() if m not in got), default=0)
    saving = sum(b.saving_tce_per_year for a in direct for b in a.benchmarks if b.saving_tce_per_year is not None)
    assert saving > 0 and s["saving_tce_per_year"] == pytest.approx(saving)
    assert s["invalid_profiles"] == 3
    energy, water = s["targets"]
    assert energy["reduction_pct"] == 14.0 and water["reduction_pct"] == 12.0 and water["at_least"]
    assert energy["source"] == TARGET_SOURCE
    both = [a for a in direct if a.profile.get("total_energy_tce") and any(
        b.saving_tce_per_year is not None for b in a.benchmarks)]
    share = 100 * sum(b.saving_tce_per_year or 0 for a in both for b in a.benchmarks) / sum(
        a.profile["total_energy_tce"] for a in both)
    assert energy["portfolio"]["saving_share_pct"] == pytest.approx(share, abs=0.01)


def test_latest_assessment_per_enterprise_and_region(kb, filled):
    again = assess(FIXTURES / "good" / "steel_plant.yaml", kb=kb)
    filled.save_assessment(again)  # a second assessment of the same enterprise
    assert summarize(filled)["enterprises"] == 4
    xt = summarize(filled, "湘潭")
    assert xt["region"] == "湘潭市" and xt["enterprises"] == 1
    assert summarize(filled, "张家界市")["enterprises"] == 0
    with pytest.raises(InputError) as exc:
        region_of("武汉")
    assert "[--region]" in exc.value.one_line()


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<svg")])
def test_chart(kb, filled, tmp_path, suffix, magic):
    s = summarize(filled)
    out = write_chart(s, tmp_path / f"c{suffix}")
    data = out.read_bytes()
    assert magic in data[:400] and len(data) > 2000
    with pytest.raises(InputError):
        write_chart(s, tmp_path / "c.pdf")


def test_chart_says_its_bars_are_not_like_for_like(kb, filled, tmp_path):
    svg = write_chart(summarize(filled), tmp_path / "c.svg", lang="en").read_text(encoding="utf-8")
    assert "not like for like" in svg and "(intensity)" in svg and "(absolute, current output)" in svg


def test_cli_summary(monkeypatch, kb, tmp_path):
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    db = str(tmp_path / "s.db")
    store = Store(db)
    run_batch([FIXTURES / "good"], store, jobs=1)
    store.close()
    chart = tmp_path / "p.svg"
    from cpadvisor.cli import common as app_module
    monkeypatch.setattr(app_module.out, "_width", 300)  # the console's width is fixed when it is created
    r = CliRunner().invoke(app, ["summary", "--db", db, "--chart", str(chart)])
    assert r.exit_code == 0, r.output
    for text in ("须强制性清洁生产审核", "最常建议的措施", "规模以上工业单位增加值能耗比2020年下降14%", "万元工业增加值用水量较2020年降幅不低于12%",
                 "湘工信节能〔2024〕194号 二、工作目标"):
        assert text in r.stdout, text
    assert chart.exists()
    r = CliRunner().invoke(app, ["summary", "--db", db, "--json", "--lang", "en"])
    s = json.loads(r.stdout)
    assert s["enterprises"] == 4 and s["targets"][0]["source"]["en"].startswith("Hunan 2025 target")
    r = CliRunner().invoke(app, ["summary", "--db", db, "--region", "北京"])
    assert r.exit_code == 2 and "not a city or prefecture of Hunan" in r.output
    assert Path(db).exists()


def test_a_measure_ranks_the_enterprises_by_its_number(kb, tmp_path, monkeypatch):
    """Issue 29: a number without a sourced cut-off orders the recommendation: across a portfolio, the plants with
    the lowest wastewater reuse rate come first; a plant without the rate is not recommended (it is asked)."""
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    from cpadvisor.cli import common as app_module
    from cpadvisor.store.summary import ranking
    db = str(tmp_path / "r.db")
    store = Store(db)
    for name, pct in (("甲电子", 60), ("乙电子", 8), ("丙电子", 12), ("丁电子", None)):
        attrs = {"wastewater_reuse_pct": pct} if pct is not None else {}
        store.save_assessment(assess({"name": name, "city": "长沙市", "sectors": ["electronics"],
                                      "attributes": attrs}, kb=kb))
    rk = ranking(store, "common.wastewater_recycling")
    from cpadvisor.store.summary import write_xlsx
    import openpyxl
    write_xlsx(store, summarize(store), tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["措施"]
    assert ws.cell(1, 10).value == "排序依据 / ranked on"
    assert "工业废水回用率 8 %" in [ws.cell(i, 10).value for i in range(2, ws.max_row + 1)]
    store.close()
    assert [r["enterprise"] for r in rk["enterprises"]] == ["乙电子", "丙电子", "甲电子"]
    assert rk["enterprises"][0]["number_zh"] == "工业废水回用率 8 %" and rk["enterprises"][0]["order"] == "asc"
    monkeypatch.setattr(app_module.out, "_width", 300)
    r = CliRunner().invoke(app, ["summary", "--db", db, "--measure", "common.wastewater_recycling"])
    assert r.exit_code == 0, r.output
    assert r.stdout.index("乙电子") < r.stdout.index("丙电子") < r.stdout.index("甲电子")
    assert "common.wastewater_recycling" not in r.stdout and "工业废水循环利用" in r.stdout
    r = CliRunner().invoke(app, ["summary", "--db", db, "--measure", "common.wastewater_recyling"])
    assert r.exit_code == 2 and "common.wastewater_recycling" in r.output
