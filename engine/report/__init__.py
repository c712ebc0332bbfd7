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

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.filters import sync_do_join
from markupsafe import Markup, escape

from cpadvisor.errors import InputError
from cpadvisor.models.results import Assessment
from cpadvisor.report.context import build_context
from cpadvisor.report.labels import labels
from cpadvisor.report.markdown import Raw, md_escape

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("md", "html", "docx")
LANGS = ("zh", "en")
try:  # markupsafe >= 3: the function escape() wraps in Markup, giving the escaped text as str
    from markupsafe import _escape_inner as _escaped_str
except ImportError:  # pragma: no cover - older markupsafe
    def _escaped_str(text: str) -> str:
        return str(escape(text))


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


class _Labelled(FileSystemLoader):
    """The packaged templates, and per language (``report.md.j2@zh``) the same source with each ``{{ L.key }}``
    replaced by that label as the template would print it (escaped for the format): a label is the same in
    every report of a language, so it is template text, compiled once, not a lookup and an escape each time.
    Labels whose escaped text holds ``{ } % #`` stay lookups."""

    _LABEL = re.compile(r"\{\{ L\.([A-Za-z_][A-Za-z0-9_]*) \}\}")

    def __init__(self, kind: str):
        super().__init__(str(TEMPLATES))
        self.kind = kind

    def get_source(self, environment: Environment, template: str) -> tuple:
        name, _, lang = template.partition("@")
        source, filename, uptodate = super().get_source(environment, name)
        if lang not in LANGS:
            return source, filename, uptodate
        table = labels(lang)
        esc = _escaped_str if self.kind == "html" else md_escape

        def fill(m: re.Match) -> str:
            text = table.get(m.group(1))
            if not isinstance(text, str):
                return m.group(0)
            out = esc(text)
            return m.group(0) if any(c in out for c in "{}%#") else out

        return self._LABEL.sub(fill, source), filename, uptodate


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    """Jinja's join filter, at once for a list of plain text (what the templates join); else Jinja's own."""
    if attribute is None and value.__class__ is list and d.__class__ is str:
        for x in value:
            if x.__class__ is not str:
                break
        else:
            return d.join(value)
    return sync_do_join(eval_ctx, value, d, attribute)


@lru_cache(maxsize=None)
def environment(kind: str) -> Environment:
    """Jinja2 environment of the packaged templates: HTML autoescapes every value; Markdown escapes its own
    specials. (A user's Word template gets a sandboxed environment: report.word.)"""
    common: dict[str, Any] = dict(loader=_Labelled(kind), undefined=StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    if kind == "html":
        env = _Env(autoescape=True, **common)  # markupsafe's escape, as Jinja compiles it
    else:
        env = _Env(autoescape=False, finalize=md_escape, **common)
        env.filters["raw"] = Raw
    env.filters["join"] = _join
    return env


def _check(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown report format '{fmt}': use one of {', '.join(FORMATS)} / 未知报告格式", field="format")
    if lang not in LANGS:
        raise InputError(f"unknown language '{lang}': use zh or en / 未知语言", field="lang")


def render_report(assessment: Union[Assessment, dict], format: str = "md", lang: str = "zh",
                  kb: Optional[Any] = None, template: Optional[Union[str, Path]] = None,
                  workings: bool = True, structure: Optional[str] = None,
                  consultant: Optional[str] = None, performance: Optional[dict] = None) -> Union[str, bytes]:
    """Render a report: 'md' and 'html' return text, 'docx' returns the bytes of a Word file.

    The body speaks the client's language; the engine's workings (measure ids, rule conditions, provenance
    of every number, versions) are in the appendix 工作底稿, left out with ``workings=False``.
    ``structure``: "audit" (the chapters of a 清洁生产审核报告, with placeholders for the audit team) or
    "screening" (a short recommendation report); default: audit when the enterprise has an audit type.
    ``consultant``: the consulting firm named on the cover (default: a placeholder to fill in).
    ``performance``: the 清洁生产审核绩效表 of the enterprise (``store.performance.performance``), printed in the
    方案的实施 chapter.

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
    ctx = build_context(assessment, lang, kb, structure, consultant, performance)
    ctx["show_workings"] = workings
    if format == "docx":
        from cpadvisor.report.word import render_docx
        return render_docx(ctx, template)
    return environment(format).get_template(f"report.{format}.j2@{lang}").render(**ctx)


__all__ = ["FORMATS", "LANGS", "build_context", "md_escape", "render_report"]
