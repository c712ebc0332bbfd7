"""Safe loading of YAML/JSON into plain data with a line index; data only, never code.

One loader for profiles and knowledge packs alike, everywhere: libyaml's C parser composes the
node tree (YAML 1.2 resolution), then an iterative walk refuses tags, anchors/aliases and merge
keys, non-text and duplicate keys, and documents over the node, depth and size limits, before it
builds plain ``dict``/``list``/scalars and records the line of every key and item. Nothing is
constructed from a node that could run code, and no limit can be passed by aliasing.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Optional

from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from cpadvisor.errors import InputError, did_you_mean  # noqa: F401 - re-exported

MAX_BYTES = 5 * 1024 * 1024  # a file
MAX_NODES = 200_000  # scalars, lists and mappings in one document
MAX_DEPTH = 32  # nesting of lists and mappings
MAX_KEY = 200  # characters of a mapping key
_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

Loc = tuple[Any, ...]


class Doc:
    """Plain data of a YAML/JSON document, and the line (1-based) of each key or item by its path.

    The lines of a parsed YAML document are read from its node tree when first asked for (an error message, a
    knowledge check): a valid profile never needs them, and recording a path for every key costs a third of
    building the data."""

    def __init__(self, data: Any, lines: Optional[dict[Loc, int]] = None, root: Optional[Node] = None):
        self.data = data
        self._lines = lines if lines is not None or root is not None else {}
        self._root = root

    @property
    def lines(self) -> dict[Loc, int]:
        if self._lines is None:
            self._lines, self._root = _lines_of(self._root), None
        return self._lines

    def __repr__(self) -> str:
        return f"Doc({self.data!r})"

    def sub(self, key: Any) -> "Doc":
        """The document below one key, with its lines."""
        return Doc(self.data[key], {k[1:]: v for k, v in self.lines.items() if k[:1] == (key,)})

    def get(self, key: Any, default: Any = None) -> Any:
        return self.data.get(key, default) if isinstance(self.data, dict) else default


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


_PARSER: Optional[YAML] = None


_QUOTED = object()  # the memo's key of every quoted scalar
_MEMO_MAX = 8192  # scalar texts remembered by the resolver (then forgotten all at once)


class _Resolver(VersionedResolver):
    """ruamel's YAML 1.2 resolver, with the implicit-tag table looked up once per document instead of once per
    scalar (the C parser exposes no %YAML directive, so the version is the parser's for the whole document;
    the stock property pays two caught AttributeErrors for every scalar) and one Tag object per tag."""

    _tags: dict[str, Tag] = {}
    _memo: dict[Any, Any] = {}  # scalar text -> tag, for every document (one parser, one YAML version)

    @property
    def versioned_resolver(self) -> Any:
        table = self.__dict__.get("_table")
        if table is None:
            table = self.__dict__["_table"] = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
        return table

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag of a node; a scalar's is remembered by its text across documents (a plain scalar's tag
        depends on its text only; every quoted scalar is a string), so a repeated value is matched once."""
        if kind is ScalarNode:
            memo = self._memo
            key = value if implicit[0] else _QUOTED
            tag = memo.get(key)
            if tag is None:
                if len(memo) >= _MEMO_MAX:
                    memo.clear()
                tag = memo[key] = self._resolve(kind, value, implicit)
            return tag
        return self._resolve(kind, value, implicit)

    def _resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if isinstance(tag, Tag) and tag.handle is None:
            suffix = tag.suffix
            shared = self._tags.get(suffix)
            if shared is None:
                shared = self._tags[suffix] = tag
            return shared
        return tag


def _yaml() -> YAML:
    global _PARSER
    if _PARSER is None:
        _PARSER = YAML(typ="safe")  # the C parser (ruamel.yaml.clib) when installed
        _PARSER.Resolver = _Resolver
    return _PARSER


def _tag(node: Node) -> Optional[str]:
    """``node.tag`` without re-decoding the tag's URI at every read (ruamel recomputes it per Tag object)."""
    c = node.ctag
    if c is None:
        return None
    try:
        return c._trval  # type: ignore[attr-defined]
    except AttributeError:
        return str(c)


