"""A separate plans file tied to a profile (the consultant's 方案 figures kept apart from the plant's facts).

    profile: 湘中钢铁联合有限公司（示例）      # the profile's name or credit code
    plans:
      - {measure: steel.sinter_flue_gas_recirculation, investment_wan: 1800, ...}

Errors name the plans file, its line and the field; a file for another profile is refused.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Optional, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from cpadvisor.errors import InputError
from cpadvisor.intake.profiles import AnyProfile, ProfileError
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.knowledge.yamlio import load_file, locate, pydantic_errors, to_plain
from cpadvisor.models.profile import LIMITS, Name, Plan


class PlansFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    _profile_line: Optional[int] = PrivateAttr(default=None)
    profile: Name
    plans: list[Plan] = Field(default_factory=list, max_length=LIMITS["list_items"])


def load_plans(path: Union[str, Path], kb: KnowledgeBase) -> PlansFile:
    """The plans file, checked (structure, measure ids, units, fuels) with file:line for every problem."""
    file = str(path)
    doc = load_file(Path(path))
    try:
        pf = PlansFile.model_validate(to_plain(doc))
    except ValidationError as exc:
        raise ProfileError(pydantic_errors(exc, doc, file)) from None
    pf._profile_line = locate(doc, ("profile",), file)[1]
    out: list = []
    kb.vocab._check_plans(SimpleNamespace(plans=pf.plans), set(kb.measures), out)
    if out:
        raise ProfileError([InputError(msg, *locate(doc, loc, file), ".".join(map(str, loc))) for loc, msg in out])
    return pf


def attach_plans(profile: AnyProfile, pf: PlansFile, file: str) -> AnyProfile:
    """The profile with the file's plans (they replace any plans the profile holds, with a notice)."""
    if pf.profile not in {profile.name, getattr(profile, "credit_code", None)}:
        raise InputError(f"this plans file is for '{pf.profile}', the profile is '{profile.name}' / 方案文件与画像不符",
                         file, pf._profile_line, "profile")
    notices = list(profile._notices)
    if profile.plans:
        notices.append(f"{file}: {len(pf.plans)} plans replace the profile's {len(profile.plans)} / 方案文件替换画像中的方案")
    new = profile.model_copy(update={"plans": pf.plans})
    new._notices = notices
    return new
