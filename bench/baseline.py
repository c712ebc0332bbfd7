"""An earlier revision of cpadvisor, importable beside the current one, to measure speed-ups as ratios in one run.

``prepare(rev)`` checks the revision out into a temporary git worktree and lays it out as the package would
be installed (``cpadvisor`` -> its engine/, ``cpadvisor.data`` -> its knowledge/); a subprocess with
``PYTHONPATH=<site>`` then imports that revision instead of the current one.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
RENDER_SCRIPT = Path(__file__).resolve().parent / "render_rate.py"


class Baseline:
    def __init__(self, rev: str):
        self.rev = rev
        self.tmp = Path(tempfile.mkdtemp(prefix="cpadvisor-baseline-"))
        self.tree = self.tmp / "tree"
        self.site = self.tmp / "site"
        self.error: Optional[str] = None

    def prepare(self) -> bool:
        proc = subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(self.tree), self.rev],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            self.error = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "git worktree failed"
            return False
        self.site.mkdir()
        (self.site / "cpadvisor").symlink_to(self.tree / "engine")
        data = self.tree / "engine" / "data"
        if not data.exists():
            data.symlink_to(Path("..") / "knowledge")
        return True

    def env(self) -> dict:
        env = dict(os.environ, PYTHONPATH=str(self.site))
        env.pop("CPADVISOR_NO_CACHE", None)
        return env

    def close(self) -> None:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(self.tree)], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def accepted(profiles_file: Path, env: Optional[dict]) -> dict:
    """What the cpadvisor a subprocess with ``env`` imports accepts: ``valid`` (the indices of the profiles it
    reads) and ``attributes`` (the attribute names it knows)."""
    proc = subprocess.run([sys.executable, str(RENDER_SCRIPT), "--valid", str(profiles_file)],
                          capture_output=True, text=True, env=env, cwd=str(profiles_file.parent))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-500:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def render_rates(profiles_file: Path, env: Optional[dict], reports: int, docx: int) -> dict:
    """Renders/s of the cpadvisor a subprocess with ``env`` imports (md, html, docx; Chinese)."""
    proc = subprocess.run([sys.executable, str(RENDER_SCRIPT), str(profiles_file), str(reports), str(docx)],
                          capture_output=True, text=True, env=env, cwd=str(profiles_file.parent))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-500:])
    return json.loads(proc.stdout.strip().splitlines()[-1])
