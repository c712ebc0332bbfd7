"""``cpadvisor init``, ``convert``, ``vocab`` and ``request``: from a blank page to a valid profile, and the data
request for what is missing."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from cpadvisor.cli.common import emit, err, get_kb, guarded, kb_option, lang_option, out
from cpadvisor.cli.files import file_format, write_profile
from cpadvisor.errors import InputError
from cpadvisor.intake.migrate import OLD_ATTRIBUTES
from cpadvisor.intake.schema import vocabulary

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
                  if v.owner.get(("attributes", k)) in owners and k not in OLD_ATTRIBUTES)]
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:

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
        fmt = file_format(output, "profile")
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
        fmt = file_format(target, "profile")
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
        from cpadvisor.intake.rewrite import migrate_text
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
        from cpadvisor.report.request import request_markdown, requests, write_request_xlsx
        kb = get_kb(knowledge)
        a = assess(profile, kb=kb)
        rows = requests(kb, a)
        fmt = file_format(output, "request")
        if fmt == "xlsx":
            output.write_bytes(write_request_xlsx(kb, a, rows))
        elif fmt == "md":
            output.write_text(request_markdown(kb, a, rows, lang), encoding="utf-8")
        else:
            raise InputError("request writes .xlsx or .md / 仅支持 .xlsx 或 .md", str(output), field="-o")
        out.print(f"{output}: {len(rows)} 项资料待补充 / facts to collect", highlight=False)
        if not rows:
            err.print("nothing is missing / 无待补充资料", highlight=False)
