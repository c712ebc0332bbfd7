"""Which profile or request format a file name asks for, and a profile written in it (YAML, JSON or the Excel
workbook)."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from cpadvisor.errors import InputError
from cpadvisor.intake.workbook import write_workbook

YAML_SUFFIXES = (".yaml", ".yml")


def file_format(path: Path, what: str) -> str:
    s = path.suffix.lower()
    if s in YAML_SUFFIXES:
        return "yaml"
    if s == ".json":
        return "json"
    if s in (".xlsx", ".xlsm"):
        return "xlsx"
    if s in (".md", ".markdown") and what == "request":
        return "md"
    allowed = ".yaml, .json, .xlsx" + (", .md" if what == "request" else "")
    raise InputError(f"unknown file type '{path.suffix}': use {allowed} / 未知文件类型", str(path), field="-o")


def profile_yaml(data: dict) -> str:
    """A profile as YAML (block style, keys in the model's order)."""
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.allow_unicode = True
    y.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def compact(profile: Any) -> dict:
    """The fields a person would write: no empty lists, no defaults, no auto-assigned unit ids."""
    data = profile.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    for i, u in enumerate(data.get("units") or []):
        if u.get("id") == f"{u.get('type')}#{i + 1}":
            u.pop("id")
    return data


def write_profile(kb: Any, p: Any, target: Path, fmt: str) -> None:
    if fmt == "xlsx":
        target.write_bytes(write_workbook(kb, p.model_dump(mode="json")))
    elif fmt == "json":
        target.write_text(json.dumps(compact(p), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        target.write_text(profile_yaml(compact(p)), encoding="utf-8")
