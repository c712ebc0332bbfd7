"""Issue 14: a report the consultant can hand over. Client text apart from the engine's workings, English
without Chinese outside the client's own names, and the Word file checked in a real word processor (PDF)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from markupsafe import escape

from cpadvisor import assess, render_report
from cpadvisor.report import build_context, md_escape
from cpadvisor.report.labels import labels
from cpadvisor.report.translate import CJK, cite_en, clause_en, clauses_en, place_en

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "report"
PROFILES = sorted((REPO / "examples").glob("*.yaml")) + sorted(FIXTURES.glob("*.yaml"))
INTERNAL = re.compile(r"\bTier\b|uebench|GitHub|github|任务|[Tt]ranscription|official text not read")
RULE_SYNTAX = re.compile(r" contains | != | == |\bis_a\b")
LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.fixture(scope="module")
def assessments(kb):
    return {p.name: assess(p, kb=kb) for p in PROFILES}


def client_strings(v, out=None) -> set[str]:
    """Every text the client gave (names, places, product and unit names ...)."""
    out = set() if out is None else out
    if isinstance(v, str):
        out.add(v)
    elif isinstance(v, dict):
        for x in v.values():
            client_strings(x, out)
    elif isinstance(v, list):
        for x in v:
            client_strings(x, out)
    return out


def without_client(text: str, a, compact: bool = False) -> str:
    """The text without the client's own Chinese words (Latin ones are kept: they cannot hide Chinese)."""
    for c in sorted((c for c in client_strings(a.profile) if CJK.search(c)), key=len, reverse=True):
        for form in (c, md_escape(c), str(escape(c))):
            text = text.replace(re.sub(r"\s+", "", form) if compact else form, "")
    return text


def docx_all_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def body_of(text: str, lang: str) -> str:
    """The report before its appendix (the appendix holds the profile fields and the working papers)."""
    head = labels(lang)["s_appendix"]
    return text[:text.rindex(head)] if head in text else text


def measure_ids(kb) -> re.Pattern:
    return re.compile("|".join(re.escape(m) for m in sorted(kb.measures, key=len, reverse=True)))


# ------------------------------------------------------------ translation rules
def test_clauses_sources_and_places_translate_by_rule():
    assert clause_en("三(二)2 钢铁行业") == "Sec. 3(2)2, steel industry"
    assert clause_en("四(三)") == "Sec. 4(3)" and clause_en("三(二)3 原料药") == "Sec. 3(2)3, active pharmaceutical ingredients"
    assert clauses_en("under 四(三) audit results; 三(四)3 explores") == "under Sec. 4(3) audit results; Sec. 3(4)3 explores"
    assert cite_en("GB 21256-2025 表3") == "GB 21256-2025 Table 3"
    assert cite_en("GB 21342-2025 表1/表2 捣固焦炉 焦炭单位产品能耗 1级") == "GB 21342-2025 Tables 1/2"
    assert cite_en("发改产业〔2023〕723号 标杆水平") == "NDRC notice Fa Gai Chan Ye [2023] No. 723, benchmark level"
    assert cite_en("能效标杆水平（据中国水泥网转载）", "benchmark (as reprinted)") == "benchmark (as reprinted)"
    assert place_en("岳塘区") == "Yuetang District (岳塘区)" and place_en("Yuetang") == "Yuetang"


# ------------------------------------------------------------ client text vs working papers
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_body_has_no_internal_words_ids_or_rule_syntax(kb, assessments, lang):
    ids = measure_ids(kb)
    for name, a in assessments.items():
        for fmt in ("md", "docx"):
            out = render_report(a, fmt, lang, kb=kb)
            text = body_of(docx_all_text(out) if fmt == "docx" else out, lang)
            text = without_client(text, a)
            assert not INTERNAL.search(text), (name, fmt, INTERNAL.search(text).group(0))
            assert not RULE_SYNTAX.search(text), (name, fmt, text[RULE_SYNTAX.search(text).start() - 60:][:120])
            found = ids.search(md_escape(text) if fmt == "md" else text) or ids.search(text.replace("\\_", "_"))
            assert not found, (name, fmt, found.group(0))


