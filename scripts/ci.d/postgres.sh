#!/usr/bin/env bash
# PostgreSQL server on 127.0.0.1:5433 for the store and batch tests (cluster "cpadvisor",
# role/password cpadvisor, database cpadvisor_test):
#   CPADVISOR_TEST_PG_URL=postgresql+psycopg://cpadvisor:cpadvisor@127.0.0.1:5433/cpadvisor_test
# Idempotent and quick when already running. Never fails the CI run: when the server cannot be
# installed or started, the PostgreSQL tests skip and say why.
set -u
PORT="${CPADVISOR_PG_PORT:-5433}"
CLUSTER=cpadvisor
ROLE=cpadvisor
DB=cpadvisor_test
log() { echo "postgres.sh: $*" >&2; }
. "$(dirname "$0")/../lib/apt_install.sh"

main() {
  if [ "$(id -u)" -ne 0 ]; then
    log "not root: cannot install or start PostgreSQL; PostgreSQL tests skip unless a server is reachable"; return 0
  fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql || { log "could not install postgresql; PostgreSQL tests will skip"; return 0; }
  fi
  local ver
  ver="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  [ -x "/usr/lib/postgresql/$ver/bin/postgres" ] || { log "no postgres binary for $ver"; return 0; }
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$ver $CLUSTER"; then
    pg_createcluster "$ver" "$CLUSTER" -p "$PORT" --start-conf=manual >/dev/null 2>&1 \
      || { log "pg_createcluster failed; PostgreSQL tests will skip"; return 0; }
  fi
  if ! pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
    pg_ctlcluster "$ver" "$CLUSTER" start >/dev/null 2>&1 \
      || { log "could not start cluster $ver/$CLUSTER; PostgreSQL tests will skip"; return 0; }
  fi
  local i
  for i in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  psql_su() { su postgres -c "psql -X -q -p $PORT -tAc \"$1\"" 2>/dev/null; }
  if [ "$(psql_su "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'")" != "1" ]; then
    psql_su "CREATE ROLE $ROLE LOGIN PASSWORD '$ROLE' CREATEDB" >/dev/null || log "could not create role $ROLE"
  fi
  if [ "$(psql_su "SELECT 1 FROM pg_database WHERE datname='$DB'")" != "1" ]; then
    psql_su "CREATE DATABASE $DB OWNER $ROLE" >/dev/null || log "could not create database $DB"
  fi
  return 0
}

main || true
exit 0
