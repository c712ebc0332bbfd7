"""Instructions per report rendered, counted by valgrind's callgrind: the same on every run, where wall-clock
rates on this machine vary by half between consecutive runs.

Each figure is the difference of two runs that differ only in how many reports they render (the knowledge
loaded, the same profiles assessed, the same warm-up), divided by that number; ``PYTHONHASHSEED=0`` fixes
string hashing so both runs execute the same code paths.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

SCRIPT = Path(__file__).resolve().parent / "render_count.py"
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def available() -> Optional[str]:
    """None when callgrind can run, else why not."""
    return None if shutil.which("valgrind") else "valgrind not installed (apt install valgrind)"


def _count(profiles_file: Path, fmt: str, n: int, env: Optional[dict]) -> int:
    env = dict(env or os.environ, PYTHONHASHSEED="0")
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                           str(SCRIPT), str(profiles_file), fmt, str(n)],
                          capture_output=True, text=True, env=env, cwd=str(profiles_file.parent))
    m = _COLLECTED.search(proc.stderr)
    if proc.returncode != 0 or not m:
        raise RuntimeError((proc.stderr.strip() or "callgrind failed")[-500:])
    return int(m.group(1))


def per_report(profiles_file: Path, n: int, sides: dict[str, Optional[dict]],
               formats: tuple[str, ...] = ("md", "html")) -> dict[tuple[str, str], float]:
    """{(side, format): instructions per report} for each side's environment (None: this checkout)."""
    for env in sides.values():  # a first run outside valgrind fills the knowledge cache of each side
        subprocess.run([sys.executable, str(SCRIPT), str(profiles_file), "md", "0"], env=env,
                       capture_output=True, cwd=str(profiles_file.parent), check=True)
    jobs = [(side, fmt) for side in sides for fmt in (None,) + formats]  # None: the run rendering nothing

    def run(job: tuple[str, Optional[str]]) -> int:
        side, fmt = job
        return _count(profiles_file, fmt or "md", n if fmt else 0, sides[side])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(run, jobs)))
    return {(side, fmt): (counts[(side, fmt)] - counts[(side, None)]) / n for side in sides for fmt in formats}
