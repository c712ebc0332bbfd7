"""Benchmark: assessments/s (durable_rules vs the plain evaluator), renders/s, memory, batch into SQLite.

    .venv/bin/python bench/bench.py            # full run (100k for memory and batch: ~15-30 min)
    .venv/bin/python bench/bench.py --quick    # a few thousand, about two minutes
    .venv/bin/python bench/bench.py --profile  # also the hot spots of kb.assess (cProfile)

Prints measured figures next to the targets; nothing is asserted.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synth import Generator, to_yaml  # noqa: E402
from cpadvisor import load_knowledge  # noqa: E402
from cpadvisor.advisor import assess, facts_of  # noqa: E402
from cpadvisor.rules.plain import plain_events  # noqa: E402
from cpadvisor.intake.profiles import coerce_profile  # noqa: E402
from cpadvisor.advisor import engine_of

TARGETS = {"rate": 1000.0, "ratio": 10.0, "growth_mb": 50.0, "batch_s": 180.0, "warm_s": 1.0, "help_s": 0.5}


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc/self/status."""
    cur = peak = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return cur, peak


def rate(fn, items) -> float:
    t = time.perf_counter()
    for x in items:
        fn(x)
    return len(items) / (time.perf_counter() - t)


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def bench_rates(kb, profiles) -> dict:
    for p in profiles[:50]:  # warm up: compile rulesets, caches
        assess(p, kb=kb)
        assess(p, kb, engine="plain")
    durable = rate(lambda p: assess(p, kb=kb), profiles)
    plain = rate(lambda p: assess(p, kb, engine="plain"), profiles)
    facts = [facts_of(kb, coerce_profile(p, kb)) for p in profiles]
    inf_durable = rate(engine_of(kb).run, facts)
    inf_plain = rate(lambda f: plain_events(kb, f), facts)
    print(f"(a) kb.assess, durable_rules, full KB ({len(kb.measures)} measures, {engine_of(kb).rule_count} durable rules):"
          f" {durable:8.0f} assessments/s on one core   target >= {TARGETS['rate']:.0f}/s: "
          f"{verdict(durable >= TARGETS['rate'])}")
    print(f"(b) assess(engine='plain'), lower bound:        {plain:8.0f} assessments/s")
    print(f"    ratio plain/durable time:                    {plain / durable:8.2f}x"
          f"   target <= {TARGETS['ratio']:.0f}x: {verdict(plain / durable <= TARGETS['ratio'])}")
    print(f"    inference only (facts -> events): durable {inf_durable:.0f}/s, plain {inf_plain:.0f}/s,"
          f" ratio {inf_plain / inf_durable:.2f}x")
    return {"durable": durable, "plain": plain}


def bench_render(kb, profiles) -> None:
    try:
        from cpadvisor import render_report
        sample = [assess(p, kb=kb) for p in profiles[:200]]
        render_report(sample[0], "md", kb=kb)
    except Exception as exc:  # noqa: BLE001 - the report module may not exist yet
        print(f"report renders: not available ({type(exc).__name__}: {exc})")
        return
    for fmt in ("md", "html"):
        for lang in ("zh",):
            r = rate(lambda a: render_report(a, fmt, lang, kb=kb), sample)
            print(f"report renders ({fmt}, {lang}): {r:8.0f}/s")
    # docx: the compiled template is cached per template file; the same run without the cache for the ratio
    from cpadvisor.report import word
    docs = sample[:40]
    cached = rate(lambda a: render_report(a, "docx", "zh", kb=kb), docs)
    uncached = rate(lambda a: (word._COMPILED.clear(), render_report(a, "docx", "zh", kb=kb)), docs)
    print(f"report renders (docx, zh): {cached:8.1f}/s (without the template cache {uncached:.1f}/s: "
          f"{cached / uncached:.2f}x; target >= 20/s: {verdict(cached >= 20)})")


