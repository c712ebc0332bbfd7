"""The Word (.docx) report: a Word template with Jinja2 tags (templates/report.docx) rendered by docxtpl.

The template prints the same context and labels as the HTML and Markdown templates. Consultants restyle the
report by editing a copy of the template in Word and passing it as ``template=`` (or ``$CPADVISOR_DOCX_TEMPLATE``);
scripts/make_docx_template.py regenerates the default one.
"""
from __future__ import annotations

from contextvars import ContextVar

import io
import os
import re
import threading
import zipfile
from pathlib import Path
from typing import Any, Optional, Union

from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from markupsafe import Markup

from cpadvisor.errors import InputError

DOCX_TEMPLATE = Path(__file__).resolve().parent / "templates" / "report.docx"
TEMPLATE_ENV = "CPADVISOR_DOCX_TEMPLATE"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value: Any) -> Any:
    """Text Word can store: characters XML forbids are dropped (markup a filter built stays markup)."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return Markup(_NOT_XML.sub("", value))
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    return value


MAX_SEQUENCE = 1_000_000  # characters or items a template's own `*` or `+` may build
MAX_EXPONENT = 64
MAX_RANGE_STEPS = 200_000  # items all of a render's range() calls may yield together (nested loops multiply)
_RANGE_LEFT: ContextVar[int] = ContextVar("cpadvisor_range_left", default=MAX_RANGE_STEPS)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with bounds on what a template can make the renderer build: a string or list multiplied or
    joined past MAX_SEQUENCE (``{{ 'a' * 3000000000 }}`` ran 72 s to 5.8 GB), a power past MAX_EXPONENT, and
    range() loops past MAX_RANGE_STEPS over one render are refused as a SecurityError (one line for the user)."""

    intercepted_binops = frozenset(["*", "+", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"a power above {MAX_EXPONENT} is not allowed in a template")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
                    raise SecurityError(f"a template may not build more than {MAX_SEQUENCE:,} characters or items")
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            if len(left) + len(right) > MAX_SEQUENCE:
                raise SecurityError(f"a template may not build more than {MAX_SEQUENCE:,} characters or items")
        return super().call_binop(context, operator, left, right)


def _bounded_range(*args: int) -> range:
    """range() as the sandbox gives it, counted against the render's budget."""
    r = safe_range(*args)
    left = _RANGE_LEFT.get() - len(r)
    if left < 0:
        raise SecurityError(f"the template's loops run past {MAX_RANGE_STEPS:,} steps")
    _RANGE_LEFT.set(left)
    return r


def jinja_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed (a Word template is what consultants share: it must not reach Python objects or run code, nor
    exhaust the machine: :class:`BoundedSandbox`); every value is XML-escaped; unknown names fail (no silently
    empty cells)."""
    env = BoundedSandbox(autoescape=True, undefined=StrictUndefined, finalize=clean)
    env.globals["range"] = _bounded_range
    return env


def template_path(template: Optional[Union[str, Path]] = None) -> Path:
    """The Word template to use: the one given, else $CPADVISOR_DOCX_TEMPLATE, else the packaged one."""
    return Path(template or os.environ.get(TEMPLATE_ENV) or DOCX_TEMPLATE)


_LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")
_COMPILED: dict[tuple, Any] = {}  # (template file, size, mtime, part) -> (compiled Jinja template, its source)
_ENV: Optional[ImmutableSandboxedEnvironment] = None
_PROPS: dict[tuple, Any] = {}  # (environment, property text) -> compiled template


def _env() -> ImmutableSandboxedEnvironment:
    """One sandboxed environment per process, so compiled templates can be reused."""
    global _ENV
    if _ENV is None:
        _ENV = jinja_environment()
    return _ENV


def _cached_template_class():
    """DocxTemplate whose body is patched (docxtpl's regex pre-pass) and compiled by Jinja once per template
    file, not at every render: the output is the same (tested), a render several times faster."""
    from docxtpl import DocxTemplate

    class CachedDocxTemplate(DocxTemplate):
        cache_key: tuple = ()

        def init_docx(self, reload: bool = True) -> None:  # noqa: D401 - docxtpl's hook
            if not self.docx or (self.is_rendered and reload):
                self.docx = _open_template(self.template_file, self.cache_key)
                self.is_rendered = False

        def render_properties(self, context, jinja_env=None):  # noqa: ANN001 - docxtpl's signature
            """docxtpl's: each text property of the core properties rendered as a template (compiled once)."""
            if jinja_env is None:
                return super().render_properties(context, jinja_env)
            props = self.docx.core_properties
            for prop in ("author", "comments", "identifier", "language", "subject", "title"):
                initial = getattr(props, prop)
                key = (jinja_env, initial)
                template = _PROPS.get(key)
                if template is None:
                    template = _PROPS[key] = jinja_env.from_string(initial)
                setattr(props, prop, template.render(context))

        def build_xml(self, context, jinja_env=None):  # noqa: ANN001 - docxtpl's signature
            key = self.cache_key + ("body",)
            hit = _COMPILED.get(key)
            if hit is None:
                src = re.sub(r"<w:p([ >])", r"\n<w:p\1", self.patch_xml(self.get_xml()))
                try:
                    hit = (jinja_env.from_string(src), src)
                except TemplateError as exc:
                    _context(exc, src)
                    raise
                if self.cache_key:
                    _COMPILED[key] = hit
            template, src = hit
            self.current_rendering_part = self.docx._part
            try:
                dst = template.render(context)
            except TemplateError as exc:
                _context(exc, src)
                raise
            dst = re.sub(r"\n<w:p([ >])", r"<w:p\1", dst)
            dst = dst.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
            # docxtpl turns tab, newline, bell and form feed inside a text run into Word markup; with none of them
            # the pass changes nothing, and its regexes cost as much as the render
            return self.resolve_listing(dst) if _LISTING.search(dst) else dst

    return CachedDocxTemplate


# Parts no render changes: kept as the template's bytes instead of being parsed and serialised again at every
# render (styles.xml alone is 350 KB: 7 ms to parse, 3 ms to write). Only while a report template is opened.
_BLOB_TYPES = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.webSettings+xml",
})
_OPENING = threading.local()
_SELECTOR: list = []  # python-docx's own part class selector, chained
_BYTES: dict[tuple, bytes] = {}  # template file key -> its bytes


