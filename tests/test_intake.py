"""Consultant intake: the Excel workbook in and out, Chinese words, errors a consultant can act on, the data
request and merging its answers, the vocabulary listing, the portfolio workbook."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cpadvisor.advisor import assess
from cpadvisor.cli.app import app
from cpadvisor.cli.files import compact, profile_yaml
from cpadvisor.errors import InputError
from cpadvisor.intake.profiles import load_profile, validate_profile
from cpadvisor.intake.answers import completed_profile
from cpadvisor.report.request import requests
from cpadvisor.intake.workbook import FORM, HEAD_ROWS, IN_PLACE, ITEM_SHEETS, PLANS, read_workbook, write_workbook
from cpadvisor.knowledge.yamlio import load_file

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
CLI = [sys.executable, "-m", "cpadvisor"]


def _json(a) -> str:
    return a.model_dump_json(exclude={"assessed_at"})


def _json_upgraded(a) -> str:
    """The assessment without the notices of deprecated forms (a written-back profile is in today's form)."""
    return a.model_copy(update={"warnings": [w for w in a.warnings if "deprecated since" not in w]}).model_dump_json(
        exclude={"assessed_at"})


# ---------------------------------------------------------------- filling a template as a consultant would

def _cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return value


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and k in ("emissions", "energy_mix", "attributes"):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def fill(template: bytes, profile: dict) -> bytes:
    """Write a profile into a blank workbook by the field names of row 2 / column B (keys, not labels)."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    kind = profile.get("kind", "enterprise")
    form = wb[FORM[kind]]
    rows = {form.cell(r, 2).value: r for r in range(HEAD_ROWS + 1, form.max_row + 1)}
    lists = {"units", "products", "energy", "solid_wastes", "voc_operations", "measures_in_place", "kind", "plans",
             "cp_indicators"}  # indicator values have their own sheet (tests/test_cpeval.py)
    for key, value in _flat({k: v for k, v in profile.items() if k not in lists}).items():
        r = rows.get(key)
        if r is None:  # a fact the template did not foresee: the consultant adds a row
            r = form.max_row + 1
            form.cell(r, 2, key)
            rows[key] = r
        form.cell(r, 3, _cell(value))
    for title, field_name, _cols in ITEM_SHEETS:
        if field_name not in profile:
            continue
        ws = wb[title]
        heads = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
        for i, item in enumerate(profile[field_name]):
            for key, value in _flat(item).items():
                c = heads.get(key)
                if c is None:
                    c = ws.max_column + 1
                    ws.cell(2, c, key)
                    heads[key] = c
                ws.cell(HEAD_ROWS + 1 + i, c, _cell(value))
    ws = wb[PLANS[0]]  # plans: savings written as the consultant writes them ("coal 7800 tce; ...")
    heads = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
    for i, plan in enumerate(profile.get("plans") or []):
        for key, value in plan.items():
            if key == "savings":
                value = "; ".join(f"{x['carrier']} {x['amount']:g} {x['unit']}" for x in value)
            ws.cell(HEAD_ROWS + 1 + i, heads[key], _cell(value))
    ws = wb[IN_PLACE[0]]
    for i, m in enumerate(profile.get("measures_in_place") or []):
        ws.cell(HEAD_ROWS + 1 + i, 1, m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_template_filled_from_each_example_assesses_like_the_yaml(kb, tmp_path, path):
    p = load_profile(path, kb)
    data = p.model_dump(mode="json", exclude_none=True)
    packs = data.get("sectors") or (["parks"] if data.get("kind") == "park" else ["common"])
    template = write_workbook(kb, None, packs=packs, kind=data.get("kind", "enterprise"))
    x = tmp_path / f"{path.stem}.xlsx"
    x.write_bytes(fill(template, data))
    assert _json(assess(x, kb=kb)) == _json(assess(path, kb=kb))


def test_init_writes_a_template_for_every_pack(kb, tmp_path):
    for pack in kb.packs:
        for suffix in (".xlsx", ".yaml"):
            out = tmp_path / f"{pack}{suffix}"
            r = CliRunner().invoke(app, ["init", pack, "-o", str(out)])
            assert r.exit_code == 0, r.output
            a = assess(out, kb=kb)  # valid as written
            assert a.profile_kind == ("park" if pack == "parks" else "enterprise")
    wb = openpyxl.load_workbook(tmp_path / "building_materials.xlsx")
    assert {"说明", "企业", "生产单元", "产品", "能源", "固体废物", "VOCs工序", "清洁生产方案", "已实施措施"} <= set(wb.sheetnames)
    units = wb["生产单元"]
    assert units["B1"].value == "装置类型" and units["B2"].value == "type"
    kinds = {dv.formula1 for dv in units.data_validations.dataValidation if dv.type == "list"}
    assert kinds, "drop-downs"
    lists = wb["_lists"]
    words = {c.value for col in lists.iter_cols() for c in col}
    assert "煤炭" in words and kb.vocab.label("unit_types", "cement_kiln") in words
    numbers = [dv for dv in units.data_validations.dataValidation if dv.type in ("decimal", "whole")]
    assert numbers and all(dv.prompt for dv in numbers)


def test_subsector_template_and_its_yaml_comments(tmp_path, kb):
    out = tmp_path / "t.yaml"
    r = CliRunner().invoke(app, ["init", "building_materials/ceramics", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "subsectors: [\"ceramics\"]" in text and "# " in text
    assert assess(out, kb=kb).profile["subsectors"] == ["ceramics"]


# ---------------------------------------------------------------- round trips

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_yaml_xlsx_yaml_round_trip(kb, tmp_path, seed):
    from bench.synth import Generator
    raw = Generator(kb, seed).profiles(1)[0]
    p = validate_profile(raw, kb)
    x = tmp_path / f"r{seed}.xlsx"
    x.write_bytes(write_workbook(kb, p.model_dump(mode="json")))
    q = load_profile(x, kb)
    assert q.model_dump(mode="json") == p.model_dump(mode="json")
    y = tmp_path / f"r{seed}.yaml"
    y.write_text(profile_yaml(compact(q)), encoding="utf-8")
    r = load_profile(y, kb)
    assert r.model_dump(mode="json") == p.model_dump(mode="json")
    assert _json_upgraded(assess(r, kb=kb)) == _json_upgraded(assess(p, kb=kb))


def test_park_with_measures_in_place_round_trips(kb, tmp_path):
    p = load_profile(REPO / "examples" / "chemical_park.yaml", kb).model_dump(mode="json")
    p["measures_in_place"] = ["parks.park_wide_audit"] if "parks.park_wide_audit" in kb.measures else \
        [next(m for m in kb.measures if m.startswith("parks."))]
    x = tmp_path / "park.xlsx"
    x.write_bytes(write_workbook(kb, p))
    assert openpyxl.load_workbook(x).sheetnames.count("已实施措施") == 1
    assert load_profile(x, kb).model_dump(mode="json") == validate_profile(p, kb).model_dump(mode="json")


def test_convert_in_every_direction(tmp_path, kb):
    src = REPO / "examples" / "aluminium_smelter.yaml"
    chain = [src, tmp_path / "a.json", tmp_path / "b.xlsx", tmp_path / "c.yaml", tmp_path / "d.xlsx", tmp_path / "e.json"]
    for a, b in zip(chain, chain[1:]):
        r = CliRunner().invoke(app, ["convert", str(a), str(b)])
        assert r.exit_code == 0, r.output
    ref = load_profile(src, kb).model_dump(mode="json")
    for f in chain[1:]:
        assert load_profile(f, kb).model_dump(mode="json") == ref, f
    r = CliRunner().invoke(app, ["convert", str(src), str(chain[1])])
    assert r.exit_code == 2  # never overwrites without --force


# ---------------------------------------------------------------- errors

def test_planted_wrong_value_names_sheet_and_cell(kb, tmp_path):
    x = tmp_path / "企业画像.xlsx"
    x.write_bytes(write_workbook(kb, load_profile(REPO / "examples" / "steel_plant.yaml", kb).model_dump(mode="json")))
    wb = openpyxl.load_workbook(x)
    ws = wb["生产单元"]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value == "type")
    ws.cell(7, col, "烧结鸡")
    num = next(c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value == "capacity")
    ws.cell(4, num, "很大")
    wb.save(x)
    res = subprocess.run(CLI + ["assess", str(x)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    letter = openpyxl.utils.get_column_letter(col)
    assert any(ln.startswith(f"error: {x}!生产单元!{letter}7: [units.4.type]") and "烧结鸡" in ln for ln in lines), lines
    assert any(f"!生产单元!{openpyxl.utils.get_column_letter(num)}4: [units.1.capacity]" in ln for ln in lines), lines


def test_chinese_words_are_accepted(kb):
    a = assess({"name": "x", "sectors": ["钢铁"], "energy": [{"fuel": "煤", "annual": 10}],
                "units": [{"type": "烧结机", "fuel": "燃煤"}, {"type": "转炉"}]}, kb=kb)
    assert a.profile["sectors"] == ["steel"] and a.profile["energy"][0]["fuel"] == "coal"
    assert [u["type"] for u in a.profile["units"]] == ["sintering_machine", "basic_oxygen_furnace"]
    assert a.profile["units"][0]["fuel"] == "coal"


def test_an_ambiguous_word_lists_the_candidates(make_kb):
    from tests.conftest import demo_measure, demo_pack
    kb = make_kb({"demo/pack.yaml": demo_pack(extra="  fuels:\n    f1: {zh: 甲燃料, en: F1, aliases: [燃料]}\n"
                                                    "    f2: {zh: 乙燃料, en: F2, aliases: [燃料]}\n"),
                  "demo/m.yaml": demo_measure("demo.m", "  - id: r\n    priority: low\n    when:\n"
                                                        "      enterprise: [demo_flag == true]\n"
                                                        "    because: {zh: x, en: x}\n")})
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "energy": [{"fuel": "燃料", "annual": 1}]}, kb, "p.yaml")
    assert "f1" in str(exc.value) and "f2" in str(exc.value) and "ambiguous" in str(exc.value)
    assert validate_profile({"name": "x", "energy": [{"fuel": "甲燃料", "annual": 1}]}, kb).energy[0].fuel == "f1"


def test_every_problem_at_once_with_valid_values_and_places(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("name: x\nsectors: [stee]\nfuel: coal\nwaste_heat_unrecovered: true\nunits:\n"
                 "  - {type: zzzz}\n  - {type: sintering_machine, total_energy_tce: 5}\n", encoding="utf-8")
    res = subprocess.run(CLI + ["assess", str(f)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    err = res.stderr
    assert "belongs to a production unit" in err  # fuel at the top level
    assert "'waste_heat_unrecovered' is a unit attribute" in err or "is a unit attribute" in err
    assert "belongs to the enterprise" in err  # total_energy_tce on a unit
    assert len([ln for ln in err.splitlines() if ln.startswith("error: ")]) >= 3
    g = tmp_path / "q.yaml"
    g.write_text("name: x\nsectors: [steel]\nunits:\n  - {type: zzzz}\n", encoding="utf-8")
    res = subprocess.run(CLI + ["assess", str(g)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "(valid: " in res.stderr and "cpadvisor vocab" in res.stderr
    assert "/" in res.stderr and any("\u4e00" <= ch <= "\u9fff" for ch in res.stderr)  # Chinese with English


# ---------------------------------------------------------------- the data request

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_request_lists_exactly_the_missing_facts(kb, path):
    a = assess(path, kb=kb)
    rows = requests(kb, a)
    keys = [r.path for r in rows]
    assert len(keys) == len(set(keys))  # each fact once
    by_key = {r.path: r for r in rows}
    units = {u["id"]: u for u in a.profile.get("units") or []}
    for f in a.to_verify:  # every missing fact of every to-verify finding has its row
        for m in f.missing:
            fact, _, name = m.partition(".")
            if fact == "derived":
                continue
            if fact == "unit":
                for uid in f.units:
                    if uid not in units:
                        continue  # a product or other item the same measure targets (e.g. phase-out below the baseline)
                    u = units[uid]
                    have = u.get(name) if name in u else (u.get("attributes") or {}).get(name)
                    if have is None:
                        assert any(k.startswith(f"units[{uid}].") and k.endswith(name) for k in keys), (m, uid)
            elif fact == "enterprise" or fact == "park":
                assert any(k == name or k == f"attributes.{name}" for k in keys), m
    for r in rows:  # and no row asks for something the profile has or no finding waits on
        assert r.waiting
        assert all(w.startswith("benchmark:") or a.finding(w) is not None
                   or (w.startswith("cp_eval:") and r.path.split(".")[2] in next(
                       e.missing for e in a.cp_evaluations if e.system_id == w.split(":", 1)[1]))
                   for w in r.waiting)


def test_request_asks_what_the_grounds_and_their_deadlines_need(kb):
    """Listed without a publication date: the date the deadlines run from; toxic substances without the last
    audit's date: the date the five-year interval runs from; a ground still open: its fact."""
    keys = {r.path for r in requests(kb, assess(REPO / "examples" / "lead_zinc_smelter.yaml", kb=kb))}
    assert {"emissions.list_published", "emissions.last_audit_completed"} <= keys
    steel = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)  # toxic: applies; on the list: not stated
    assert next(g for g in steel.grounds if g.id == "listed").status == "to_verify"
    assert "emissions.on_mandatory_list" in {r.path for r in requests(kb, steel)}
    dated = assess({"name": "x", "sectors": ["nonferrous"], "emissions": {
        "over_standard": False, "over_total_quota": False, "toxic_hazardous": True, "energy_over_quota": False,
        "on_mandatory_list": True, "list_published": "2026-03-31", "last_audit_completed": "2022-06-30"}}, kb=kb)
    assert not {r.path for r in requests(kb, dated)} & {"emissions.list_published", "emissions.last_audit_completed",
                                                        "emissions.on_mandatory_list"}


