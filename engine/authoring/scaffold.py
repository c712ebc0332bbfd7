"""`cpadvisor new-measure PACK ID`: a measure file to fill in, test-first.

The file loads as it is, but every place to fill holds ``TODO``: `cpadvisor lint` lists
each one (error, file:line) and the two cases fail until their name loses its ``TODO``
(see engine/cases.py), so an unfinished measure can never pass silently.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from cpadvisor.knowledge.catalog import CatalogEntry, load_catalog
from cpadvisor.errors import InputError
from cpadvisor.knowledge.loader import default_knowledge_dir
from cpadvisor.knowledge.yamlio import did_you_mean, load_file

CATEGORIES = "energy water pollution carbon resources safety management"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _anchors_on_park(pack_dir: Path) -> bool:
    """True when the pack's existing rules are about parks (e.g. knowledge/parks)."""
    votes = [0, 0]
    for f in sorted(pack_dir.glob("*.yaml")):
        if f.name == "pack.yaml":
            continue
        try:
            doc = load_file(f).data
        except InputError:
            continue
        for r in (doc.get("rules") or []) if isinstance(doc, dict) else []:
            when = r.get("when") if isinstance(r, dict) else None
            if isinstance(when, dict):
                votes["park" in when] += 1
    return votes[1] > votes[0]


def render(pack: str, mid: str, entry: Optional[CatalogEntry], sector: bool, park: bool) -> str:
    slug = mid.split(".", 1)[1]
    name_zh = entry.name_zh if entry else "TODO 措施名称"
    name_en = entry.name_en if entry else "TODO measure name"
    clause = entry.clause if entry else "TODO 条款，如 三(二)2"
    kind = entry.kind if entry else "measure  # TODO: measure | obligation | programme | incentive | gate"
    where = f"knowledge/{pack}/{slug}.yaml"
    head = [
        f"# Scaffolded by `cpadvisor new-measure {pack} {mid}`. Fill in the lines `cpadvisor lint` reports as",
        f"# placeholders, then run: pytest {where}   (its cases fail until they are filled in)",
        "# 由 cpadvisor new-measure 生成：cpadvisor lint 列出所有待填写的行；填写后运行上面的 pytest 命令（填写前用例不会通过）。",
    ]
    if entry:
        head.append(f"# catalog / 目录: {entry.clause} {entry.kind}; applies when / 适用情形: {entry.applies_when}")
    else:
        head.append("# NOTE: this id is not in the measure catalog: the loader refuses it until the catalog lists it.")
    if park:
        cond = ["      park: []  # TODO: conditions on the park, e.g. - shared_facilities not contains microgrid"]
        profile = ["      kind: park"]
        other = ["      kind: park  # TODO: a park where it must not apply (e.g. already in place)"]
    elif sector:
        cond = ["      enterprise:",
                f"        - sectors contains {pack}",
                "        # TODO: add the conditions that make this measure apply (enterprise / unit / product ...)"]
        profile = [f"      sectors: [{pack}]  # TODO: a profile where the measure applies"]
        other = [f"      sectors: [{pack}]  # TODO: a profile where it must not apply "
                 "(no such unit, already in place ...)"]
    else:
        cond = ["      enterprise: []  # TODO: conditions, e.g. - unit_types contains industrial_boiler"]
        profile = ["      sectors: []  # TODO: a profile where the measure applies"]
        other = ["      sectors: []  # TODO: a profile where it must not apply"]
    body = [
        "measure:",
        f"  id: {mid}",
        f"  name: {{zh: {_q(name_zh)}, en: {_q(name_en)}}}",
        f"  clause: {_q(clause)}",
        f"  kind: {kind}",
        f"  categories: [energy]  # TODO: one or more of {CATEGORIES}",
        "  cost: low  # TODO: low (无/低费) or medium_high (中/高费)",
        "  description:",
        f"    zh: {_q('TODO 措施内容（一两句）')}",
        f"    en: {_q('TODO what the measure does (one or two sentences)')}",
        "rules:",
        "  - id: applies_when  # TODO: name the situation, e.g. coal_boiler_without_substitution",
        "    priority: medium  # TODO: high | medium | low",
        "    when:",
        *cond,
        "    because:",
        f"      zh: {_q('TODO 为什么建议（规则成立时的情形）')}",
        f"      en: {_q('TODO why it is recommended (the situation the rule describes)')}",
        "cases:",
        f"  - name: {_q('TODO 适用 / applies')}",
        "    profile:",
        *profile,
        "    expect:",
        f"      applies: [{mid}]",
        f"  - name: {_q('TODO 不适用 / does not apply')}",
        "    profile:",
        *other,
        "    expect:",
        f"      not_applies: [{mid}]",
    ]
    return "\n".join(head + body) + "\n"