def bench_memory(kb, profiles, n: int) -> None:
    warm = min(2000, max(n // 10, 1))
    for i in range(warm):
        assess(profiles[i % len(profiles)], kb=kb)
    gc.collect()
    start, _ = rss_mb()
    t = time.perf_counter()
    marks = {n // 4, n // 2, 3 * n // 4}
    for i in range(n):
        assess(profiles[i % len(profiles)], kb=kb)
        if i in marks:
            cur, _ = rss_mb()
            print(f"    after {i:>7,} assessments: RSS {cur:7.1f} MB")
    gc.collect()
    end, peak = rss_mb()
    growth = end - start
    print(f"memory: {n:,} assessments in {time.perf_counter() - t:.0f} s; RSS {start:.1f} -> {end:.1f} MB "
          f"(growth {growth:+.1f} MB), peak {peak:.1f} MB   target growth < {TARGETS['growth_mb']:.0f} MB"
          + ("" if n >= 100_000 else " over 100k (this run is shorter)") + f": {verdict(growth < TARGETS['growth_mb'])}")


def bench_batch(kb, gen: Generator, n: int, jobs: int, keep: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="cpadvisor-bench-"))
    try:
        folder = tmp / "profiles"
        t = time.perf_counter()
        for start in range(0, n, 1000):
            sub = folder / f"{start // 1000:04d}"
            sub.mkdir(parents=True)
            for i, p in enumerate(gen.profiles(min(1000, n - start), start)):
                (sub / f"p{start + i:06d}.yaml").write_text(to_yaml(p) + "\n", encoding="utf-8")
        print(f"batch: wrote {n:,} YAML profiles in {time.perf_counter() - t:.0f} s")
        db = tmp / "bench.db"
        cli = REPO / ".venv" / "bin" / "cpadvisor"
        cmd = [str(cli) if cli.exists() else sys.executable, *([] if cli.exists() else ["-m", "cpadvisor"]),
               "batch", str(folder), "--db", str(db), "--jobs", str(jobs), "--no-progress"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t
        from cpadvisor.store.db import Store
        store = Store(str(db))
        stored, ok = store.count(), store.count("ok")
        store.close()
        size = db.stat().st_size / 1e6 + sum(p.stat().st_size for p in tmp.glob("bench.db-*")) / 1e6
        print(f"batch: {n:,} profiles into SQLite with --jobs {jobs}: {dt:.1f} s ({n / dt:.0f}/s), "
              f"{stored:,} rows ({ok:,} ok), database {size:.0f} MB, exit {proc.returncode}   target 100k < "
              f"{TARGETS['batch_s']:.0f} s: "
              + (verdict(dt < TARGETS['batch_s']) if n >= 100_000 else
                 f"extrapolated {100_000 * dt / n:.0f} s for 100k: {verdict(100_000 * dt / n < TARGETS['batch_s'])}"))
        if proc.returncode not in (0, 1):
            print(proc.stderr[-2000:])
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _cli() -> list[str]:
    cli = REPO / ".venv" / "bin" / "cpadvisor"
    return [str(cli)] if cli.exists() else [sys.executable, "-m", "cpadvisor"]


def _timed(cmd: list[str], env: dict, runs: int = 5) -> float:
    """Median wall time of a command (seconds)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def bench_startup(kb) -> None:
    """Cold and warm CLI start (a fresh knowledge cache, then the filled one), --help, and a batch re-run
    with nothing left to do (dominated by hashing the files: the knowledge is not loaded)."""
    tmp = Path(tempfile.mkdtemp(prefix="cpadvisor-start-"))
    try:
        example = str(REPO / "examples" / "steel_plant.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CPADVISOR_")}
        env["CPADVISOR_CACHE_DIR"] = str(tmp / "cache")
        cold = []
        for i in range(3):
            shutil.rmtree(tmp / "cache", ignore_errors=True)
            cold.append(_timed(_cli() + ["assess", example], env, runs=1))
        cold_s = sorted(cold)[1]
        nocache = _timed(_cli() + ["assess", example], dict(env, CPADVISOR_NO_CACHE="1"), runs=3)
        _timed(_cli() + ["assess", example], env, runs=1)  # fills the cache
        warm = _timed(_cli() + ["assess", example], env)
        help_s = _timed(_cli() + ["--help"], env)
        print(f"startup: `cpadvisor assess` cold (empty cache) {cold_s:.2f} s, without cache {nocache:.2f} s, "
              f"warm {warm:.2f} s   target warm < {TARGETS['warm_s']} s: {verdict(warm < TARGETS['warm_s'])}")
        print(f"startup: `cpadvisor --help` {help_s:.2f} s   target < {TARGETS['help_s']} s: "
              f"{verdict(help_s < TARGETS['help_s'])}")
        folder = tmp / "p"
        folder.mkdir()
        for i, p in enumerate(Generator(kb, 5).profiles(19)):
            (folder / f"p{i:02d}.yaml").write_text(to_yaml(p) + "\n", encoding="utf-8")
        db = str(tmp / "b.db")
        subprocess.run(_cli() + ["batch", str(folder), "--db", db, "--no-progress"], capture_output=True, env=env)
        rerun = _timed(_cli() + ["batch", str(folder), "--db", db, "--no-progress"], env, runs=3)
        print(f"startup: `cpadvisor batch` re-run of 19 stored files: {rerun:.2f} s "
              f"(= {rerun / warm:.2f}x a warm assess; the knowledge is not loaded)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def hot_spots(kb, profiles, top: int = 20) -> None:
    prof = cProfile.Profile()
    prof.enable()
    for p in profiles:
        assess(p, kb=kb)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # by own time
    print(f"hot spots of kb.assess over {len(profiles)} profiles (own time share of {total:.2f} s, cProfile):")
    for (file, line, func), (_cc, nc, tt, ct, _callers) in rows:
        where = f"{Path(file).name}:{func}" if file != "~" else func
        if "/engine/" in file:
            where = f"engine/{Path(file).name}:{func}"
        print(f"  {100 * tt / total:5.1f}%  own {tt:6.3f}s  cum {ct:6.3f}s  calls {nc:>8}  {where}")
    cum = sorted(((k, v) for k, v in st.stats.items() if "/engine/" in k[0]), key=lambda kv: kv[1][3],
                 reverse=True)[:12]
    print("  cumulative (engine functions):")
    for (file, line, func), (_cc, nc, tt, ct, _callers) in cum:
        print(f"  {100 * ct / total:5.1f}%  cum {ct:6.3f}s  engine/{Path(file).name}:{func}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="profiles for the rate measurements")
    ap.add_argument("--memory-n", type=int, default=100_000, help="assessments for the memory measurement (0: skip)")
    ap.add_argument("--batch-n", type=int, default=100_000, help="profiles through `cpadvisor batch` (0: skip)")
    ap.add_argument("--jobs", type=int, default=2, help="batch worker processes")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--quick", action="store_true", help="n=500, memory-n=3000, batch-n=3000")
    ap.add_argument("--profile", action="store_true", help="print the hot spots of kb.assess (cProfile)")
    ap.add_argument("--keep", action="store_true", help="keep the batch folder and database")
    args = ap.parse_args()
    if args.quick:
        args.n, args.memory_n, args.batch_n = 500, 3000, 3000
    t = time.perf_counter()
    kb = load_knowledge()
    print(f"knowledge {kb.version}: {len(kb.measures)} measures, {len(kb.rules)} rules, loaded in "
          f"{time.perf_counter() - t:.1f} s; cpus {os.cpu_count()}; python {sys.version.split()[0]}")
    gen = Generator(kb, args.seed)
    profiles = gen.profiles(max(args.n, 1))
    print(f"{len(profiles)} synthetic profiles (seed {args.seed}): "
          f"{sum(p.get('kind') == 'park' for p in profiles)} parks, "
          f"{sum(len(p.get('units', [])) for p in profiles) / len(profiles):.1f} units and "
          f"{sum(len(p.get('products', [])) for p in profiles) / len(profiles):.1f} products per profile")
    bench_startup(kb)
    bench_rates(kb, profiles)
    bench_render(kb, profiles)
    if args.profile:
        hot_spots(kb, profiles[: min(len(profiles), 1000)])
    if args.memory_n:
        bench_memory(kb, profiles, args.memory_n)
    if args.batch_n:
        bench_batch(kb, gen, args.batch_n, args.jobs, args.keep)


if __name__ == "__main__":
    main()
