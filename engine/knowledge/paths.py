"""Where the packaged knowledge lives: ``cpadvisor/data`` in an installed wheel, ``knowledge/`` in a checkout.

``knowledge/`` (packs, ``catalog.csv``, ``reference/``) is mapped to the package ``cpadvisor.data`` by
pyproject.toml, so nothing at run time reads ``../shared``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

_HERE = Path(__file__).resolve().parent
INSTALLED = _HERE.parent / "data"  # site-packages/cpadvisor/data
CHECKOUT = _HERE.parent.parent / "knowledge"  # <repo>/engine/knowledge/paths.py -> <repo>/knowledge


def bundled_knowledge_dir() -> Path:
    """The knowledge shipped with this copy of cpadvisor."""
    return INSTALLED if (INSTALLED / "catalog.csv").is_file() else CHECKOUT


def default_knowledge_dir() -> Path:
    """``CPADVISOR_KNOWLEDGE`` if set, else the bundled knowledge."""
    env = os.environ.get("CPADVISOR_KNOWLEDGE")
    return Path(env) if env else bundled_knowledge_dir()


def catalog_path(root: Optional[Path] = None) -> Optional[Path]:
    """``CPADVISOR_CATALOG`` if set, else ``<knowledge>/catalog.csv`` (None where there is none)."""
    env = os.environ.get("CPADVISOR_CATALOG")
    if env:
        return Path(env)
    p = Path(root or default_knowledge_dir()) / "catalog.csv"
    return p if p.is_file() else None


def reference_dir(root: Optional[Path] = None) -> Optional[Path]:
    """The sourced reference numbers: ``CPADVISOR_REFERENCE``, else ``<knowledge>/reference``."""
    env = os.environ.get("CPADVISOR_REFERENCE")
    if env:
        return Path(env)
    p = Path(root or bundled_knowledge_dir()) / "reference"
    return p if p.is_dir() else None
