"""`cpadvisor lint`: check every knowledge pack without assessing anything (CI and pre-commit)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.app import err, guarded, kb_option

    @app.command()
    @guarded
    def lint(knowledge: Optional[Path] = kb_option(),
             catalog: Optional[Path] = typer.Option(None, "--catalog",
                                                    help="measure catalog CSV (default: $CPADVISOR_CATALOG or "
                                                         "knowledge/catalog.csv)"),
             cases: bool = typer.Option(False, "--cases", help="also run every expert case"),
             strict: bool = typer.Option(False, "--strict", help="warnings fail too"),
             as_json: bool = typer.Option(False, "--json", help="findings as JSON"),
             quiet: bool = typer.Option(False, "--quiet", "-q", help="errors only")):
        """Lint the knowledge packs: one line per finding `file:line: level: message`; exit 1 on errors.

        知识包静态检查：每个问题一行（文件:行号: 级别: 说明）；有错误时退出码为 1。
        """
        from cpadvisor.authoring.lint import lint as run
        findings = run(knowledge, catalog, run_cases=cases)
        shown = [f for f in findings if f.level == "error" or not quiet]
        base = Path.cwd()
        if as_json:
            sys.stdout.write(json.dumps([{**f.__dict__, "file": f.format(base).split(":", 1)[0]} for f in shown],
                                        ensure_ascii=False, indent=2) + "\n")
        else:
            for f in shown:
                sys.stdout.write(f.format(base) + "\n")
        n_err = sum(f.level == "error" for f in findings)
        n_warn = len(findings) - n_err
        err.print(f"{n_err} errors / 错误, {n_warn} warnings / 警告", highlight=False)
        if n_err or (strict and n_warn):
            raise typer.Exit(1)
