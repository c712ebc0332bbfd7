"""Run under callgrind by bench.instructions: assess profiles, warm up, then render N reports of one format.

    valgrind --tool=callgrind python bench/render_count.py profiles.json FORMAT N

Two runs that differ only in N give the instructions per report (the rest of the work is the same in both). The
warm-up renders the file's last WARM profiles, which are never counted: a counted report's own words and
escapes are not remembered beforehand.
"""
from __future__ import annotations

import gc
import json
import sys

WARM = 10  # reports of each format rendered before counting: templates compiled, caches filled


def main() -> None:
    from cpadvisor import load_knowledge, render_report
    from cpadvisor.advisor import assess
    profiles = json.loads(open(sys.argv[1], encoding="utf-8").read())
    fmt, n = sys.argv[2], int(sys.argv[3])
    kb = load_knowledge()
    sample = [assess(p, kb=kb) for p in profiles]
    if n > len(sample) - WARM:
        raise SystemExit(f"{len(sample)} profiles: at most {len(sample) - WARM} can be counted")
    for a in sample[-WARM:]:
        for f in ("md", "html"):
            render_report(a, f, "zh", kb=kb)
    gc.collect()
    for a in sample[:n]:
        render_report(a, fmt, "zh", kb=kb)


if __name__ == "__main__":
    main()
