"""The requirement list: ../shared/spec/measure-catalog.csv (stable measure ids)."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    pack: str
    clause: str
    kind: str
    name_zh: str
    name_en: str
    applies_when: str


def default_catalog_path() -> Optional[Path]:
    env = os.environ.get("CPADVISOR_CATALOG")
    if env:
        return Path(env)
    for base in (REPO.parent / "shared", REPO / "shared"):
        p = base / "spec" / "measure-catalog.csv"
        if p.exists():
            return p
    return None


def load_catalog(path: Optional[Path] = None) -> dict[str, CatalogEntry]:
    path = path or default_catalog_path()
    if path is None or not Path(path).exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["id"]: CatalogEntry(**row) for row in csv.DictReader(fh)}


def reference_dir() -> Optional[Path]:
    env = os.environ.get("CPADVISOR_REFERENCE")
    if env:
        return Path(env)
    p = REPO.parent / "shared" / "reference"
    return p if p.exists() else None