def _scalar(node: ScalarNode, file: str) -> Any:
    tag = _tag(node)
    _SCALARS: SafeConstructor = _yaml().constructor  # scalar constructors only; never construct_object
    try:
        if tag == _T + "str":
            return node.value
        if tag == _T + "null":
            return None
        if tag == _T + "bool":
            return _SCALARS.construct_yaml_bool(node)
        if tag == _T + "int":
            return _SCALARS.construct_yaml_int(node)
        if tag == _T + "float":
            return _SCALARS.construct_yaml_float(node)
        return _SCALARS.construct_yaml_timestamp(node).isoformat()  # timestamp
    except (ValueError, ConstructorError) as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"cannot read value: {_one_line(exc)[:120]} / 无法读取该值", file,
                         node.start_mark.line + 1) from None


def _build(root: Node, file: str) -> Doc:
    """Plain data from a node tree, refusing what a data file may not hold; the lines come later from the tree."""
    seen: set[int] = set()
    count = 0
    out: dict[int, Any] = {}
    # iterative: (node, depth); containers are filled after their children are built
    stack: list[tuple[Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        if done:
            if isinstance(node, MappingNode):
                out[id(node)] = {k.value: out.pop(id(v)) for k, v in node.value}
            else:
                out[id(node)] = [out.pop(id(v)) for v in node.value]
            continue
        if id(node) in seen:
            raise InputError("YAML anchors/aliases are not allowed / 不允许使用锚点或别名", file,
                             node.start_mark.line + 1)
        seen.add(id(node))
        count += 1
        if count > MAX_NODES:
            raise InputError(f"document too large (> {MAX_NODES} nodes) / 文件过大", file)
        if depth > MAX_DEPTH:
            raise InputError(f"nested more than {MAX_DEPTH} levels deep / 嵌套层级过深", file, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            if _tag(node) not in _SCALAR_TAGS:
                raise InputError(f"YAML tag {node.tag!r} is not allowed: knowledge and profiles are data only / "
                                 "不允许使用YAML标签", file, node.start_mark.line + 1)
            out[id(node)] = _scalar(node, file)
            continue
        if isinstance(node, MappingNode):
            if _tag(node) != _T + "map":
                raise InputError(f"YAML tag {node.tag!r} is not allowed / 不允许使用YAML标签", file,
                                 node.start_mark.line + 1)
            stack.append((node, depth, True))
            keys: set[str] = set()
            for k, v in node.value:
                ktag = _tag(k)
                if ktag != _T + "str" or not isinstance(k, ScalarNode):
                    kline = k.start_mark.line + 1
                    if ktag == _T + "merge":
                        raise InputError("merge keys ('<<') are not allowed / 不允许使用合并键", file, kline)
                    shown = k.value if isinstance(k, ScalarNode) else "a list or mapping"
                    raise InputError(f"a key must be text, got {shown!r}: quote it / 键名必须是文本", file, kline)
                if len(k.value) > MAX_KEY:
                    raise InputError(f"key longer than {MAX_KEY} characters / 键名过长", file, k.start_mark.line + 1)
                if k.value in keys:
                    raise InputError(f"duplicate key '{k.value}' / 重复的键", file, k.start_mark.line + 1,
                                     ".".join(map(str, _path_to(root, node) + (k.value,))))
                keys.add(k.value)
                stack.append((v, depth + 1, False))
        elif isinstance(node, SequenceNode):
            if _tag(node) != _T + "seq":
                raise InputError(f"YAML tag {node.tag!r} is not allowed / 不允许使用YAML标签", file,
                                 node.start_mark.line + 1)
            stack.append((node, depth, True))
            for v in node.value:
                stack.append((v, depth + 1, False))
    return Doc(out[id(root)], root=root)


def _children(node: Node, path: Loc) -> Iterable[tuple[Node, Loc, Node]]:
    """(child, its path, the node whose line is the child's: a mapping value's key, a list item itself)."""
    if isinstance(node, MappingNode):
        return ((v, path + (k.value,), k) for k, v in node.value)
    if isinstance(node, SequenceNode):
        return ((v, path + (i,), v) for i, v in enumerate(node.value))
    return ()


def _lines_of(root: Node) -> dict[Loc, int]:
    """The line (1-based) of every key and item of a checked node tree, by its path."""
    lines: dict[Loc, int] = {(): root.start_mark.line + 1}
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        for child, where, marked in _children(node, path):
            lines[where] = marked.start_mark.line + 1
            stack.append((child, where))
    return lines


def _path_to(root: Node, target: Node) -> Loc:
    """The path of a node in the tree (for an error's field)."""
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        stack.extend((child, where) for child, where, _ in _children(node, path))
    return ()


def _json(text: str, file: str) -> Optional[Doc]:
    """Strict JSON (which may hold characters YAML refuses, e.g. U+007F); None if it is not JSON."""
    def pairs(items: list[tuple[str, Any]]) -> dict:
        d: dict = {}
        for k, v in items:
            if k in d:
                raise InputError(f"duplicate key '{k}' / 重复的键", file)
            d[k] = v
        return d

    def bad_constant(name: str) -> Any:
        raise InputError(f"{name} is not a number here / 不是有效数值", file)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant)
    except (ValueError, RecursionError):
        return None
    return Doc(data, {(): 1})


# below this many possible nesting marks the composer's recursion is harmless; above, the event scan runs first
DEPTH_SCAN_FROM = 2000


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the composer builds nodes: libyaml's composer recurses in C
    and overflows the stack (a segfault) on tens of thousands of levels. The event stream is iterative, so the
    depth is counted there; the scan runs only on a text with enough nesting marks to matter."""
    marks = text.count("\n") + text.count("[") + text.count("{") + text.count("-") + text.count("?")
    if marks <= DEPTH_SCAN_FROM:
        return
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
    depth = 0
    try:
        for ev in _yaml().parse(text):
            if isinstance(ev, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"nested more than {MAX_DEPTH} levels deep / 嵌套层级过深", file,
                                     ev.start_mark.line + 1 if ev.start_mark else None)
            elif isinstance(ev, CollectionEndEvent):
                depth -= 1
    except (YAMLError, ValueError):
        return  # malformed before it got too deep: the composer reports it


class _JsonDoc(Doc):
    """A document the json module read: its lines are found (by composing it as YAML) only when asked."""

    def __init__(self, data: Any, text: str):
        super().__init__(data, {})
        self._text: Optional[str] = text
        self._lines = None  # type: ignore[assignment]

    @property
    def lines(self) -> dict[Loc, int]:
        if self._lines is None:
            try:
                self._lines = _lines_of(_yaml().compose(self._text))
            except (YAMLError, ValueError, RecursionError):
                self._lines = {(): 1}  # JSON that YAML refuses (e.g. U+007F): the document's first line
            self._text = None
        return self._lines


def loads(text: str, file: str = "<input>") -> Doc:
    """Parse YAML or JSON text into a :class:`Doc` (plain data and line index). Text that is JSON is read by the
    json module (fast); anything it refuses (a duplicate key included) goes the YAML way for a line-numbered
    error."""
    if text.lstrip().startswith(("{", "[")):
        try:
            doc = _json(text, file)
        except InputError:
            doc = None
        if doc is not None:
            return _JsonDoc(doc.data, text)
    _check_depth(text, file)
    try:
        root = _yaml().compose(text)
    except MarkedYAMLError as exc:
        if text.lstrip().startswith(("{", "[")):
            doc = _json(text, file)
            if doc is not None:
                return doc
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = _one_line(exc.problem or exc.context or "")
        raise InputError(f"malformed YAML/JSON: {what} / 格式错误", file, line) from None
    except (YAMLError, ValueError) as exc:  # e.g. a ReaderError: a character YAML does not allow
        if text.lstrip().startswith(("{", "[")):
            doc = _json(text, file)
            if doc is not None:
                return doc
        pos = getattr(exc, "position", None)
        line = text[:pos].count("\n") + 1 if isinstance(pos, int) else None
        what = _one_line(exc).split(' in "<unicode string>"')[0]
        raise InputError(f"malformed YAML/JSON: {what[:200]} / 格式错误", file, line) from None
    except RecursionError:
        raise InputError(f"nested more than {MAX_DEPTH} levels deep / 嵌套层级过深", file) from None
    if root is None:
        raise InputError("empty document / 文件为空", file)
    return _build(root, file)


def read_bytes(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file under the size limit (one InputError otherwise; never blocks on a FIFO)."""
    import stat as _stat
    file = str(path)
    try:
        st = path.stat()
    except OSError as exc:
        if path.is_symlink():
            raise InputError("dangling symbolic link / 符号链接指向的文件不存在", file) from None
        raise InputError(f"cannot read file / 无法读取: {exc.strerror}", file) from None
    if _stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder, not a file / 这是目录而不是文件", file)
    if not _stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file (a FIFO, socket or device) / 不是普通文件", file)
    if st.st_size > max_bytes:
        raise InputError(f"file is {st.st_size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit / 文件过大", file)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file / 无法读取: {exc.strerror}", file) from None


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """UTF-8 text of a regular file under the size limit."""
    return decode(read_bytes(path, max_bytes), str(path), max_bytes)


def decode(raw: bytes, file: str, max_bytes: int = MAX_BYTES) -> str:
    if len(raw) > max_bytes:
        raise InputError(f"file is {len(raw) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit / 文件过大", file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {exc.start}) / 文件不是UTF-8编码", file, line) from None


def load_file(path: Path, max_bytes: int = MAX_BYTES) -> Doc:
    return loads(read_text(Path(path), max_bytes), str(path))


def locate(doc: Any, loc: Iterable[Any], file: str) -> tuple[str, Optional[int]]:
    """(file, line) of a field: ``file!sheet!cell`` for a workbook, ``file`` and its line for YAML/JSON."""
    where = getattr(doc, "where", None)
    if where is not None:
        cell = where(loc)
        return (f"{file}!{cell}" if cell else file), None
    return file, line_of(doc, loc)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def line_of(doc: Any, loc: Iterable[Any]) -> Optional[int]:
    """Best line number for a path of keys/indexes (as in pydantic error locations): the deepest known."""
    if not isinstance(doc, Doc):
        return None
    path = tuple(p for p in loc if not (isinstance(p, str) and p[:1].isupper() and p not in _keys_at(doc)))
    for n in range(len(path), -1, -1):
        line = doc.lines.get(path[:n])
        if line is not None:
            return line
    return None


def _keys_at(doc: Doc) -> set:
    return {k[-1] for k in doc.lines if k and isinstance(k[-1], str)}


def to_plain(obj: Any) -> Any:
    """The plain data of a :class:`Doc` (other values pass through)."""
    return obj.data if isinstance(obj, Doc) else obj


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


ZH = {
    "missing": "缺少必填字段", "extra_forbidden": "未知字段", "float_parsing": "应为数字", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "bool_parsing": "应为 true 或 false", "greater_than_equal": "数值小于允许的最小值",
    "greater_than": "数值过小", "less_than_equal": "数值大于允许的最大值", "less_than": "数值过大",
    "too_long": "项数超过上限", "too_short": "项数不足", "string_too_long": "文本过长", "string_too_short": "不能为空",
    "literal_error": "取值无效", "string_pattern_mismatch": "格式不符", "list_type": "应为列表", "dict_type": "应为键值映射",
    "string_type": "应为文本", "float_type": "应为数字", "int_type": "应为整数", "bool_type": "应为 true 或 false",
    "model_type": "应为键值映射", "model_attributes_type": "应为键值映射", "finite_number": "应为有限数值",
    "enum": "取值无效", "date_from_datetime_parsing": "应为日期", "date_parsing": "应为日期",
}


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def pydantic_errors(exc: Any, doc: Any, file: str, skip: int = 0, names: Iterable[str] = ()) -> list[InputError]:
    """Turn a pydantic ValidationError into InputErrors with file:line and the field path.

    ``skip`` drops leading wrapper keys from the error location.
    """
    out = []
    errors = exc.errors()
    # a misspelt key: "unknown 'Type' (did you mean 'type'?)" says it all; "'type' is missing" is dropped
    meant = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = tuple(err["loc"])
            close = did_you_mean(str(loc[-1]), names)
            if close:
                meant.add(loc[:-1] + (close.split("'")[1],))
    errors = [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in meant)]
    # an unknown field first: with a misspelt key, "unknown 'Type'" says more than "'type' is missing"
    for err in sorted(errors, key=lambda e: e["type"] != "extra_forbidden"):
        loc = tuple(err["loc"])[skip:]
        if skip and loc[:1] in (("enterprise",), ("park",)):
            loc = loc[1:]  # the discriminator tag of the profile union
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "json-or-python"))))
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
            msg = f"{msg} (got {_short(err['input'])})"
        if not _has_cjk(msg) and err["type"] in ZH:
            msg = f"{msg} / {ZH[err['type']]}"
        f, line = locate(doc, loc, file)
        out.append(InputError(_one_line(msg), f, line, field))
    return out
