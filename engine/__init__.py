"""cpadvisor: cleaner-production measures for Hunan industry, as facts and rules.

    from engine import load_knowledge
    kb = load_knowledge()                 # once
    a = kb.assess("examples/steel_plant.yaml")   # many times: path, dict or model
    print(a.model_dump_json())
"""
__version__ = "0.1.0"

from .errors import CpadvisorError, EngineError, InputError, KnowledgeError  # noqa: E402
from .kb import KnowledgeBase, load_knowledge  # noqa: E402
from .models import Assessment, Explanation, Finding  # noqa: E402
from .profile import EnterpriseProfile, ParkProfile, parse_profile, profile_json_schema  # noqa: E402


def load_profile(path, kb=None):
    """Read and validate a YAML/JSON profile file (errors name file, line and field)."""
    from .intake import load_profile as _load
    return _load(path, kb or load_knowledge())


def assess(profile, kb=None) -> Assessment:
    """Assess one profile with the default knowledge base."""
    return (kb or load_knowledge()).assess(profile)


def render_report(assessment, format: str = "md", lang: str = "zh", kb=None, template=None):
    """Render a report: 'md' and 'html' return text, 'docx' returns bytes (``template``: a Word template)."""
    from .report import render_report as _render
    return _render(assessment, format, lang, kb=kb, template=template)


__all__ = [
    "Assessment", "CpadvisorError", "EngineError", "EnterpriseProfile", "Explanation", "Finding", "InputError",
    "KnowledgeBase", "KnowledgeError", "ParkProfile", "assess", "load_knowledge", "load_profile",
    "parse_profile", "profile_json_schema", "render_report",
]
