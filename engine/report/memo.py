"""Bounded memos of the reports: texts and words recur across reports, but profile values pass through too, so
each memo is emptied at once when it is full."""
from __future__ import annotations

from typing import Any


def keep(memo: dict, key: Any, value: Any, limit: int) -> Any:
    """Remember ``value`` under ``key`` in ``memo`` (emptied first once it holds ``limit`` entries); return it."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
