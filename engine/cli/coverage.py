"""`cpadvisor coverage`: per pack, ids encoded, reached, tested both ways; rules never fired."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import emit, get_kb, guarded, kb_option, out

    @app.command()
    @guarded
    def coverage(strict: bool = typer.Option(False, "--strict", help="exit 1 on any gap (for CI)"),
                 knowledge: Optional[Path] = kb_option()):
        """Catalog coverage of the knowledge base (encoded, reached, positive and negative cases)."""
        from cpadvisor.authoring.coverage import coverage as compute
        kb = get_kb(knowledge)
        cov = compute(kb)
        t = Table(title=f"catalog coverage / 目录覆盖 (knowledge {kb.version})")
        for col in ("pack", "catalog", "encoded", "reached", "positive", "negative", "rules", "fired"):
            t.add_column(col, justify="right" if col != "pack" else "left", no_wrap=True)
        for pc in cov.packs:
            t.add_row(pc.pack, *(str(len(getattr(pc, k))) for k in
                                 ("catalog", "encoded", "reached", "positive", "negative", "rules", "rules_fired")))
        tot = cov.totals()
        t.add_row("[bold]total[/bold]", *(str(tot[k]) for k in
                                          ("catalog", "encoded", "reached", "positive", "negative", "rules",
                                           "rules_fired")))
        emit(t)
        from cpadvisor.authoring.coverage import system_coverage
        systems = system_coverage(kb)
        if systems:
            st = Table(title="清洁生产评价指标体系 / evaluation index systems")
            for col in ("system", "pack", "year", "tier", "complete", "indicators", "3 levels", "weights",
                        "from profile", "improved_by", "cases"):
                st.add_column(col, justify="left" if col in ("system", "pack", "tier", "complete") else "right")
            for x in systems:
                st.add_row(x["id"], x["pack"], str(x["year"]), x["tier"] + ("" if x["verified"] else " (unverified)"),
                           "yes" if x["complete"] else "no", *(str(x[k]) for k in (
                               "indicators", "levels", "weights", "from_profile", "improved_by", "cases")))
            emit(st)
        for p in cov.problems:
            out.print(f"[yellow]gap[/yellow] {p}", highlight=False)
        if not cov.problems:
            out.print(f"{tot['catalog']}/{tot['catalog']} encoded, reached and tested both ways; "
                      "every rule fired by a case.", highlight=False)
        if strict and cov.problems:
            raise typer.Exit(1)
