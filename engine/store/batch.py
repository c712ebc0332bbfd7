"""Batch assessment of many profile files into the store, on all cores, resumable.

Each worker process holds the knowledge base and its own durable_rules host (durable is
process-global, so processes, not threads). The parent writes every result in its own
transaction. A bad profile is stored with its one-line error (file:line [field]) and the
run goes on. Files already stored with the same path, content hash and knowledge version
are skipped, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import os
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from cpadvisor import __version__
from cpadvisor.errors import InputError
from cpadvisor.intake.profiles import profile_from_text
from cpadvisor.knowledge.loader import KnowledgeBase, load_knowledge
from cpadvisor.store.db import FAILED, INVALID, Store, record_of, run_key, sha256
from cpadvisor.knowledge.yamlio import decode
from cpadvisor.advisor import assess, engine_of

SUFFIXES = (".yaml", ".yml", ".json")

_KB: Optional[KnowledgeBase] = None


@dataclass
class BatchItem:
    path: str  # as given (for messages)
    resolved: str  # absolute path (part of the run key)
    key: str


@dataclass
class BatchResult:
    files: int = 0
    skipped: int = 0  # already in the store
    ok: int = 0
    invalid: int = 0
    failed: int = 0
    duplicates: int = 0  # stored meanwhile by another run
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.ok + self.invalid + self.failed + self.duplicates


def collect(paths: Iterable[Union[str, Path]]) -> list[Path]:
    """Profile files: folders are searched recursively for *.yaml, *.yml, *.json (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or folder / 找不到文件或目录", str(p))
    return list(dict.fromkeys(out))


def plan(files: list[Path], version: str, done: set[str]) -> tuple[list[BatchItem], int]:
    """Items still to do, and how many are already stored (same path, content and knowledge)."""
    todo, skipped = [], 0
    for f in files:
        resolved = str(f.resolve())
        try:
            content = f.read_bytes()
        except OSError:
            content = b""  # the worker records the read error
        key = run_key(resolved, sha256(content), version)
        if key in done:
            skipped += 1
        else:
            todo.append(BatchItem(str(f), resolved, key))
    return todo, skipped


# ------------------------------------------------------------------ one file

def assess_file(kb: KnowledgeBase, path: str, resolved: Optional[str] = None) -> dict:
    """Assess one file -> the column values of its store row (never raises)."""
    resolved = resolved or str(Path(path).resolve())
    base: dict[str, Any] = dict(source_file=resolved, knowledge_version=kb.version, engine_version=__version__)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raw = b""
        err = InputError(f"cannot read file / 无法读取: {exc.strerror}", path)
        return dict(base, status=INVALID, error=err.one_line(), content_hash=sha256(raw),
                    run_key=run_key(resolved, sha256(raw), kb.version), created_at=datetime.now(timezone.utc))
    chash = sha256(raw)
    base.update(content_hash=chash)
    name = None
    try:
        profile = profile_from_text(decode(raw, path), path, kb)
        name = profile.name
        a = assess(profile, kb=kb)
        return record_of(a, **base, run_key=run_key(resolved, chash, kb.version))
    except InputError as exc:
        return dict(base, status=INVALID, error=exc.one_line(), enterprise=name,
                    run_key=run_key(resolved, chash, kb.version), created_at=datetime.now(timezone.utc))
    except Exception as exc:  # noqa: BLE001 - recorded without a run key: retried on the next run
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {Path(last.filename).name}:{last.lineno}" if last else ""
        msg = " ".join(f"{type(exc).__name__}: {exc}".split())
        return dict(base, status=FAILED, error=f"{path}: {msg}{where}", enterprise=name,
                    created_at=datetime.now(timezone.utc))


def _init_worker(root: Optional[str]) -> None:
    global _KB
    if _KB is None or (root and str(_KB.root) != root):
        _KB = load_knowledge(root)
    engine_of(_KB)  # compile the rulesets once per process


def _work(item: tuple[str, str]) -> dict:
    assert _KB is not None
    return assess_file(_KB, item[0], item[1])


# ------------------------------------------------------------------ the run

def run_batch(paths: Iterable[Union[str, Path]], store: Store, jobs: Optional[int] = None,
              knowledge: Optional[Union[str, Path]] = None,
              on_start: Optional[Callable[[int, int], None]] = None,
              on_result: Optional[Callable[[dict], None]] = None) -> BatchResult:
    """Assess every profile file under ``paths`` into ``store``; see the module doc.

    ``on_start(todo, skipped)`` and ``on_result(row)`` drive a progress display.
    """
    global _KB
    t0 = time.perf_counter()
    kb = load_knowledge(knowledge)
    files = collect(paths)
    todo, skipped = plan(files, kb.version, store.done_keys(kb.version))
    res = BatchResult(files=len(files), skipped=skipped)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    items = [(it.path, it.resolved) for it in todo]

    def record(row: dict) -> None:
        if not store.add(row):
            res.duplicates += 1
        elif row["status"] == INVALID:
            res.invalid += 1
            res.errors.append(row["error"])
        elif row["status"] == FAILED:
            res.failed += 1
            res.errors.append(row["error"])
        else:
            res.ok += 1
        if on_result:
            on_result(row)

    if jobs == 1 or not items:
        if on_start:
            on_start(len(todo), skipped)
        for path, resolved in items:
            record(assess_file(kb, path, resolved))
    else:
        methods = mp.get_all_start_methods()
        if "fork" in methods:
            ctx = mp.get_context("fork")  # workers inherit the loaded knowledge (copy-on-write)
            _KB = kb
            gc.collect()
            gc.freeze()  # children's collector skips the inherited heap (fewer copied pages, less gc time)
        else:
            ctx = mp.get_context("spawn")
        chunk = max(1, min(32, len(items) // (jobs * 8)))
        with ctx.Pool(jobs, initializer=_init_worker, initargs=(str(kb.root),)) as pool:
            if on_start:  # after the fork: a progress display's thread must not be forked
                on_start(len(todo), skipped)
            try:
                for row in pool.imap_unordered(_work, items, chunksize=chunk):
                    record(row)
            except BaseException:
                pool.terminate()
                raise
            finally:
                if "fork" in methods:
                    gc.unfreeze()
    res.seconds = time.perf_counter() - t0
    return res
