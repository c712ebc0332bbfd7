"""``cpadvisor batch``: assess many profile files into the store, on all cores, resumable."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def db_option():
    return typer.Option(None, "--db", help="SQLite file or database URL (postgresql://...); "
                                           "default: env CPADVISOR_DB, else ./cpadvisor.db")


def register(app: typer.Typer) -> None:
    from cpadvisor.cli.common import err, guarded, kb_option, out

    @app.command()
    @guarded
    def batch(paths: list[Path] = typer.Argument(..., help="profile files or folders (*.yaml, *.yml, *.json)"),
              db: Optional[str] = db_option(),
              jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="worker processes (default: all cores)"),
              progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
              knowledge: Optional[Path] = kb_option()):
        """Assess many profiles into the store; bad ones are recorded with their error; re-run to resume.

        Exit code 0 when every profile of this run was assessed, 1 when some were rejected or failed.
        """
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        from cpadvisor.store.batch import run_batch
        from cpadvisor.store.db import Store

        store = Store(db)
        bar = Progress(TextColumn("[bold]评估/assessing[/bold]"), BarColumn(), MofNCompleteColumn(),
                       TaskProgressColumn(), TextColumn("{task.fields[rate]}/s"), TextColumn("✗ {task.fields[bad]}"),
                       TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=not progress, transient=False)
        state = {"task": None, "bad": 0, "n": 0}
        import time
        t0 = time.perf_counter()

        def on_start(todo: int, skipped: int) -> None:
            if skipped:
                err.print(f"{skipped} 份已在库中，跳过 / already stored, skipped", highlight=False)
            bar.start()
            state["task"] = bar.add_task("batch", total=todo, rate="0", bad=0)

        def on_result(row: dict) -> None:
            state["n"] += 1
            if row["status"] != "ok":
                state["bad"] += 1
            rate = state["n"] / max(time.perf_counter() - t0, 1e-9)
            bar.update(state["task"], advance=1, rate=f"{rate:.0f}", bad=state["bad"])

        try:
            res = run_batch(paths, store, jobs=jobs, knowledge=knowledge, on_start=on_start, on_result=on_result)
        finally:
            bar.stop()
            store.close()
        for e in res.errors[:20]:
            err.print(f"✗ {e}", markup=False, highlight=False, soft_wrap=True)
        if len(res.errors) > 20:
            err.print(f"… {len(res.errors) - 20} more errors in the store (status invalid/failed)", highlight=False)
        rate = res.processed / res.seconds if res.seconds else 0.0
        out.print(f"{res.files} files: {res.ok} assessed / 已评估, {res.invalid} rejected / 有误, "
                  f"{res.failed} failed / 失败, {res.skipped + res.duplicates} already stored / 已在库中 "
                  + (f"(of which {res.duplicates} stored meanwhile by another run / 其中{res.duplicates}份由另一运行写入) "
                     if res.duplicates else "") +
                  f"({res.seconds:.1f} s, {rate:.0f}/s) -> {store.url.split('@')[-1]}", highlight=False, soft_wrap=True)
        if res.invalid or res.failed:
            raise typer.Exit(1)
