"""Errors that name the file, line and field, for people and for batch logs."""
from __future__ import annotations

import difflib
from typing import Iterable, Optional


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, [c for c in choices if c != word], n=1, cutoff=0.6)  # never itself
    return f" (did you mean '{close[0]}'?)" if close else ""


class CpadvisorError(Exception):
    """Base class of every error cpadvisor raises on purpose."""


class InputError(CpadvisorError):
    """Bad input (a profile or a knowledge file): one clear line, no traceback."""

    def __init__(self, message: str, file: Optional[str] = None, line: Optional[int] = None,
                 field: Optional[str] = None):
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        fld = f"[{self.field}] " if self.field else ""
        if not self.file:
            return f"{fld}{self.message}"  # e.g. a command-line argument
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {fld}{self.message}"


class KnowledgeError(CpadvisorError):
    """One or more problems in the knowledge packs."""

    def __init__(self, problems: list[InputError]):
        self.problems = problems
        super().__init__("\n".join(p.one_line() for p in problems))


class EngineError(CpadvisorError):
    """The inference engine failed (e.g. an exception inside a rule callback)."""


class StoreError(CpadvisorError):
    """The database failed (full disk, read-only file, server gone): one line; rows already written are kept."""
