"""``cpadvisor init``, ``convert``, ``vocab`` and ``request``: from a blank page to a valid profile, and the data
request for what is missing."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from cpadvisor.errors import InputError

YAML_SUFFIXES = (".yaml", ".yml")


def _format(path: Path, what: str) -> str:
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
    from ruamel.yaml import YAML
    import io
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


def yaml_template(kb: Any, pack: str, sub: Optional[str]) -> str:
    """A commented YAML template for a pack, valid as written."""
    v = kb.vocab
    park = pack == "parks"

    def words(kind: str, owners: set[str]) -> str:
        keys = [k for k in sorted(v.terms[kind]) if v.owner.get((kind, k)) in owners]
        return ", ".join(f"{k} ({v.label(kind, k)})" for k in keys[:40]) or "-"

    owners = {pack, "common", "policy"}
    lines = [f"# cpadvisor {'园区' if park else '企业'}画像模板 / profile template: {pack}{'/' + sub if sub else ''}",
             "# 留空（null 或 []）的事实会列为“待核实”；中文写法（如 煤、烧结机）也可识别。",
             "# Leave what you do not know as null or []: it is listed as to verify. Chinese words are understood.",
             "# 全部词汇 / every word: cpadvisor vocab" + (f" --pack {pack}" if pack else ""), ""]
    if park:
        lines += ["kind: park", "name: （园区名称）", "city: null            # 湖南省市州，如 长沙市",
                  "level: null           # national 国家级, provincial 省级, other", "enterprise_count: null",
                  "leading_sectors: []   # " + ", ".join(sorted(v.sectors)), "total_energy_tce: null",
                  "water_reuse_rate: null  # 0–1", "energy_mix: {}        # coal, oil, gas, electricity, renewables: shares 0–1",
                  "shared_facilities: []  # " + words("shared_facilities", owners),
                  "measures_in_place: []", "attributes: {}"]
        return "\n".join(lines) + "\n"
    sector = [pack] if pack in v.sectors else []
    lines += ["name: （企业名称）", "credit_code: null     # 统一社会信用代码（18位）", "city: null            # 湖南省市州，如 株洲市",
              "county: null", "size: null            # large 大型, medium 中型, small 小型, micro 微型",
              f"sectors: {json.dumps(sector)}",
              f"subsectors: {json.dumps([sub] if sub else [])}   # " + words("subsectors", owners),
              "project_type: existing  # existing 现有, new 新建, rebuilt 改建, expanded 扩建",
              "total_energy_tce: null  # 年综合能耗，吨标准煤", "electricity_mwh: null", "water_m3: null",
              "emissions: {}         # over_standard, over_total_quota, toxic_hazardous, energy_over_quota, "
              "on_mandatory_list: true/false",
              "energy: []            # - {fuel: coal, annual: 12000, unit: t}; fuels: " + words("fuels", owners),
              "units: []             # - {id: K1, type: ..., fuel: ..., capacity: ..., attributes: {...}}",
              "                      #   types: " + words("unit_types", owners),
              "products: []          # - {name: ..., key: ..., annual_output: ..., unit_energy: ...}",
              "                      #   keys: " + words("products", owners),
              "solid_wastes: []      # - {kind: ..., annual_t: ..., disposal: ...}; kinds: " + words("waste_kinds", owners),
              "voc_operations: []    # - {kind: ..., material: ..., method: ...}",
              "measures_in_place: []",
              "attributes: {}        # enterprise facts: " + ", ".join(
                  f"{k} ({a.type})" for k, a in sorted(v.attributes("enterprise").items())
                  if v.owner.get(("attributes", k)) in owners)]
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.app import emit, err, get_kb, guarded, kb_option, lang_option, out

    @app.command()
    @guarded
    def init(target: str = typer.Argument(..., metavar="PACK[/SUBSECTOR]", help="e.g. building_materials/ceramic"),
             output: Path = typer.Option(..., "-o", "--output", help="企业画像.xlsx or profile.yaml"),
             force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
             knowledge: Optional[Path] = kb_option()):
        """Write a blank profile: an Excel workbook with drop-downs, or a commented YAML template.

        生成空白画像：带下拉列表的 Excel 工作簿，或带注释的 YAML 模板。
        """
        from cpadvisor.errors import did_you_mean
        kb = get_kb(knowledge)
        pack, _, sub = target.partition("/")
        if pack not in kb.packs:
            raise InputError(f"unknown pack '{pack}'{did_you_mean(pack, kb.packs)} (packs: {', '.join(kb.packs)})",
                             field="PACK")
        if sub and sub not in kb.vocab.terms["subsectors"]:
            raise InputError(f"unknown subsector '{sub}'{kb.vocab.hint('subsectors', sub)}", field="SUBSECTOR")
        if output.exists() and not force:
            raise InputError("file exists, not overwritten (use --force) / 文件已存在", str(output))
        fmt = _format(output, "profile")
        if fmt == "xlsx":
            from cpadvisor.intake.workbook import write_workbook
            kind = "park" if pack == "parks" else "enterprise"
            skeleton: dict[str, Any] = {"name": "（园区名称）" if kind == "park" else "（企业名称）", "kind": kind}
            if kind == "enterprise":
                skeleton["sectors"] = [pack] if pack in kb.vocab.sectors else []
                if sub:
                    skeleton["subsectors"] = [sub]
            output.write_bytes(write_workbook(kb, skeleton, packs=[pack], kind=kind))
        elif fmt == "yaml":
            output.write_text(yaml_template(kb, pack, sub or None), encoding="utf-8")
        else:
            raise InputError("init writes .xlsx or .yaml / 仅支持 .xlsx 或 .yaml", str(output), field="-o")
        out.print(f"{output}: 已生成 / written. 下一步 / next: cpadvisor assess {output}", highlight=False)

    @app.command()
    @guarded
    def convert(source: Path = typer.Argument(..., metavar="IN", help="profile .yaml, .json or .xlsx"),
                target: Path = typer.Argument(..., metavar="OUT", help="profile .yaml, .json or .xlsx"),
                force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
                knowledge: Optional[Path] = kb_option()):
        """Convert a profile between YAML, JSON and the Excel workbook (validated on the way)."""
        from cpadvisor.intake.profiles import load_profile
        kb = get_kb(knowledge)
        fmt = _format(target, "profile")
        if target.exists() and not force:
            raise InputError("file exists, not overwritten (use --force) / 文件已存在", str(target))
        p = load_profile(source, kb)
        write_profile(kb, p, target, fmt)
        out.print(f"{source} -> {target}", highlight=False)

    @app.command()
    @guarded
    def migrate(source: Path = typer.Argument(..., metavar="PROFILE", help="profile .yaml or .json"),
                output: Optional[Path] = typer.Option(None, "-o", "--output", help="write here (default: stdout)"),
                in_place: bool = typer.Option(False, "--in-place", help="rewrite PROFILE itself"),
                knowledge: Optional[Path] = kb_option()):
        """Rewrite the deprecated forms of a profile in today's vocabulary (comments and order kept)."""
        from cpadvisor.intake.migrate import migrate_text
        kb = get_kb(knowledge)
        text, notes, standing = migrate_text(source.read_text(encoding="utf-8"), str(source), kb)
        for n in notes + standing:
            err.print(f"{source}: {n}", highlight=False, soft_wrap=True)
        if in_place:
            source.write_text(text, encoding="utf-8")
        elif output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        err.print(f"{len(notes)} 处已升级 / upgraded", highlight=False)

    @app.command()
    @guarded
    def vocab(pack: Optional[str] = typer.Option(None, "--pack", "-p", help="only the words this pack declares"),
              as_json: bool = typer.Option(False, "--json", help="machine-readable JSON on stdout"),
              lang: str = lang_option(), knowledge: Optional[Path] = kb_option()):
        """The vocabulary: sectors, subsectors, unit types, fuels, waste and VOC words, every attribute."""
        from rich.table import Table

        from cpadvisor.errors import did_you_mean
        kb = get_kb(knowledge)
        if pack and pack not in kb.packs:
            raise InputError(f"unknown pack '{pack}'{did_you_mean(pack, kb.packs)}", field="--pack")
        data = vocabulary(kb, pack)
        if as_json:
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        en = lang == "en"
        for kind, words in data["terms"].items():
            if not words:
                continue
            t = Table(title=kind, title_justify="left")
            fam = kind in ("unit_types", "unit_families")
            for col in ("key", "中文" if not en else "zh", "English", "pack", "aliases") + (
                    ("is a / 属于",) if fam else ()) + (("members / 包括",) if kind == "unit_families" else ()):
                t.add_column(col, overflow="fold")
            for w in words:
                t.add_row(w["key"], w["zh"], w["en"], w["pack"], ", ".join(w.get("aliases", [])),
                          *((", ".join(w["is_a"]),) if fam else ()),
                          *((", ".join(w["members"]),) if kind == "unit_families" else ()))
            emit(t)
        t = Table(title="attributes", title_justify="left")
        for col in ("name", "on / 位置", "type", "values / range", "zh", "en", "pack"):
            t.add_column(col, overflow="fold")
        for a in data["attributes"]:
            rng = ", ".join(a["values"]) if a.get("values") else \
                " .. ".join(str(x) for x in (a.get("min"), a.get("max")) if x is not None)
            t.add_row(a["name"], a["where"], a["type"] + (f" ({a['unit']})" if a.get("unit") else ""), rng,
                      a["zh"], a["en"], a["pack"])
        emit(t)

    @app.command()
    @guarded
    def request(profile: Path = typer.Argument(..., help="profile .yaml, .json or .xlsx"),
                output: Path = typer.Option(..., "-o", "--output", help="资料清单.xlsx or .md"),
                lang: str = lang_option(), knowledge: Optional[Path] = kb_option()):
        """The data request: every fact the assessment is missing, once, with where it goes and what waits on it.

        Fill in the answer column, then: cpadvisor assess 资料清单.xlsx --profile PROFILE
        """
        from cpadvisor.advisor import assess
        from cpadvisor.intake.request import request_markdown, requests, write_request_xlsx
        kb = get_kb(knowledge)
        a = assess(profile, kb=kb)
        rows = requests(kb, a)
        fmt = _format(output, "request")
        if fmt == "xlsx":
            output.write_bytes(write_request_xlsx(kb, a, rows))
        elif fmt == "md":
            output.write_text(request_markdown(kb, a, rows, lang), encoding="utf-8")
        else:
            raise InputError("request writes .xlsx or .md / 仅支持 .xlsx 或 .md", str(output), field="-o")
        out.print(f"{output}: {len(rows)} 项资料待补充 / facts to collect", highlight=False)
        if not rows:
            err.print("nothing is missing / 无待补充资料", highlight=False)


