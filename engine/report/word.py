"""The Word (.docx) report, written with python-docx from the same context as the Markdown and HTML ones."""
from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

CJK_FONT = "宋体"
CJK_HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xB0, 0x00, 0x20)
GREY = RGBColor(0x55, 0x55, 0x55)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text) -> str:
    """Text Word can store: characters XML forbids are dropped."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def _fonts(style, latin: str, cjk: str, size: float | None = None) -> None:
    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), cjk)
    if size:
        style.font.size = Pt(size)


def _page_number(paragraph) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


class WordReport:
    def __init__(self, ctx: dict):
        self.ctx = ctx
        self.L = ctx["L"]
        self.doc = Document()
        sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.left_margin = sec.right_margin = Cm(2.5)
        sec.top_margin = sec.bottom_margin = Cm(2.2)
        styles = self.doc.styles
        _fonts(styles["Normal"], LATIN_FONT, CJK_FONT, 10.5)
        for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 12), ("Heading 4", 11)):
            _fonts(styles[name], LATIN_FONT, CJK_HEADING_FONT, size)
        for name in ("List Bullet", "Table Grid"):
            _fonts(styles[name], LATIN_FONT, CJK_FONT)
        foot = sec.footer.paragraphs[0]
        foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number(foot)

    # ------------------------------------------------------------- helpers
    def h(self, text: str, level: int) -> None:
        self.doc.add_heading(clean(text), level)

    def p(self, text: str = "", bold: bool = False, color=None, italic: bool = False):
        para = self.doc.add_paragraph()
        if text:
            run = para.add_run(clean(text))
            run.bold, run.italic = bold, italic
            if color is not None:
                run.font.color.rgb = color
        return para

    def bullet(self, label: str, value: str, mark: str = "") -> None:
        para = self.doc.add_paragraph(style="List Bullet")
        para.add_run(clean(f"{label}: ")).bold = True
        para.add_run(clean(value))
        if mark:
            r = para.add_run(f" [{mark}]")
            r.bold, r.font.color.rgb = True, RED

    def table(self, head: list[str], rows: list[list[str]], widths: list[float] | None = None, red_col: int = -1):
        t = self.doc.add_table(rows=1, cols=len(head))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, text in enumerate(head):
            cell = t.rows[0].cells[i]
            cell.text = ""
            cell.paragraphs[0].add_run(clean(text)).bold = True
        for r in rows:
            cells = t.add_row().cells
            for i, text in enumerate(r):
                run = cells[i].paragraphs[0].add_run(clean(text))
                if i == red_col and text == self.L["b_unverified"]:
                    run.bold, run.font.color.rgb = True, RED
        if widths:
            for row in t.rows:
                for i, w in enumerate(widths):
                    row.cells[i].width = Cm(w)
        self.doc.add_paragraph()
        return t

    def measure(self, n: int, m: dict, full: bool = True) -> None:
        L = self.L
        self.p(f"{n}. {m['name']}", bold=True)
        rows = [[L["m_id"], m["id"]], [L["m_clause"], m["clause"]]]
        if m["status_key"] != "applies":
            rows.append([L["p_status"], m["status"]])
        if m["verdict"]:
            rows.append([L["p_verdict"], m["verdict"]])
        if m["priority"]:
            rows.append([L["m_priority"], m["priority"]])
        rows.append([L["m_units"], ", ".join(m["units"]) if m["units"] else L["m_enterprise_wide"]])
        if m["reason"]:
            rows.append([L["m_reason"], m["reason"]])
        for e in m["evidence"]:
            rows.append([L["m_evidence"], f"{e['label']} = {e['value']}  ({L['m_condition']}: {e['cond']})"])
        for t in m["thresholds"]:
            rows.append([L["m_thresholds"], f"{t['value']}, {t['source']}" +
                         ("" if t["verified"] else f" [{L['b_unverified']}]")])
        if m["missing"]:
            rows.append([L["v_missing"], "; ".join(m["missing"])])
        if full and m["description"]:
            rows.append([L["m_description"], m["description"]])
        self.table([L["a_field"], L["a_value"]], rows, widths=[3.2, 12.8])

    # ------------------------------------------------------------ sections
    def build(self) -> bytes:
        c, L = self.ctx, self.L
        meta = c["meta"]
        self.doc.add_heading(clean(L["title"]), 0)
        self.p(meta["name"], bold=True)
        self.p(L["subtitle"])
        self.p(f"{L['a_assessed_at']}: {meta['date']}")
        self.p(L["draft_note"], italic=True, color=GREY)

        self.h(L["s_overview_park"] if meta["kind"] == "park" else L["s_overview"], 1)
        self.table([L["a_field"], L["a_value"]], c["overview"]["rows"], widths=[4, 12])
        for t in c["overview"]["tables"]:
            self.p(t["title"], bold=True)
            self.table(t["head"], t["rows"])

        self.h(L["s_audit_type"], 1)
        self.p(f"{L['audit_conclusion']}: {c['audit']['conclusion']}", bold=True)
        for m in c["audit"]["items"]:
            self.bullet(m["name"], f"{m['status']} ({m['clause']})")
            if m["reason"] and m["status_key"] == "applies":
                self.p(f"{L['audit_basis']}: {m['reason']}")
            for e in m["evidence"]:
                self.p(f"{L['m_evidence']}: {e['label']} = {e['value']}")
            if m["missing"]:
                self.p(f"{L['v_missing']}: {'; '.join(m['missing'])}")

        self.h(L["s_benchmark"], 1)
        b = c["benchmarks"]
        if not b["items"]:
            self.p(L["b_none"])
        for x in b["items"]:
            self.h(f"{x['product']} ({x['indicator']})", 2)
            for key, val in (("b_value", x["value"]), ("c_output", x["output"]), ("b_rating", x["rating"]),
                             ("b_gap", x["gap"]), ("b_saving", x["saving"]), ("b_co2", x["co2"])):
                self.bullet(L[key], val)
            if x["formula"]:
                self.p(x["formula"], italic=True)
            if x["missing"]:
                self.bullet(L["b_missing"], "; ".join(x["missing"]))
            self.table([L["b_level"], L["b_value"], L["b_source"], L["b_effective"], L["b_verified"]],
                       [[lv["label"], lv["value"], lv["source"], lv["effective"] or "—", lv["verified_label"]]
                        for lv in x["levels"]], widths=[3, 2.4, 6.6, 2, 2], red_col=4)
        if b["total_saving"]:
            self.p(f"{L['b_summary']}: {b['total_saving']}", bold=True)
        if b["any_unverified"]:
            self.p(L["b_unverified_note"], color=RED)

        self.h(L["s_measures"], 1)
        ms = c["measures"]
        if not ms["count"]:
            self.p(L["m_none"])
        for key, title, n in (("low", L["s_low_cost"], ms["n_low"]), ("high", L["s_high_cost"], ms["n_high"])):
            self.h(f"{title} ({L['m_count'].format(n=n)})", 2)
            i = 0
            for g in ms[key]:
                self.h(g["category"], 3)
                for m in g["items"]:
                    i += 1
                    self.measure(i, m)
            if not ms[key]:
                self.p(L["none"])

        self.h(L["s_to_verify"], 1)
        v = c["verify"]
        self.h(L["s_collect"], 2)
        if v["collect"]:
            self.table([L["v_fact"], L["v_where"], L["v_for_measures"]],
                       [[r["fact"], r["where"], "; ".join(r["for"])] for r in v["collect"]], widths=[6, 4, 6])
        else:
            self.p(L["v_none"])
        self.h(L["s_verify_measures"], 2)
        for i, m in enumerate(v["items"], 1):
            self.measure(i, m, full=False)
        if not v["items"]:
            self.p(L["v_none"])

        self.h(L["s_policy"], 1)
        pol = c["policy"]
        self.h(L["s_clauses"], 2)
        if pol["clauses"]:
            self.table([L["p_clause"], L["p_measure"]], [[x["clause"], "; ".join(x["measures"])] for x in pol["clauses"]],
                       widths=[4, 12])
        else:
            self.p(L["p_none"])
        for title, items in ((L["s_incentives"], pol["incentives"]), (L["s_consequences"], pol["consequences"]),
                             (L["s_other_policy"], pol["other"])):
            self.h(title, 2)
            for i, m in enumerate(items, 1):
                self.measure(i, m)
            if not items:
                self.p(L["p_none"])

        self.h(L["s_appendix"], 1)
        self.h(L["s_facts"], 2)
        self.table([L["a_field"], L["a_meaning"], L["a_value"]], c["facts"], widths=[5, 6, 5])
        self.h(L["s_versions"], 2)
        for key, val in (("a_knowledge", meta["knowledge_version"]), ("a_engine", meta["engine_version"]),
                         ("a_assessed_at", meta["assessed_at"])):
            self.bullet(L[key], val)
        if meta["kb_mismatch"]:
            self.p(meta["kb_mismatch"], color=RED)
        self.doc.core_properties.title = clean(f"{L['title']} - {meta['name']}")[:250]
        self.doc.core_properties.language = "en-US" if c["lang"] == "en" else "zh-CN"
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def render_docx(ctx: dict) -> bytes:
    """The .docx bytes of a report context."""
    return WordReport(ctx).build()
