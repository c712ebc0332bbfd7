"""The requirement list: ``knowledge/catalog.csv``, a copy of the spec's measure catalog (stable measure ids)."""
from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Optional

from cpadvisor.errors import InputError
from cpadvisor.knowledge.paths import catalog_path

COLUMNS = ("id", "pack", "clause", "kind", "name_zh", "name_en", "applies_when")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    pack: str
    clause: str
    kind: str
    name_zh: str
    name_en: str
    applies_when: str


def default_catalog_path(root: Optional[Path] = None) -> Optional[Path]:
    return catalog_path(root)


def load_catalog(path: Optional[Path] = None, root: Optional[Path] = None) -> dict[str, CatalogEntry]:
    """id -> entry; {} where no catalog exists. A file that is not the catalog is one InputError."""
    path = Path(path) if path else catalog_path(root)
    if path is None:
        return {}
    file = str(path)
    if not path.is_file():
        raise InputError("measure catalog not found / 找不到措施目录 (CPADVISOR_CATALOG?)", file)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"not a measure catalog: columns {missing} are missing / 不是措施目录文件", file, 1)
            out: dict[str, CatalogEntry] = {}
            for row in reader:
                out[row["id"]] = CatalogEntry(**{f.name: (row.get(f.name) or "") for f in fields(CatalogEntry)})
            return out
    except UnicodeDecodeError:
        raise InputError("measure catalog is not UTF-8 text / 措施目录不是UTF-8编码", file) from None
    except (OSError, csv.Error) as exc:
        raise InputError(f"cannot read the measure catalog / 无法读取措施目录: {exc}", file) from None
