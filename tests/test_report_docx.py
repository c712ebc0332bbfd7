"""The Word report is rendered from the Word template templates/report.docx (docxtpl, Jinja2 tags)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from cpadvisor import render_report
from cpadvisor.errors import InputError
from cpadvisor.report.labels import labels
from cpadvisor.report.word import DOCX_TEMPLATE, TEMPLATE_ENV
from cpadvisor.advisor import assess

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "report"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
POLICY_SECTIONS = {"policy.mandatory_audit", "policy.voluntary_audit", "policy.simplified_audit"}
NASTY = {  # markup and XML specials in every profile string that reaches the report
    "name": 'A&B <Steel> "Co" \x0b Ltd 湘&钢</w:t>',
    "sectors": ["steel"], "size": "large", "project_type": "existing",
    "units": [{"id": "BF<1>&2", "type": "blast_furnace", "attributes": {"bf_equalizing_gas_recovered": False}}],
    "products": [{"name": "Iron & <hot> metal", "key": "steel_blast_furnace", "annual_output": 100, "unit_energy": 400}],
}


def paragraphs(data: bytes) -> list:
    return Document(io.BytesIO(data)).paragraphs


def all_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.fixture(scope="module")
def steel(kb):
    return assess(FIXTURES / "steel_xss.yaml", kb=kb)


def test_committed_template_is_what_the_script_makes(tmp_path):
    out = tmp_path / "report.docx"
    res = subprocess.run([sys.executable, str(REPO / "scripts" / "make_docx_template.py"), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    with zipfile.ZipFile(DOCX_TEMPLATE) as old, zipfile.ZipFile(out) as new:
        for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml", "word/numbering.xml"):
            assert old.read(part) == new.read(part), f"{part}: run scripts/make_docx_template.py and commit"


def test_template_holds_tags_only_each_in_one_run():
    with zipfile.ZipFile(DOCX_TEMPLATE) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    texts = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)
    assert len(texts) > 100
    for t in texts:  # a tag split over two runs would show up as an unbalanced run
        assert t.count("{{") == t.count("}}") and t.count("{%") == t.count("%}"), t
    body = "".join(texts)
    outside = re.sub(r"{{.*?}}|{%.*?%}", "", body)
    assert not CJK.search(body), "the template prints labels, it holds no Chinese text of its own"
    assert not re.search(r"[A-Za-z]{3,}", outside), outside[:200]  # no words outside tags either
    for tag in ("{%tr for lv in x.levels %}", "{%p for m in g[\"items\"] %}", "{%tc for c in r %}",
                "{%p if benchmarks.any_unverified %}"):
        assert tag in body, tag


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sections_in_order_with_heading_styles(lang, kb, steel):
    L = labels(lang)
    data = render_report(steel, "docx", lang, kb=kb, structure="screening")
    paras = paragraphs(data)
    h1 = [p.text for p in paras if p.style.name == "Heading 1"]
    assert h1 == [L[k] for k in ("s_overview", "s_audit_type", "s_benchmark", "s_measures", "s_to_verify",
                                 "s_policy", "s_appendix")]
    assert next(p for p in paras if p.style.name == "Title").text == L["title"]
    toc = [p.text for p in paras].index(L["toc"])  # the cover, then the contents (a TOC field showing h1)
    assert [p.text for p in paras[toc + 1:toc + 9] if p.text][:7] == h1
    h2 = [p.text for p in paras if p.style.name == "Heading 2"]
    rec = [f for f in steel.recommended if f.measure_id not in POLICY_SECTIONS]
    n_low = sum(f.cost == "low" for f in rec)
    assert f"{L['s_low_cost']} ({L['m_count'].format(n=n_low)})" in h2
    assert f"{L['s_high_cost']} ({L['m_count'].format(n=len(rec) - n_low)})" in h2
    for k in ("s_collect", "s_verify_measures", "s_clauses", "s_incentives", "s_facts", "s_versions"):
        assert L[k] in h2, k
    # each measure sits under its cost heading, numbered across categories (Heading 3)
    texts = [p.text if p.style.name.startswith(("Heading", "CP Measure")) else "" for p in paras]
    low = texts.index(f"{L['s_low_cost']} ({L['m_count'].format(n=n_low)})")
    high = next(i for i, t in enumerate(texts) if t.startswith(L["s_high_cost"]))
    end = texts.index(L["s_to_verify"])
    titles = [(i, t) for i, t in enumerate(texts) if paras[i].style.name == "CP Measure Title"]
    for f in rec:
        i = next(i for i, t in titles if t.endswith(f". {f.name.get(lang)}") and (low < i < end))
        assert (low < i < high) if f.cost == "low" else (high < i < end), f.measure_id
    numbers = [int(t.split(".")[0]) for i, t in titles if high < i < end]
    assert numbers == list(range(1, len(rec) - n_low + 1))
    assert any(paras[i].style.name == "Heading 3" and texts[i] == L["cat_energy"] for i in range(high, end))
    # the unverified-threshold note and warnings keep the warning character style
    warn = [r.text for p in paras for r in p.runs if r.style.name == "CP Warning"]
    assert L["b_unverified_note"] in warn


def test_page_styles_and_footer(kb, steel):
    doc = Document(io.BytesIO(render_report(steel, "docx", "zh", kb=kb)))
    sec = doc.sections[0]
    assert abs(sec.page_width.cm - 21.0) < 0.01 and abs(sec.page_height.cm - 29.7) < 0.01
    assert doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:asciiTheme")) is None
    assert "PAGE" in "".join(t.text for t in sec.footer._element.iter(qn("w:instrText")))
    assert doc.core_properties.language == "zh-CN" and doc.core_properties.title.startswith("清洁生产审核报告（初稿） - ")
    assert doc.tables and all(t.style.name == "Table Grid" for t in doc.tables)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_profile_strings_are_escaped(lang, kb):
    a = assess(NASTY, kb=kb)
    data = render_report(a, "docx", lang, kb=kb)
    text = all_text(data)  # parses: the XML is intact
    name = 'A&B <Steel> "Co"  Ltd 湘&钢</w:t>'  # the vertical tab Word cannot store is dropped
    assert any(p.text == name for p in paragraphs(data))
    assert "BF<1>&2" in text and "Iron & <hot> metal" in text
    assert "&amp;" not in text and "&lt;" not in text  # escaped once, not twice
    xss = assess(FIXTURES / "steel_xss.yaml", kb=kb)
    assert "湘钢测试<script>document.title='PWNED'</script>有限公司" in all_text(render_report(xss, "docx", lang, kb=kb))


def edited_template(path: Path) -> Path:
    """What a consultant does in Word: restyle a heading, add a line of their own."""
    doc = Document(str(DOCX_TEMPLATE))
    doc.styles["Heading 1"].font.size = Pt(20)
    first = doc.paragraphs[0]
    first.insert_paragraph_before("Prepared by ACME Consulting for {{ meta.name }}")
    doc.save(str(path))
    return path


def test_rendering_uses_the_given_template(tmp_path, kb, steel, monkeypatch):
    monkeypatch.delenv(TEMPLATE_ENV, raising=False)
    custom = edited_template(tmp_path / "acme.docx")
    default = Document(io.BytesIO(render_report(steel, "docx", "en", kb=kb)))
    assert not any("ACME" in p.text for p in default.paragraphs)
    mine = Document(io.BytesIO(render_report(steel, "docx", "en", kb=kb, template=custom)))
    assert mine.paragraphs[0].text == f"Prepared by ACME Consulting for {steel.profile_name}"
    assert mine.styles["Heading 1"].font.size == Pt(20) != default.styles["Heading 1"].font.size
    assert sum(p.style.name == "Heading 1" for p in mine.paragraphs) == 8  # 7 chapters and the appendix, as before
    monkeypatch.setenv(TEMPLATE_ENV, str(custom))
    via_env = Document(io.BytesIO(render_report(steel, "docx", "en", kb=kb)))
    assert via_env.paragraphs[0].text.startswith("Prepared by ACME Consulting")


def test_bad_templates_give_one_clear_error(tmp_path, kb, steel):
    with pytest.raises(InputError, match=r"missing\.docx: \[template\] Word template not found"):
        render_report(steel, "docx", "zh", kb=kb, template=tmp_path / "missing.docx")
    (tmp_path / "plain.docx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="not a Word .docx file"):
        render_report(steel, "docx", "zh", kb=kb, template=tmp_path / "plain.docx")
    for i, (text, message) in enumerate((("{{ meta.name ", "tag error"),
                                         ("{{ meta.nmae }}", r"tag error: 'dict object' has no attribute 'nmae'"))):
        doc = Document(str(DOCX_TEMPLATE))
        doc.paragraphs[0].insert_paragraph_before(text)
        bad = tmp_path / f"bad{i}.docx"
        doc.save(str(bad))
        with pytest.raises(InputError, match=message) as err:
            render_report(steel, "docx", "zh", kb=kb, template=bad)
        assert str(err.value).startswith(f"{bad}: [template] ") and "\n" not in str(err.value)
    with pytest.raises(InputError, match="docx only"):
        render_report(steel, "md", "zh", kb=kb, template=DOCX_TEMPLATE)


LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(not (LIBREOFFICE and shutil.which("pdftotext")),
                    reason="LibreOffice/pdftotext not installed: scripts/ci.d/libreoffice.sh could not install them")
def test_libreoffice_opens_the_report_as_a4(tmp_path, kb, steel):
    src = tmp_path / "report.docx"
    src.write_bytes(render_report(assess(NASTY, kb=kb), "docx", "zh", kb=kb))
    res = subprocess.run([LIBREOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                         capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "report.pdf"
    assert pdf.exists(), res.stdout + res.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "清洁生产审核建议报告" in text and "A&B <Steel>" in text and "BF<1>&2" in text


def test_cli_template_option(tmp_path):
    """`cpadvisor report --template` uses a restyled copy; a template with html output is refused."""
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    from cpadvisor.report.word import DOCX_TEMPLATE
    import docx as _docx

    custom = tmp_path / "mine.docx"
    doc = _docx.Document(str(DOCX_TEMPLATE))
    doc.paragraphs[0].insert_paragraph_before("CUSTOM-TEMPLATE-MARK {{ meta.name }}")
    doc.save(str(custom))
    out = tmp_path / "r.docx"
    example = Path(__file__).resolve().parent.parent / "examples" / "cement_plant.yaml"
    res = CliRunner().invoke(app, ["report", str(example), "-o", str(out), "--template", str(custom)])
    assert res.exit_code == 0, res.output
    text = "\n".join(p.text for p in _docx.Document(str(out)).paragraphs)
    assert "CUSTOM-TEMPLATE-MARK" in text and "（示例）" in text
    res = CliRunner().invoke(app, ["report", str(example), "-o", str(tmp_path / "r.html"), "--template", str(custom)])
    assert res.exit_code == 2 and "--template" in res.output


def test_data_driven_tables_get_widths_that_fit_their_content(kb, steel):
    """The units table: a long 'other facts' column is wide, the count column narrow (it no longer wraps
    every few characters); the widths add up to the text width."""
    from docx.oxml.ns import qn
    doc = Document(io.BytesIO(render_report(steel, "docx", "zh", kb=kb)))
    units = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["编号", "类型"])
    head = [c.text for c in units.rows[0].cells]
    grid = [int(g.get(qn("w:w"))) for g in units._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(grid) == len(head)
    assert grid[head.index("其他情况")] > 2 * grid[head.index("数量")]
    assert abs(sum(grid) - 9070) < len(grid) + 1
    assert units._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_cover_contents_and_chapter_breaks(kb, steel):
    from docx.oxml.ns import qn
    data = render_report(steel, "docx", "zh", kb=kb, consultant="湖南某咨询有限公司")
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert "咨询机构: 湖南某咨询有限公司" in texts and "委托单位: " + steel.profile_name in texts
    assert any(i.text and "TOC" in i.text for i in doc.element.body.iter(qn("w:instrText")))  # a contents field
    assert doc.styles["Heading 1"].paragraph_format.page_break_before  # chapters start on a new page
    assert all(doc.styles[h].paragraph_format.keep_with_next for h in ("Heading 2", "Heading 3", "CP Measure Title"))
    assert doc.styles["Normal"].font.name == "Arial"  # a sans Latin font Word has and LibreOffice maps
    settings = doc.settings.element
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"
    default = Document(io.BytesIO(render_report(steel, "docx", "zh", kb=kb)))
    assert "咨询机构: 【咨询机构名称】" in [p.text for p in default.paragraphs]


def test_cached_template_renders_what_stock_docxtpl_renders(kb, steel):
    """The body is patched and compiled once per template file; the document is the same as docxtpl's own path."""
    import zipfile

    from docxtpl import DocxTemplate

    from cpadvisor.report import word
    from cpadvisor.report.context import build_context
    word._COMPILED.clear()
    first = render_report(steel, "docx", "zh", kb=kb)
    assert word._COMPILED  # compiled once, kept
    again = render_report(steel, "docx", "zh", kb=kb)
    ctx = build_context(steel, "zh", kb)
    ctx["show_workings"] = True
    tpl = DocxTemplate(str(word.DOCX_TEMPLATE))
    tpl.render(ctx, word.jinja_environment(), autoescape=True)
    word.fit_tables(tpl.docx)
    buf = io.BytesIO()
    tpl.save(buf)
    body = [zipfile.ZipFile(io.BytesIO(d)).read("word/document.xml") for d in (first, again, buf.getvalue())]
    assert body[0] == body[1] == body[2]


