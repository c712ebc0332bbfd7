"""Consultant reports: Markdown, HTML and Word, zh and en, for every example profile."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from markupsafe import escape
from typer.testing import CliRunner

from cpadvisor import render_report
from cpadvisor.report import build_context
from cpadvisor.report.translate import clause_en
from cpadvisor.cli.app import app
from cpadvisor.models.results import ThresholdUse
from cpadvisor.report.context import short_source
from cpadvisor.report import TEMPLATES, md_escape
from cpadvisor.report.labels import LABELS, labels
from cpadvisor.advisor import assess

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "report"
PROFILES = sorted((REPO / "examples").glob("*.yaml")) + sorted(FIXTURES.glob("*.yaml"))
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
POLICY_SECTIONS = {"policy.mandatory_audit", "policy.voluntary_audit", "policy.simplified_audit"}


def docx_text(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    """Paragraph texts and tables (rows of cell texts) of a Word file."""
    doc = Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return [p.text for p in doc.paragraphs], tables


@pytest.fixture(scope="module")
def assessments(kb):
    return {p.name: assess(p, kb=kb) for p in PROFILES}


def test_examples_exist():
    assert any(p.parent.name == "examples" for p in PROFILES), "no example profile to render"
    assert (REPO / "examples" / "steel_plant.yaml") in PROFILES


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_three_formats_render_with_each_recommended_measure(path, lang, kb, assessments):
    a = assessments[path.name]
    md = render_report(a, "md", lang, kb=kb)
    html = render_report(a, "html", lang, kb=kb)
    docx = render_report(a, "docx", lang, kb=kb)
    assert isinstance(md, str) and isinstance(html, str) and isinstance(docx, bytes)
    assert docx[:2] == b"PK"
    L = labels(lang)
    chapters = build_context(a, lang, kb)["chapters"]
    mandatory = a.finding("policy.mandatory_audit")
    article8 = mandatory is not None and mandatory.status == "to_verify" and any(  # 第八条 met, read as restated
        m.startswith("verify.policy.mandatory_audit:") for m in mandatory.missing)
    assert len(chapters) == (7 if a.profile_kind == "enterprise" and (a.audit_type() or article8 or (
        a.finding("policy.simplified_audit") and a.finding("policy.simplified_audit").status == "applies")) else 6)
    for ch in chapters:
        for title in [ch["title"]] + [s["title"] for s in ch["sections"] if s["title"]]:
            assert md_escape(title) in md and str(escape(title)) in html, title
    assert L["s_appendix"] in md and L["s_appendix"] in html
    paras, tables = docx_text(docx)
    for f in a.recommended:
        name = f.name.get(lang)
        clause = clause_en(f.clause) if lang == "en" else f.clause
        assert md_escape(name) in md and md_escape(clause) in md, f.measure_id
        if f.measure_id in POLICY_SECTIONS:
            assert any(name in p for p in paras), f.measure_id
            continue
        # Word: "n. name" heading line, then a table holding its clause; its id only in the working papers
        assert any(p.endswith(f". {name}") for p in paras), f.measure_id
        assert any(any(r[1] == clause for r in t) for t in tables), f.measure_id
        own = [t for t in tables if any(r[1] == clause for r in t) and any(name in c for r in t for c in r)
               or any(r[1] == clause for r in t) and len(t[0]) == 2]
        assert not any(f.measure_id in c for t in own for r in t for c in r), f.measure_id
        work = paras.index(L["s_workings"])
        assert any(f.measure_id in p for p in paras[work:]), f.measure_id
    assert a.knowledge_version in " ".join(paras) and a.engine_version in " ".join(paras)


def test_word_file_reads_back_steel_example(kb, assessments):
    a = assessments["steel_plant.yaml"]
    paras, tables = docx_text(render_report(a, "docx", "zh", kb=kb))
    text = "\n".join(paras) + "\n".join(c for t in tables for r in t for c in r)
    rec = [f for f in a.recommended if f.measure_id not in POLICY_SECTIONS]
    assert len(rec) >= 5
    for f in rec:
        assert f.name.zh in text and f.clause in text
    assert "清洁生产审核报告（初稿）" in text and "（一）无/低费方案" in text and "（二）中/高费方案" in text
    doc = Document(io.BytesIO(render_report(a, "docx", "zh", kb=kb)))
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    sec = doc.sections[0]
    assert abs(sec.page_width.cm - 21.0) < 0.01 and abs(sec.page_height.cm - 29.7) < 0.01


def test_html_escapes_profile_strings(kb, assessments):
    a = assessments["steel_xss.yaml"]
    html = render_report(a, "html", "zh", kb=kb)
    assert "<script>" not in html and "document.title='PWNED'" not in html
    assert "湘钢测试&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;有限公司" in html
    assert "@page { size: A4" in html and '<meta charset="utf-8">' in html
    assert "<link" not in html and "src=" not in html  # self-contained
    md = render_report(a, "md", "zh", kb=kb)
    assert "<script>" not in md and r"\<script\>" in md
    b = render_report(assess(FIXTURES / "ascii_en.yaml", kb=kb), "md", "en", kb=kb)
    assert r"Demo Paper & Board Co. \| \<b\>Ltd\</b\>" in b  # a pipe cannot break the table


def test_markdown_table_rows_keep_their_columns(kb, assessments):
    md = render_report(assessments["ascii_en.yaml"], "md", "en", kb=kb)
    for line in md.splitlines():
        if line.startswith("| Name |"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 3, line
            break
    else:
        pytest.fail("overview name row not found")


def test_english_labels_and_templates_hold_no_chinese():
    bad = {k: v[1] for k, v in LABELS.items() if CJK.search(v[1])}
    assert not bad, bad
    for t in TEMPLATES.glob("*.j2"):  # the Word template is checked in test_report_docx.py
        assert not CJK.search(t.read_text(encoding="utf-8")), t.name


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_english_report_has_chinese_only_in_cited_data(fmt, kb, assessments):
    """Chinese may remain only in clauses, threshold sources and the profile's own strings."""
    a = assessments["ascii_en.yaml"]
    out = render_report(a, fmt, "en", kb=kb, workings=False)  # the working papers keep sources verbatim
    if fmt == "docx":
        paras, tables = docx_text(out)
        out = "\n".join(paras + [c for t in tables for r in t for c in r])
    allowed = {m.measure.clause for m in kb.measures.values()} | {t.source for t in kb.thresholds.values()}
    allowed |= {t.cite or short_source(t.source) for t in kb.thresholds.values()}  # the source named plainly
    allowed |= {str(v) for v in (a.profile.get("city"), a.profile.get("county"), a.profile.get("park")) if v}
    for s in sorted(allowed, key=len, reverse=True):
        out = out.replace(s, "").replace(md_escape(s), "")
        out = out.replace(str(escape(s)), "")  # as Jinja escapes it (&#39; for a quote)
    leftover = sorted({m.group(0) for m in re.finditer(r"[^\n|]{0,20}" + CJK.pattern + r"[^\n|]{0,20}", out)})
    assert not leftover, leftover[:10]


