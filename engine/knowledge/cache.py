"""On-disk cache of loaded knowledge, so that a CLI call does not parse and validate every pack again.

A loaded cache is code-equivalent (it is a pickle), so it is only ever read from the user's own
cache directory (``platformdirs.user_cache_dir("cpadvisor")``, or ``CPADVISOR_CACHE_DIR``) when
that directory and the file belong to the user and are writable by nobody else. The key is the
content of every pack file and of the catalog, the engine's own source and the Python version: a
stale, foreign or corrupt file is ignored and rebuilt, never trusted. ``CPADVISOR_NO_CACHE=1`` (or
``--no-cache``) turns it off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

MAGIC = b"cpadvisor-kb-cache-1\n"
_CODE_HASH: Optional[str] = None


def enabled() -> bool:
    return os.environ.get("CPADVISOR_NO_CACHE", "").strip().lower() not in ("1", "true", "yes", "on")


def code_hash() -> str:
    """Hash of the package's Python source (a changed loader invalidates every cache)."""
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256()
        pkg = Path(__file__).resolve().parent.parent
        for f in sorted(pkg.rglob("*.py")):
            h.update(str(f.relative_to(pkg)).encode() + b"\0" + f.read_bytes() + b"\0")
        _CODE_HASH = h.hexdigest()[:16]
    return _CODE_HASH


def cache_dir() -> Optional[Path]:
    """The user's own cache directory, created 0700; None where it is missing, foreign or shared."""
    env = os.environ.get("CPADVISOR_CACHE_DIR")
    if env:
        d = Path(env)
    else:
        try:
            import platformdirs
        except ImportError:  # pragma: no cover - a declared dependency
            return None
        d = Path(platformdirs.user_cache_dir("cpadvisor", appauthor=False))
    try:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = d.stat()
    except OSError:
        return None
    return d if _own_and_private(st) and stat.S_ISDIR(st.st_mode) else None


def _own_and_private(st: os.stat_result) -> bool:
    uid = getattr(os, "getuid", lambda: st.st_uid)()
    return st.st_uid == uid and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def cache_key(root: Path, version: str, catalog: Optional[Path]) -> str:
    h = hashlib.sha256()
    cat = b""
    if catalog is not None and catalog.is_file():
        cat = catalog.read_bytes()
    for part in (str(root.resolve()).encode(), version.encode(), hashlib.sha256(cat).digest(),
                 code_hash().encode(), sys.version.encode()):
        h.update(part + b"\0")
    return h.hexdigest()[:32]


def load(key: str) -> Optional[Any]:
    """The cached object for ``key``, or None (missing, foreign, shared, stale or corrupt)."""
    d = cache_dir()
    if d is None:
        return None
    path = d / f"kb-{key}.pickle"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not (stat.S_ISREG(st.st_mode) and _own_and_private(st)):
                return None
            head = fh.read(len(MAGIC) + len(key) + 1)
            if head != MAGIC + key.encode() + b"\n":
                raise ValueError("stale")
            return pickle.load(fh)  # noqa: S301 - our own file in our own 0700 directory, checked above
    except Exception:  # noqa: BLE001 - corrupt or stale: drop it and rebuild
        try:
            path.unlink()
        except OSError:
            pass
        return None


def save(key: str, obj: Any) -> None:
    """Write atomically (0600); any failure leaves no cache, never a broken one."""
    d = cache_dir()
    if d is None:
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".kb-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + key.encode() + b"\n")
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"kb-{key}.pickle")
        tmp = None
        for old in d.glob("kb-*.pickle"):  # keep the directory small: other keys are stale
            if old.name != f"kb-{key}.pickle" and old.stat().st_mtime < (d / f"kb-{key}.pickle").stat().st_mtime - 86400:
                old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - a cache is an optimisation
        pass
    finally:
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