def test_request_date_answers_complete_the_profile(kb, tmp_path):
    import datetime
    src = REPO / "examples" / "lead_zinc_smelter.yaml"
    req = tmp_path / "资料清单.xlsx"
    assert CliRunner().invoke(app, ["request", str(src), "-o", str(req)]).exit_code == 0
    wb = openpyxl.load_workbook(req)
    ws = wb["资料清单"]
    rows = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    assert "日期" in ws.cell(rows["emissions.list_published"], 5).value
    ws.cell(rows["emissions.list_published"], 8, datetime.datetime(2026, 3, 31))  # an Excel date
    ws.cell(rows["emissions.last_audit_completed"], 8, "2021-06-30")  # typed as text
    wb.save(req)
    done = completed_profile(kb, req, src)
    assert done.emissions.list_published == datetime.date(2026, 3, 31)
    assert done.emissions.last_audit_completed == datetime.date(2021, 6, 30)
    duties = {d.id: d.due for d in assess(done, kb=kb).finding("policy.mandatory_audit").duties}
    assert duties["start_audit"] == "2026-05-31" and duties["toxic_audit_interval"] == "2026-06-30"


def test_request_answers_complete_the_profile(kb, tmp_path):
    src = REPO / "examples" / "steel_plant.yaml"
    req = tmp_path / "资料清单.xlsx"
    r = CliRunner().invoke(app, ["request", str(src), "-o", str(req)])
    assert r.exit_code == 0, r.output
    before = assess(src, kb=kb)
    wb = openpyxl.load_workbook(req)
    ws = wb["资料清单"]
    n = 0
    for row in range(3, ws.max_row + 1):
        path = ws.cell(row, 1).value
        allowed = ws.cell(row, 5).value or ""
        if "是 / 否" in allowed:
            ws.cell(row, 8, "否")
            n += 1
    wb.save(req)
    out = tmp_path / "done.yaml"
    r = CliRunner().invoke(app, ["assess", str(req), "--profile", str(src), "--write", str(out), "--json"])
    assert r.exit_code == 0, r.output
    after = json.loads(r.stdout)
    assert n >= 2 and sum(f["status"] == "to_verify" and not f["optional"] for f in after["findings"]) < len(before.to_verify)
    done = load_profile(out, kb)
    assert _json(assess(done, kb=kb)) == _json(assess(completed_profile(kb, req, src), kb=kb))
    md = tmp_path / "r.md"
    assert CliRunner().invoke(app, ["request", str(src), "-o", str(md)]).exit_code == 0
    assert md.read_text(encoding="utf-8").count("\n| ") >= len(requests(kb, before))


