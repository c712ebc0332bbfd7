"""Issue 33, against a real `cpadvisor serve` on loopback: CPU work does not hold the event loop, a body trickled
byte by byte is cut off, connections beyond the cap are refused, a client that leaves costs one log line."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STEEL = REPO / "examples" / "steel_plant.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("live") / "serve.log"
    env = dict(os.environ, CPADVISOR_BODY_SECONDS="2")
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "cpadvisor", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--max-connections", "4", "--rate-limit", "0"],
                                stdout=subprocess.DEVNULL, stderr=err, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/version", timeout=1):
                break
        except OSError:
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.2)
    yield port, log
    proc.terminate()
    proc.wait(10)


def _raw(port: int, head: bytes, body: bytes = b"", wait: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(head + body)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return out


def test_a_render_does_not_hold_the_event_loop(live):
    """A large report renders on a worker thread: /v1/version answers while it runs."""
    port, _ = live
    big = STEEL.read_text(encoding="utf-8")
    units = "\n".join(f"  - {{id: X{i}, type: industrial_boiler, fuel: coal}}" for i in range(600))
    big = big.replace("\nunits:\n", "\nunits:\n" + units + "\n", 1)
    done: dict = {}

    def render() -> None:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/report?format=docx", data=big.encode("utf-8"),
                                     headers={"content-type": "application/yaml"})
        with urllib.request.urlopen(req, timeout=300) as r:
            done["status"] = r.status
        done["at"] = time.monotonic()

    t = threading.Thread(target=render)
    t.start()
    time.sleep(0.5)  # the render has started
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/version", timeout=60) as r:
        assert r.status == 200
    answered = time.monotonic()
    t.join(300)
    assert done.get("status") == 200
    assert answered < done["at"], "the version request waited for the render"


def test_a_trickled_body_is_cut_off(live):
    port, _ = live
    head = (b"POST /v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\n"
            b"Content-Length: 1000\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(head + b"name: t\n")
        t0 = time.monotonic()
        out = b""
        for _ in range(20):  # a byte a second, for longer than the body time-out (2 s here)
            try:
                s.sendall(b" ")
            except OSError:
                break
            s.settimeout(1.0)
            try:
                chunk = s.recv(65536)
                if chunk:
                    out += chunk
                    break
            except socket.timeout:
                pass
        assert out.startswith(b"HTTP/1.1 408"), out[:200]
        assert time.monotonic() - t0 < 15


def test_connections_beyond_the_cap_get_503(live):
    """Slow uploads past the cap (4 here) are answered 503 at once instead of being held (21,000 were held)."""
    port, _ = live
    held = []
    try:
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\n"
                      b"Content-Length: 100\r\n\r\nname")
            held.append(s)
        answers = []
        for s in held:
            s.settimeout(1.0)
            try:
                answers.append(s.recv(200))
            except socket.timeout:
                answers.append(b"")
        assert sum(a.startswith(b"HTTP/1.1 503") for a in answers) >= 4, answers
    finally:
        for s in held:
            s.close()


def test_a_client_leaving_mid_upload_is_one_line_in_the_log(live):
    port, log = live
    time.sleep(2.5)  # the connections of the test before are cut off by now
    before = log.read_text(encoding="utf-8", errors="replace")
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"POST /v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\n"
                      b"Content-Length: 5000\r\n\r\nname: t\n")
            time.sleep(0.2)
    time.sleep(1.0)
    new = log.read_text(encoding="utf-8", errors="replace")[len(before):]
    assert "Traceback" not in new, new[-2000:]
    assert new.count("disconnected") == 3, new[-2000:]