def _select_part(content_type: str, reltype: str) -> Any:
    if getattr(_OPENING, "active", False) and content_type in _BLOB_TYPES:
        from docx.opc.part import Part
        return Part
    return _SELECTOR[0](content_type, reltype) if _SELECTOR and _SELECTOR[0] else None


def _open_template(path: Any, key: tuple) -> Any:
    """python-docx's Document of the template, with the parts no render touches left unparsed."""
    from docx import Document
    from docx.opc.part import PartFactory
    if PartFactory.part_class_selector is not _select_part:
        _SELECTOR[:] = [PartFactory.part_class_selector]
        PartFactory.part_class_selector = _select_part
    data = _BYTES.get(key) if key else None
    if data is None:
        data = Path(path).read_bytes()
        if key:
            _BYTES[key] = data
    _OPENING.active = True
    try:
        return Document(io.BytesIO(data))
    finally:
        _OPENING.active = False


def _context(exc: Any, src: str) -> None:
    """The template lines around a tag error, as docxtpl reports them (the text without XML tags)."""
    if getattr(exc, "lineno", None) is not None:
        line = max(exc.lineno - 4, 0)
        exc.docx_context = [re.sub(r"<[^>]+>", "", x) for x in src.splitlines()[line:line + 7]]


TEXT_WIDTH_TWIPS = 9070  # 16 cm: A4 less the template's 2.5 cm margins


