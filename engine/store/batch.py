"""Batch assessment of many profile files into the store, on all cores, resumable.

Each worker process holds the knowledge base and its own durable_rules host (durable is
process-global, so processes, not threads). The parent writes every result in its own
transaction. A bad profile is stored with its one-line error (file:line [field]) and the
run goes on. Every row has its run key (path + content hash + knowledge version): files
already stored as assessed or rejected are skipped, so an interrupted run resumes where it
stopped; a row that failed is retried by the next run and replaced.

A worker that dies (OOM killer, a crash) is noticed: its files are queued again on a fresh
pool, alone if need be, and a file that kills a worker twice is recorded as failed. A row the
database refuses (e.g. a NUL character PostgreSQL cannot store) is recorded as failed with the
reason; a database that stops answering ends the run with one line, every row written so far kept.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import sys
import os
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from cpadvisor._version import __version__
from cpadvisor.errors import InputError
from cpadvisor.intake.profiles import profile_from_bytes
from cpadvisor.knowledge.loader import KnowledgeBase, load_knowledge
from cpadvisor.knowledge.yamlio import read_bytes
from cpadvisor.store.codec import packed_row
from cpadvisor.store.db import FAILED, INVALID, Store, record_of, run_key, sha256
from cpadvisor.advisor import assess, engine_of

SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")

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
    """Profile files: folders are searched recursively for *.yaml, *.yml, *.json, *.xlsx (sorted).

    Entries with a profile suffix that are not regular files (dangling links, FIFOs, folders
    named ``x.yaml``) are kept: :func:`assess_file` records why they cannot be read.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and p.suffix.lower() not in SUFFIXES:
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES)
        elif p.exists() or p.is_symlink():
            out.append(p)
        else:
            raise InputError("no such file or folder / 找不到文件或目录", str(p))
    return list(dict.fromkeys(out))


def _read(path: Path) -> bytes:
    """The bytes of a regular file, whatever its size (the size limit is checked when it is parsed, so an
    oversized file still gets the run key of its content); InputError for anything else, never opening a FIFO."""
    return read_bytes(path, sys.maxsize)


def _content(path: Path) -> Optional[bytes]:
    try:
        return _read(path)
    except InputError:
        return None


def plan(files: list[Path], version: str, done: set[str]) -> tuple[list[BatchItem], int]:
    """Items still to do, and how many are already stored (same path, content and knowledge)."""
    todo, skipped = [], 0
    for f in files:
        resolved = str(f.absolute()) if f.is_symlink() and not f.exists() else str(f.resolve())
        content = _content(f)
        key = run_key(resolved, sha256(content or b""), version)
        if key in done:
            skipped += 1
        else:
            todo.append(BatchItem(str(f), resolved, key))
    return todo, skipped


# ------------------------------------------------------------------ one file

def _now() -> datetime:
    return datetime.now(timezone.utc)


def assess_file(kb: KnowledgeBase, path: str, resolved: Optional[str] = None) -> dict:
    """Assess one file -> the column values of its store row (never raises; the row always has its run key)."""
    resolved = resolved or str(Path(path).resolve())
    base: dict[str, Any] = dict(source_file=resolved, knowledge_version=kb.version, engine_version=__version__)
    try:
        raw = _read(Path(path))
    except InputError as err:
        return dict(base, status=INVALID, error=err.one_line(), content_hash=sha256(b""),
                    run_key=run_key(resolved, sha256(b""), kb.version), created_at=_now())
    chash = sha256(raw)
    base.update(content_hash=chash, run_key=run_key(resolved, chash, kb.version))
    name = None
    try:
        profile = profile_from_bytes(raw, path, kb)
        name = profile.name
        a = assess(profile, kb=kb)
        return packed_row(kb, record_of(a, **base))
    except InputError as exc:
        return dict(base, status=INVALID, error=exc.one_line(), enterprise=name, created_at=_now())
    except Exception as exc:  # noqa: BLE001 - recorded as failed: the next run retries it
        return dict(base, status=FAILED, error=f"{path}: {describe(exc)}", enterprise=name, created_at=_now())


