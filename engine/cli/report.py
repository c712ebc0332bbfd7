"""``cpadvisor report``: the consultant's report as Word, HTML, Markdown (or PDF where Chromium is installed)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

from cpadvisor.errors import InputError
from cpadvisor.report.pdf import chromium, html_to_pdf  # noqa: F401 - re-exported

EXTENSIONS = {".docx": "docx", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".pdf": "pdf"}


def load_assessment(path: Path, kb):
    """A profile (YAML/JSON/xlsx) is assessed; a saved assessment (``assess --json``) is used as it is."""
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"not valid JSON: {exc}", str(path)) from None
        from cpadvisor.intake.profiles import saved_assessment
        a = saved_assessment(data, kb, str(path))
        if a is not None:
            return a
    from cpadvisor.advisor import assess
    return assess(path, kb=kb)


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import get_kb, guarded, kb_option, lang_option, plans_option, say_notices, with_plans

    @app.command()
    @guarded
    def report(profile: Path = typer.Argument(..., help="profile YAML/JSON, or an assessment saved with assess --json"),
               output: Optional[Path] = typer.Option(None, "--output", "-o",
                                                     help="report file: .docx, .html, .md (or .pdf with Chromium); "
                                                          "omitted: Markdown on stdout"),
               lang: str = lang_option(),
               fmt: Optional[str] = typer.Option(None, "--format", "-f",
                                                 help="docx, html, md or pdf (default: from the -o extension)"),
               template: Optional[Path] = typer.Option(None, "--template",
                                                       help="Word template (.docx) for docx output, e.g. a restyled "
                                                            "copy of the default"),
               plans: Optional[Path] = plans_option(),
               workings: bool = typer.Option(True, "--workings/--no-workings",
                                             help="include the working papers (工作底稿: measure ids, rule conditions, "
                                                  "the provenance of every number) as the last appendix"),
               structure: Optional[str] = typer.Option(None, "--structure",
                                                       help="audit (the chapters of a 清洁生产审核报告) or screening (a short "
                                                            "recommendation report); default: audit when an audit applies"),
               consultant: Optional[str] = typer.Option(None, "--consultant", help="consulting firm for the cover page"),
               db: Optional[str] = typer.Option(None, "--db", help="the store holding the enterprise's earlier "
                                                "assessments: the 方案的实施 chapter gains the 清洁生产审核绩效表"),
               knowledge: Optional[Path] = kb_option()):
        """Write the consultant's report (清洁生产审核建议报告): Word, HTML or Markdown, zh or en."""
        from cpadvisor.report import LANGS, render_report
        if lang not in LANGS:
            raise InputError(f"unknown language '{lang}': use zh or en / 未知语言", field="--lang")
        if fmt is None:
            if output is None:
                fmt = "md"
            else:
                fmt = EXTENSIONS.get(output.suffix.lower())
                if fmt is None:
                    raise InputError(f"cannot tell the format from '{output.suffix or output.name}': use .docx, "
                                     ".html, .md or .pdf, or --format / 无法从扩展名判断报告格式", str(output), field="-o")
        fmt = fmt.lower()
        if fmt not in ("docx", "html", "md", "pdf"):
            raise InputError(f"unknown format '{fmt}': use docx, html, md or pdf / 未知报告格式", field="--format")
        if template is not None and fmt != "docx":
            raise InputError("--template applies to Word (.docx) output only / 模板仅用于Word报告", field="--template")
        if fmt in ("docx", "pdf") and output is None:
            raise InputError(f"{fmt} is binary: give an output file with -o / 请用 -o 指定输出文件", field="-o")
        kb = get_kb(knowledge)
        if plans is not None:
            from cpadvisor.advisor import assess
            a = assess(with_plans(kb, profile, plans), kb=kb)
        else:
            a = load_assessment(profile, kb)
        say_notices(a, profile)
        performance = None
        if db:
            from cpadvisor.store.db import Store
            from cpadvisor.store.performance import performance as perf_of
            store = Store(db)
            try:
                performance = perf_of(store, a.credit_code or a.profile_name)
            except InputError:  # no history of this enterprise: the chapter says what there is
                performance = None
            finally:
                store.close()
        if output is not None and output.parent and not output.parent.exists():
            raise InputError("output folder does not exist / 输出目录不存在", str(output), field="-o")
        if fmt == "pdf":
            html_to_pdf(render_report(a, "html", lang, kb=kb, workings=workings, structure=structure,
                                      consultant=consultant, performance=performance), output)
        else:
            data = render_report(a, fmt, lang, kb=kb, workings=workings, structure=structure, consultant=consultant,
                                 performance=performance, **({"template": template} if template else {}))
            if output is None:
                sys.stdout.write(data)
                return
            if isinstance(data, bytes):
                output.write_bytes(data)
            else:
                output.write_text(data, encoding="utf-8")
        n = len([f for f in a.recommended])
        typer.echo(f"{output} ({fmt}, {lang}): {n} 项建议/recommended, {len(a.to_verify)} 项待核实/to verify",
                   err=True)
