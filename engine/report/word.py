"""The Word (.docx) report: a Word template with Jinja2 tags (templates/report.docx) rendered by docxtpl.

The template prints the same context and labels as the HTML and Markdown templates. Consultants restyle the
report by editing a copy of the template in Word and passing it as ``template=`` (or ``$CPADVISOR_DOCX_TEMPLATE``);
scripts/make_docx_template.py regenerates the default one.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Optional, Union

from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
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


def jinja_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed (a Word template is what consultants share: it must not reach Python objects or run code);
    every value is XML-escaped; unknown names fail (no silently empty cells)."""
    return ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=clean)


def template_path(template: Optional[Union[str, Path]] = None) -> Path:
    """The Word template to use: the one given, else $CPADVISOR_DOCX_TEMPLATE, else the packaged one."""
    return Path(template or os.environ.get(TEMPLATE_ENV) or DOCX_TEMPLATE)


def render_docx(ctx: dict, template: Optional[Union[str, Path]] = None) -> bytes:
    """The .docx bytes of a report context, rendered through the Word template."""
    from docxtpl import DocxTemplate

    path = template_path(template)
    if not path.is_file():
        raise InputError("Word template not found / 找不到Word模板", str(path), field="template")
    if not zipfile.is_zipfile(path):
        raise InputError("not a Word .docx file / 不是Word文档(.docx)", str(path), field="template")
    tpl = DocxTemplate(str(path))
    try:
        tpl.render(ctx, jinja_environment(), autoescape=True)
    except SecurityError as exc:
        raise InputError(f"Word template tries to reach Python internals, refused: {' '.join(str(exc).split())[:160]}"
                         " / Word模板试图访问程序内部对象，已拒绝", str(path), field="template") from None
    except TemplateError as exc:
        near = " ".join(s.strip() for s in getattr(exc, "docx_context", []) or [] if s.strip())[:120]
        line = getattr(exc, "message", None) or str(exc)
        raise InputError(f"Word template tag error: {line}" + (f" (near: {near})" if near else "") +
                         " / Word模板标签有误", str(path), field="template") from None
    except KeyError as exc:  # a template without document.xml etc.
        raise InputError(f"not a usable Word template: missing {exc}", str(path), field="template") from None
    L, meta = ctx["L"], ctx["meta"]
    props = tpl.docx.core_properties
    props.title = clean(f"{L['title']} - {meta['name']}")[:250]
    props.language = "en-US" if ctx["lang"] == "en" else "zh-CN"
    props.comments = ""
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()
