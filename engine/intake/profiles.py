"""Reading and validating profiles: one clear error naming file, line and field."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from pydantic import ValidationError

from cpadvisor.errors import InputError
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.intake.labels import labels_of, normalise
from cpadvisor.intake.migrate import upgrade
from cpadvisor.intake.workbook import read_workbook
from cpadvisor.models.profile import LIMITS, EnterpriseProfile, ParkProfile, Product, Unit, _ProfileDoc, parse_profile
from cpadvisor.knowledge.yamlio import Doc, decode, load_file, loads, locate, model_field_names, pydantic_errors

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


def _copy(x: Any) -> Any:
    """A copy of parsed data: new dicts and lists, the (immutable) scalars shared; 4x faster than deepcopy."""
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_copy(v) for v in x]
    if isinstance(x, (str, int, float, bool, type(None))):
        return x
    import copy
    return copy.deepcopy(x)  # anything else a caller handed in (a tuple, a date, a model)


def validate_profile(data: Any, kb: KnowledgeBase, file: str = "<input>", doc: Any = None) -> AnyProfile:
    """Structure (pydantic) then names (the knowledge vocabulary). Raises ProfileError."""
    if isinstance(data, (EnterpriseProfile, ParkProfile)):
        profile = data
    else:
        if not isinstance(data, dict):
            raise ProfileError([InputError("a profile must be a mapping of fields / 画像应为键值映射", file, 1)])
        too_long = [InputError(f"at most {LIMITS[k]} items, got {len(data[k])} / 最多{LIMITS[k]}项",
                               *locate(doc, (k,), file), k)
                    for k in ("units", "products", "solid_wastes", "voc_operations", "energy", "enterprises")
                    if isinstance(data.get(k), list) and len(data[k]) > LIMITS[k]]
        if too_long:  # before validating tens of thousands of items
            raise ProfileError(too_long)
        data = _copy(data)  # normalising and upgrading edit the copy, never the caller's data
        ambiguous = [InputError(msg, *locate(doc, loc, file), ".".join(map(str, loc)))
                     for loc, msg in normalise(data, labels_of(kb))]
        notes = upgrade(data)
        try:
            profile = parse_profile(data)
            profile._notices = notes
        except ValidationError as exc:
            found = pydantic_errors(exc, doc if doc is not None else data, file, skip=1, names=_names())
            said = {p.field for p in ambiguous}  # a word already reported is not reported again as a bad key
            raise ProfileError(ambiguous + [_placed(p, kb) for p in found if p.field not in said]) from None
        if ambiguous:
            raise ProfileError(ambiguous)
    problems = [InputError(msg, *locate(doc, loc, file), ".".join(map(str, loc)))
                for loc, msg in kb.vocab.check_profile(profile, set(kb.measures))]
    if problems:
        raise ProfileError(problems)
    _canonical(profile, kb)
    converted = _output_units(profile, kb)
    if converted:
        profile._notices = list(profile._notices) + converted
    if profile.name.strip("（）() ") in PLACEHOLDER_NAMES:  # the blank template's own words, left in
        profile._notices = list(profile._notices) + [
            f"the name is still the template's placeholder '{profile.name}': give the enterprise's name / "
            "名称仍为模板占位文字，请填写企业（园区）名称"]
    return profile


PLACEHOLDER_NAMES = {"企业名称", "园区名称"}


# output units as people write them -> (the unit, its size in it): 1 万 = 10,000, 1 kt = 1,000 t
OUTPUT_UNITS: dict[str, tuple[str, float]] = {
    "m2": ("m2", 1), "m²": ("m2", 1), "㎡": ("m2", 1), "平方米": ("m2", 1), "平米": ("m2", 1),
    "万m2": ("m2", 1e4), "万m²": ("m2", 1e4), "万㎡": ("m2", 1e4), "万平方米": ("m2", 1e4), "万平米": ("m2", 1e4),
    "t": ("t", 1), "吨": ("t", 1), "kt": ("t", 1e3), "千吨": ("t", 1e3), "万t": ("t", 1e4), "万吨": ("t", 1e4),
    "Mt": ("t", 1e6), "百万吨": ("t", 1e6),
}


def _output_units(profile: AnyProfile, kb: KnowledgeBase) -> list[str]:
    """A product's output written in another unit of the same kind than its quota counts in (万m², ㎡, 万吨, kt)
    is converted to it, with a notice; one that cannot be converted is named."""
    notes = []
    for pr in getattr(profile, "products", ()):
        if not pr.key or not pr.output_unit:
            continue
        want = getattr(kb.vocab.terms["products"].get(pr.key), "output_unit", None)
        got = OUTPUT_UNITS.get(pr.output_unit.replace(" ", ""))
        if not want or pr.output_unit == want:
            continue
        if got is not None and got[0] == want:
            if pr.annual_output is not None:
                pr.annual_output = pr.annual_output * got[1]
            notes.append(f"products[{pr.name}].output_unit: {pr.output_unit} -> {want} (年产量已换算 / output converted)")
            pr.output_unit = want
        else:
            notes.append(f"products[{pr.name}].output_unit: '{pr.output_unit}' cannot be converted to the quota's "
                         f"unit {want}; give the output in {want} / 产量单位无法换算为{want}，请以{want}填写")
    return notes


def _canonical(profile: AnyProfile, kb: KnowledgeBase) -> None:
    """One form for one content, whether read from YAML, JSON or a workbook: attributes in name order,
    number attributes as floats (3 and 3.0 are one value)."""
    def fix(attrs: dict, on: str) -> None:
        known = kb.vocab.attributes(on)
        items = sorted(attrs.items())
        attrs.clear()
        for k, v in items:
            a = known.get(k)
            if a is not None and a.type == "number" and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            attrs[k] = v
    if isinstance(profile, ParkProfile):
        fix(profile.attributes, "park")
        return
    fix(profile.attributes, "enterprise")
    for u in profile.units:
        fix(u.attributes, "unit")


_UNIT_FIELDS = set(Unit.model_fields)
_ENTERPRISE_FIELDS = set(EnterpriseProfile.model_fields)
_PRODUCT_FIELDS = set(Product.model_fields)


def _placed(problem: InputError, kb: KnowledgeBase) -> InputError:
    """An unknown field that is known elsewhere: say where it belongs."""
    if not problem.message.startswith("unknown field") or not problem.field:
        return problem
    parts = problem.field.split(".")
    name, inside = parts[-1], parts[:-1]
    attr = kb.vocab.terms["attributes"].get(name)
    hint = ""
    if attr is not None:
        where = "units[i].attributes" if attr.on == "unit" else "attributes"  # type: ignore[union-attr]
        hint = (f"'{name}' is a {attr.on} attribute: write it under {where}: / "  # type: ignore[union-attr]
                f"“{name}”是属性，应写在 {where} 下")
    elif not inside and name in _UNIT_FIELDS - _ENTERPRISE_FIELDS:
        hint = f"'{name}' belongs to a production unit: units[i].{name} / “{name}”属于生产装置，应写在 units 下"
    elif not inside and name in _PRODUCT_FIELDS - _ENTERPRISE_FIELDS:
        hint = f"'{name}' belongs to a product: products[i].{name} / “{name}”属于产品，应写在 products 下"
    elif inside[:1] == ["units"] and name in _ENTERPRISE_FIELDS - _UNIT_FIELDS:
        hint = f"'{name}' belongs to the enterprise (top level), not a unit / “{name}”属于企业，应写在顶层"
    if not hint:
        return problem
    return InputError(hint, problem.file, problem.line, problem.field)


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
    """Validated profile from the bytes of a YAML/JSON file (UTF-8, size limit) or of an .xlsx workbook."""
    if is_workbook(file):
        sheet = read_workbook(file, kb, data=raw)
        return validate_profile(sheet.data, kb, file, sheet)
    return profile_from_text(decode(raw, file), file, kb)


def is_workbook(path: Union[str, Path]) -> bool:
    return str(path).lower().endswith((".xlsx", ".xlsm"))


def load_profile(path: Union[str, Path], kb: KnowledgeBase) -> AnyProfile:
    """A profile file: YAML, JSON or an .xlsx workbook (errors name file:line, or file!sheet!cell)."""
    if is_workbook(path):
        sheet = read_workbook(path, kb)
        return validate_profile(sheet.data, kb, str(path), sheet)
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


def saved_assessment(data: Any, kb: KnowledgeBase, file: str = "<input>") -> Optional[Any]:
    """A saved assessment (the JSON of ``assess --json``), its profile checked like any profile; None if
    ``data`` is not one (then it is a profile)."""
    if not (isinstance(data, dict) and "findings" in data and "knowledge_version" in data):
        return None
    from cpadvisor.models.results import Assessment
    try:
        a = Assessment.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise InputError(f"not a valid assessment: {e['msg']}", file, field=".".join(map(str, e["loc"]))) from None
    try:  # the profile inside may have been edited
        p = validate_profile(a.profile, kb, file)
    except ProfileError as exc:
        first = exc.problems[0]
        raise InputError(f"the saved assessment's profile is not valid: {first.message}", file,
                         field="profile." + (first.field or "")) from None
    a.profile = p.model_dump(mode="json")
    return a