def _text_width(text: str) -> int:
    """Width of a text in half-em units: a CJK character counts two, a Latin one."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def fit_tables(doc) -> None:
    """Column widths that fit their content, for the tables whose columns come from the data (the
    template gives them a percentage width): each column in proportion to its longest cell (capped, so one
    long text wraps rather than squeezing the others), at least 1.6 cm."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    W_T, W_P, SPAN, VMERGE = qn("w:t"), qn("w:p"), qn("w:gridSpan"), qn("w:vMerge")

    def cell_text(tc) -> str:  # python-docx's Cell.text: paragraphs joined by newlines
        return "\n".join("".join(t.text or "" for t in p.iter(W_T)) for p in tc.iter(W_P))

    for t in doc.tables:
        tblw = t._tbl.tblPr.find(qn("w:tblW"))
        if tblw is None or tblw.get(qn("w:type")) != "pct":
            continue
        trs = t._tbl.tr_lst
        if any(True for _ in t._tbl.iter(SPAN)) or any(True for _ in t._tbl.iter(VMERGE)):
            cells = [list(r.cells) for r in t.rows]  # merged cells: python-docx's own grid walk, once
            rows = [[c.text for c in r] for r in cells]
            tcs = [[c._tc for c in r] for r in cells]
        else:
            tcs = [list(tr.tc_lst) for tr in trs]
            rows = [[cell_text(tc) for tc in r] for r in tcs]
        n = max((len(r) for r in rows), default=0)
        if n == 0:
            continue
        need = [max([min(_text_width(r[i]), 36) for r in rows if i < len(r)] + [4]) + 2 for i in range(n)]
        total = sum(need)
        widths = [max(910, TEXT_WIDTH_TWIPS * w // total) for w in need]  # 910 twips = 1.6 cm
        scale = TEXT_WIDTH_TWIPS / sum(widths)
        widths = [int(w * scale) for w in widths]
        grid = t._tbl.tblGrid
        for col in list(grid):
            grid.remove(col)
        for w in widths:
            col = OxmlElement("w:gridCol")
            col.set(qn("w:w"), str(w))
            grid.append(col)
        for r in tcs:
            for i, tc in enumerate(r[:n]):
                pr = tc.get_or_add_tcPr()
                tcw = pr.find(qn("w:tcW"))
                if tcw is None:
                    tcw = OxmlElement("w:tcW")
                    pr.insert(0, tcw)
                tcw.set(qn("w:w"), str(widths[i]))
                tcw.set(qn("w:type"), "dxa")
        layout = t._tbl.tblPr.find(qn("w:tblLayout"))
        if layout is None:
            layout = OxmlElement("w:tblLayout")
            t._tbl.tblPr.append(layout)
        layout.set(qn("w:type"), "fixed")


def render_docx(ctx: dict, template: Optional[Union[str, Path]] = None) -> bytes:
    """The .docx bytes of a report context, rendered through the Word template."""
    path = template_path(template)
    if not path.is_file():
        raise InputError("Word template not found / 找不到Word模板", str(path), field="template")
    if not zipfile.is_zipfile(path):
        raise InputError("not a Word .docx file / 不是Word文档(.docx)", str(path), field="template")
    tpl = _cached_template_class()(str(path))
    st = path.stat()
    tpl.cache_key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    budget = _RANGE_LEFT.set(MAX_RANGE_STEPS)
    try:
        tpl.render(ctx, _env(), autoescape=True)
    except SecurityError as exc:
        raise InputError(f"Word template refused by the sandbox (Python internals, or more than a report needs): "
                         f"{' '.join(str(exc).split())[:160]} / Word模板试图访问程序内部对象或超出安全限制，已拒绝",
                         str(path), field="template") from None
    except TemplateError as exc:
        near = " ".join(s.strip() for s in getattr(exc, "docx_context", []) or [] if s.strip())[:120]
        line = getattr(exc, "message", None) or str(exc)
        raise InputError(f"Word template tag error: {line}" + (f" (near: {near})" if near else "") +
                         " / Word模板标签有误", str(path), field="template") from None
    except KeyError as exc:  # a template without document.xml etc.
        raise InputError(f"not a usable Word template: missing {exc}", str(path), field="template") from None
    finally:
        _RANGE_LEFT.reset(budget)
    L, meta = ctx["L"], ctx["meta"]
    props = tpl.docx.core_properties
    props.title = clean(f"{meta.get('title') or L['title']} - {meta['name']}")[:250]
    props.language = "en-US" if ctx["lang"] == "en" else "zh-CN"
    props.comments = ""
    fit_tables(tpl.docx)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()
