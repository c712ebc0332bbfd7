"""cpadvisor: cleaner-production measures for Hunan industry, as facts and rules.

    from cpadvisor import load_knowledge, assess, render_report
    kb = load_knowledge()                                   # once (validated, cached)
    a = assess("examples/steel_plant.yaml", kb=kb)          # a path, a mapping or a profile model
    print(a.model_dump_json())
    html = render_report(a, "html", "en", kb=kb)

Names are imported lazily, so ``import cpadvisor`` (and ``cpadvisor --help``) stays fast.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cpadvisor._version import __version__

_EXPORTS = {
    "Assessment": "cpadvisor.models.results", "Explanation": "cpadvisor.models.results",
    "Finding": "cpadvisor.models.results",
    "EnterpriseProfile": "cpadvisor.models.profile", "ParkProfile": "cpadvisor.models.profile",
    "parse_profile": "cpadvisor.models.profile", "profile_json_schema": "cpadvisor.models.profile",
    "CpadvisorError": "cpadvisor.errors", "EngineError": "cpadvisor.errors", "InputError": "cpadvisor.errors",
    "KnowledgeError": "cpadvisor.errors",
    "KnowledgeBase": "cpadvisor.knowledge.loader", "load_knowledge": "cpadvisor.knowledge.loader",
    "assess": "cpadvisor.advisor", "explain": "cpadvisor.advisor",
    "load_profile": "cpadvisor.intake.profiles",
    "render_report": "cpadvisor.report",
}

if TYPE_CHECKING:  # pragma: no cover
    from cpadvisor.advisor import assess, explain
    from cpadvisor.errors import CpadvisorError, EngineError, InputError, KnowledgeError
    from cpadvisor.intake.profiles import load_profile
    from cpadvisor.knowledge.loader import KnowledgeBase, load_knowledge
    from cpadvisor.models.profile import EnterpriseProfile, ParkProfile, parse_profile, profile_json_schema
    from cpadvisor.models.results import Assessment, Explanation, Finding
    from cpadvisor.report import render_report


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'cpadvisor' has no attribute {name!r}")
    value = getattr(import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["__version__", *_EXPORTS]
