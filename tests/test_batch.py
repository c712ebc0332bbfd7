"""Batch runs: bad profiles among good ones, resume after a partial or killed run (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cpadvisor.errors import InputError
from cpadvisor.store.batch import collect, run_batch
from cpadvisor.store.db import FAILED, INVALID, OK, TABLE, Store
from cpadvisor.knowledge.yamlio import loads
from tests.test_store import FIXTURES, store_url  # noqa: F401 - the parametrized store fixture
from cpadvisor.advisor import assess

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def profiles(tmp_path):
    d = tmp_path / "profiles"
    shutil.copytree(FIXTURES, d)
    return d


def _rows(store):
    return store.records(columns=("source_file", "status", "error", "run_key", "enterprise"))


def test_bad_profiles_are_recorded_and_the_run_goes_on(kb, store_url, profiles):
    store = Store(store_url)
    res = run_batch([profiles], store, jobs=2)
    assert (res.files, res.ok, res.invalid, res.failed, res.skipped) == (7, 4, 3, 0, 0)
    rows = {Path(r.source_file).name: r for r in _rows(store)}
    assert {n for n, r in rows.items() if r.status == OK} == {"steel_plant.yaml", "cement.yaml", "food.json",
                                                              "coater.yaml"}
    err = {n: r.error for n, r in rows.items() if r.status == INVALID}
    assert err["malformed.yaml"].startswith(f"{profiles / 'bad' / 'malformed.yaml'}:4:")
    assert "malformed YAML" in err["malformed.yaml"]
    assert err["wrong_type.yaml"].startswith(f"{profiles / 'bad' / 'wrong_type.yaml'}:4: [total_energy_tce]")
    assert err["unknown_unit.yaml"].startswith(f"{profiles / 'bad' / 'unknown_unit.yaml'}:5: [units.0.type]")
    assert "did you mean 'blast_furnace'" in err["unknown_unit.yaml"]
    assert rows["unknown_unit.yaml"].enterprise is None or rows["unknown_unit.yaml"].enterprise.endswith("有限公司")
    assert all("\n" not in e for e in err.values())
    # a stored result equals a direct assessment of the same file
    rec = next(r for r in store.history("湘潭测试钢铁有限公司"))
    direct = assess(profiles / "good" / "steel_plant.yaml", kb=kb)
    assert [(f.measure_id, f.status) for f in rec.assessment().findings] == \
           [(f.measure_id, f.status) for f in direct.findings]
    store.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_mixed_folder_never_crashes_and_stores_every_valid_file(kb, store_url, tmp_path, jobs):
    """Issue 33, critical: 40 copies of a valid profile and one invalid file. A rejected row lacks the assessed
    rows' columns; inserting a chunk with both in one executemany raised StatementError and crashed the batch."""
    d = tmp_path / "mixed"
    d.mkdir()
    for i in range(40):
        shutil.copy(REPO / "examples" / "tea_processor.yaml", d / f"t{i:02d}.yaml")
    (d / "bad.yaml").write_text("name: t\nsectors: [x]\n", encoding="utf-8")
    store = Store(store_url)
    res = run_batch([d], store, jobs=jobs)
    assert (res.files, res.ok, res.invalid, res.failed) == (41, 40, 1, 0)
    rows = _rows(store)
    assert sum(r.status == OK for r in rows) == 40
    bad = [r for r in rows if r.status == INVALID]
    assert len(bad) == 1 and bad[0].source_file.endswith("bad.yaml") and "sectors" in bad[0].error
    again = run_batch([d], store, jobs=jobs)  # a rerun has nothing to do and does not crash either
    assert (again.ok, again.invalid, again.failed, again.skipped) == (0, 0, 0, 41)
    store.close()


def test_add_many_with_rows_of_different_columns(store_url):
    """The store's chunk insert itself: an assessed row and a rejected one (fewer columns) in one call."""
    from datetime import datetime, timezone
    store = Store(store_url)
    ok = {"status": OK, "enterprise": "甲", "credit_code": "91430300MA4QDL0JXM", "run_key": "k1",
          "knowledge_version": "v", "engine_version": "e", "result_json": "{}"}
    bad = {"status": INVALID, "error": "x.yaml:1: bad", "run_key": "k2", "knowledge_version": "v",
           "engine_version": "e", "source_file": "x.yaml"}
    assert store.add_many([ok, bad, dict(ok, run_key="k3")]) == [True, True, True]
    assert sorted(r.run_key for r in _rows(store)) == ["k1", "k2", "k3"]
    store.close()


def test_resume_processes_only_the_rest(kb, store_url, profiles):
    store = Store(store_url)
    first = run_batch([profiles / "good"], store, jobs=1)
    assert (first.ok, first.skipped) == (4, 0)
    second = run_batch([profiles], store, jobs=2)
    assert (second.skipped, second.ok, second.invalid) == (4, 0, 3)
    third = run_batch([profiles], store, jobs=2)
    assert (third.skipped, third.processed) == (7, 0)
    # fixing a bad file assesses it again (new content); the old error row stays as history
    (profiles / "bad" / "wrong_type.yaml").write_text(
        (profiles / "bad" / "wrong_type.yaml").read_text(encoding="utf-8").replace("lots", "1200"), encoding="utf-8")
    fourth = run_batch([profiles], store, jobs=1)
    assert (fourth.skipped, fourth.ok, fourth.invalid) == (6, 1, 0)
    keys = [r.run_key for r in _rows(store)]
    assert len(keys) == len(set(keys)) == 8
    store.close()