def write_profile(kb: Any, p: Any, target: Path, fmt: str) -> None:
    if fmt == "xlsx":
        from cpadvisor.intake.workbook import write_workbook
        target.write_bytes(write_workbook(kb, p.model_dump(mode="json")))
    elif fmt == "json":
        target.write_text(json.dumps(compact(p), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        target.write_text(profile_yaml(compact(p)), encoding="utf-8")


def vocabulary(kb: Any, pack: Optional[str] = None) -> dict:
    """The vocabulary as data: words by kind and every attribute, with where it goes."""
    v = kb.vocab
    terms: dict[str, list] = {"sectors": [
        {"key": k, "zh": n.zh, "en": n.en, "pack": k, "aliases": v.sector_aliases.get(k, [])}
        for k, n in sorted(v.sectors.items()) if not pack or k == pack]}
    for kind in ("subsectors", "unit_types", "unit_families", "fuels", "waste_kinds", "disposals", "voc_kinds",
                 "voc_materials", "voc_methods", "shared_facilities", "products"):
        terms[kind] = [{"key": k, "zh": t.zh, "en": t.en, "pack": v.owner.get((kind, k)),
                        **({"aliases": list(t.aliases)} if getattr(t, "aliases", None) else {}),
                        **({"is_a": v.families_of(k)[1:]} if kind in ("unit_types", "unit_families") else {}),
                        **({"members": sorted(u for u in v.terms["unit_types"] if k in v.families_of(u))}
                           if kind == "unit_families" else {})}
                       for k, t in sorted(v.terms[kind].items()) if not pack or v.owner.get((kind, k)) == pack]
    where = {"enterprise": "attributes", "unit": "units[].attributes", "park": "attributes (park)"}
    attrs = []
    for name, a in sorted(v.terms["attributes"].items()):
        owner = v.owner.get(("attributes", name))
        if pack and owner != pack:
            continue
        attrs.append({"name": name, "on": a.on, "where": where[a.on], "type": a.type, "zh": a.zh, "en": a.en,
                      "values": list(a.values or []), "unit": a.unit, "min": a.min, "max": a.max, "pack": owner,
                      **({"judged_from": a.judged_from.number, "threshold": a.judged_from.threshold}
                         if a.judged_from else {})})
    return {"knowledge_version": kb.version, "terms": terms, "attributes": attrs}
