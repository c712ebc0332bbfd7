"""`cpadvisor new-measure PACK ID`: scaffold a measure file with its rule and two cases to fill in."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import err, guarded, kb_option, out

    @app.command("new-measure")
    @guarded
    def new_measure(pack: str = typer.Argument(..., help="pack folder, e.g. steel"),
                    measure_id: str = typer.Argument(..., metavar="ID",
                                                     help="measure id (steel.hot_charging) or its slug"),
                    catalog: Optional[Path] = typer.Option(None, "--catalog", help="measure catalog CSV"),
                    clause: Optional[str] = typer.Option(None, "--clause", help="a new measure: its clause of the "
                                                         "policy, e.g. 三(二)2"),
                    name_zh: Optional[str] = typer.Option(None, "--name-zh", help="a new measure: its Chinese name"),
                    name_en: Optional[str] = typer.Option(None, "--name-en", help="a new measure: its English name"),
                    kind: str = typer.Option("measure", "--kind", help="a new measure: measure, obligation, "
                                             "programme, incentive or gate"),
                    applies_when: str = typer.Option("", "--applies-when", help="a new measure: when it applies, "
                                                     "in words (the catalog's column)"),
                    knowledge: Optional[Path] = kb_option()):
        """Create knowledge/PACK/<slug>.yaml (never overwrites): fill in every TODO, test-first.

        新建措施文件（不覆盖已有文件）：名称、条款、类型取自措施目录；填写所有 TODO。
        """
        from cpadvisor.authoring.scaffold import new_measure as make
        path, entry = make(pack, measure_id, knowledge, catalog, clause, name_zh, name_en, kind, applies_when)
        import os
        try:
            path = Path(os.path.relpath(path))
        except ValueError:
            pass
        out.print(f"created / 已创建 {path}", highlight=False)
        if entry is None:
            err.print("warning: the id is not in the measure catalog: name, clause and kind are TODO, and the loader "
                      "refuses the file until the catalog lists the id / 目录中没有该编号", highlight=False)
        out.print(f"next / 下一步: fill in every TODO, then\n  pytest {path}\n  cpadvisor lint", highlight=False)
