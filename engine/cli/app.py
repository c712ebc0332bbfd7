"""The ``cpadvisor`` command line."""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cpadvisor.cli.common import (COST_LABEL, PRIORITY_LABEL, STATUS_LABEL, in_lang, emit, err, get_kb, guarded, kb_option,
                                  lang_option, out, plans_option, profile_source, say_notices, with_plans)
from cpadvisor.cli.files import file_format, write_profile

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="cpadvisor: 清洁生产技术措施规则引擎 / cleaner-production rules engine (湘工信节能〔2024〕194号)")


def _version(value: bool) -> None:
    if value:
        from cpadvisor._version import __version__
        from cpadvisor.store.batch import knowledge_version
        out.print(f"cpadvisor {__version__} (knowledge {knowledge_version() or 'not found'})", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="package and knowledge versions"),
          no_cache: bool = typer.Option(False, "--no-cache", help="do not read or write the knowledge cache "
                                                                 "(or set CPADVISOR_NO_CACHE=1)")) -> None:
    """cpadvisor: 清洁生产技术措施规则引擎 / cleaner-production rules engine (湘工信节能〔2024〕194号)"""
    if no_cache:
        os.environ["CPADVISOR_NO_CACHE"] = "1"


@app.command()
@guarded
def assess(profile: Path = typer.Argument(..., help="profile YAML/JSON/xlsx, or - for standard input; or a filled "
                                                   "data request (资料清单.xlsx) with --profile"),
           as_json: bool = typer.Option(False, "--json", help="machine-readable JSON on stdout"),
           lang: str = lang_option(),
           show_all: bool = typer.Option(False, "--all", help="also list measures in place and superseded"),
           save: bool = typer.Option(False, "--save", help="keep the result in the store (see history)"),
           db: Optional[str] = typer.Option(None, "--db", help="store URL (default: CPADVISOR_DB or ./cpadvisor.db)"),
           base: Optional[Path] = typer.Option(None, "--profile", help="with a filled data request as PROFILE: "
                                                                      "the profile its answers complete"),
           write: Optional[Path] = typer.Option(None, "--write", help="with --profile: write the completed "
                                                                      "profile here (.yaml, .json or .xlsx)"),
           plans: Optional[Path] = plans_option(),
           knowledge: Optional[Path] = kb_option()):
    """Assess a profile: obligations, recommended measures, facts to verify."""
    from cpadvisor import advisor
    kb = get_kb(knowledge)
    if base is not None:
        from cpadvisor.intake.answers import completed_profile
        p = completed_profile(kb, profile, base)
        if write is not None:
            write_profile(kb, p, write, file_format(write, "profile"))
            err.print(f"{write}: 已写入补充后的画像 / completed profile written", highlight=False)
        a = advisor.assess(with_plans(kb, p, plans), kb=kb)
    else:
        a = advisor.assess(with_plans(kb, profile_source(profile), plans), kb=kb)
    say_notices(a, profile)
    if save or db:
        from cpadvisor.store.db import Store
        store = Store(db)
        try:
            store.use_knowledge(kb)
            new = store.save_assessment(a, source_file=str(profile))
        finally:
            store.close()
        err.print("已保存 / saved" if new else "已有相同评估（文件与知识库未变）/ already stored: same file and knowledge",
                  highlight=False)
    if as_json:
        sys.stdout.write(a.model_dump_json(indent=2) + "\n")
        return
    audit = a.audit_type()
    audit_words = {"mandatory": ("强制性审核", "mandatory audit"), "voluntary": ("自愿性审核", "voluntary audit")}
    out.print(f"[bold]{a.profile_name}[/bold]  " + ("knowledge " if lang == "en" else "知识库版本 ") + a.knowledge_version
              + (f"  {in_lang(('审核类型', 'audit'), lang)}: {in_lang(audit_words[audit], lang)}" if audit else ""),
              highlight=False)
    t = Table(show_lines=False)
    for col in (("措施编号", "measure"), ("名称", "name"), ("状态", "status"), ("优先级", "priority"),
                ("费用", "cost"), ("装置", "units"), ("条款", "clause"), ("说明", "reason / missing")):
        t.add_column(in_lang(col, lang), overflow="fold")
    for f in a.findings:
        if f.status in ("in_place", "superseded") and not show_all:
            continue
        if f.status == "to_verify" and f.optional and not show_all:
            continue
        detail = ("缺: " if lang != "en" else "missing: ") + ", ".join(f.missing) if f.status == "to_verify" \
            else (f.reason.get(lang) if f.reason else "")
        if f.status == "to_verify" and f.observed:
            detail += "; " + "; ".join(o.question.get(lang) for o in f.observed if o.threshold is None)
        if f.ranked_below:
            detail += (f" (列在 {f.ranked_below} 之后)" if lang != "en" else f" (after {f.ranked_below})")
        if f.status == "superseded":
            detail = f"→ {f.superseded_by}"
        t.add_row(f.measure_id, f.name.get(lang), in_lang(STATUS_LABEL[f.status], lang),
                  in_lang(PRIORITY_LABEL[f.priority], lang), in_lang(COST_LABEL[f.cost], lang), ", ".join(f.units),
                  f.clause, detail)
    emit(t)
    n_app, n_ver, n_opt = len(a.recommended), len(a.to_verify), len(a.optional)
    out.print(f"{n_app} recommended, {n_ver} to verify, {n_opt} optional questions (--all shows them)" if lang == "en"
              else f"{n_app} 项建议实施，{n_ver} 项待核实，{n_opt} 项可选核实（--all 显示）", highlight=False)


