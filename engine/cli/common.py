"""What every ``cpadvisor`` command shares: the consoles, the common options, and bad input turned into one line
and exit code 2."""
from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from cpadvisor.errors import CpadvisorError, EngineError, KnowledgeError, StoreError

out = Console()
err = Console(stderr=True)


def emit(table: Any) -> None:
    """A table on a terminal; plain lines ("a | b | c", one a row, never wrapped) when the output is piped or
    redirected, where a box drawn at 80 columns is unreadable."""
    if out.is_terminal:
        out.print(table)
        return
    lines = [str(table.title)] if table.title else []
    lines.append(" | ".join(str(c.header) for c in table.columns))
    for row in zip(*(list(c.cells) for c in table.columns)):
        lines.append(" | ".join(" ".join(str(x).split()) for x in row))
    sys.stdout.write("\n".join(lines) + "\n")


def _lang(value: str) -> str:
    if value not in ("zh", "en"):
        raise typer.BadParameter(f"'{value}': use zh or en / 语言应为 zh 或 en")
    return value


def say_notices(a, source) -> None:
    """The intake's notices (a deprecated form upgraded, a retired attribute kept), one line each on stderr."""
    for w in a.warnings:
        err.print(f"{source}: {w}", highlight=False, soft_wrap=True)


def lang_option():
    return typer.Option("zh", "--lang", help="zh (default) or en", callback=_lang)


def plans_option() -> Any:
    return typer.Option(None, "--plans", help="a plans file (profile: NAME or credit code, plans: [...]) whose "
                                              "plans replace the profile's")


def with_plans(kb: Any, profile: Any, plans: Optional[Path]) -> Any:
    """The profile, with the plans of a separate plans file when one is given."""
    if plans is None:
        return profile
    from cpadvisor.intake.plans_file import attach_plans, load_plans
    from cpadvisor.intake.profiles import coerce_profile
    return attach_plans(coerce_profile(profile, kb), load_plans(plans, kb), str(plans))


def profile_source(profile: Path) -> Any:
    """A profile path, or ``-``: YAML/JSON read from standard input."""
    if str(profile) != "-":
        return profile
    from cpadvisor.intake.profiles import unwrap
    from cpadvisor.knowledge.yamlio import MAX_BYTES, decode, loads
    raw = sys.stdin.buffer.read(MAX_BYTES + 1)  # the file limit
    return unwrap(loads(decode(raw, "<stdin>", MAX_BYTES), "<stdin>"))

STATUS_LABEL = {
    "applies": ("建议实施", "recommended"), "to_verify": ("待核实", "to verify"),
    "in_place": ("已实施", "in place"), "superseded": ("被替代", "superseded"),
    "not_applicable": ("不适用", "not applicable"),
}
PRIORITY_LABEL = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low"), None: ("", "")}
COST_LABEL = {"low": ("无/低费", "no/low cost"), "medium_high": ("中/高费", "medium/high cost")}


MAX_SHOWN = 20  # problems printed for one bad input, then a count


def guarded(fn):
    """Bad input -> one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KnowledgeError as exc:
            for p in exc.problems:
                err.print(f"[red]error[/red] {p.one_line()}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(2)
        except EngineError as exc:
            err.print(f"engine error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(3)
        except StoreError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(3)
        except CpadvisorError as exc:
            problems = getattr(exc, "problems", None) or [exc]
            for p in problems[:MAX_SHOWN]:
                err.print(f"error: {p}", markup=False, highlight=False, soft_wrap=True)
            if len(problems) > MAX_SHOWN:
                err.print(f"… {len(problems) - MAX_SHOWN} more problems / 另有 {len(problems) - MAX_SHOWN} 个问题",
                          markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2)

    return wrapper


def kb_option() -> Optional[Path]:
    return typer.Option(None, "--knowledge", "-k", help="knowledge folder (default: the repo's knowledge/)")


def get_kb(knowledge: Optional[Path]):
    from cpadvisor.knowledge.loader import load_knowledge
    return load_knowledge(knowledge)


def in_lang(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]
