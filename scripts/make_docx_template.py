"""Write engine/report/templates/report.docx: the Word report template (docxtpl / Jinja2 tags).

    .venv/bin/python scripts/make_docx_template.py [OUT.docx]

python-docx lays out the page and the styles (A4, 宋体 body / 黑体 headings, table style, page-number
footer); the content is Jinja2 tags written as text, each tag inside one run so docxtpl reads it:
``{{ x }}`` values, ``{%p ... %}`` paragraph-level for/if, ``{%tr ... %}`` table-row for/if, ``{%tc ... %}``
table-column loops. The tags print the same report context (engine/report/context.py) and labels
(engine/report/labels.py) as the HTML and Markdown templates, so the template holds no text of its own.
Consultants may restyle the generated file in Word (styles, header/footer, logo) as long as the tags stay.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "engine" / "report" / "templates" / "report.docx"
CJK_FONT, CJK_HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Arial"  # Arial: Word has it, LibreOffice maps it to Liberation Sans
RED, GREY, BLACK = RGBColor(0xB0, 0x00, 0x20), RGBColor(0x55, 0x55, 0x55), RGBColor(0, 0, 0)
TEXT_WIDTH = 16.0  # cm: A4 (21 cm) minus 2.5 cm margins
STRONG, WARNING, NOTE = "CP Strong", "CP Warning", "CP Note"  # character styles the template uses
MEASURE_TITLE, TABLE_TITLE, CELL = "CP Measure Title", "CP Table Title", "CP Table Text"  # paragraph styles added
PLACEHOLDER, COVER_NAME = "CP Placeholder", "CP Cover Name"  # what only the audit team can write: marked so it cannot be missed


# ------------------------------------------------------------------ styles
def set_fonts(style, cjk: str, size: float | None = None, color: RGBColor | None = BLACK) -> None:
    """Latin and East-Asian fonts of a style (theme fonts removed, so Word uses these)."""
    style.font.name = LATIN_FONT
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), cjk)
    if size:
        style.font.size = Pt(size)
    if color is not None:
        style.font.color.rgb = color


def east_asian_language(doc) -> None:
    """Document default language zh-CN for East-Asian text (Word then picks CJK line breaking and fonts)."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def setup_styles(doc) -> None:
    styles = doc.styles
    set_fonts(styles["Normal"], CJK_FONT, 10.5)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    styles["Normal"].paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 12)):
        set_fonts(styles[name], CJK_HEADING_FONT, size)
        styles[name].font.bold = True
        styles[name].paragraph_format.keep_with_next = True
    styles["Heading 1"].paragraph_format.page_break_before = True  # each chapter on a new page, as audit reports do
    title = styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):  # the default Title has a blue rule under it
        ppr.remove(border)
    for name in ("List Bullet", "Table Grid"):
        set_fonts(styles[name], CJK_FONT, color=None)
    for name, bold, italic, color in ((STRONG, True, False, None), (WARNING, True, False, RED),
                                      (NOTE, False, True, GREY)):
        st = styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        st.font.bold, st.font.italic = bold, italic
        if color is not None:
            st.font.color.rgb = color
    cover = styles.add_style(COVER_NAME, WD_STYLE_TYPE.PARAGRAPH)
    cover.base_style = styles["Normal"]
    cover.font.size, cover.font.bold = Pt(16), True
    cover.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name in (MEASURE_TITLE, TABLE_TITLE):
        mt = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        mt.base_style = styles["Normal"]
        mt.font.bold = True
        mt.paragraph_format.keep_with_next = True
        mt.paragraph_format.space_before = Pt(6)
    ph = styles.add_style(PLACEHOLDER, WD_STYLE_TYPE.PARAGRAPH)
    ph.base_style = styles["Normal"]
    ph.font.italic = True
    ph.font.color.rgb = RGBColor(0x0B, 0x5D, 0x7A)
    shd = OxmlElement("w:shd")  # shading, not a border: LibreOffice drops keep-with-next before a bordered paragraph
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "E8F1F5")
    ph.element.get_or_add_pPr().append(shd)
    cell = styles.add_style(CELL, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = styles["Normal"]
    cell.font.size = Pt(10)
    cell.paragraph_format.space_after = Pt(0)
    cell.paragraph_format.line_spacing = 1.0


def page_setup(doc) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.5)
    sec.top_margin = sec.bottom_margin = Cm(2.2)
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field_chars(foot, ("begin", None), (None, "PAGE"), ("end", None))