def test_working_papers_hold_the_workings_and_can_be_left_out(kb, assessments):
    a = assessments["steel_plant.yaml"]
    full = render_report(a, "md", "zh", kb=kb)
    work = full[full.index("### （三）工作底稿"):]
    assert "steel.bof\\_primary\\_dry\\_dedusting" in work and "!= dry" in work and "C级来源" in work
    assert "Tier C" not in work  # the Chinese working papers say where a number comes from in Chinese (issue 32)
    short = render_report(a, "md", "zh", kb=kb, workings=False)
    assert "工作底稿" not in short and "Tier" not in short
    assert "steel.bof" not in body_of(short, "zh")  # (the appendix lists the profile's plans as given)
    doc = docx_all_text(render_report(a, "docx", "zh", kb=kb, workings=False))
    assert "工作底稿" not in doc and "steel.bof_primary_dry_dedusting" not in body_of(doc, "zh")


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_english_report_has_no_chinese_outside_the_clients_names(kb, assessments, fmt):
    for name, a in assessments.items():
        out = render_report(a, fmt, "en", kb=kb, workings=False)
        text = without_client(docx_all_text(out) if fmt == "docx" else out, a)
        left = sorted({m.group(0) for m in re.finditer(r".{0,20}" + CJK.pattern + r".{0,20}", text)})
        assert not left, (name, left[:5])


def test_with_working_papers_chinese_stays_inside_them(kb, assessments):
    a = assessments["steel_plant.yaml"]
    out = without_client(render_report(a, "md", "en", kb=kb), a)
    head = labels("en")["s_workings"]
    assert not CJK.search(out[:out.index(head)]) and CJK.search(out[out.index(head):])  # sources kept verbatim


# ------------------------------------------------------------ structure
def test_audit_chapters_with_placeholders_and_a_short_screening_report(kb, assessments):
    a = assessments["steel_plant.yaml"]
    L = labels("zh")
    audit = build_context(a, "zh", kb)
    assert audit["structure"] == "audit"  # 第八条 met (to verify): the chapters of a 清洁生产审核报告
    titles = [c["title"] for c in audit["chapters"]]
    assert titles == ["一、筹划与组织", "二、预审核", "三、审核", "四、方案的产生和筛选", "五、方案的确定（可行性分析）",
                      "六、方案的实施", "七、持续清洁生产"]
    md = render_report(a, "md", "zh", kb=kb)
    for ph in ("ph_team", "ph_focus", "ph_targets", "ph_balance", "ph_causes", "ph_implementation", "ph_continuous"):
        assert L[ph] in md, ph
    assert "规模以上工业单位增加值能耗比2020年下降14%（湖南省2025年目标：湘工信节能〔2024〕194号 二、工作目标）" in md
    assert "烧结烟气内循环: 已确定 (2026-09-15)" in md  # 方案的实施 lists the accepted and implemented plans
    screening = build_context(a, "zh", kb, structure="screening")
    assert [c["title"] for c in screening["chapters"]][:2] == ["一、企业概况", "二、审核类型"]
    park = build_context(assessments["chemical_park.yaml"], "en", kb)
    assert park["structure"] == "screening" and park["chapters"][0]["title"] == "1. Park overview"


def test_benchmark_gaps_per_target_never_summed_across(kb, assessments):
    a = assessments["steel_plant.yaml"]
    bf = next(b for b in a.benchmarks if b.product_key == "steel_blast_furnace")
    roles = {t.level: t.role for t in bf.targets}
    assert roles == {"baseline": "must_reach", "quota_3": "must_reach", "benchmark": "strive_for", "quota_1": "strive_for"}
    assert any("宽于能耗限额限定值" in n.zh for n in bf.notes)  # 435 baseline vs 415 limit explained
    assert any("修正系数" in n.zh for n in bf.notes)  # corrections not applied: indicative
    md = render_report(a, "md", "zh", kb=kb)
    totals = md[md.index("**节能潜力合计"):].split("\n\n")[1]
    assert "达到标杆水平：139,600 tce/年（2项产品）" in totals and "达到能耗限额1级：185,200 tce/年（4项产品）" in totals
    coke = next(b for b in assess(REPO / "examples" / "coking_chemicals.yaml", kb=kb).benchmarks)
    suspect = next(t for t in coke.targets if t.level == "benchmark")
    assert not suspect.used and suspect.saving_tce_per_year is None  # shown, never a saving target
    assert coke.gap_target == "quota_1"