def test_fit_tables_reads_cells_as_python_docx_does(kb, steel):
    """fit_tables walks the table XML itself (3x faster); its widths equal those computed from python-docx's
    own Cell.text, on a real report and on a table with a merged cell (which takes python-docx's walk)."""
    import copy
    from cpadvisor.report.word import fit_tables
    doc = Document(io.BytesIO(render_report(steel, "docx", "zh", kb=kb)))
    t = doc.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 1))
    t.cell(1, 0).text = "一段较长的中文单元格内容，用来拉宽这一列"
    tblw = t._tbl.tblPr.find(qn("w:tblW"))
    if tblw is None:
        from docx.oxml import OxmlElement
        tblw = OxmlElement("w:tblW")
        t._tbl.tblPr.append(tblw)
    tblw.set(qn("w:type"), "pct")
    ref = copy.deepcopy(doc)

    def widths(d):
        return [[g.get(qn("w:w")) for g in tb._tbl.tblGrid] for tb in d.tables]

    fit_tables(doc)
    texts = [[[c.text for c in r.cells] for r in tb.rows] for tb in ref.tables]
    need = []
    for rows in texts:  # the reference: python-docx's cell texts, the same sizing rule
        n = max((len(r) for r in rows), default=0)
        need.append([max([min(sum(2 if ord(ch) > 0x2E80 else 1 for ch in r[i]), 36) for r in rows if i < len(r)]
                         + [4]) + 2 for i in range(n)])
    got = widths(doc)
    pct = [tb._tbl.tblPr.find(qn("w:tblW")) is not None and ref.tables[k]._tbl.tblPr.find(qn("w:tblW")).get(qn("w:type")) == "pct"
           for k, tb in enumerate(ref.tables)]
    assert sum(pct) >= 2
    for k, (w, nd) in enumerate(zip(got, need)):
        if not pct[k]:
            continue
        total = sum(nd)
        expect = [max(910, 9070 * x // total) for x in nd]
        scale = 9070 / sum(expect)
        assert w == [str(int(x * scale)) for x in expect], k


def test_parts_no_render_changes_are_the_templates_bytes(tmp_path, kb, steel):
    """styles, numbering, settings and fonts are copied from the template, not parsed and written again; python-docx
    outside a render still parses them (its styles work), and a tag in a core property is still rendered."""
    custom = edited_template(tmp_path / "acme.docx")
    doc = Document(str(custom))
    doc.core_properties.subject = "{{ meta.name }} / {{ lang }}"
    doc.save(str(custom))
    out = render_report(steel, "docx", "zh", kb=kb, template=custom)
    src, dst = zipfile.ZipFile(custom), zipfile.ZipFile(io.BytesIO(out))
    for name in ("word/styles.xml", "word/numbering.xml", "word/settings.xml", "word/fontTable.xml"):
        if name in src.namelist():
            assert dst.read(name) == src.read(name), name
    assert set(src.namelist()) <= set(dst.namelist())
    again = Document(io.BytesIO(out))  # an ordinary open: styles parsed as usual
    assert again.styles["Heading 1"].font.size == Pt(20)
    subject = again.core_properties.subject  # rendered (autoescaped, as stock docxtpl does with autoescape)
    assert subject.endswith(" / zh") and subject.startswith(steel.profile_name[:4]) and "{{" not in subject
    assert Document(str(DOCX_TEMPLATE)).styles["Heading 1"] is not None