def test_benchmark_gap_is_quantified_and_co2_is_not_invented(kb, assessments):
    a = assessments["steel_xss.yaml"]
    bf = next(b for b in a.benchmarks if b.product_key == "steel_blast_furnace")
    assert bf.saving_tce_per_year == pytest.approx(31 * 6_000_000 / 1000)
    assert bf.co2_t_per_year is None  # no sourced factor in the knowledge base
    md = render_report(a, "md", "zh", kb=kb)
    assert "| 争取达到 | 标杆水平 | 361 kgce/t | 31 kgce/t | 186,000 tce/年 |" in md and "节能量 = 差距 × 年产量" in md
    assert "未量化：缺少有出处的排放因子（tCO2/tce），待核实" in md
    assert "有出处的二氧化碳排放因子（tCO2/tce，官方文件）" in md  # listed as data to collect
    assert md.count("**未核实**") >= len(bf.levels)  # Tier C levels visibly marked
    assert "标注“未核实”的数值取自转载或二手来源" in md and "Tier" not in md.split("## 附录")[0]
    en = render_report(a, "md", "en", kb=kb)
    assert "not quantified: no sourced emission factor (tCO2/tce); to verify" in en and "**unverified**" in en
    sinter = next(b for b in a.benchmarks if b.product_key == "steel_sintering")
    assert sinter.saving_tce_per_year is None
    assert "| 单位产品综合能耗 | 烧结矿 | 对标：烧结矿 |" in md


def test_co2_is_shown_with_its_factor_and_source_when_the_engine_gives_one(kb, assessments):
    a = assessments["steel_xss.yaml"].model_copy(deep=True)
    b = next(b for b in a.benchmarks if b.saving_tce_per_year)
    factor = ThresholdUse(id="test.factor", value=2.0, unit="tCO2/tce", source="TEST-SOURCE-DOC", verified=False)
    b.co2_factor, b.co2_t_per_year = factor, b.saving_tce_per_year * 2.0
    html = render_report(a, "html", "en", kb=kb)
    assert f"{b.saving_tce_per_year * 2:,.0f} tCO2/a (emission factor 2 tCO2/tce, TEST-SOURCE-DOC, unverified)" in html