# ------------------------------------------------------------ Word, printed by LibreOffice
def _pdf_pages(pdf: Path, mode: str = "-layout") -> list[str]:
    """Page texts; -layout keeps lines as printed, -raw keeps a table cell's words together."""
    text = subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, timeout=120).stdout
    return text.split("\f")


@pytest.mark.skipif(not (LIBREOFFICE and shutil.which("pdftotext")),
                    reason="LibreOffice/pdftotext not installed: scripts/ci.d/libreoffice.sh could not install them")
def test_every_example_prints_clean_in_libreoffice(tmp_path, kb, assessments):
    docs = {}
    for name, a in assessments.items():
        for lang in ("zh", "en"):
            stem = f"{Path(name).stem}_{lang}"
            data = render_report(a, "docx", lang, kb=kb)
            (tmp_path / f"{stem}.docx").write_bytes(data)
            doc = Document(io.BytesIO(data))
            heads = {p.text.strip() for p in doc.paragraphs
                     if p.text.strip() and (p.style.name.startswith("Heading") or p.style.name == "CP Measure Title")}
            docs[stem] = (a, lang, heads)
    res = subprocess.run([LIBREOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                          "pdf", "--outdir", str(tmp_path)] + [str(tmp_path / f"{s}.docx") for s in docs],
                         capture_output=True, text=True, timeout=900)
    for stem, (a, lang, heads) in docs.items():
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.exists(), res.stdout + res.stderr
        pages = _pdf_pages(pdf)
        appendix = next(i for i, p in enumerate(pages) if labels(lang)["s_appendix"] in p and i > 1)
        body = "\n".join(pages[:appendix])
        assert not INTERNAL.search(without_client(body, a)), (stem, INTERNAL.search(without_client(body, a)).group(0))
        for i, page in enumerate(pages[2:-1], start=2):  # after the cover and the contents
            lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
            lines = [ln for ln in lines if not re.fullmatch(r"\d+", ln)]  # the page number
            if lines:
                assert lines[-1] not in heads, (stem, i + 1, lines[-1])  # a heading is never left at a page bottom
        if lang == "en":
            raw = _pdf_pages(pdf, "-raw")
            compact = without_client(re.sub(r"\s+", "", "\n".join(raw[:appendix])), a, compact=True)
            left = CJK.findall(compact)
            assert not left, (stem, "".join(left)[:40])


LILING = {"name": "醴陵某瓷业有限公司", "city": "株洲", "sectors": ["building_materials"], "subsectors": ["陶瓷"],
          "total_energy_tce": 26000, "units": [{"id": "YL1", "type": "industrial_kiln", "fuel": "coal"}],
          "products": [{"name": "瓷砖", "key": "ceramic_tile_wa_0_5_to_10", "annual_output": 18000000,
                        "output_unit": "m2", "unit_energy": 3.0}],
          "emissions": {"over_standard": False, "over_total_quota": False, "toxic_hazardous": False,
                        "on_mandatory_list": False}}


def test_a_ceramics_report_says_only_what_its_findings_used(kb):
    """Issue 32: a ceramics report asked whether the quota was exceeded while rating the plant 能耗限额1级, cited the
    节约能源法 10,000 tce line under findings whose reasons do not use it, and spoke of 废钢比/铁水比."""
    from cpadvisor.report.request import requests
    a = assess(LILING, kb=kb)
    g = {x.id: x for x in a.grounds_of("policy.mandatory_audit")}
    assert g["art8_2"].status == "not_applies" and "限额限定值以内" in g["art8_2"].note.zh
    assert "emissions.energy_over_quota" not in [r.path for r in requests(kb, a)]
    assert a.audit_type() == "voluntary"
    md = render_report(a, "md", "zh", kb=kb)
    assert "废钢比" not in md and "铁水比" not in md
    for f in a.findings:  # a finding cites only the thresholds of its own conditions
        if f.measure_id in ("common.smart_microgrid", "common.onsite_wind_solar"):
            assert "common.key_energy_user_tce" not in [t.id for t in f.thresholds], f.measure_id
