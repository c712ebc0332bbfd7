"""Reading and validating profiles: one clear error naming file, line and field."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from pydantic import ValidationError

from cpadvisor.errors import InputError
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.profile import LIMITS, EnterpriseProfile, ParkProfile, _ProfileDoc, parse_profile
from cpadvisor.knowledge.yamlio import MAX_BYTES, Doc, decode, line_of, load_file, loads, model_field_names, pydantic_errors

AnyProfile = Union[EnterpriseProfile, ParkProfile]
_NAMES: Optional[set[str]] = None


class ProfileError(InputError):
    """A profile failed validation; ``problems`` lists every finding, the message the first."""

    def __init__(self, problems: list[InputError]):
        self.problems = problems
        first = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first.message + more, first.file, first.line, first.field)


def _names() -> set[str]:
    global _NAMES
    if _NAMES is None:
        _NAMES = model_field_names(_ProfileDoc)
    return _NAMES


def validate_profile(data: Any, kb: KnowledgeBase, file: str = "<input>", doc: Any = None) -> AnyProfile:
    """Structure (pydantic) then names (the knowledge vocabulary). Raises ProfileError."""
    if isinstance(data, (EnterpriseProfile, ParkProfile)):
        profile = data
    else:
        if not isinstance(data, dict):
            raise ProfileError([InputError("a profile must be a mapping of fields / 画像应为键值映射", file, 1)])
        too_long = [InputError(f"at most {LIMITS[k]} items, got {len(data[k])} / 最多{LIMITS[k]}项", file,
                               line_of(doc, (k,)) if doc is not None else None, k)
                    for k in ("units", "products", "solid_wastes", "voc_operations", "energy", "enterprises")
                    if isinstance(data.get(k), list) and len(data[k]) > LIMITS[k]]
        if too_long:  # before validating tens of thousands of items
            raise ProfileError(too_long)
        try:
            profile = parse_profile(data)
        except ValidationError as exc:
            raise ProfileError(pydantic_errors(exc, doc if doc is not None else data, file, skip=1,
                                               names=_names())) from None
    problems = [InputError(msg, file, line_of(doc, loc) if doc is not None else None, ".".join(map(str, loc)))
                for loc, msg in kb.vocab.check_profile(profile, set(kb.measures))]
    if problems:
        raise ProfileError(problems)
    return profile


def read_profile(path: Union[str, Path], max_bytes: int = MAX_BYTES) -> tuple[Any, Doc]:
    """(plain data, document with line numbers) of a YAML or JSON profile file."""
    doc = load_file(Path(path), max_bytes)
    return doc.data, doc


def unwrap(doc: Doc) -> Doc:
    """A document of the form ``profile: {...}`` (the JSON Schema's wrapper) -> the profile itself."""
    if isinstance(doc.data, dict) and len(doc.data) == 1 and isinstance(doc.data.get("profile"), dict):
        return doc.sub("profile")
    return doc


def profile_from_text(text: str, file: str, kb: KnowledgeBase) -> AnyProfile:
    """Validated profile from YAML/JSON text (errors name ``file``)."""
    doc = unwrap(loads(text, file))
    return validate_profile(doc.data, kb, file, doc)


def profile_from_bytes(raw: bytes, file: str, kb: KnowledgeBase) -> AnyProfile:
    """Validated profile from the bytes of a YAML/JSON file (UTF-8, size limit)."""
    return profile_from_text(decode(raw, file), file, kb)


def load_profile(path: Union[str, Path], kb: KnowledgeBase) -> AnyProfile:
    doc = unwrap(load_file(Path(path)))
    return validate_profile(doc.data, kb, str(path), doc)


def coerce_profile(obj: Any, kb: KnowledgeBase) -> AnyProfile:
    """A profile model, a plain mapping, or a path -> validated profile."""
    if isinstance(obj, (str, Path)):
        return load_profile(obj, kb)
    if isinstance(obj, Doc):  # parsed text, e.g. standard input
        return validate_profile(obj.data, kb, "<stdin>", obj)
    if isinstance(obj, (EnterpriseProfile, ParkProfile)):
        return validate_profile(obj, kb)
    return validate_profile(obj, kb)