def test_to_verify_lists_what_to_collect_with_vocabulary_labels(kb, assessments):
    a = assessments["steel_xss.yaml"]
    md = render_report(a, "md", "zh", kb=kb)
    h2 = a.finding("common.wind_solar_storage_hydrogen")
    assert h2.status == "to_verify" and "enterprise.hydrogen_demand" in h2.missing
    label = kb.vocab.terms["attributes"]["hydrogen_demand"].zh
    assert f"| {label}（是/否） | 企业 | {h2.name.zh} |" in md
    kiln = a.finding("common.kiln_clean_fuel_substitution")
    assert kiln.missing == ["unit.fuel"] and "| 装置所用燃料 | SJ1（烧结机）, RZ1（热轧生产线（含加热炉）） |" in md
    en = render_report(a, "md", "en", kb=kb)
    assert f"| {kb.vocab.terms['attributes']['hydrogen_demand'].en} (yes/no) | enterprise | {h2.name.en} |" in en


def test_measures_split_by_cost_and_grouped_by_category(kb, assessments):
    a = assessments["steel_xss.yaml"]
    md = render_report(a, "md", "zh", kb=kb, structure="screening")
    low, high = md.index("### （一）无/低费方案"), md.index("### （二）中/高费方案")
    end = md.index("## 五、待核实事项")
    for f in a.recommended:
        if f.measure_id in POLICY_SECTIONS:
            continue
        pos = md.index(f"**{md_escape(f.name.zh)}**")
        assert (low < pos < high) if f.cost == "low" else (high < pos < end), f.measure_id
    assert "#### 节能降碳" in md[high:end] and "#### 污染防治" in md[high:end]
    # the reason carries the profile value it rests on; the rule's condition is in the working papers only
    body, work = md.split("### （三）工作底稿")
    assert "转炉一次烟气除尘方式（湿法OG/半干法/干法） = 湿法（OG）" in body and "!= dry" not in body
    assert "转炉一次烟气除尘方式（湿法OG/半干法/干法） = 湿法（OG） (bof\\_primary\\_dedusting != dry)" in work


def test_audit_type_section(kb, assessments):
    steel = render_report(assessments["steel_plant.yaml"], "md", "zh", kb=kb)
    # 促进法 第二十七条第二款第（三）项 met on the facts (text read), the list not stated: mandatory, on the facts
    assert assessments["steel_plant.yaml"].audit_type() == "mandatory"
    assert "**结论: 强制性清洁生产审核：企业自身情形符合法定情形（《清洁生产促进法》第二十七条第二款，原文已读" in steel
    assert "公布的名单确定企业并起算各项期限（日期待填）" in steel and "自愿性清洁生产审核" not in steel.split("## 二")[0]
    steel_en = render_report(assessments["steel_plant.yaml"], "md", "en", kb=kb)
    assert "**Conclusion: Mandatory cleaner-production audit: the enterprise's own facts meet a statutory case" in steel_en
    assert "Former Cleaner Production Promotion Law (2012), Art. 27(2)(3)" in steel_en
    listed = assess(REPO / "examples" / "lead_zinc_smelter.yaml", kb=kb)  # on the published list
    assert listed.audit_type() == "mandatory"
    assert "**结论: 强制性清洁生产审核**" in render_report(listed, "md", "zh", kb=kb)
    vol = render_report(assessments["steel_xss.yaml"], "md", "en", kb=kb)
    assert "**Conclusion: Voluntary cleaner-production audit**" in vol
    park = render_report(assessments["chemical_park.yaml"], "md", "en", kb=kb)
    assert "Parks are not given an audit type" in park
    unknown = assess({"name": "信息不全企业", "sectors": ["food"]}, kb=kb)
    assert "审核类型待核实" in render_report(unknown, "md", "zh", kb=kb)


def test_appendix_lists_facts_and_versions(kb, assessments):
    a = assessments["steel_xss.yaml"]
    md = render_report(a, "md", "zh", kb=kb)
    appendix = md[md.index("## 附录"):]
    assert "| units\\[2\\].attributes.bof\\_primary\\_dedusting | 转炉一次烟气除尘方式（湿法OG/半干法/干法） | 湿法（OG） |" in appendix
    assert "| products\\[0\\].unit\\_energy | 单位产品综合能耗 | 392 |" in appendix
    assert f"知识库版本: {a.knowledge_version}" in appendix and f"引擎版本: {a.engine_version}" in appendix
    assert a.assessed_at.isoformat(timespec="seconds") in appendix


