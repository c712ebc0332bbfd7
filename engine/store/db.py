"""Assessment store: one row per assessed profile file (SQLite by default, PostgreSQL by URL).

    store = Store("cpadvisor.db")                    # or "postgresql://user:pw@host/db", or env CPADVISOR_DB
    store.save_assessment(assess(path, kb=kb), source_file=path)
    for rec in store.history("湘潭某钢铁有限公司"): rec.assessment()

A row keeps the profile, the Assessment JSON (without its profile, stored beside it), the
knowledge version, the profile hash, the source file with its content hash, and the time.
``run_key`` (file path + content hash + knowledge version) makes batch runs resumable:
every row has one: a row assessed or rejected is never redone; a failed row is retried and replaced.
"""
from __future__ import annotations

import hashlib
import json
import time
import os
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Optional

from sqlalchemy import Column, DateTime, LargeBinary, String, Text, event, func, inspect, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError, StatementError
from sqlmodel import Field, SQLModel, create_engine

from cpadvisor.economics.units import UNITS, convert
from cpadvisor.errors import InputError, StoreError
from cpadvisor.models.results import Assessment
from cpadvisor.store.codec import NO_DICT, Codec, dictionary_bytes, dictionary_id

DEFAULT_DB = "cpadvisor.db"
OK, INVALID, FAILED = "ok", "invalid", "failed"  # row status: assessed, bad input (recorded), unexpected error


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return " ".join(text[0].split())[:300] if text else type(orig).__name__


class AssessmentRecord(SQLModel, table=True):
    """One assessed (or rejected) profile."""

    __tablename__ = "assessment"

    id: Optional[int] = Field(default=None, primary_key=True)
    run_key: Optional[str] = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    status: str = Field(default=OK, max_length=16, index=True)
    error: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    enterprise: Optional[str] = Field(default=None, max_length=200, index=True)
    credit_code: Optional[str] = Field(default=None, max_length=18, index=True)
    city: Optional[str] = Field(default=None, max_length=40, index=True)
    profile_kind: Optional[str] = Field(default=None, max_length=16)
    source_file: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True, index=True))
    content_hash: Optional[str] = Field(default=None, max_length=64)
    profile_hash: Optional[str] = Field(default=None, max_length=64)
    knowledge_version: str = Field(max_length=64, index=True)
    engine_version: str = Field(max_length=32)
    audit_type: Optional[str] = Field(default=None, max_length=16)
    recommended: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # applying ids, space-separated
    n_recommended: int = 0
    n_to_verify: int = 0
    saving_tce: Optional[float] = None
    total_energy_tce: Optional[float] = None
    plans: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON: plan status and savings
    profile_json: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    result_json: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))  # rows before 0.3
    result_z: Optional[bytes] = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # zstd of the JSON
    result_dict: Optional[str] = Field(default=None, sa_column=Column(String(16), nullable=True))  # its dictionary
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))

    def assessment(self) -> Optional[Assessment]:
        """The stored Assessment (None for a rejected profile)."""
        if self.result_json is None:
            return None
        data = json.loads(self.result_json)
        data["profile"] = json.loads(self.profile_json or "{}")
        return Assessment.model_validate(data)

    def plan_states(self) -> dict[str, dict]:
        """plan id -> {measure, status, date, tce, mwh, tco2, wan} as stored with this assessment."""
        return {p["id"]: p for p in json.loads(self.plans or "[]")}

    def statuses(self) -> dict[str, str]:
        """measure id -> finding status (measures without a finding are not applicable)."""
        if self.result_json is None:
            return {}
        return {f["measure_id"]: f["status"] for f in json.loads(self.result_json).get("findings", [])}


class StoreDictionary(SQLModel, table=True):
    """A compression dictionary of stored results (made from one knowledge version; see ``store.codec``)."""

    __tablename__ = "dictionary"

    id: str = Field(sa_column=Column(String(16), primary_key=True))
    knowledge_version: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


TABLE = AssessmentRecord.__table__  # type: ignore[attr-defined]
DICTS = StoreDictionary.__table__  # type: ignore[attr-defined]
RESULT_COLUMNS = ("result_json", "result_z", "result_dict")


