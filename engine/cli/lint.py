"""`cpadvisor lint`: check every knowledge pack without assessing anything (CI and pre-commit)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import err, guarded, kb_option

    @app.command()
    @guarded
    def lint(knowledge: Optional[Path] = kb_option(),
             catalog: Optional[Path] = typer.Option(None, "--catalog",
                                                    help="measure catalog CSV (default: $CPADVISOR_CATALOG or "
                                                         "knowledge/catalog.csv)"),
             cases: bool = typer.Option(False, "--cases", help="also run every expert case"),
             strict: bool = typer.Option(False, "--strict", help="warnings fail too"),
             as_json: bool = typer.Option(False, "--json", help="findings as JSON"),
             quiet: bool = typer.Option(False, "--quiet", "-q", help="errors only"),
             file: Optional[Path] = typer.Option(None, "--file", help="your own file: its errors and warnings, and "
                                                  "only the errors of the others")):
        """Lint the knowledge packs: one line per finding `file:line: level: message`; exit 1 on errors.

        知识包静态检查：每个问题一行（文件:行号: 级别: 说明）；有错误时退出码为 1。
        """
        from cpadvisor.authoring.lint import lint as run
        findings = run(knowledge, catalog, run_cases=cases)
        base = Path.cwd()
        mine = (lambda f: Path(f.file).resolve() == file.resolve()) if file is not None else (lambda f: False)
        if file is not None and not file.exists():
            from cpadvisor.errors import InputError
            raise InputError("no such file / 文件不存在", str(file), field="--file")
        # an author's own file first, then the rest (a new measure's messages are not drowned by the others')
        findings = sorted(findings, key=lambda f: (not mine(f), f.level != "error"))
        shown = [f for f in findings if f.level == "error" or (mine(f) if file is not None else not quiet)]
        if as_json:
            sys.stdout.write(json.dumps([{**f.__dict__, "file": f.format(base).split(":", 1)[0]} for f in shown],
                                        ensure_ascii=False, indent=2) + "\n")
        else:
            for f in shown:
                sys.stdout.write(f.format(base) + "\n")
        n_err = sum(f.level == "error" for f in findings)
        n_warn = len(findings) - n_err
        hidden = len(findings) - len(shown)
        err.print(f"{n_err} errors / 错误, {n_warn} warnings / 警告"
                  + (f" ({hidden} warnings of other files not shown / 其他文件的警告未显示)" if hidden else ""),
                  highlight=False)
        if n_err or (strict and n_warn):
            raise typer.Exit(1)