def describe(exc: BaseException) -> str:
    """An exception as one line, with where it was raised."""
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(last.filename).name}:{last.lineno}" if last else ""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500] + where


def _init_worker(root: Optional[str]) -> None:
    global _KB
    if _KB is None or (root and str(_KB.root) != root):
        _KB = load_knowledge(root)
    engine_of(_KB)  # compile the rulesets once per process


def _work(items: list[tuple[str, str]]) -> list[dict]:
    assert _KB is not None
    return [assess_file(_KB, path, resolved) for path, resolved in items]


def _died(item: tuple[str, str], version: str) -> dict:
    path, resolved = item
    raw = _content(Path(path)) or b""
    return dict(source_file=resolved, knowledge_version=version, engine_version=__version__, status=FAILED,
                error=f"{path}: the worker process died while assessing this file alone (killed, out of memory "
                      "or a crash) / 单独评估该文件时工作进程异常退出",
                content_hash=sha256(raw), run_key=run_key(resolved, sha256(raw), version), created_at=_now())


# ------------------------------------------------------------------ the run

def knowledge_version(knowledge: Optional[Union[str, Path]] = None) -> str:
    """The version (content hash) of the knowledge packs, without loading them."""
    from cpadvisor.knowledge.loader import _hash_files, default_knowledge_dir, knowledge_files
    root = Path(knowledge) if knowledge else default_knowledge_dir()
    return _hash_files(knowledge_files(root), root) if root.is_dir() else ""


def run_batch(paths: Iterable[Union[str, Path]], store: Store, jobs: Optional[int] = None,
              knowledge: Optional[Union[str, Path]] = None,
              on_start: Optional[Callable[[int, int], None]] = None,
              on_result: Optional[Callable[[dict], None]] = None) -> BatchResult:
    """Assess every profile file under ``paths`` into ``store``; see the module doc.

    ``on_start(todo, skipped)`` and ``on_result(row)`` drive a progress display. Raises
    :class:`~cpadvisor.store.db.StoreError` (one line) when the database stops answering.
    """
    t0 = time.perf_counter()
    files = collect(paths)
    version = knowledge_version(knowledge)
    todo, skipped = plan(files, version, store.done_keys(version)) if version else (None, 0)
    res = BatchResult(files=len(files), skipped=skipped)
    if todo == []:  # nothing left: the knowledge is never loaded
        if on_start:
            on_start(0, skipped)
        res.seconds = time.perf_counter() - t0
        return res
    kb = load_knowledge(knowledge)
    store.use_knowledge(kb)  # results are stored compressed with the knowledge's dictionary
    if kb.version != version:
        todo, skipped = plan(files, kb.version, store.done_keys(kb.version))
        res.skipped = skipped
    assert todo is not None
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    items = [(it.path, it.resolved) for it in todo]

    def record(row: dict) -> None:
        count(row, store.add(row))

    def record_many(rows: list[dict]) -> None:
        for row, stored in zip(rows, store.add_many(rows)):
            count(row, stored)

    def count(row: dict, stored: bool) -> None:
        if not stored:
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

    if on_start and (jobs == 1 or not items):
        on_start(len(todo), skipped)
    if jobs == 1 or not items:
        for path, resolved in items:
            record(assess_file(kb, path, resolved))
    else:
        _run_pool(kb, items, jobs, record_many, lambda: on_start(len(todo), skipped) if on_start else None)
    res.seconds = time.perf_counter() - t0
    return res


