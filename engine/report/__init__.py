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

from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes, pass_eval_context
from jinja2.compiler import CodeGenerator, find_undeclared, optimizeconst
from jinja2.filters import sync_do_join
from markupsafe import Markup, escape

from cpadvisor.errors import InputError
from cpadvisor.models.results import Assessment
from cpadvisor.report.context import build_context
from cpadvisor.report.labels import labels
from cpadvisor.report.memo import keep

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("md", "html", "docx")
LANGS = ("zh", "en")
_MD_NEED = re.compile(r"[\\`*_\[\]<>|#\r\n]")
_MD_TABLE = str.maketrans({**{c: "\\" + c for c in "\\`*_[]<>|#"}, "\r": " ", "\n": " "})


class Raw(str):
    """Markdown the templates built themselves (a macro's output): not escaped again."""


_ESCAPED: dict[str, str] = {}  # text -> its escaped form: a report prints about a thousand values, most of them
_HTML: dict[str, str] = {}  # the labels and measure words every report repeats (md and HTML apart)
_ESCAPED_MAX = 20_000          # texts kept in each; bounded, since profile text passes through too


def _md_text(text: str) -> str:
    return text.translate(_MD_TABLE) if _MD_NEED.search(text) else text


def md_escape(value: Any) -> Any:
    """Markdown-safe text: special characters backslash-escaped (no raw HTML), one line."""
    if value.__class__ is str:  # the usual case first (not Raw: a macro's output is Markdown already)
        out = _ESCAPED.get(value)
        return out if out is not None else keep(_ESCAPED, value, _md_text(value), _ESCAPED_MAX)
    if value is None:
        return ""
    if isinstance(value, Raw) or not isinstance(value, str):
        return value
    return _md_text(value)  # another str subclass


try:  # markupsafe >= 3: the function escape() wraps in Markup, giving the escaped text as str
    from markupsafe import _escape_inner as _escaped_str
except ImportError:  # pragma: no cover - older markupsafe
    def _escaped_str(text: str) -> str:
        return str(escape(text))


def html_escape(value: Any) -> str:
    """markupsafe.escape as the text it prints, remembering it for plain text (bounded like md_escape); Markup
    (a macro's output) as it is, where escape would copy it. Only what a template prints passes through here,
    so plain text needs no Markup around it."""
    if value.__class__ is str:
        out = _HTML.get(value)
        if out is None:
            if len(_HTML) >= _ESCAPED_MAX:  # keep(), inline: this is the report's hottest call
                _HTML.clear()
            out = _HTML[value] = _escaped_str(value)
        return out
    if value.__class__ is Markup:
        return value
    return escape(value)


class _Code(CodeGenerator):
    """The packaged templates' compiler: what a report repeats a thousand times is inlined.

    - ``item.field`` on a dict that has the key reads it (``(o["field"] if (o := item).__class__ is dict and
      "field" in o else environment.getattr(o, "field"))``); anything else goes through ``environment.getattr``
      as before;
    - a call of one of the template's macros calls it directly, as ``context.call`` would (the eval context
      first), or, for a macro defined once at the top level and called with positional arguments, calls its
      function as ``Macro.__call__`` would; any other callable goes through ``context.call``;
    - ``{{ value }}`` of plain text takes its remembered escaped form when there is one (``_cp_memo``, the
      module's name for ``environment.memo``),
      else goes through ``environment.escape_text`` (HTML: markupsafe.escape, remembered) or the finalize
      (Markdown: md_escape) as before.

    Same output as a stock environment (tests/test_report_speed.py renders both and checks the compiled code).
    """

    _cp_plain: dict[str, int] = {}  # the macros called through their function (visit_Template), by name

    @optimizeconst
    def visit_Getattr(self, node: Any, frame: Any) -> None:
        if self.environment.is_async or self.environment.sandboxed:
            return super().visit_Getattr(node, frame)
        attr = repr(node.attr)
        self.write(f"(_cp_o[{attr}] if (_cp_o := ")
        self.visit(node.node, frame)
        self.write(f").__class__ is dict and {attr} in _cp_o else environment.getattr(_cp_o, {attr}))")

    @optimizeconst
    def visit_Call(self, node: Any, frame: Any, forward_caller: bool = False) -> None:
        if forward_caller or self.environment.is_async or self.environment.sandboxed or \
                not isinstance(node.node, nodes.Name):
            return super().visit_Call(node, frame, forward_caller=forward_caller)
        n = self._cp_plain.get(node.node.name)
        if n is not None and not (node.kwargs or node.dyn_args or node.dyn_kwargs) and len(node.args) <= n and \
                not frame.eval_ctx.volatile:
            # this template's own macro (not one imported or set under its name), called with positional
            # arguments: its function, as Macro._invoke calls it
            self.write(f"({'Markup(' if frame.eval_ctx.autoescape else '('}_cp_m._func(")
            for arg in node.args:
                self.visit(arg, frame)
                self.write(", ")
            self.write("missing, " * (n - len(node.args)) + ")")
            guard = f" and _cp_m.name == {node.node.name!r} and _cp_m._func.__globals__ is _cp_g"
        else:  # another macro: called as context.call would call it (the eval context first), directly
            self.write("(_cp_m(context.eval_ctx")
            self.signature(node, frame)
            guard = ""
        self.write(") if (_cp_m := ")
        self.visit(node.node, frame)
        self.write(f").__class__ is Macro{guard} else ")
        super().visit_Call(node, frame)  # anything else: Jinja's own call
        self.write(")")

    def visit_Template(self, node: Any, frame: Any = None) -> None:
        # the template's macros that its calls may call directly, with their number of arguments: defined once, at
        # the top level, reading no caller, kwargs or varargs (what Macro.__call__ would do is then to call the
        # function with the positional arguments, `missing` for the others)
        names = [m.name for m in node.find_all(nodes.Macro)]
        self._cp_plain = {m.name: len(m.args) for m in node.body if isinstance(m, nodes.Macro) and
                          names.count(m.name) == 1 and not ({"caller", "kwargs", "varargs"} & {a.name for a in m.args}
                                                            or find_undeclared(m.body, ("caller", "kwargs", "varargs")))}
        self.writeline("_cp_memo = environment.memo")  # the escapes' memo, one name of the module
        self.writeline("_cp_g = globals()")  # the module's namespace: its macros' functions have it
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile:
            return super()._output_child_pre(node, frame, finalize)
        self.write("(_cp_memo[_cp_e] if (_cp_e := ")

    def _output_child_post(self, node: Any, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile:
            return super()._output_child_post(node, frame, finalize)
        self.write(").__class__ is str and _cp_e in _cp_memo else ")
        if frame.eval_ctx.autoescape:
            self.write("environment.escape_text(_cp_e))")
        else:
            self.write(f"str({finalize.src or ''}_cp_e){')' if finalize.src else ''})")


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
        env = _Env(autoescape=True, **common)
        env.escape_text = html_escape  # type: ignore[attr-defined]
        env.memo = _HTML  # type: ignore[attr-defined]
    else:
        env = _Env(autoescape=False, finalize=md_escape, **common)
        env.filters["raw"] = Raw
        env.memo = _ESCAPED  # type: ignore[attr-defined]
    env.code_generator_class = _Code
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
