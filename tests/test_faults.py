"""Fault injection: dead workers, a full disk, a read-only database, PostgreSQL stopped mid-batch and
restarted, three batches racing to create the tables. Each run stores or records every file exactly once."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cpadvisor.store import batch
from cpadvisor.store.batch import run_batch
from cpadvisor.store.db import FAILED, OK, Store
from tests.test_batch import _rows, _synthetic
from tests.test_store import PG_URL, store_url  # noqa: F401 - the parametrized store fixture

REPO = Path(__file__).resolve().parent.parent
CLI = [str(REPO / ".venv" / "bin" / "cpadvisor")] if (REPO / ".venv" / "bin" / "cpadvisor").exists() else \
    [sys.executable, "-m", "cpadvisor"]


def _exactly_once(store: Store, n: int) -> list:
    rows = _rows(store)
    assert len(rows) == n and len({r.source_file for r in rows}) == n
    assert all(r.run_key for r in rows) and len({r.run_key for r in rows}) == n
    return rows


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text and "File \"" not in text, text[-2000:]


def test_worker_that_dies_once_is_replaced_and_its_files_redone(kb, store_url, tmp_path, monkeypatch):
    folder = tmp_path / "p"
    _synthetic(kb, folder, 40)
    marker = tmp_path / "died-once"
    real = batch.assess_file

    def dies_once(kb_, path, resolved=None):
        if path.endswith("p0007.yaml") and not marker.exists():
            marker.write_text("x")
            os._exit(9)  # what the OOM killer does to a worker
        return real(kb_, path, resolved)

    monkeypatch.setattr(batch, "assess_file", dies_once)
    store = Store(store_url)
    res = run_batch([folder], store, jobs=2)
    assert marker.exists() and res.ok == 40 and res.failed == 0, res
    _exactly_once(store, 40)
    store.close()


def test_file_that_kills_every_worker_is_recorded_as_failed(kb, store_url, tmp_path, monkeypatch):
    folder = tmp_path / "p"
    _synthetic(kb, folder, 30)
    real = batch.assess_file

    def poison(kb_, path, resolved=None):
        if path.endswith("p0003.yaml"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(kb_, path, resolved)

    monkeypatch.setattr(batch, "assess_file", poison)
    store = Store(store_url)
    res = run_batch([folder], store, jobs=2)
    assert (res.ok, res.failed) == (29, 1), res
    rows = _exactly_once(store, 30)
    bad = [r for r in rows if r.status == FAILED]
    assert bad[0].source_file.endswith("p0003.yaml") and "worker process died" in bad[0].error
    monkeypatch.undo()
    res = run_batch([folder], store, jobs=2)  # the failure is retried (and now succeeds), not piled up
    assert (res.skipped, res.ok) == (29, 1)
    assert {r.status for r in _exactly_once(store, 30)} == {OK}
    store.close()


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def test_kill_9_of_a_live_worker_does_not_hang_the_batch(kb, tmp_path):
    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to find the worker processes")
    n = 400
    folder = tmp_path / "many"
    _synthetic(kb, folder, n)
    db = str(tmp_path / "k.db")
    Store(db).close()
    proc = subprocess.Popen(CLI + ["batch", str(folder), "--db", db, "--jobs", "2", "--no-progress"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = Store(db)
    deadline = time.time() + 120
    killed = None
    while killed is None and time.time() < deadline and proc.poll() is None:
        kids = [c for c in _children(proc.pid)]
        if store.count() >= 20 and kids:
            killed = kids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.02)
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the batch hung after one of its workers was killed")
    assert killed is not None, "the run ended before a worker could be killed"
    assert proc.returncode in (0, 1), err
    _no_traceback(err)
    rows = _exactly_once(store, n)
    assert sum(r.status == OK for r in rows) >= n - 1  # at most the file the killed worker held twice
    store.close()


# ---------------------------------------------------------------- database faults

def test_full_disk_gives_one_line_and_keeps_what_was_written(kb, tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("making a full disk needs root to mount a small tmpfs")
    mnt = Path(tempfile.mkdtemp(prefix="cpadvisor-full-"))
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        folder = tmp_path / "many"
        _synthetic(kb, folder, 300)
        db = str(mnt / "full.db")
        res = subprocess.run(CLI + ["batch", str(folder), "--db", db, "--jobs", "1", "--no-progress"],
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 3, (res.returncode, res.stderr[-800:])
        _no_traceback(res.stderr)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "database write failed" in lines[0] and "nothing was lost" in lines[0], lines
        store = Store(db, create=False)
        kept = store.count()
        assert 0 < kept < 300
        store.close()
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
        shutil.rmtree(mnt, ignore_errors=True)


def test_read_only_database_gives_one_line(kb, tmp_path):
    """A database the user may not write: a read-only mount as root (root ignores file modes), else mode 0444."""
    folder = tmp_path / "p"
    _synthetic(kb, folder, 5)
    mnt = Path(tempfile.mkdtemp(prefix="cpadvisor-ro-"))
    mounted = False
    try:
        if os.geteuid() == 0:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True)
            if r.returncode != 0:
                pytest.skip("cannot mount a tmpfs to make a read-only database as root")
            mounted = True
        db = mnt / "ro.db"
        Store(str(db)).close()
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True, capture_output=True)
        else:
            for f in mnt.iterdir():
                os.chmod(f, 0o444)
            os.chmod(mnt, 0o555)
        res = subprocess.run(CLI + ["batch", str(folder), "--db", str(db), "--jobs", "1", "--no-progress"],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode in (2, 3), (res.returncode, res.stderr[-800:])
        _no_traceback(res.stderr)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and ("database" in lines[0] or "数据库" in lines[0]), lines
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], capture_output=True)
        else:
            os.chmod(mnt, 0o755)
        shutil.rmtree(mnt, ignore_errors=True)


def _pg_cluster() -> tuple[str, str]:
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        pytest.skip("stopping PostgreSQL needs root and pg_ctlcluster (scripts/ci.d/postgres.sh)")
    ver = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]
    try:
        Store(PG_URL).close()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL test server: {exc}")
    return ver, "cpadvisor"


def test_postgresql_stopped_mid_batch_then_restarted(kb, tmp_path):
    ver, cluster = _pg_cluster()
    folder = tmp_path / "many"
    n = 600
    _synthetic(kb, folder, n)
    store = Store(PG_URL)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM assessment")
    proc = subprocess.Popen(CLI + ["batch", str(folder), "--db", PG_URL, "--jobs", "2", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while store.count() < 30:
            assert proc.poll() is None and time.time() < deadline, "the batch ended before the server was stopped"
            time.sleep(0.05)
        store.close()
        subprocess.run(["pg_ctlcluster", ver, cluster, "stop", "-m", "fast"], check=True, capture_output=True)
        out, err = proc.communicate(timeout=180)
    finally:
        subprocess.run(["pg_ctlcluster", ver, cluster, "start"], capture_output=True)
        for _ in range(60):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5433"]).returncode == 0:
                break
            time.sleep(0.5)
    assert proc.returncode == 3, (proc.returncode, err[-800:])
    _no_traceback(err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "nothing was lost" in lines[0], lines
    store = Store(PG_URL)
    kept = store.count()
    res = run_batch([folder], store, jobs=2)
    assert res.skipped == kept and res.processed == n - kept
    _exactly_once(store, n)
    store.close()


def test_three_batches_at_once_on_an_empty_postgresql_database(kb, tmp_path):
    _pg_cluster()
    url = PG_URL.rsplit("/", 1)[0] + "/cpadvisor_race"
    admin = Store(PG_URL)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS cpadvisor_race")
        conn.exec_driver_sql("CREATE DATABASE cpadvisor_race")
    admin.close()
    folder = tmp_path / "p"
    _synthetic(kb, folder, 30)
    procs = [subprocess.Popen(CLI + ["batch", str(folder), "--db", url, "--jobs", "1", "--no-progress"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err[-800:]
        _no_traceback(err)
    store = Store(url)
    _exactly_once(store, 30)
    store.close()


def test_a_row_postgresql_refuses_is_recorded_as_failed(kb):
    _pg = PG_URL
    try:
        store = Store(_pg)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL test server: {exc}")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM assessment")
    from cpadvisor.store.db import record_of
    from cpadvisor.advisor import assess
    a = assess({"name": "ok", "sectors": ["steel"]}, kb=kb)
    row = record_of(a, source_file="/x/nul.yaml", content_hash="h", run_key="k-nul")
    row["credit_code"] = "a\x00b"  # what validation refuses, and PostgreSQL cannot store (names are escaped)
    assert store.add(row) is True
    rows = _rows(store)
    assert len(rows) == 1 and rows[0].status == FAILED and "database refused" in rows[0].error
    store.close()


def test_a_worker_dying_halfway_through_its_answer_does_not_hang_the_batch(kb, tmp_path, monkeypatch):
    """The hang CI met once with ProcessPoolExecutor: a worker killed while it writes a result leaves a shared
    result queue half-written (and its lock held), and the pool waits forever. Each worker now has its own pipe:
    the parent reads an EOF there, requeues what the worker held and the other files are assessed."""
    import struct
    import threading
    import multiprocessing as mp
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("the patched worker reaches the children by fork")
    folder = tmp_path / "p"
    _synthetic(kb, folder, 6)
    (folder / "poison.yaml").write_text("name: 毒\nsectors: [food]\n", encoding="utf-8")

    def half_answer_then_die(root, conn, parent=0):
        batch._init_worker(root)
        while True:
            chunk = conn.recv()
            if chunk is None:
                return
            if any(path.endswith("poison.yaml") for path, _ in chunk):
                os.write(conn.fileno(), struct.pack("!i", 1 << 20) + b"\x80" * 1000)  # a header, then a fraction
                os._exit(1)
            conn.send(batch._work(chunk))

    monkeypatch.setattr(batch, "_worker_main", half_answer_then_die)
    store = Store(str(tmp_path / "s.db"))
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("res", run_batch([folder], store, jobs=2)), daemon=True)
    t.start()
    t.join(timeout=120)
    assert not t.is_alive(), "the batch hung after a worker died halfway through its answer"
    res = out["res"]
    assert (res.ok, res.failed) == (6, 1)
    [bad] = [r for r in _rows(store) if r.status == FAILED]
    assert bad.source_file.endswith("poison.yaml") and "worker process died" in bad.error
    store.close()


def _open_store(url: str, barrier) -> None:
    from cpadvisor.store.db import Store
    barrier.wait()
    Store(url).close()


def test_stores_opened_at_once_on_a_new_sqlite_file_all_open(tmp_path):
    """Issue 33: three batches starting at once on a new SQLite file: some exited 2 'table assessment already
    exists' (another process created it between the check and the CREATE)."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    for i in range(8):
        url = f"sqlite:///{tmp_path / f'race{i}.db'}"
        barrier = ctx.Barrier(4)
        procs = [ctx.Process(target=_open_store, args=(url, barrier)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0], i


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_batch_parent_dies(tmp_path, sig):
    """Issue 33: after kill -9 or SIGTERM of a batch parent both workers stayed alive (32 min and more)."""
    d = tmp_path / "many"
    d.mkdir()
    for i in range(400):
        shutil.copy(REPO / "examples" / "tea_processor.yaml", d / f"t{i:03d}.yaml")
    proc = subprocess.Popen([sys.executable, "-m", "cpadvisor", "batch", str(d), "--db",
                             f"sqlite:///{tmp_path / 'b.db'}", "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.time() + 60
    while time.time() < deadline and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the batch did not start its workers"
    os.kill(proc.pid, sig)
    proc.wait(30)
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers {left} outlived their parent"