def _run_pool(kb: KnowledgeBase, items: list[tuple[str, str]], jobs: int, record: Callable[[list[dict]], None],
              started: Callable[[], None]) -> None:
    """Chunks of items on worker processes; ``record`` stores the rows of a chunk (one transaction). A worker that dies loses the chunk it held: those items are then run
    one by one, each alone in a fresh worker, so that a death is attributable: a file whose worker dies when it
    runs alone is recorded as failed, the others are assessed."""
    global _KB
    fork = "fork" in mp.get_all_start_methods()
    ctx = mp.get_context("fork" if fork else "spawn")
    size = max(1, min(32, len(items) // (jobs * 8)))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    if fork:
        _KB = kb  # workers inherit the loaded knowledge (copy-on-write)
        gc.collect()
        gc.freeze()  # children's collector skips the inherited heap (fewer copied pages, less gc time)
    try:
        suspects = _round(kb, ctx, jobs, chunks, record, started)
        for item in suspects:  # alone: one worker, one file
            if _round(kb, ctx, 1, [[item]], record, lambda: None):
                record([_died(item, kb.version)])
    finally:
        if fork:
            gc.unfreeze()


PARENT_CHECK_SECONDS = 1.0


def _worker_main(root: str, conn: Any, parent: int = 0) -> None:
    """A batch worker: chunks in, rows out, on its own pipe, until it is sent None, or its parent is gone.

    A worker forked after another holds a copy of the parent's end of that one's pipe, so a parent killed with
    SIGKILL leaves no EOF to read: the worker also checks, while it waits, that its parent is still its parent."""
    try:
        _init_worker(root)
        error = None
    except Exception as exc:  # noqa: BLE001 - e.g. the knowledge failed to load: every chunk says so
        error = describe(exc)
    while True:
        try:
            while not conn.poll(PARENT_CHECK_SECONDS):
                if parent and os.getppid() != parent:
                    return  # orphaned: the batch is gone
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        conn.send(("error", error) if error else _work(chunk))


def _round(kb: KnowledgeBase, ctx: Any, jobs: int, chunks: list[list[tuple[str, str]]],
           record: Callable[[list[dict]], None], started: Callable[[], None]) -> list[tuple[str, str]]:
    """Run chunks on ``jobs`` workers; return the items lost with a dead worker (not recorded).

    Each worker has its own pipe (not one queue shared by all, as in ``ProcessPoolExecutor``): a worker killed
    while it writes a result can leave a shared queue half-written and its lock held, and the whole pool then
    waits forever. Here the parent reads an EOF on that worker's pipe, and the other workers go on; a fresh
    worker takes the dead one's place while chunks remain.
    """
    from multiprocessing.connection import wait as wait_any

    queue = list(reversed(chunks))
    lost: list[tuple[str, str]] = []
    busy: dict[Any, list] = {}  # parent end of a worker's pipe -> [process, chunk it holds or None]
    procs: list[Any] = []

    def spawn() -> None:
        here, there = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(str(kb.root), there, os.getpid()), daemon=True)
        proc.start()
        there.close()  # only the worker holds its end: its death is an EOF here
        procs.append(proc)
        busy[here] = [proc, None]
        feed(here)

    def feed(conn: Any) -> None:
        if not queue:
            stop(conn)
            return
        chunk = queue.pop()
        busy[conn][1] = chunk
        try:
            conn.send(chunk)
        except OSError:
            dead(conn)

    def stop(conn: Any) -> None:
        busy.pop(conn, None)
        try:
            conn.send(None)
        except OSError:
            pass
        conn.close()

    def dead(conn: Any) -> None:
        proc, chunk = busy.pop(conn)
        conn.close()
        proc.join(timeout=5)
        if chunk:
            lost.extend(chunk)
        if queue:
            spawn()

    try:
        for _ in range(min(jobs, len(queue))):
            spawn()
        started()  # after the forks: a progress display's thread must not be forked
        while busy:
            by_sentinel = {p.sentinel: c for c, (p, _) in busy.items()}
            for ready in wait_any(list(busy) + list(by_sentinel)):
                conn = by_sentinel.get(ready, ready)
                if conn not in busy:
                    continue
                try:
                    if ready is not conn and not conn.poll(0):
                        raise EOFError  # the process ended with nothing (more) to read
                    answer = conn.recv()
                except (EOFError, OSError):
                    dead(conn)
                    continue
                chunk = busy[conn][1]
                busy[conn][1] = None
                if isinstance(answer, tuple) and answer[:1] == ("error",):
                    answer = [dict(_died(it, kb.version), error=f"{it[0]}: {answer[1]}") for it in chunk or ()]
                feed(conn)  # the worker starts its next chunk while this one is written
                record(answer)
    finally:
        for conn in list(busy):
            busy.pop(conn)
            conn.close()
        for proc in procs:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)
    return lost