def add_to_catalog(catalog: Path, entry: CatalogEntry) -> None:
    """Append a new measure's row to the package's catalog (knowledge/catalog.csv), the one list of measure ids."""
    import csv
    from dataclasses import astuple

    from cpadvisor.knowledge.catalog import COLUMNS
    text = catalog.read_text(encoding="utf-8-sig")
    with open(catalog, "a", encoding="utf-8", newline="") as fh:
        if text and not text.endswith("\n"):
            fh.write("\n")
        csv.writer(fh, lineterminator="\n").writerow(astuple(entry)[:len(COLUMNS)])


def new_measure(pack: str, measure_id: str, knowledge: Optional[Path] = None,
                catalog: Optional[Path] = None, clause: Optional[str] = None, name_zh: Optional[str] = None,
                name_en: Optional[str] = None, kind: str = "measure",
                applies_when: str = "") -> tuple[Path, Optional[CatalogEntry]]:
    """Write knowledge/<pack>/<slug>.yaml; never overwrites. A measure id the catalog does not list yet is added
    to it with the given clause and names (all three needed). Returns (path, catalog row or None)."""
    root = Path(knowledge) if knowledge else default_knowledge_dir()
    packs = sorted(d.name for d in root.iterdir() if (d / "pack.yaml").exists()) if root.is_dir() else []
    if pack not in packs:
        raise InputError(f"unknown pack '{pack}'{did_you_mean(pack, packs)} / 未知的知识包", str(root), field="PACK")
    mid = measure_id if "." in measure_id else f"{pack}.{measure_id}"
    if mid.split(".", 1)[0] != pack:
        raise InputError(f"measure id '{mid}' belongs to pack '{mid.split('.', 1)[0]}', not '{pack}' / 措施编号与知识包不符",
                         file="cpadvisor new-measure", field="ID")
    import re
    if not re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", mid):
        raise InputError(f"measure id '{mid}' must look like {pack}.lower_case_words / 措施编号格式错误", file="cpadvisor new-measure", field="ID")
    from cpadvisor.knowledge.paths import catalog_path
    cat_file = Path(catalog) if catalog else catalog_path(root)
    entries = load_catalog(cat_file)
    entry = entries.get(mid)
    path = root / pack / f"{mid.split('.', 1)[1]}.yaml"
    if path.exists():
        raise InputError("file exists, not overwritten / 文件已存在，不覆盖", str(path))
    if entry is None and entries:
        given = {"--clause": clause, "--name-zh": name_zh, "--name-en": name_en}
        if any(v is None for v in given.values()):
            hint = did_you_mean(mid, [k for k in entries if k.startswith(pack + ".")])
            lack = ", ".join(k for k, v in given.items() if v is None)
            raise InputError(f"measure id '{mid}' is not in the catalog{hint}: to add a new measure give {lack} "
                             "(the catalog row is written for you) / 目录中没有该编号：新增措施须提供条款与中英文名称",
                             file="cpadvisor new-measure", field="ID")
        if cat_file is None:
            raise InputError("no measure catalog to add the measure to / 找不到措施目录", field="--catalog")
        entry = CatalogEntry(id=mid, pack=pack, clause=clause, kind=kind, name_zh=name_zh, name_en=name_en,  # type: ignore[arg-type]
                             applies_when=applies_when)
        add_to_catalog(cat_file, entry)
    pf = load_file(root / pack / "pack.yaml").data
    sector = bool(isinstance(pf, dict) and isinstance(pf.get("pack"), dict) and pf["pack"].get("sector"))
    text = render(pack, mid, entry, sector, _anchors_on_park(root / pack))
    with open(path, "x", encoding="utf-8") as fh:  # "x": fails rather than overwrite, even in a race
        fh.write(text)
    return path, entry