def test_a_bad_answer_names_its_cell(kb, tmp_path):
    src = REPO / "examples" / "steel_plant.yaml"
    req = tmp_path / "req.xlsx"
    CliRunner().invoke(app, ["request", str(src), "-o", str(req)])
    wb = openpyxl.load_workbook(req)
    ws = wb["资料清单"]
    row = next(r for r in range(3, ws.max_row + 1) if "是 / 否" in (ws.cell(r, 5).value or ""))
    ws.cell(row, 8, "也许")
    wb.save(req)
    res = subprocess.run(CLI + ["assess", str(req), "--profile", str(src)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and f"{req}!资料清单!H{row}:" in res.stderr


# ---------------------------------------------------------------- vocabulary, batch and the portfolio workbook

def test_vocab_lists_every_kind_and_attribute(kb):
    r = CliRunner().invoke(app, ["vocab", "--json"])
    data = json.loads(r.stdout)
    assert {"sectors", "subsectors", "unit_types", "fuels", "waste_kinds", "voc_kinds"} <= set(data["terms"])
    coal = next(w for w in data["terms"]["fuels"] if w["key"] == "coal")
    assert coal["zh"] == "煤炭" and "煤" in coal["aliases"]
    attrs = {a["name"]: a for a in data["attributes"]}
    assert len(attrs) == len(kb.vocab.terms["attributes"])
    assert attrs["waste_heat_unrecovered"]["where"] == "units[].attributes"
    r = CliRunner().invoke(app, ["vocab", "--pack", "steel", "--json"])
    steel = json.loads(r.stdout)
    assert all(w["pack"] == "steel" for kind in steel["terms"].values() for w in kind)
    assert CliRunner().invoke(app, ["vocab", "--pack", "stel"]).exit_code == 2


def test_batch_and_summary_read_and_write_workbooks(kb, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    for src in EXAMPLES[:4]:
        (folder / f"{src.stem}.xlsx").write_bytes(write_workbook(kb, load_profile(src, kb).model_dump(mode="json")))
    db = str(tmp_path / "s.db")
    r = CliRunner().invoke(app, ["batch", str(folder), "--db", db, "--no-progress"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "portfolio.xlsx"
    r = CliRunner().invoke(app, ["summary", "--db", db, "--xlsx", str(out)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "企业", "措施"]
    assert wb["企业"].max_row == 1 + sum(1 for s in EXAMPLES[:4] if load_file(s).data.get("kind") != "park")
    assert wb["措施"].max_row > 10


def test_wrong_measure_in_place_names_its_own_cell(kb, tmp_path):
    """With more than ten measures in place, the error still names the row of the wrong one (not a sorted-by-text row)."""
    p = load_profile(REPO / "examples" / "steel_plant.yaml", kb).model_dump(mode="json")
    ids = sorted(m for m in kb.measures if m.startswith("common."))[:12]
    p["measures_in_place"] = ids
    x = tmp_path / "m.xlsx"
    x.write_bytes(write_workbook(kb, p))
    wb = openpyxl.load_workbook(x)
    wb[IN_PLACE[0]].cell(HEAD_ROWS + 12, 1, "common.no_such_measure")  # the 12th row
    wb.save(x)
    with pytest.raises(InputError) as exc:
        load_profile(x, kb)
    assert f"!{IN_PLACE[0]}!A{HEAD_ROWS + 12}" in str(exc.value) and "[measures_in_place.11]" in str(exc.value)


def test_a_city_and_a_subsector_as_a_person_writes_them(kb):
    """Issue 32: 株洲 and 陶瓷 were rejected where a person would write them."""
    from cpadvisor.intake.profiles import validate_profile
    p = validate_profile({"name": "醴陵某瓷业", "city": "株洲", "sectors": ["building_materials"],
                          "subsectors": ["陶瓷"]}, kb)
    assert p.city == "株洲市" and p.subsectors == ["ceramics"]


def test_the_templates_placeholder_name_is_warned(kb, tmp_path):
    """Issue 32: "（企业名称）" was accepted silently."""
    import subprocess
    import sys
    f = tmp_path / "p.yaml"
    f.write_text("name: （企业名称）\nsectors: [food]\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "assess", str(f)], capture_output=True, text=True)
    assert r.returncode == 0 and "模板占位文字" in r.stderr and str(f) in r.stderr
    assert "placeholder" in assess(f, kb=kb).warnings[0]


@pytest.mark.parametrize("written, tce", [("26000吨标煤", 26000), ("2.6万吨标煤", 26000), ("26,000 tce", 26000),
                                          ("26000000 kgce", 26000)])
def test_a_number_with_its_unit_is_understood(kb, written, tce):
    """Issue 32: "26000吨标煤" gave an English-only error with no unit hint."""
    from cpadvisor.intake.profiles import validate_profile
    p = validate_profile({"name": "x", "total_energy_tce": written, "electricity_mwh": "450 GWh",
                          "water_m3": "12万方"}, kb)
    assert (p.total_energy_tce, p.electricity_mwh, p.water_m3) == (pytest.approx(tce), 450000, 120000)


def test_a_number_in_another_unit_says_which_unit_the_field_wants(tmp_path):
    import subprocess
    import sys
    f = tmp_path / "p.yaml"
    f.write_text("name: x\ntotal_energy_tce: 26000 kg\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "assess", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert f"{f}:2: [total_energy_tce] 应为以吨标煤（tce）计的数字" in r.stderr and "a number in tce" in r.stderr


def test_the_request_never_asks_what_the_engine_computes_and_its_answers_merge(kb):
    """Issue 32: the data request asked `energy_grade / energy_grade` (a computed field with no column), and
    answering it broke the merge ("unknown field 'attributes' (did you mean 'attributes'?)")."""
    from cpadvisor.intake.answers import merge_answers
    from cpadvisor.report.request import requests
    tile = {"name": "瓷砖", "key": "ceramic_tile_wa_le_0_2", "annual_output": 1800}
    for project in ("existing", "new"):
        a = assess({"name": "x", "sectors": ["building_materials"], "project_type": project, "products": [tile]}, kb=kb)
        rows = requests(kb, a)
        paths = [r.path for r in rows]
        assert not [p for p in paths if any(w in p for w in ("energy_grade", "vs_benchmark", "worse_than"))], paths
        assert "products[瓷砖].unit_energy" in paths
        if project == "new":
            assert "products[瓷砖].cp_advanced_energy" in paths and "products[瓷砖].unit_water" in paths
        answers = [(r.path, 1 if "cp_advanced" in r.path or "unit_" in r.path else True, "资料清单!H3") for r in rows
                   if r.path.startswith("products[")]
        data, _ = merge_answers(kb, a.profile, answers)
        assess(data, kb=kb)  # the answered request merges into a valid profile


def test_dropdowns_offer_labels_with_commas_and_they_read_back(kb, tmp_path):
    """Issue 32: every Chinese label holding a comma (the ceramic tiles, wall materials, reheating furnaces) was
    offered as its key: the single-choice lists now carry the label (a range on the hidden sheet: Excel splits
    only inline lists), and the label reads back as the key."""
    from cpadvisor.intake.profiles import load_profile
    data = {"name": "醴陵某瓷业", "sectors": ["building_materials"],
            "products": [{"name": "瓷砖", "key": "ceramic_tile_wa_0_2_to_0_5", "annual_output": 1800}]}
    raw = write_workbook(kb, data)
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    lists = wb["_lists"]
    col = next(c for c in range(1, lists.max_column + 1) if lists.cell(1, c).value == "one:products")
    words = [lists.cell(r, col).value for r in range(2, lists.max_row + 1)]
    label = "陶瓷砖（干压，0.2%<吸水率≤0.5%）"
    assert label in words and "ceramic_tile_wa_0_2_to_0_5" not in words
    ws = wb["产品"]
    key_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value == "key")
    assert ws.cell(3, key_col).value == label  # the cell shows the label too
    f = tmp_path / "tiles.xlsx"
    wb.save(f)
    assert load_profile(f, kb).products[0].key == "ceramic_tile_wa_0_2_to_0_5"


def test_plan_status_toxic_kinds_and_measures_in_the_consultants_words(kb, tmp_path):
    """Issue 32: the plan status header read "(proposed/accepted/…)", 有毒有害物质类别 rejected its Chinese labels,
    已实施措施 listed ids only."""
    from cpadvisor.intake.profiles import load_profile, validate_profile
    p = validate_profile({"name": "x", "emissions": {"toxic_hazardous": True, "toxic_categories": ["重金属", "危险废物"]},
                          "plans": [{"measure": "steel.hot_charging", "status": "已实施"}]}, kb)
    assert p.emissions.toxic_categories == ["heavy_metals", "hazardous_waste"] and p.plans[0].status == "implemented"
    raw = write_workbook(kb, {"name": "x", "sectors": ["steel"], "measures_in_place": ["steel.hot_charging"],
                              "plans": [{"measure": "steel.orc_waste_heat_power", "status": "accepted"}]})
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    plans = wb["清洁生产方案"]
    heads = [c.value for c in plans[1]]
    assert "状态（拟实施/已采纳/已实施/已否决）" in heads
    assert plans.cell(3, heads.index("状态（拟实施/已采纳/已实施/已否决）") + 1).value == "已采纳"
    lists = wb["_lists"]
    col = next(c for c in range(1, lists.max_column + 1) if lists.cell(1, c).value == "one:measures")
    assert "steel.hot_charging 热装热送" in [lists.cell(r, col).value for r in range(2, lists.max_row + 1)]
    wb["已实施措施"]["A4"] = "steel.bof_primary_dry_dedusting 转炉一次烟气干法除尘"  # picked from the drop-down
    f = tmp_path / "w.xlsx"
    wb.save(f)
    back = load_profile(f, kb)
    assert back.measures_in_place == ["steel.hot_charging", "steel.bof_primary_dry_dedusting"]
    assert back.plans[0].status == "accepted"


@pytest.mark.parametrize("unit, output", [("万m²", 1800), ("m²", 18_000_000), ("㎡", 18_000_000), ("万平方米", 1800)])
def test_output_units_people_write_are_converted_to_the_quotas(kb, unit, output):
    """Issue 32: with 产量单位 万m² or m² the report printed "1,800 万 m²" beside "缺少数据: 产量计量单位" and the
    saving stayed to verify."""
    a = assess({"name": "醴陵某瓷业", "sectors": ["building_materials"],
                "products": [{"name": "瓷砖", "key": "ceramic_tile_wa_0_5_to_10", "annual_output": output,
                              "output_unit": unit, "unit_energy": 4.0}]}, kb=kb)
    p = a.profile["products"][0]
    assert (p["annual_output"], p["output_unit"]) == (18_000_000, "m2")
    b = a.benchmarks[0]
    assert "product.output_unit" not in b.missing and b.saving_tce_per_year is not None
    if unit != "m2":
        assert any("output_unit" in w for w in a.warnings)
    from cpadvisor import render_report
    md = render_report(a, "md", "zh", kb=kb)
    assert "缺少数据: 产量计量单位" not in md and "产量计量单位；" not in md
