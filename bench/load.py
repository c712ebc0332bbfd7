"""Load test of `cpadvisor serve` on loopback: requests/s and p50/p99 latency of POST /v1/assess at 1, 8 and 32
concurrent clients, zero errors, and every answer identical to the library's (bounded in count and time).

    .venv/bin/python bench/load.py [--workers 2] [--requests 400] [--seconds 60]
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cpadvisor import load_knowledge  # noqa: E402
from cpadvisor.advisor import assess  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def canonical(text: bytes) -> str:
    d = json.loads(text)
    d.pop("assessed_at", None)
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=400, help="requests per concurrency level (at most)")
    ap.add_argument("--seconds", type=float, default=60.0, help="time per concurrency level (at most)")
    args = ap.parse_args()
    kb = load_knowledge()
    examples = sorted((REPO / "examples").glob("*.yaml"))
    bodies = [p.read_bytes() for p in examples]
    expected = [canonical(assess(p, kb=kb).model_dump_json().encode()) for p in examples]
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cpadvisor", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(args.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 90
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/v1/version")
                if c.getresponse().status == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise SystemExit("server did not start: " + proc.stderr.read().decode()[-1000:])
                time.sleep(0.3)
        print(f"cpadvisor serve --workers {args.workers} on 127.0.0.1:{port}; {len(bodies)} example profiles; "
              f"at most {args.requests} requests or {args.seconds:.0f} s per level")
        local = threading.local()

        def one(i: int) -> tuple[float, bool, bool]:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle / delayed-ACK stall
            k = i % len(bodies)
            t = time.perf_counter()
            try:
                conn.request("POST", "/v1/assess", body=bodies[k], headers={"Content-Type": "application/yaml"})
                r = conn.getresponse()
                data = r.read()
            except OSError:
                local.conn = None
                return time.perf_counter() - t, False, False
            dt = time.perf_counter() - t
            return dt, r.status == 200, r.status == 200 and canonical(data) == expected[k]

        for clients in (1, 8, 32):
            stop = time.time() + args.seconds
            lat: list[float] = []
            errors = mismatches = 0
            t0 = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                sent = 0
                futs = []
                while sent < args.requests and time.time() < stop:
                    futs.append(pool.submit(one, sent))
                    sent += 1
                    if len(futs) >= clients * 4:
                        for f in futs[:clients]:
                            dt, ok, same = f.result()
                            lat.append(dt)
                            errors += not ok
                            mismatches += ok and not same
                        futs = futs[clients:]
                for f in futs:
                    dt, ok, same = f.result()
                    lat.append(dt)
                    errors += not ok
                    mismatches += ok and not same
            wall = time.perf_counter() - t0
            lat.sort()
            p50 = lat[len(lat) // 2] * 1000
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            print(f"assess, {clients:>2} concurrent clients: {len(lat) / wall:7.1f} requests/s, p50 {p50:6.1f} ms, "
                  f"p99 {p99:6.1f} ms, {len(lat)} requests, {errors} errors, {mismatches} differ from the library")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