def field_chars(para, *parts) -> None:
    """A run of field characters: (kind, None) for begin / separate / end, (None, text) for the instruction."""
    run = para.add_run()
    for kind, text in parts:
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


# ------------------------------------------------------------------ content
class Builder:
    """Adds tagged paragraphs and tables; a text is a str or a list of (text, character style) runs."""

    def __init__(self, doc):
        self.doc = doc

    def p(self, text="", style: str | None = None, char: str | None = None):
        para = self.doc.add_paragraph(style=style)
        for t, c in ([(text, char)] if isinstance(text, str) else text):
            if t:
                para.add_run(t, style=c)
        return para

    def tag(self, statement: str) -> None:
        """A paragraph-level Jinja2 statement: the whole paragraph is replaced by the tag."""
        self.p("{%p " + statement + " %}")

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def toc(self) -> None:
        """A table-of-contents field (headings 1-2) whose shown result is the chapter list, so the contents read
        right before the field is updated (Word updates it on opening: settings updateFields)."""
        field_chars(self.p(), ("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None))
        self.tag("for ch in chapters")
        self.p("{{ ch.title }}")
        self.tag("endfor")
        self.tag("if show_workings")
        self.p("{{ L.s_appendix }}")
        self.tag("endif")
        field_chars(self.p(), ("end", None))

    def h(self, text: str, level: int) -> None:
        self.doc.add_heading(text, level)

    def bullet(self, label: str, value: str) -> None:
        self.p([(label + ": ", STRONG), (value, None)], style="List Bullet")

    def marked_list(self, items: str, title: str, loop: str, text: str, mark: str) -> None:
        """A titled bullet list shown only when ``items`` is not empty; each bullet a text and its warning mark."""
        self.tag(f"if {items}")
        self.p(title, char=STRONG)
        self.tag(f"for {loop}")
        self.p([(text, None), (mark, WARNING)], style="List Bullet")
        self.tag("endfor")
        self.tag("endif")

    def table(self, head: list[str], rows: list, widths: list[float]) -> None:
        """head: header cells; rows: lists of cell texts, or ('tr', statement) for a row-level tag."""
        t = self.doc.add_table(rows=0, cols=len(widths))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, cells in enumerate([head] + rows):
            row = t.add_row()
            if isinstance(cells, tuple):
                cells = ["{%tr " + cells[1] + " %}"] + [""] * (len(widths) - 1)
            for i, text in enumerate(cells):
                cell = row.cells[i]
                cell.width = Cm(widths[i])
                para = cell.paragraphs[0]
                para.style = CELL
                for txt, char in ([(text, STRONG if r == 0 else None)] if isinstance(text, str) else text):
                    if txt:
                        para.add_run(txt, style=char)
        for col, w in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths):
            col.set(qn("w:w"), str(int(Cm(w).twips)))
        header_row(t.rows[0])
        self.p()  # keeps the next table apart

    def dynamic_table(self, head: str, rows: str) -> None:
        """A table whose columns come from the context: ``head`` a list of labels, ``rows`` a list of lists."""
        t = self.doc.add_table(rows=0, cols=3)
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cells in (["{%tc for h in " + head + " %}", "{{ h }}", "{%tc endfor %}"],
                      ["{%tr for r in " + rows + " %}", "", ""],
                      ["{%tc for c in r %}", "{{ c }}", "{%tc endfor %}"],
                      ["{%tr endfor %}", "", ""]):
            row = t.add_row()
            for i, text in enumerate(cells):
                para = row.cells[i].paragraphs[0]
                para.style = CELL
                para.add_run(text, style=STRONG if cells[1] == "{{ h }}" else None)
        for tc in t._tbl.iter(qn("w:tc")):  # no fixed cell widths: the column count varies
            pr = tc.find(qn("w:tcPr"))
            if pr is not None and pr.find(qn("w:tcW")) is not None:
                pr.remove(pr.find(qn("w:tcW")))
        tblpr = t._tbl.tblPr
        width = tblpr.find(qn("w:tblW"))
        if width is None:
            width = OxmlElement("w:tblW")
            tblpr.append(width)
        width.set(qn("w:type"), "pct")
        width.set(qn("w:w"), "5000")
        for col in t._tbl.tblGrid.findall(qn("w:gridCol")):
            col.set(qn("w:w"), str(int(Cm(TEXT_WIDTH / 3).twips)))
        header_row(t.rows[0])
        self.p()

    def measure(self, number: str, full: bool = True) -> None:
        """One measure ``m``: its numbered name, then a field/value table."""
        self.p(number + "{{ m.name }}", style=MEASURE_TITLE)
        rows: list = [["{{ L.m_clause }}", "{{ m.clause }}"]]
        for cond, label, value in (('m.status_key != "applies"', "p_status", "{{ m.status }}"),
                                   ("m.verdict", "p_verdict", "{{ m.verdict }}"),
                                   ("m.priority", "m_priority", "{{ m.priority }}")):
            rows += [("tr", "if " + cond), ["{{ L." + label + " }}", value], ("tr", "endif")]
        rows.append(["{{ L.m_units }}", '{{ m.units | join(", ") if m.units else L.m_enterprise_wide }}'])
        rows += [("tr", "if m.reason"), ["{{ L.m_reason }}", "{{ m.reason }}"], ("tr", "endif")]
        rows += [("tr", "for e in m.evidence"),
                 ["{{ L.m_evidence }}", "{{ e.label }} = {{ e.value }}"],
                 ("tr", "endfor")]
        rows += [("tr", "for t in m.thresholds"),
                 ["{{ L.m_thresholds }}", [("{{ t.value }}, {{ t.cite }}", None),
                                           ('{{ "" if t.verified else " [" ~ L.b_unverified ~ "]" }}', WARNING)]],
                 ("tr", "endfor")]
        rows += [("tr", "if m.missing"), ["{{ L.v_missing }}", '{{ m.missing | join("; ") }}'], ("tr", "endif")]
        if full:
            rows += [("tr", "if m.description"), ["{{ L.m_description }}", "{{ m.description }}"], ("tr", "endif")]
            rows += [("tr", "for d in m.duties"),
                     ["{{ L.du_what }}", [('{{ d.text }}{{ " (" ~ d.when ~ ")" if d.when else "" }}. {{ d.cite }}', None),
                                         ('{{ " [" ~ d.mark ~ "]" if d.mark else "" }}', WARNING)]],
                     ("tr", "endfor")]
            for key in ("applicability", "prerequisites", "cross_media", "interactions"):
                rows += [("tr", f"for x in m.{key}"), ["{{ L.m_" + key + " }}", "{{ x }}"], ("tr", "endfor")]
            rows += [("tr", "for e in m.effects"),
                     ["{{ L.m_effects }}", [("{{ e.text }}", None), ('{{ " [" ~ e.mark ~ "]" if e.mark else "" }}', WARNING)]],
                     ("tr", "endfor")]
        self.table(["{{ L.a_field }}", "{{ L.a_value }}"], rows, [3.2, 12.8])


def header_row(row) -> None:
    """Repeat the header row on every page the table spans; no row is split across two pages."""
    for tr in row._tr.getparent().findall(qn("w:tr")):
        tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def content(b: Builder) -> None:
    # cover page: the report, the client, the consultant and the date; then the table of contents
    for _ in range(4):
        b.p()
    b.p("{{ meta.title }}", style="Title")
    b.p("{{ meta.name }}", style=COVER_NAME)
    b.p("{{ L.subtitle }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(6):
        b.p()
    for label, value in (("a_client", "name"), ("a_consultant", "consultant"), ("a_report_date", "date")):
        b.p([("{{ L." + label + " }}: ", STRONG), ("{{ meta." + value + " }}", None)]).alignment = WD_ALIGN_PARAGRAPH.CENTER
    b.tag("if show_workings")  # the working copy says it was generated; the client version (--no-workings) does not
    b.p("{{ L.draft_note }}", char=NOTE)
    b.tag("endif")
    b.page_break()
    b.p("{{ L.toc }}", style=TABLE_TITLE)
    b.toc()
    b.page_break()
    # chapters: a 清洁生产审核报告's seven, or the short recommendation report (the context decides)
    b.tag("for ch in chapters")
    b.h("{{ ch.title }}", 1)
    b.tag("for s in ch.sections")
    b.tag("if s.title")
    b.h("{{ s.title }}", 2)
    b.tag("endif")
    b.tag('if s.block == "overview"')
    b.table(["{{ L.a_field }}", "{{ L.a_value }}"],
            [("tr", "for r in overview.rows"), ["{{ r[0] }}", "{{ r[1] }}"], ("tr", "endfor")], [4, 12])
    b.tag("for t in overview.tables")
    b.p("{{ t.title }}", style=TABLE_TITLE)
    b.dynamic_table("t.head", "t.rows")
    b.tag("endfor")

    b.tag('elif s.block == "audit_type"')
    b.p("{{ L.audit_conclusion }}: {{ audit.conclusion }}", char=STRONG)
    b.tag("if audit.grounds")
    b.p("{{ L.g_title }}:")
    b.tag("for g in audit.grounds")
    b.p("{{ g }}", style="List Bullet")
    b.tag("endfor")
    b.tag("endif")
    b.tag("if audit.conflicts")
    b.p("⚠ {{ L.audit_conflicts }}", char=STRONG)
    b.tag("for c in audit.conflicts")
    b.p("{{ c }}", char=WARNING)
    b.tag("endfor")
    b.tag("endif")
    b.tag('for m in audit["items"]')
    b.bullet("{{ m.name }}", "{{ m.status }} ({{ m.clause }})")
    b.tag('if m.reason and m.status_key == "applies"')
    b.p("{{ L.audit_basis }}: {{ m.reason }}")
    b.tag("endif")
    b.tag("for e in m.evidence")
    b.p("{{ L.m_evidence }}: {{ e.label }} = {{ e.value }}")
    b.tag("endfor")
    b.tag("if m.missing")
    b.p('{{ L.v_missing }}: {{ m.missing | join("; ") }}')
    b.tag("endif")
    b.marked_list("m.duties", "{{ L.du_title }}:", "d in m.duties",
                  '{{ d.text }}{{ " (" ~ d.when ~ ")" if d.when else "" }}. {{ d.cite }}',
                  '{{ " [" ~ d.mark ~ "]" if d.mark else "" }}')
    b.tag("endfor")

    b.tag('elif s.block == "cp_eval"')
    b.p("{{ L.cp_intro }}")
    b.tag("for e in cp_eval")
    b.h("{{ e.title }}", 3)
    b.bullet("{{ L.cp_document }}", '{{ e.document }}{{ " [" ~ e.mark ~ "]" if e.mark else "" }}')
    b.bullet("{{ L.cp_level_names }}", "{{ e.levels }}")
    b.bullet("{{ L.cp_source }}", "{{ e.source }}")
    b.table(["{{ L.cp_indicator }}", "{{ L.cp_unit }}", "{{ L.cp_value }}", "{{ L.cp_I }}", "{{ L.cp_II }}",
             "{{ L.cp_III }}", "{{ L.cp_reached }}"],
            [("tr", "for r in e.rows"),
             ["{{ r[1] }}", "{{ r[2] }}", "{{ r[3] }}", "{{ r[4] }}", "{{ r[5] }}", "{{ r[6] }}", "{{ r[7] }}"],
             ("tr", "endfor")], [3.6, 1.8, 2.6, 2.2, 2.2, 2.2, 1.8])
    b.bullet("{{ L.cp_y }}", '{{ e.y or "—" }}')
    b.bullet("{{ L.cp_grade }}", "{{ e.grade }}. {{ e.reason }}")
    b.tag("if e.capped")
    b.bullet("{{ L.cp_capped }}", "{{ e.capped }}")
    b.tag("endif")
    b.tag("if e.missing")
    b.p("{{ e.missing }}")
    b.tag("endif")
    b.tag("if e.problems")
    b.p("{{ L.cp_problems }}", style=TABLE_TITLE)
    b.tag("for x in e.problems")
    b.bullet("{{ x.indicator }} ({{ x.level }})", "{{ x.measures }}")
    b.tag("endfor")
    b.tag("endif")
    b.tag("endfor")
    b.tag('elif s.block == "benchmark"')
    b.tag('if not benchmarks["items"]')
    b.p("{{ L.b_none }}")
    b.tag("endif")
    b.tag('for x in benchmarks["items"]')
    b.h("{{ x.product }} ({{ x.indicator }})", 3)
    for label, value in (("L.b_value", "value"), ("L.c_output", "output"), ("L.b_rating", "rating")):
        b.bullet("{{ " + label + " }}", "{{ x." + value + " }}")
    b.bullet("{{ L.b_co2 }}", "{{ x.co2 }}")
    b.tag("if x.missing")
    b.bullet("{{ L.b_missing }}", '{{ x.missing | join("; ") }}')
    b.tag("endif")
    b.table(["{{ L.b_level }}", "{{ L.b_level_value }}", "{{ L.b_source }}", "{{ L.b_effective }}", "{{ L.b_verified }}"],
            [("tr", "for lv in x.levels"),
             ["{{ lv.label }}", "{{ lv.value }}", "{{ lv.cite }}", '{{ lv.effective or "—" }}',
              [('{{ lv.verified_label if lv.verified else "" }}', None),
               ('{{ "" if lv.verified else lv.verified_label }}{{ " " ~ lv.quality_label if lv.quality_label else "" }}',
                WARNING)]],
             ("tr", "endfor")], [3.4, 2.4, 6.0, 2.1, 2.1])
    b.tag("if x.targets")
    b.p("{{ L.b_targets }}", char=STRONG)
    b.table(["{{ L.b_role }}", "{{ L.b_level }}", "{{ L.b_level_value }}", "{{ L.b_target_gap }}",
             "{{ L.b_target_saving }}", "{{ L.b_note }}"],
            [("tr", "for r in x.targets"),
             ["{{ r[0] }}", "{{ r[1] }}", "{{ r[2] }}", "{{ r[3] }}", "{{ r[4] }}", "{{ r[5] }}"], ("tr", "endfor")],
            [1.8, 3.4, 2.3, 2.3, 2.8, 3.4])
    b.p("{{ L.b_saving_formula }}.", char=NOTE)
    b.tag("endif")
    b.tag("for n in x.notes")
    b.p("{{ n }}", char=NOTE)
    b.tag("endfor")
    b.tag("endfor")
    b.tag("if benchmarks.totals")
    b.p("{{ L.b_summary }}:", char=STRONG)
    b.tag("for t in benchmarks.totals")
    b.p("{{ t }}", style="List Bullet")
    b.tag("endfor")
    b.tag("endif")
    b.tag("if benchmarks.any_unverified")
    b.p("{{ L.b_unverified_note }}", char=WARNING)
    b.tag("endif")

    b.tag('elif s.block == "measures"')
    b.tag('if not measures.count and s.key == "low"')
    b.p("{{ L.m_none }}")
    b.tag("endif")
    b.tag("set ns = namespace(i=0)")
    b.tag("for g in measures[s.key]")
    b.h("{{ g.category }}", 3)
    b.tag('for m in g["items"]')
    b.measure("{% set ns.i = ns.i + 1 %}{{ ns.i }}. ")
    b.tag("endfor")
    b.tag("else")
    b.p("{{ L.none }}")
    b.tag("endfor")
    b.tag('elif s.block == "feasibility"')
    b.tag("if feasibility.any")
    b.p("{{ L.f_intro }}")
    b.table(["{{ L.f_rank }}", "{{ L.f_plan }}", "{{ L.f_investment }}", "{{ L.f_net }}", "{{ L.f_payback }}",
             "{{ L.f_npv }}", "{{ L.f_npvr }}", "{{ L.f_irr }}"],
            [("tr", "for r in feasibility.rows"),
             ["{{ r[0] }}", "{{ r[1] }} ({{ r[2] }}; {{ L.f_rate_life }} {{ r[9] }})", "{{ r[3] }}", "{{ r[4] }}", "{{ r[5] }}", "{{ r[6] }}",
              "{{ r[7] }}", "{{ r[8] }}"], ("tr", "endfor")], [1.1, 3.9, 1.8, 1.9, 1.8, 2.0, 1.6, 1.9])
    b.tag("if feasibility.after")
    b.p("{{ L.f_after_title }}", style=TABLE_TITLE)
    b.table(["{{ L.f_plan }}", "{{ L.f_cash_flow }}", "{{ L.f_payback }}", "{{ L.f_quota_period }}", "{{ L.f_npvr }}",
             "{{ L.f_verdict }}"],
            [("tr", "for r in feasibility.after"),
             ["{{ r[0] }} ({{ r[1] }})", "{{ r[2] }}", "{{ r[3] }}", "{{ r[4] }}", "{{ r[6] }}", "{{ r[8] }}"],
             ("tr", "endfor")], [3.2, 2.0, 1.8, 2.4, 1.6, 5.0])
    b.tag("endif")
    b.p("{{ L.f_sensitivity }}", style=TABLE_TITLE)
    b.table(["{{ L.f_plan }}", "{{ L.f_npv }}", "{{ L.f_irr }}", "{{ L.f_savings }}", "{{ L.f_co2 }}"],
            [("tr", "for r in feasibility.sensitivity"),
             ["{{ r[0] }}", "{{ r[1] }}", "{{ r[2] }}", "{{ r[3] }}", "{{ r[4] }}"], ("tr", "endfor")],
            [3.6, 3.0, 2.6, 3.8, 3.0])
    b.tag("for n in feasibility.notes")
    b.p([("{{ n.plan }}: ", STRONG), ("{{ n.text }}", None)], style="List Bullet")
    b.tag("endfor")
    b.marked_list("feasibility.factors", "{{ L.f_factors }}:", "t in feasibility.factors",
                  "{{ t.cite }}: {{ t.value }}", '{{ "" if t.verified else " [" ~ L.b_unverified ~ "]" }}')
    b.tag("else")
    b.p("{{ L.f_none }}")
    b.tag("endif")
    b.tag('elif s.block == "to_collect"')
    b.tag("if feasibility.collect")
    b.p("{{ L.c_intro }}")
    b.tag("for c in feasibility.collect")
    b.p([("{{ c.name }}: ", STRONG), ("{{ L.c_figures }}: {{ c.figures }}", None)], style="List Bullet")
    b.tag("for e in c.typical")
    b.p([("{{ L.c_typical }}: {{ e.text }}", None), ('{{ " [" ~ e.mark ~ "]" if e.mark else "" }}', WARNING)],
        style="List Bullet 2")
    b.tag("else")
    b.p("{{ L.c_no_typical }}", style="List Bullet 2")
    b.tag("endfor")
    b.tag("endfor")
    b.tag("else")
    b.p("{{ L.c_none }}")
    b.tag("endif")

    b.tag('elif s.block == "collect"')
    b.tag("if verify.collect")
    b.table(["{{ L.v_fact }}", "{{ L.v_where }}", "{{ L.v_for_measures }}"],
            [("tr", "for r in verify.collect"), ["{{ r.fact }}", "{{ r.where }}", '{{ r["for"] | join("; ") }}'],
             ("tr", "endfor")], [6, 4, 6])
    b.tag("else")
    b.p("{{ L.v_none }}")
    b.tag("endif")
    b.tag('elif s.block == "verify_measures"')
    b.tag('for m in verify["items"]')
    b.measure("{{ loop.index }}. ", full=False)
    b.tag("else")
    b.p("{{ L.v_none }}")
    b.tag("endfor")

    b.tag('elif s.block == "clauses"')
    b.tag("if policy.clauses")
    b.table(["{{ L.p_clause }}", "{{ L.p_measure }}"],
            [("tr", "for c in policy.clauses"), ["{{ c.clause }}", '{{ c.measures | join("; ") }}'],
             ("tr", "endfor")], [4, 12])
    b.tag("else")
    b.p("{{ L.p_none }}")
    b.tag("endif")
    b.tag('elif s.block == "policy_items"')
    b.tag("for m in policy[s.key]")
    b.measure("{{ loop.index }}. ")
    b.tag("else")
    b.p("{{ L.p_none }}")
    b.tag("endfor")
    b.tag('elif s.block == "targets"')
    b.tag("for t in targets")
    b.p("{{ t }}", style="List Bullet")
    b.tag("endfor")
    b.tag('elif s.block == "plans_done"')
    b.tag("for r in implemented")
    b.p("{{ r }}", style="List Bullet")
    b.tag("else")
    b.p("{{ L.impl_none }}")
    b.tag("endfor")
    b.tag("if performance")
    b.p("{{ L.pf_title }}", style=TABLE_TITLE)
    b.tag("if performance.plans")
    b.table(["{{ L.pf_plan }}", "{{ L.pf_date }}", "{{ L.pf_investment }}", "{{ L.pf_savings }}", "{{ L.pf_money }}",
             "{{ L.pf_co2 }}"],
            [("tr", "for r in performance.plans"),
             ["{{ r[0] }}", "{{ r[1] }}", "{{ r[2] }}", "{{ r[3] }}", "{{ r[4] }}", "{{ r[5] }}"], ("tr", "endfor")],
            [4.0, 2.0, 2.0, 4.0, 2.2, 2.2])
    b.tag("endif")
    b.tag("if performance.indicators")
    b.table(["{{ L.pf_indicator }}", "{{ L.pf_unit }}", "{{ L.pf_before }}", "{{ L.pf_after }}", "{{ L.pf_change }}"],
            [("tr", "for r in performance.indicators"),
             ["{{ r[0] }}", "{{ r[1] }}", "{{ r[2] }}", "{{ r[3] }}", "{{ r[4] }}"], ("tr", "endfor")],
            [5.0, 2.4, 2.6, 2.6, 2.4])
    b.tag("endif")
    b.tag("for m in performance.missing")
    b.p("{{ L.pf_missing }}: {{ m }}", style="List Bullet")
    b.tag("endfor")
    b.tag("endif")
    b.tag("endif")
    b.tag("if s.placeholder")
    b.p("{{ s.placeholder }}", style=PLACEHOLDER)
    b.tag("endif")
    b.tag("endfor")
    b.tag("endfor")

    # appendix: the profile's fields, the versions and the working papers (the working copy; --no-workings: none)
    b.tag("if show_workings")
    b.h("{{ L.s_appendix }}", 1)
    b.h("{{ L.s_facts }}", 2)
    b.table(["{{ L.a_field }}", "{{ L.a_meaning }}", "{{ L.a_value }}"],
            [("tr", "for r in facts"), ["{{ r[0] }}", "{{ r[1] }}", "{{ r[2] }}"], ("tr", "endfor")], [5, 6, 5])
    b.h("{{ L.s_versions }}", 2)
    for label, value in (("a_knowledge", "knowledge_version"), ("a_engine", "engine_version"),
                         ("a_assessed_at", "assessed_at")):
        b.bullet("{{ L." + label + " }}", "{{ meta." + value + " }}")
    b.tag("if meta.kb_mismatch")
    b.p("{{ meta.kb_mismatch }}", char=WARNING)
    b.tag("endif")
    b.h("{{ L.s_workings }}", 2)
    b.p("{{ L.w_intro }}", char=NOTE)
    b.tag("for w in workings")
    b.p([("{{ w.name }}", STRONG), ('  {{ w.id }}{{ " · " ~ w.status if w.status else "" }} · {{ L.w_rule }}: {{ w.rule }}', None)])
    b.tag("for c in w.conditions")
    b.p("{{ L.w_conditions }}: {{ c }}", style="List Bullet")
    b.tag("endfor")
    b.tag("for t in w.thresholds")
    b.p("{{ L.w_numbers }}: {{ t }}", style="List Bullet")
    b.tag("endfor")
    b.tag("endfor")
    b.tag("endif")


def make(out: Path = OUT) -> Path:
    doc = Document()
    for para in doc.paragraphs:  # start from an empty body
        para._p.getparent().remove(para._p)
    setup_styles(doc)
    east_asian_language(doc)
    page_setup(doc)
    content(Builder(doc))
    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):  # python-docx's default template ships a thumbnail of itself
        if rel.reltype.endswith("/thumbnail"):
            pkg.rels.pop(rid)
    settings = doc.settings.element  # Word asks to update the fields (the table of contents) on opening
    upd = OxmlElement("w:updateFields")
    upd.set(qn("w:val"), "true")
    settings.append(upd)
    cp = doc.core_properties
    cp.author, cp.title, cp.comments = "cpadvisor", "", "Template of the cpadvisor report (docxtpl / Jinja2 tags)"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


if __name__ == "__main__":
    print(make(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
