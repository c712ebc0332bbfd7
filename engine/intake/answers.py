"""Reading a filled data request (资料清单) back: each answer put in its place in the profile, and the cell it
came from kept for error messages. The request itself is written by ``cpadvisor.report.request``."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional, Union, get_args, get_origin

from pydantic import BaseModel

from cpadvisor.errors import InputError
from cpadvisor.intake.profiles import load_profile, validate_profile
from cpadvisor.intake.workbook import SPLIT, _bool
from cpadvisor.intake.xlsx import read_sheets
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.knowledge.yamlio import MAX_BYTES, read_bytes
from cpadvisor.models.profile import EnterpriseProfile, ParkProfile

# the profile's lists of words (not of items): an answer names several, split as the workbook splits a list cell
LIST_FIELDS = frozenset(n for m in (EnterpriseProfile, ParkProfile) for n, f in m.model_fields.items()
                        if get_origin(f.annotation) is list
                        and not (isinstance(item := get_args(f.annotation)[0], type) and issubclass(item, BaseModel)))

SHEET = "资料清单"
HEADERS = [("编号", "path"), ("资料 / fact", "fact"), ("所属 / item", "item"), ("单位 / unit", "unit"),
           ("取值 / allowed", "allowed"), ("填写位置 / where", "where"), ("等待的结论 / waiting findings", "waiting"),
           ("答复 / answer", "answer")]
_ITEM = re.compile(r"^(?P<list>units|products|solid_wastes|voc_operations)\[(?P<id>[^\]]+)\]\.(?P<rest>.+)$")
LIST_OF = {"unit": ("units", "生产单元"), "product": ("products", "产品"), "waste": ("solid_wastes", "固体废物"),
           "voc": ("voc_operations", "VOCs工序")}


def read_answers(path: Union[str, Path]) -> list[tuple[str, Any, str]]:
    """(profile path, answer, cell) of every answered row of a data-request workbook."""
    file = str(path)
    _, wb = read_sheets(read_bytes(Path(path), MAX_BYTES), file, [SHEET])
    if SHEET not in wb:
        raise InputError(f"not a data request: no sheet '{SHEET}' / 不是资料清单", file)
    ws = wb[SHEET]
    out = []
    for r in range(3, ws.max_row + 1):
        key, answer = ws.cell(r, 1).value, ws.cell(r, len(HEADERS)).value
        if key and answer is not None and str(answer).strip() != "":
            out.append((str(key).strip(), answer, f"{SHEET}!H{r}"))
    return out


def merge_answers(kb: KnowledgeBase, profile: dict, answers: list[tuple[str, Any, str]]) -> tuple[dict, dict]:
    """The profile with the answers put in place, and the cell of each answer by its profile location."""
    data = dict(profile)
    cells: dict[tuple, str] = {}
    for key, answer, cell in answers:
        m = _ITEM.match(key)
        if m:
            lst, ident, rest = m.group("list"), m.group("id"), m.group("rest")
            items = data.setdefault(lst, [])
            idx = next((i for i, it in enumerate(items) if _ident(lst, it, i) == ident), None)
            if idx is None:
                raise InputError(f"no {lst[:-1]} '{ident}' in the profile / 画像中没有该项", cell, field=key)
            items[idx] = target = dict(items[idx])
            loc: tuple = (lst, idx)
        else:
            target, rest, loc = data, key, ()
        parts = rest.split(".")
        for part in parts[:-1]:
            target[part] = dict(target.get(part) or {})
            target = target[part]
        value = answer
        if isinstance(value, str) and parts[-1] in LIST_FIELDS and not loc:
            value = [w.strip() for w in SPLIT.split(value) if w.strip()]  # 污水处理厂、集中供热 -> two words
        elif isinstance(value, str):
            value = _bool(value.strip())
        target[parts[-1]] = value
        cells[loc + tuple(parts)] = cell
    return data, cells


def _ident(lst: str, item: dict, i: int) -> str:
    if lst == "units":
        return str(item.get("id") or f"{item.get('type')}#{i + 1}")
    if lst == "products":
        return str(item.get("name"))
    return f"{item.get('kind')}#{i + 1}"


def completed_profile(kb: KnowledgeBase, request: Union[str, Path], profile: Union[str, Path]) -> Any:
    """The profile completed with the answers of a filled data request (errors name the answer's cell)."""
    p = load_profile(profile, kb)
    data, cells = merge_answers(kb, p.model_dump(mode="json", exclude_none=True), read_answers(request))
    return validate_profile(data, kb, str(request), _AnswerDoc(cells))


class _AnswerDoc:
    """Where each answer came from, for error messages (file!sheet!cell)."""

    def __init__(self, cells: dict[tuple, str]):
        self.cells = cells

    def where(self, loc: Any) -> Optional[str]:
        loc = tuple(loc)
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.cells:
                return self.cells[loc[:n]]
        return None