def test_bad_format_and_language(kb, assessments):
    from cpadvisor.errors import InputError
    a = assessments["steel_xss.yaml"]
    with pytest.raises(InputError, match="unknown report format"):
        render_report(a, "pdf", "zh", kb=kb)
    with pytest.raises(InputError, match="unknown language"):
        render_report(a, "md", "fr", kb=kb)
    assert "# 清洁生产审核报告（初稿）" in render_report(a.model_dump(mode="json"), "md", "zh", kb=kb)
    assert "# 清洁生产审核建议报告" in render_report(a, "md", "zh", kb=kb, structure="screening")
    with pytest.raises(InputError, match="unknown structure"):
        render_report(a, "md", "zh", kb=kb, structure="essay")


def test_cli_report_picks_format_by_extension(tmp_path):
    runner = CliRunner()
    prof = str(FIXTURES / "steel_xss.yaml")
    for ext in ("docx", "html", "md"):
        out = tmp_path / f"r.{ext}"
        res = runner.invoke(app, ["report", prof, "-o", str(out), "--lang", "en"])
        assert res.exit_code == 0, res.output
        data = out.read_bytes()
        assert (data[:2] == b"PK") if ext == "docx" else ("Cleaner-Production Audit Report (draft)" in
                                                          data.decode("utf-8"))
    res = runner.invoke(app, ["report", prof, "-o", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 and "cannot tell the format" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["report", prof])
    assert res.exit_code == 0 and "## 四、方案的产生和筛选" in res.output and "【待审核小组填写】" in res.output
    res = runner.invoke(app, ["report", prof, "--structure", "screening", "--no-workings"])
    assert res.exit_code == 0 and "## 四、清洁生产方案" in res.output and "工作底稿" not in res.output
    assert "steel.hot_charging" not in res.output  # no measure id in the client's text
    res = runner.invoke(app, ["report", prof, "--lang", "fr"])
    assert res.exit_code == 2


def test_cli_report_from_saved_assessment(tmp_path, kb):
    a = assess(FIXTURES / "steel_xss.yaml", kb=kb)
    saved = tmp_path / "a.json"
    saved.write_text(a.model_dump_json(), encoding="utf-8")
    out = tmp_path / "r.md"
    res = CliRunner().invoke(app, ["report", str(saved), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert a.assessed_at.isoformat(timespec="seconds") in out.read_text(encoding="utf-8")


def test_enum_values_are_printed_as_words(kb):
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    zh = render_report(a, "md", "zh", kb=kb)
    en = render_report(a, "md", "en", kb=kb)
    assert "湿法熄焦" in zh and "wet quenching" in en
    assert "= wet " not in zh and ": wet |" not in zh


@pytest.mark.parametrize("structure", ["audit", "screening"])
def test_markdown_headings_are_headings_not_escaped_text(kb, assessments, structure):
    """A heading the template builds (the benchmark products' ### or ####) must not come out as '\\#\\#\\#'."""
    seen = 0
    for name, a in assessments.items():
        md = render_report(a, "md", "zh", kb=kb, structure=structure)
        assert not re.search(r"^\\#", md, re.M), name
        seen += len(re.findall(r"^#{3,4} .+\(", md, re.M))
    assert seen  # benchmark headings were rendered


def test_equipment_family_evidence_is_in_words(kb, assessments):
    """A rule on 'type is_a kiln_or_furnace' reads the unit's families: the client's text names them in words,
    not as the engine's field and ids ('families = lead_smelting_furnace、kiln_or_furnace…')."""
    for name in ("lead_zinc_smelter.yaml", "steel_plant.yaml"):
        for lang in ("zh", "en"):
            md = render_report(assessments[name], "md", lang, kb=kb, workings=False)
            assert "families =" not in md and "kiln\\_or\\_furnace" not in md, (name, lang)
    zh = render_report(assessments["lead_zinc_smelter.yaml"], "md", "zh", kb=kb, workings=False)
    assert "工业炉窑（窑炉、熔炉、加热炉）" in zh


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_to_verify_reason_reads_as_conditional(lang, kb, assessments):
    """A finding to verify states its rule's reason, which holds only once the missing facts are confirmed:
    the report says so; a finding that applies states it plainly."""
    from cpadvisor.report.context import Ctx
    a = assessments["steel_plant.yaml"]
    c = Ctx(a, lang, kb)
    prefix = labels(lang)["m_if_confirmed"]
    f = a.finding("common.hazardous_material_substitution")
    assert f.status == "to_verify" and c.finding_item(f)["reason"].startswith(prefix)
    applies = [x for x in a.recommended if x.reason]
    assert applies and not any(c.finding_item(x)["reason"].startswith(prefix) for x in applies)
    md = render_report(a, "md", lang, kb=kb)
    assert md_escape(prefix + c.t(f.reason)) in md