def test_unexpected_failures_are_retried(kb, store_url, profiles, monkeypatch):
    """A failure is recorded with its run key (no pile-up) and retried by the next run, which replaces it."""
    store = Store(store_url)
    from cpadvisor.store import batch

    def boom(*_a, **_k):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(batch, "assess", boom)
    res = run_batch([profiles / "good"], store, jobs=1)
    assert res.failed == 4 and all("RuntimeError: engine exploded" in e for e in res.errors)
    assert all(r.run_key for r in _rows(store))
    res = run_batch([profiles / "good"], store, jobs=1)  # still failing: retried, replaced, not piled up
    assert res.failed == 4 and len(_rows(store)) == 4
    monkeypatch.undo()
    res = run_batch([profiles / "good"], store, jobs=1)
    assert (res.ok, res.skipped) == (4, 0)
    statuses = sorted(r.status for r in _rows(store))
    assert statuses == [OK] * 4
    assert batch.collect([profiles / "good"])  # module still usable
    store.close()


def _synthetic(kb, folder: Path, n: int) -> None:
    from bench.synth import Generator, to_yaml
    folder.mkdir(parents=True)
    for i, p in enumerate(Generator(kb, 11).profiles(n)):
        (folder / f"p{i:04d}.yaml").write_text(to_yaml(p) + "\n", encoding="utf-8")


def test_killed_run_resumes_without_losing_or_redoing(kb, store_url, tmp_path):
    n = 120
    folder = tmp_path / "many"
    _synthetic(kb, folder, n)
    store = Store(store_url)
    cmd = [str(REPO / ".venv" / "bin" / "cpadvisor"), "batch", str(folder), "--db", store_url, "--jobs", "2",
           "--no-progress"]
    if not Path(cmd[0]).exists():
        cmd = [sys.executable, "-m", "cpadvisor"] + cmd[1:]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    try:
        while store.count() < 10:
            assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before it could be interrupted"
            assert time.time() < deadline, "no rows written within 120 s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stored = store.count()
    assert 10 <= stored < n, f"killed midway: {stored} of {n} stored"
    res = run_batch([folder], store, jobs=2)
    assert (res.skipped, res.processed, res.failed) == (stored, n - stored, 0), res
    rows = _rows(store)
    assert len(rows) == n and len({r.source_file for r in rows}) == n
    assert len({r.run_key for r in rows}) == n
    store.close()


def test_one_loader_resolves_yaml_1_2_and_refuses_the_same_everywhere():
    """assess and batch read a file with the same loader (they once disagreed on '<<' and tags)."""
    t = "name: x\na: yes\nb: on\nc: 010\nd: 1:20\ne: 0o10\nf: .inf\ng: ~\nh: 2024-01-01\ni: '7'\nj: 1_000\nk: !!str 123\n"
    assert loads(t).data == {"name": "x", "a": "yes", "b": "on", "c": 10, "d": "1:20", "e": 8, "f": float("inf"),
                             "g": None, "h": "2024-01-01", "i": "7", "j": 1000, "k": "123"}
    for refused in ("a: &x 1\nb: *x\n", "a: !!python/none x\n", "a: [1\n", "<<: {name: x}\n"):
        with pytest.raises(InputError):
            loads(refused)


def test_cli_batch_exit_codes_and_messages(kb, tmp_path, profiles):
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    db = str(tmp_path / "c.db")
    r = CliRunner().invoke(app, ["batch", str(profiles / "good"), "--db", db, "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "4 assessed" in r.stdout
    r = CliRunner().invoke(app, ["batch", str(profiles), "--db", db, "--no-progress", "-j", "1"])
    assert r.exit_code == 1
    assert "3 rejected" in r.stdout and "4 already stored" in r.stdout
    assert "[units.0.type] unknown unit type 'blast_furnance'" in r.output
    r = CliRunner().invoke(app, ["batch", str(tmp_path / "nowhere"), "--db", db])
    assert r.exit_code == 2 and "no such file or folder" in r.output
    assert Store(db).count(INVALID) == 3
    assert TABLE.name == "assessment"


def test_a_rerun_counts_rows_another_run_stored_meanwhile(tmp_path, monkeypatch):
    """Issue 33: a run whose rows another run stored (after it planned) reported '0 assessed, 0 already stored'."""
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    d = tmp_path / "p"
    d.mkdir()
    for i in range(3):
        shutil.copy(REPO / "examples" / "tea_processor.yaml", d / f"t{i}.yaml")
    db = f"sqlite:///{tmp_path / 'r.db'}"
    r = CliRunner().invoke(app, ["batch", str(d), "--db", db, "--jobs", "1"])
    assert "3 assessed" in r.output
    monkeypatch.setattr(Store, "done_keys", lambda self, version: set())  # as if planned before the other run stored
    r = CliRunner().invoke(app, ["batch", str(d), "--db", db, "--jobs", "1"])
    assert r.exit_code == 0, r.output
    assert "0 assessed" in r.output and "3 already stored" in r.output and "another run" in r.output


def test_a_nul_in_a_key_is_rejected_once_on_every_database(kb, store_url, tmp_path):
    """Issue 33: a NUL in a mapping key was stored as failed on PostgreSQL (the error quoting it was refused)
    and retried by every run; it is a rejected profile, recorded once."""
    d = tmp_path / "nul"
    d.mkdir()
    (d / "n.json").write_text('{"name": "t", "sec\\u0000tors": ["steel"]}', encoding="utf-8")
    store = Store(store_url)
    res = run_batch([d], store, jobs=1)
    assert (res.invalid, res.failed) == (1, 0)
    again = run_batch([d], store, jobs=1)
    assert (again.invalid, again.failed, again.skipped) == (0, 0, 1)
    store.close()
