"""Consultant reports of an assessment: Markdown, HTML (A4, self-contained) and Word, in Chinese or English.

    from cpadvisor import assess, render_report
    a = assess("examples/steel_plant.yaml")
    html = render_report(a, "html", "zh")      # str
    docx = render_report(a, "docx", "en")      # bytes, from templates/report.docx
    docx = render_report(a, "docx", template="my_report.docx")   # a consultant's restyled copy
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.compiler import CodeGenerator
from markupsafe import Markup, escape

from cpadvisor.errors import InputError
from cpadvisor.models.results import Assessment
from cpadvisor.report.context import build_context

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("md", "html", "docx")
LANGS = ("zh", "en")
_MD_NEED = re.compile(r"[\\`*_\[\]<>|#\r\n]")
_MD_TABLE = str.maketrans({**{c: "\\" + c for c in "\\`*_[]<>|#"}, "\r": " ", "\n": " "})


class Raw(str):
    """Markdown the templates built themselves (a macro's output): not escaped again."""


_ESCAPED: dict[str, str] = {}  # text -> its escaped form: a report prints about a thousand values, most of them
_HTML: dict[str, Markup] = {}  # the labels and measure words every report repeats (md and HTML apart)
_ESCAPED_MAX = 20_000          # texts kept in each; bounded, since profile text passes through too


def _keep(memo: dict, text: str, escaped: Any) -> Any:
    """Remember ``escaped`` for ``text`` in ``memo`` (emptied first once full); return it."""
    if len(memo) >= _ESCAPED_MAX:
        memo.clear()
    memo[text] = escaped
    return escaped


def _md_text(text: str) -> str:
    return text.translate(_MD_TABLE) if _MD_NEED.search(text) else text


def md_escape(value: Any) -> Any:
    """Markdown-safe text: special characters backslash-escaped (no raw HTML), one line."""
    if value.__class__ is str:  # the usual case first (not Raw: a macro's output is Markdown already)
        out = _ESCAPED.get(value)
        return out if out is not None else _keep(_ESCAPED, value, _md_text(value))
    if value is None:
        return ""
    if isinstance(value, Raw) or not isinstance(value, str):
        return value
    return _md_text(value)  # another str subclass


def html_escape(value: Any) -> Markup:
    """markupsafe.escape, remembering the result for plain text (bounded like md_escape)."""
    if type(value) is str:
        out = _HTML.get(value)
        return out if out is not None else _keep(_HTML, value, escape(value))
    return escape(value)


class _HtmlCode(CodeGenerator):
    """Compiles ``{{ value }}`` in an autoescaping template to ``environment.escape_text(value)`` instead of
    ``escape(value)``: the same Markup, remembered. (tests/test_report_speed.py checks the compiled code
    calls it and that the output equals a stock environment's.)"""

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_text(")
            if finalize.src is not None:
                self.write(finalize.src)
            return
        super()._output_child_pre(node, frame, finalize)


class _Env(Environment):
    """The packaged templates' environment: ``item.field`` on the context's dicts reads the key first (the
    context is dicts; Jinja's default tries the attribute first and pays an exception for every read)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=None)
def environment(kind: str) -> Environment:
    """Jinja2 environment of the packaged templates: HTML autoescapes every value; Markdown escapes its own
    specials. (A user's Word template gets a sandboxed environment: report.word.)"""
    common: dict[str, Any] = dict(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    if kind == "html":
        env = _Env(autoescape=True, **common)
        env.code_generator_class = _HtmlCode
        env.escape_text = html_escape  # type: ignore[attr-defined]
        return env
    env = _Env(autoescape=False, finalize=md_escape, **common)
    env.filters["raw"] = Raw
    return env


def _check(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown report format '{fmt}': use one of {', '.join(FORMATS)} / 未知报告格式", field="format")
    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}': use zh or en / 未知语言", field="lang")


def render_report(assessment: Union[Assessment, dict], format: str = "md", lang: str = "zh",
                  kb: Optional[Any] = None, template: Optional[Union[str, Path]] = None,
                  workings: bool = True, structure: Optional[str] = None,
                  consultant: Optional[str] = None) -> Union[str, bytes]:
    """Render a report: 'md' and 'html' return text, 'docx' returns the bytes of a Word file.

    The body speaks the client's language; the engine's workings (measure ids, rule conditions, provenance
    of every number, versions) are in the appendix 工作底稿, left out with ``workings=False``.
    ``structure``: "audit" (the chapters of a 清洁生产审核报告, with placeholders for the audit team) or
    "screening" (a short recommendation report); default: audit when the enterprise has an audit type.
    ``consultant``: the consulting firm named on the cover (default: a placeholder to fill in).

    ``template``: the Word template (.docx with Jinja2 tags) for 'docx'; default $CPADVISOR_DOCX_TEMPLATE,
    else templates/report.docx.
    """
    _check(format, lang)
    if template is not None and format != "docx":
        raise InputError(f"a template can be given for docx only, not {format} / 仅Word报告可指定模板",
                         str(template), field="template")
    if not isinstance(assessment, Assessment):
        assessment = Assessment.model_validate(assessment)
    if kb is None:
        from cpadvisor.knowledge.loader import load_knowledge
        kb = load_knowledge()
    if structure not in (None, "audit", "screening"):
        raise InputError(f"unknown structure '{structure}': use audit or screening / 未知报告结构", field="structure")
    ctx = build_context(assessment, lang, kb, structure, consultant)
    ctx["show_workings"] = workings
    if format == "docx":
        from cpadvisor.report.word import render_docx
        return render_docx(ctx, template)
    return environment(format).get_template(f"report.{format}.j2").render(**ctx)


__all__ = ["FORMATS", "LANGS", "build_context", "md_escape", "render_report"]