@app.command()
@guarded
def explain(profile: Path, measure_id: str, as_json: bool = typer.Option(False, "--json"),
            lang: str = lang_option(), knowledge: Optional[Path] = kb_option()):
    """Why a measure was (not) recommended: each rule and condition, with profile values."""
    from cpadvisor import advisor
    kb = get_kb(knowledge)
    e = advisor.explain(profile_source(profile), measure_id, kb=kb)
    if as_json:
        sys.stdout.write(e.model_dump_json(indent=2) + "\n")
        return
    out.print(f"[bold]{e.measure_id}[/bold] {e.name.get(lang)}: {in_lang(STATUS_LABEL[e.status], lang)}", highlight=False)
    out.print(e.summary.get(lang), highlight=False)
    if e.missing:
        out.print(("待核实: " if lang != "en" else "to verify: ") + ", ".join(e.missing), highlight=False)
    if e.superseded_by:
        out.print(f"→ {e.superseded_by}", highlight=False)
    mark = {"true": "[green]✓[/green]", "false": "[red]✗[/red]", "unknown": "[yellow]?[/yellow]"}
    verdict = {"applies": "true", "not_applies": "false", "to_verify": "unknown"}
    for g in e.grounds:
        out.print(f"  ground {g.id}: {mark[verdict[g.status]]} {g.text.get(lang)}   "
                  f"(value: {json.dumps(g.values, ensure_ascii=False)})", highlight=False)
    for tr in e.traces:
        out.print(f"  rule {tr.rule_id}" + (f" @ {tr.target}" if tr.target else "") + f": {tr.outcome}"
                  + (f"   (unverified / 未核实: {', '.join(tr.unverified)})" if tr.unverified else ""), highlight=False)
        for c in tr.conditions:
            out.print(f"    {mark[c.outcome]} {c.fact}: {c.text}   (value: {json.dumps(c.value, ensure_ascii=False)})",
                      highlight=False)


@app.command()
@guarded
def measures(pack: Optional[str] = typer.Option(None, "--pack", "-p"), lang: str = lang_option(),
             as_json: bool = typer.Option(False, "--json"), knowledge: Optional[Path] = kb_option()):
    """List the measures of the knowledge base."""
    kb = get_kb(knowledge)
    if pack and pack not in kb.packs:
        from cpadvisor.errors import InputError
        from cpadvisor.knowledge.yamlio import did_you_mean
        raise InputError(f"unknown pack '{pack}'{did_you_mean(pack, kb.packs)}", field="--pack")
    rows = [i for i in kb.measures.values() if not pack or i.pack == pack]
    if as_json:
        sys.stdout.write(json.dumps([{**i.measure.model_dump(mode="json"), "pack": i.pack,
                                      "rules": [r.key for r in i.rules]} for i in rows],
                                    ensure_ascii=False, indent=2) + "\n")
        return
    t = Table()
    for col in ("id", "名称/name", "kind", "clause", "cost", "rules"):
        t.add_column(col, overflow="fold")
    for i in rows:
        m = i.measure
        t.add_row(m.id, m.name.get(lang), m.kind, m.clause, in_lang(COST_LABEL[m.cost], lang), str(len(i.rules)))
    emit(t)
    out.print(f"{len(rows)} measures, knowledge {kb.version}", highlight=False)


@app.command()
@guarded
def schema(output: bool = typer.Option(False, "--output", help="the JSON Schema of an Assessment (assess --json) "
                                                              "instead of the profile's"),
           knowledge: Optional[Path] = kb_option()):
    """Print the JSON Schema of a profile (with the vocabulary: allowed values, zh/en words, limits)."""
    from cpadvisor.intake.schema import assessment_schema, profile_schema
    doc = assessment_schema() if output else profile_schema(get_kb(knowledge))
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


# Further commands live in cpadvisor/cli/<name>.py (engine/cli/), each with register(app).
for _name in ("coverage", "lint", "scaffold", "report", "store", "batch", "intake", "serve"):
    try:
        _mod = importlib.import_module(f"cpadvisor.cli.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"cpadvisor.cli.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
