"""Run by bench.baseline in a subprocess: assess the profiles in a JSON file, then print render rates as JSON; or,
with --valid, print the indices of the profiles this revision accepts (an earlier revision lacks later words).

    python bench/render_rate.py profiles.json REPORTS DOCX
    python bench/render_rate.py --valid profiles.json
"""
from __future__ import annotations

import gc
import json
import sys
import time


def valid() -> None:
    from cpadvisor import load_knowledge
    from cpadvisor.intake.profiles import validate_profile
    profiles = json.loads(open(sys.argv[2], encoding="utf-8").read())
    kb = load_knowledge()
    ok = []
    for i, p in enumerate(profiles):
        try:
            validate_profile(p, kb)
        except Exception:  # noqa: BLE001 - a profile this revision cannot read is left out of the comparison
            continue
        ok.append(i)
    print(json.dumps({"valid": ok, "attributes": sorted(kb.vocab.terms["attributes"])}))


def main() -> None:
    if sys.argv[1] == "--valid":
        return valid()
    from cpadvisor import load_knowledge, render_report
    from cpadvisor.advisor import assess
    profiles = json.loads(open(sys.argv[1], encoding="utf-8").read())
    reports, docx = int(sys.argv[2]), int(sys.argv[3])
    kb = load_knowledge()
    sample = [assess(p, kb=kb) for p in profiles[:reports]]
    out = {}
    for fmt, items in (("md", sample), ("html", sample), ("docx", sample[:docx])):
        for a in items[:5]:  # warm up: templates compiled, caches filled
            render_report(a, fmt, "zh", kb=kb)
        gc.collect()  # the assessments' objects are collected now, not charged to the first format timed
        t = time.perf_counter()
        for a in items:
            render_report(a, fmt, "zh", kb=kb)
        out[fmt] = len(items) / (time.perf_counter() - t)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
