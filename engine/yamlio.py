"""Safe loading of YAML/JSON with line numbers; data only, never code.

Tags (e.g. ``!!python/object``) and anchors/aliases are refused before anything
is constructed, so an alias bomb or an object-constructing tag cannot run.
"""
from __future__ import annotations

import difflib
import io
from pathlib import Path
from typing import Any, Iterable, Optional

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import InputError

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_nodes(root: Node, file: str) -> None:
    seen: set[int] = set()
    stack = [root]
    count = 0
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise InputError("YAML anchors/aliases are not allowed / 不允许使用锚点或别名",
                             file, node.start_mark.line + 1)
        seen.add(id(node))
        count += 1
        if count > MAX_NODES:
            raise InputError(f"document too large (> {MAX_NODES} nodes) / 文件过大", file)
        if node.tag not in _PLAIN_TAGS:
            raise InputError(f"YAML tag {node.tag!r} is not allowed: knowledge and profiles are data only / "
                             "不允许使用YAML标签", file, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    file = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file / 无法读取: {exc.strerror}", file) from None
    if size > max_bytes:
        raise InputError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit / 文件过大", file)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {exc.start}) / 文件不是UTF-8编码", file, line) from None


def loads(text: str, file: str = "<input>") -> Any:
    """Parse YAML or JSON text into ruamel CommentedMap/Seq (line numbers kept)."""
    yaml = YAML(typ="rt", pure=True)
    try:
        root = yaml.compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"malformed YAML/JSON: {exc.problem or exc.context} / 格式错误", file, line) from None
    except YAMLError as exc:
        raise InputError(f"malformed YAML/JSON: {exc} / 格式错误", file) from None
    if root is None:
        raise InputError("empty document / 文件为空", file)
    _check_nodes(root, file)
    try:
        return yaml.load(io.StringIO(text))
    except YAMLError as exc:
        raise InputError(f"malformed YAML/JSON: {exc} / 格式错误", file) from None


def load_file(path: Path, max_bytes: int = MAX_BYTES) -> Any:
    return loads(read_text(Path(path), max_bytes), str(path))


def line_of(doc: Any, loc: Iterable[Any]) -> Optional[int]:
    """Best line number for a path of keys/indexes (as in pydantic error locations)."""
    line = None
    node = doc
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            try:
                line = node.lc.key(part)[0] + 1
            except Exception:
                pass
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            try:
                line = node.lc.item(part)[0] + 1
            except Exception:
                pass
            node = node[part]
        elif isinstance(part, str) and part[:1].isupper():
            continue  # a union/model tag in a pydantic location
        else:
            break
    if line is None and isinstance(doc, (CommentedMap, CommentedSeq)):
        line = doc.lc.line + 1
    return line


def to_plain(obj: Any) -> Any:
    """ruamel containers -> plain dict/list (for pydantic and JSON)."""
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if hasattr(obj, "isoformat") and not isinstance(obj, str):
        return obj.isoformat()
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    return obj


def model_field_names(model: Any) -> set[str]:
    """Every property name in a pydantic model's JSON schema (for "did you mean")."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(model.model_json_schema())
    return names


def pydantic_errors(exc: Any, doc: Any, file: str, skip: int = 0, names: Iterable[str] = ()) -> list[InputError]:
    """Turn a pydantic ValidationError into InputErrors with file:line and the field path.

    ``skip`` drops leading wrapper keys from the error location.
    """
    out = []
    for err in exc.errors():
        loc = tuple(p for p in tuple(err["loc"])[skip:] if not (isinstance(p, str) and p[:1].isupper()))
        if skip and loc[:1] in (("enterprise",), ("park",)):
            loc = loc[1:]  # the discriminator tag of the profile union
        field = ".".join(str(p) for p in loc) or None
        msg = err["msg"]
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field / 未知字段 '{loc[-1]}'" + did_you_mean(str(loc[-1]), names)
        elif err["type"] == "missing":
            msg = "required field is missing / 缺少必填字段"
        elif err["type"] == "union_tag_invalid":
            msg = "kind must be 'enterprise' or 'park' / kind 应为 enterprise 或 park"
        elif "input" in err and err["type"] != "value_error":
            msg = f"{msg} (got {err['input']!r})"[:300]
        out.append(InputError(msg, file, line_of(doc, loc), field))
    return out