def db_url(db: Optional[str] = None) -> str:
    """A SQLAlchemy URL from ``--db`` (URL or SQLite file path), else env CPADVISOR_DB, else ./cpadvisor.db."""
    db = db or os.environ.get("CPADVISOR_DB") or DEFAULT_DB
    if "://" not in db:
        return f"sqlite:///{Path(db).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if db.startswith(prefix):
            return "postgresql+psycopg://" + db[len(prefix):]
    return db


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def profile_hash(profile: dict) -> str:
    """Hash of the validated profile (canonical JSON), independent of file layout and comments."""
    return sha256(json.dumps(profile, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())


def run_key(path: str, content_hash: str, knowledge_version: str) -> str:
    """The resume key of a batch item: resolved file path + content hash + knowledge version."""
    return sha256(f"{path}\0{content_hash}\0{knowledge_version}".encode())[:40]


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url


def plans_column(a: Assessment) -> Optional[str]:
    """The plans' status and yearly savings (tce, MWh, tCO2, 万元) as compact JSON, for history and summary."""
    if not a.plans:
        return None
    rows = []
    for r in a.plans:
        tce = sum(float(convert(s.amount, s.unit, "tce")) for s in r.savings if UNITS.get(s.unit, ("",))[0] == "energy_ce")
        mwh = sum(float(convert(s.amount, s.unit, "MWh")) for s in r.savings if UNITS.get(s.unit, ("",))[0] == "electricity")
        rows.append({"id": r.plan_id, "measure": r.measure_id, "status": r.status, "date": r.status_date,
                     "tce": round(tce, 3), "mwh": round(mwh, 3), "tco2": r.co2_t_per_year, "wan": r.annual_net_wan})
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def record_of(a: Assessment, **extra: Any) -> dict:
    """Column values of a stored assessment (``extra``: source_file, content_hash, run_key ...)."""
    profile_json = json.dumps(a.profile, ensure_ascii=False, separators=(",", ":"))
    savings = [b.saving_tce_per_year for b in a.benchmarks if b.saving_tce_per_year is not None]
    return {**dict(
        status=OK, enterprise=a.profile_name, credit_code=a.credit_code, city=a.profile.get("city"),
        profile_kind=a.profile_kind, profile_hash=profile_hash(a.profile), knowledge_version=a.knowledge_version,
        engine_version=a.engine_version, audit_type=a.audit_type(),
        recommended=" ".join(f.measure_id for f in a.recommended), n_recommended=len(a.recommended),
        n_to_verify=len(a.to_verify), saving_tce=round(sum(savings), 3) if savings else None,
        total_energy_tce=a.profile.get("total_energy_tce"), profile_json=profile_json, plans=plans_column(a),
        result_json=a.model_dump_json(exclude={"profile"}), created_at=a.assessed_at), **extra}


class Store:
    """The assessment database. Tables are created on first use."""

    def __init__(self, db: Optional[str] = None, create: bool = True):
        self.url = db_url(db)
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 60}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except Exception as exc:  # noqa: BLE001 - e.g. unknown dialect
            raise InputError(f"bad database URL / 数据库地址无效: {exc}", field="--db") from None
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.codec = Codec()
        self._dict_of: dict[str, str] = {}  # knowledge version -> dictionary id
        if create:
            self._create_tables()

    def _create_tables(self) -> None:
        """CREATE TABLE IF NOT EXISTS, safe when several processes start at once (a PostgreSQL advisory lock; on
        SQLite, where another process can create the table between the check and the CREATE, once more)."""
        for attempt in range(6):
            try:
                return self._create_tables_once()
            except InputError as exc:  # the race, or a new file's first switch to WAL taken by another process
                if not ("already exists" in str(exc) or "database is locked" in str(exc)) or attempt == 5:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _create_tables_once(self) -> None:
        try:
            with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727401)")  # released at commit
                SQLModel.metadata.create_all(conn, tables=[TABLE, DICTS])
                have = {c["name"] for c in inspect(conn).get_columns(TABLE.name)}
                for col in TABLE.columns:  # a store made by an older version gains the new columns
                    if col.name not in have and col.nullable:
                        conn.exec_driver_sql(f'ALTER TABLE {TABLE.name} ADD COLUMN {col.name} '
                                             f'{col.type.compile(dialect=self.engine.dialect)}')
        except SQLAlchemyError as exc:
            raise InputError(f"cannot open database {_redact(self.url)} / 无法连接数据库: {_first_line(exc)}",
                             field="--db") from None

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ compression
    def use_knowledge(self, kb: Any) -> str:
        """Compress the results of ``kb``'s version with its dictionary, stored once in this database."""
        did = self._dict_of.get(kb.version)
        if did is not None:
            return did
        data = dictionary_bytes(kb)
        did = dictionary_id(data)
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(DICTS.c.id).where(DICTS.c.id == did)).first() is None:
                    conn.execute(DICTS.insert(), dict(id=did, knowledge_version=kb.version, data=data,
                                                      created_at=datetime.now(timezone.utc)))
        except IntegrityError:
            pass  # another process stored it meanwhile
        except OperationalError as exc:
            raise StoreError(f"database write failed / 数据库写入失败 ({_redact(self.url)}): {_first_line(exc)}") from None
        self.codec.add(did, data)
        self._dict_of[kb.version] = did
        return did

    def _packed(self, values: dict) -> dict:
        """The row with its result JSON compressed (with the knowledge's dictionary when registered), and its
        plain texts without NUL, which PostgreSQL refuses (a NUL quoted in an error message made a rejected
        profile a failed row, retried by every run)."""
        for k in ("error", "enterprise", "source_file", "city"):
            v = values.get(k)
            if isinstance(v, str) and "\x00" in v:
                values = dict(values, **{k: v.replace("\x00", "\\x00")})
        text = values.get("result_json")
        if text is None:
            return values
        did = self._dict_of.get(values.get("knowledge_version") or "", NO_DICT)
        if did == NO_DICT:
            self.codec.add(NO_DICT, None)
        return dict(values, result_json=None, result_z=self.codec.compress(did, text), result_dict=did)

    def result_text(self, did: Optional[str], blob: Optional[bytes], text: Optional[str] = None) -> Optional[str]:
        """The result JSON of a row: stored plainly (older rows) or compressed."""
        if blob is None:
            return text
        did = did or NO_DICT
        if not self.codec.has(did):
            data = None
            if did != NO_DICT:
                with self.engine.connect() as conn:
                    data = conn.execute(select(DICTS.c.data).where(DICTS.c.id == did)).scalar_one_or_none()
                if data is None:
                    raise StoreError(f"the compression dictionary {did} of a stored result is missing / 缺少压缩字典")
            self.codec.add(did, bytes(data) if data is not None else None)
        return self.codec.decompress(did, blob)

    # ------------------------------------------------------------ writing
    def add(self, values: dict) -> bool:
        """Insert one row in its own transaction. False if its run key is already stored as done.

        A stored *failed* row with the same run key is replaced (the retry of a failure). A row the
        database refuses for its content (e.g. a NUL character in PostgreSQL) is stored as failed with
        the reason instead. A database that does not answer raises :class:`StoreError`.
        """
        values.setdefault("created_at", datetime.now(timezone.utc))
        values = self._packed(values)
        try:
            return self._insert(values)
        except OperationalError as exc:
            raise StoreError(f"database write failed / 数据库写入失败 ({_redact(self.url)}): {_first_line(exc)}; "
                             "nothing was lost: every row written before is kept and a re-run resumes / "
                             "已写入的记录均保留，重新运行将继续") from None
        except DBAPIError as exc:  # DataError and the like: this row's content
            if values.get("status") == FAILED and values.get("profile_json") is None:
                raise StoreError(f"database refused a row / 数据库拒绝写入: {_first_line(exc)}") from None
            keep = {k: values.get(k) for k in ("run_key", "source_file", "content_hash", "knowledge_version",
                                                "engine_version", "created_at")}
            where = values.get("source_file") or ""
            return self.add(dict(keep, status=FAILED, error=f"{where}: the database refused this row / 数据库拒绝写入"
                                                            f"该记录: {_first_line(exc)}"))

    def add_many(self, rows: list[dict]) -> list[bool]:
        """Insert rows in one transaction (a batch's chunk); whether each was stored, as :meth:`add` says.

        Should the transaction fail for one row (a run key already stored, content the database refuses), every
        row goes again through :meth:`add`, its own transaction and fallbacks. A database that does not answer
        raises :class:`StoreError`; the rows of that transaction are not stored and a re-run redoes them.
        """
        if len(rows) < 2:
            return [self.add(r) for r in rows]
        now = datetime.now(timezone.utc)
        packed = [self._packed(dict(r, created_at=r.get("created_at") or now)) for r in rows]
        # one executemany per set of columns: an insert takes its columns from the first row, so a rejected row
        # (no credit code, no result) among assessed ones would lack values the statement asks for
        groups: dict[tuple, list[dict]] = {}
        for values in packed:
            groups.setdefault(tuple(sorted(values)), []).append(values)
        try:
            with self.engine.begin() as conn:
                for same in groups.values():
                    conn.execute(TABLE.insert(), same)
            return [True] * len(rows)
        except OperationalError as exc:
            raise StoreError(f"database write failed / 数据库写入失败 ({_redact(self.url)}): {_first_line(exc)}; "
                             "nothing was lost: every row written before is kept and a re-run resumes / "
                             "已写入的记录均保留，重新运行将继续") from None
        except (IntegrityError, StatementError):  # DBAPIError is a StatementError: this chunk's content
            return [self.add(r) for r in rows]

    def _insert(self, values: dict) -> bool:
        key = values.get("run_key")
        try:
            with self.engine.begin() as conn:
                conn.execute(TABLE.insert(), values)
            return True
        except IntegrityError:
            if key is None:
                raise
        with self.engine.begin() as conn:  # the key exists: replace it only if it failed before
            gone = conn.execute(TABLE.delete().where(TABLE.c.run_key == key, TABLE.c.status == FAILED)).rowcount
            if not gone:
                return False
            conn.execute(TABLE.insert(), values)
        return True

    def save_assessment(self, a: Assessment, source_file: Optional[str] = None,
                        content: Optional[bytes] = None) -> bool:
        """Store one assessment (e.g. from ``assess(path, kb=kb)``); with file content it gets a run key."""
        extra: dict[str, Any] = {}
        if source_file is not None:
            extra["source_file"] = str(Path(source_file).resolve())
            data = content if content is not None else Path(source_file).read_bytes()
            extra["content_hash"] = sha256(data)
            extra["run_key"] = run_key(extra["source_file"], extra["content_hash"], a.knowledge_version)
        return self.add(record_of(a, **extra))

    # ------------------------------------------------------------ reading
    def done_keys(self, knowledge_version: str) -> set[str]:
        """Run keys already finished (assessed or rejected) with this knowledge version; failed ones are retried."""
        q = select(TABLE.c.run_key).where(TABLE.c.knowledge_version == knowledge_version,
                                          TABLE.c.run_key.is_not(None), TABLE.c.status != FAILED)
        try:
            with self.engine.connect() as conn:
                return {r[0] for r in conn.execute(q)}
        except OperationalError as exc:
            raise StoreError(f"cannot read the database / 无法读取数据库 ({_redact(self.url)}): {_first_line(exc)}") from None

    def count(self, status: Optional[str] = None) -> int:
        q = select(func.count()).select_from(TABLE)
        if status:
            q = q.where(TABLE.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def records(self, *where: Any, columns: Optional[Iterable[str]] = None) -> list[Any]:
        """Rows oldest first, as AssessmentRecord, or with ``columns`` as simple rows; ``result_json`` is always
        the result's JSON text, whether the row stored it plainly or compressed."""
        names = list(columns) if columns else None
        if names and "result_json" in names:
            names += [c for c in RESULT_COLUMNS if c not in names]
        cols = [TABLE.c[c] for c in names] if names else [TABLE]
        q = select(*cols).where(*where).order_by(TABLE.c.created_at, TABLE.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        if names:
            out = []
            for r in rows:
                m = dict(r._mapping)
                if "result_json" in m:
                    m["result_json"] = self.result_text(m.pop("result_dict"), m.pop("result_z"), m["result_json"])
                out.append(SimpleNamespace(**m))
            return out
        recs = [AssessmentRecord.model_validate(dict(r._mapping)) for r in rows]
        for rec in recs:
            rec.result_json = self.result_text(rec.result_dict, rec.result_z, rec.result_json)
        return recs

    def history_exact(self, who: str) -> list[AssessmentRecord]:
        """Rows of an enterprise by its exact credit code or full name, oldest first (never a partial match: a
        service must not hand out other enterprises' rows for a common word)."""
        who = who.strip()
        if not who or "\x00" in who:
            return []
        return self.records(or_(TABLE.c.credit_code == who.upper(), TABLE.c.enterprise == who))

    def history(self, who: str) -> list[AssessmentRecord]:
        """Rows of an enterprise by credit code or exact name, else by part of its name, oldest first."""
        who = who.strip()
        code = who.upper()
        recs = self.records(or_(TABLE.c.credit_code == code, TABLE.c.enterprise == who))
        if not recs:
            like = who.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            recs = self.records(TABLE.c.enterprise.like(f"%{like}%", escape="\\"))
        return recs


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per row; a power cut may lose the last rows (a re-run redoes them)
    cur.close()


def enterprise_key(rec: Any) -> str:
    """Who a row is about: the credit code when known, else the name."""
    return rec.credit_code or f"name:{rec.enterprise}"


def changes(old: AssessmentRecord, new: AssessmentRecord) -> dict[str, Any]:
    """What changed between two consecutive assessments of an enterprise."""
    a, b = old.statuses(), new.statuses()
    return {
        "added": sorted(m for m in b if m not in a),
        "removed": sorted(m for m in a if m not in b),
        "status_changed": sorted((m, a[m], b[m]) for m in a.keys() & b.keys() if a[m] != b[m]),
        "knowledge": (old.knowledge_version, new.knowledge_version)
        if old.knowledge_version != new.knowledge_version else None,
        "profile_changed": old.profile_hash != new.profile_hash,
        "plans": plan_changes(old, new),
    }


def plan_changes(old: AssessmentRecord, new: AssessmentRecord) -> list[dict]:
    """Plans new since ``old`` or whose status moved (e.g. proposed -> implemented)."""
    a, b = old.plan_states(), new.plan_states()
    return [{"id": pid, "measure": p["measure"], "from": a.get(pid, {}).get("status"), "to": p["status"],
             "date": p.get("date")} for pid, p in b.items() if a.get(pid, {}).get("status") != p["status"]]
