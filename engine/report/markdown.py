"""Markdown-safe text for the reports and the data request: special characters backslash-escaped, one line."""
from __future__ import annotations

import re
from typing import Any

from cpadvisor.report.memo import keep

_MD_NEED = re.compile(r"[\\`*_\[\]<>|#\r\n]")
_MD_TABLE = str.maketrans({**{c: "\\" + c for c in "\\`*_[]<>|#"}, "\r": " ", "\n": " "})


class Raw(str):
    """Markdown the templates built themselves (a macro's output): not escaped again."""


_ESCAPED: dict[str, str] = {}  # text -> its Markdown form: a report prints about a thousand values, most of them
_ESCAPED_MAX = 20_000          # the labels and measure words every report repeats; bounded (profile text too)


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
