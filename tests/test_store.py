"""The assessment store, against SQLite and a real PostgreSQL server (scripts/ci.d/postgres.sh)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from cpadvisor.errors import InputError
from cpadvisor.store.db import OK, Store, changes, db_url, profile_hash
from cpadvisor.advisor import assess

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
PG_URL = os.environ.get("CPADVISOR_TEST_PG_URL",
                        "postgresql+psycopg://cpadvisor:cpadvisor@127.0.0.1:5433/cpadvisor_test")


def _pg_schema_url():
    """A fresh schema on the test server (dropped afterwards), or skip saying why."""
    try:
        import psycopg
        conn = psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3,
                               autocommit=True)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL server reachable at {PG_URL.split('@')[-1]} "
                    f"(run scripts/ci.d/postgres.sh as root or set CPADVISOR_TEST_PG_URL): {str(exc).strip()[:120]}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn.execute(f"CREATE SCHEMA {schema}")
    return conn, schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A database URL on an empty store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    conn, schema, url = _pg_schema_url()
    try:
        yield url
    finally:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


def _steel(**changes_):
    p = {"name": "湘潭测试钢铁有限公司", "credit_code": "91430300MA4L0000XK", "city": "湘潭市", "sectors": ["steel"],
         "units": [{"id": "SJ1", "type": "sintering_machine"}, {"id": "GL1", "type": "industrial_boiler", "fuel": "coal"}],
         "products": [{"name": "高炉铁水", "key": "steel_blast_furnace", "unit_energy": 400, "annual_output": 3e6}]}
    p.update(changes_)
    return p


def test_round_trip_keeps_profile_result_and_metadata(kb, store_url):
    store = Store(store_url)
    a = assess(_steel(), kb=kb)
    path = FIXTURES / "good" / "steel_plant.yaml"
    assert store.save_assessment(a, source_file=str(path))
    assert not store.save_assessment(a, source_file=str(path)), "same file, content and knowledge: stored once"
    [rec] = store.history("91430300MA4L0000XK")
    assert rec.status == OK and rec.knowledge_version == kb.version
    assert rec.profile_hash == profile_hash(a.profile) and rec.source_file == str(path.resolve())
    assert rec.content_hash and rec.run_key and rec.created_at is not None
    back = rec.assessment()
    assert back.model_dump(mode="json") == a.model_dump(mode="json")
    assert rec.recommended.split() == [f.measure_id for f in a.recommended]
    savings = [b.saving_tce_per_year for b in a.benchmarks if b.saving_tce_per_year is not None]
    assert savings and rec.saving_tce == pytest.approx(sum(savings))
    store.close()


def test_history_by_name_code_or_part_and_changes(kb, store_url):
    store = Store(store_url)
    first = assess(_steel(), kb=kb)
    second = assess(_steel(units=[{"id": "GL1", "type": "industrial_boiler", "fuel": "natural_gas"},
                                     {"id": "SJ1", "type": "sintering_machine",
                                      "measures_in_place": ["steel.sinter_flue_gas_recirculation"]}]), kb=kb)
    store.save_assessment(first)
    store.save_assessment(second)
    other = assess({"name": "长沙另一家有限公司", "sectors": ["food"]}, kb=kb)
    store.save_assessment(other)
    for who in ("91430300ma4l0000xk", "湘潭测试钢铁有限公司", "测试钢铁"):
        recs = store.history(who)
        assert [r.enterprise for r in recs] == ["湘潭测试钢铁有限公司"] * 2, who
    old, new = store.history("测试钢铁")
    c = changes(old, new)
    s1 = {f.measure_id: f.status for f in first.findings}
    s2 = {f.measure_id: f.status for f in second.findings}
    assert c["added"] == sorted(set(s2) - set(s1))
    assert c["removed"] == sorted(set(s1) - set(s2))
    assert c["status_changed"] == sorted((m, s1[m], s2[m]) for m in set(s1) & set(s2) if s1[m] != s2[m])
    assert c["added"] or c["removed"] or c["status_changed"], "a changed profile changes some finding"
    assert ("steel.sinter_flue_gas_recirculation" in c["removed"]
            or ("steel.sinter_flue_gas_recirculation", s1.get("steel.sinter_flue_gas_recirculation"), "in_place")
            in c["status_changed"])
    assert c["profile_changed"] and c["knowledge"] is None
    assert store.history("没有这家企业") == []
    store.close()


def test_knowledge_version_change_is_reported(kb, tmp_path):
    store = Store(str(tmp_path / "k.db"))
    a = assess(_steel(), kb=kb)
    store.save_assessment(a)
    store.save_assessment(a.model_copy(update={"knowledge_version": "0123456789abcdef"}))
    old, new = store.history("湘潭测试钢铁有限公司")
    c = changes(old, new)
    assert c["knowledge"] == (kb.version, "0123456789abcdef")
    assert not c["profile_changed"] and not (c["added"] or c["removed"] or c["status_changed"])


def test_db_url_forms(tmp_path, monkeypatch):
    monkeypatch.delenv("CPADVISOR_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert db_url(None) == f"sqlite:///{tmp_path / 'cpadvisor.db'}"
    assert db_url("x/y.db") == f"sqlite:///{tmp_path / 'x' / 'y.db'}"
    assert db_url("postgresql://u:p@h:5/d") == "postgresql+psycopg://u:p@h:5/d"
    assert db_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    monkeypatch.setenv("CPADVISOR_DB", "postgresql://env@h/d")
    assert db_url(None) == "postgresql+psycopg://env@h/d"
    assert db_url("other.db").endswith("/other.db")


def test_unreachable_database_is_one_clear_error():
    with pytest.raises(InputError) as exc:
        Store("postgresql://nobody:secret@127.0.0.1:1/none")
    line = exc.value.one_line()
    assert "cannot open database" in line and "[--db]" in line and "secret" not in line and "\n" not in line


def test_cli_history(kb, tmp_path):
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    db = str(tmp_path / "h.db")
    store = Store(db)
    store.save_assessment(assess(_steel(), kb=kb))
    store.save_assessment(assess(_steel(units=[]), kb=kb))
    store.close()
    r = CliRunner().invoke(app, ["history", "湘潭测试", "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    import json
    [g] = json.loads(r.stdout)
    assert g["credit_code"] == "91430300MA4L0000XK" and len(g["assessments"]) == 2
    assert g["assessments"][0]["changes"] is None and g["assessments"][1]["changes"]["removed"]
    r = CliRunner().invoke(app, ["history", "湘潭测试", "--db", db])
    assert r.exit_code == 0 and "变化 / changes" in r.stdout
    r = CliRunner().invoke(app, ["history", "不存在", "--db", db])
    assert r.exit_code == 2 and "no assessment" in r.output


def test_results_are_stored_compressed_with_the_knowledge_dictionary_and_read_back_whole(kb, store_url):
    from sqlalchemy import select
    from cpadvisor.store.db import DICTS, TABLE
    store = Store(store_url)
    did = store.use_knowledge(kb)
    a = assess(_steel(), kb=kb)
    assert store.save_assessment(a)
    with store.engine.connect() as conn:
        plain, blob, used = conn.execute(select(TABLE.c.result_json, TABLE.c.result_z, TABLE.c.result_dict)).one()
        stored_dict = conn.execute(select(DICTS.c.knowledge_version).where(DICTS.c.id == did)).scalar_one()
    assert plain is None and used == did and stored_dict == kb.version
    assert len(blob) * 5 < len(a.model_dump_json(exclude={"profile"}).encode())  # at least 5x smaller
    store.close()
    fresh = Store(store_url)  # another process: the dictionary comes from the database, not the knowledge
    [rec] = fresh.history("91430300MA4L0000XK")
    assert rec.assessment().model_dump(mode="json") == a.model_dump(mode="json")
    [row] = fresh.records(columns=("credit_code", "result_json"))
    assert row.result_json == a.model_dump_json(exclude={"profile"})
    fresh.close()


def test_rows_without_a_dictionary_and_plain_rows_of_older_versions_still_read(kb, store_url):
    from cpadvisor.store.db import TABLE, record_of
    store = Store(store_url)  # no use_knowledge: compressed without a dictionary
    a = assess(_steel(), kb=kb)
    store.save_assessment(a)
    old = record_of(assess(_steel(name="旧版本企业", credit_code="91430300MA4L0001XL"), kb=kb))
    with store.engine.begin() as conn:  # a row as 0.2 wrote it: the JSON in result_json
        conn.execute(TABLE.insert(), old)
    recs = store.records()
    assert [r.result_dict for r in recs] == ["-", None]
    assert recs[0].assessment().model_dump(mode="json") == a.model_dump(mode="json")
    assert recs[1].assessment().profile_name == "旧版本企业" and recs[1].statuses()
    store.close()


def test_add_many_stores_a_chunk_in_one_transaction_and_falls_back_row_by_row(kb, store_url):
    from cpadvisor.store.db import record_of
    store = Store(store_url)
    store.use_knowledge(kb)
    rows = [record_of(assess(_steel(name=f"企业{i}"), kb=kb), run_key=f"k{i}", source_file=f"/x/{i}.yaml")
            for i in range(3)]
    assert store.add_many(rows[:1]) == [True]
    assert store.add_many(rows) == [False, True, True]  # k0 is already stored: the chunk goes row by row
    assert store.add_many([dict(r, run_key=f"n{i}") for i, r in enumerate(rows)]) == [True, True, True]
    recs = store.records()
    assert len(recs) == 6 and len({r.run_key for r in recs}) == 6
    assert all(r.assessment().profile_name.startswith("企业") for r in recs)
    store.close()
