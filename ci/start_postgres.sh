#!/usr/bin/env bash
# Start a PostgreSQL server of its own for dask_parsl's database tests.
#
#   sudo bash ci/start_postgres.sh     # installs Debian's postgresql package if missing
#
# Runs without systemd and leaves alone any cluster the package made (pg_lsclusters,
# port 5432): initdb and pg_ctl from /usr/lib/postgresql/<version>/bin, run as the
# postgres user, on a data directory of our own, listening on 127.0.0.1 only, on port
# $DASK_PARSL_POSTGRES_PORT (default 55432). The postmaster's PID goes to
# $STATE/postgres.pid so ci/stop_postgres.sh stops exactly what this script started.
# Role and database dask_parsl (password dask_parsl) accept md5/SCRAM logins over TCP
# from 127.0.0.1. Safe to run twice: a server already started by this script is kept,
# and so is its database. Exits 0 once that user can run a query over TCP, and prints
# the SQLAlchemy URL, also written to $STATE/url.
set -euo pipefail

PORT=${DASK_PARSL_POSTGRES_PORT:-55432}
STATE=/run/dask-parsl-postgres
SOCK=$STATE/socket
DATA=/var/lib/dask-parsl-postgres
LOGS=/var/log/dask-parsl-postgres
DB=dask_parsl      # the role, its password and its database share this name
URL="postgresql+psycopg://$DB:$DB@127.0.0.1:$PORT/$DB"

say() { echo "[ci/start_postgres] $*"; }
fail() {
  echo "[ci/start_postgres] FAILED: $*" >&2
  for f in "$LOGS"/*; do [ -s "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}
[ "$(id -u)" = 0 ] || { echo "[ci/start_postgres] run as root (it installs packages and starts a server as postgres)" >&2; exit 1; }
case "$PORT" in ''|*[!0-9]*) fail "DASK_PARSL_POSTGRES_PORT is not a port: '$PORT'" ;; esac

# -- packages ------------------------------------------------------------------
# (postgresql-common creates and may start its own cluster 'main' on 5432: not ours,
# never touched here)
if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "ok installed"; then
  say "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/tmp/dask-parsl-postgres-apt.log 2>&1 \
    || { tail -n 30 /tmp/dask-parsl-postgres-apt.log >&2; fail "apt-get install"; }
fi
id postgres >/dev/null 2>&1 || fail "no user 'postgres' (the postgresql package makes it)"

# Binaries of the version that made the data directory, else of the newest installed.
if [ -s "$DATA/PG_VERSION" ]; then
  version=$(cat "$DATA/PG_VERSION")
else
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
fi
BIN=/usr/lib/postgresql/$version/bin
[ -n "$version" ] && [ -x "$BIN/postgres" ] \
  || fail "no PostgreSQL '$version' under /usr/lib/postgresql (data made by another version? ci/stop_postgres.sh --purge)"

mkdir -p "$STATE" "$SOCK" "$LOGS"
chown postgres:postgres "$SOCK" "$LOGS"
rm -f "$STATE/url"   # written again once the server answers

# as_pg COMMAND...: run as postgres, from a directory it can read
as_pg() { (cd / && setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql "$@"); }
# alive PID: running and not a zombie (in a container whose PID 1 reaps nothing, a
# postmaster that exited stays a zombie, and kill -0 still succeeds on it)
alive() { case $(awk '$1 == "State:" {print $2}' "/proc/$1/status" 2>/dev/null) in ''|Z|X) return 1 ;; esac; }
# ours NAME: the PID recorded for NAME is alive, runs the program NAME, and is the
# postmaster of our data directory (first line of its postmaster.pid)
ours() {
  local pid
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
  # (the name, not /proc/PID/exe: daemons that drop privileges hide their exe)
  alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] \
    && [ "$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null)" = "$pid" ]
}
until_ok() {  # until_ok SECONDS NAME COMMAND...: retry COMMAND; give up if daemon NAME died
  local deadline=$(( $(date +%s) + $1 )) name=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    ours "$name" || fail "$name exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name not ready after $1 s"
    sleep 0.2
  done
}

# -- data directory --------------------------------------------------------------
if [ ! -s "$DATA/PG_VERSION" ]; then
  rm -rf "$DATA"   # (what a failed initdb left)
  install -d -m 700 -o postgres -g postgres "$DATA"
  say "initdb $DATA (PostgreSQL $version)"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C --no-sync \
    --auth-local=peer --auth-host=md5 >"$LOGS/initdb.log" 2>&1 || fail "initdb"
  echo "include 'dask_parsl.conf'" >>"$DATA/postgresql.conf"
fi

# Throwaway test data: no fsync (a machine crash may need ci/stop_postgres.sh --purge).
conf="# written by dask_parsl ci/start_postgres.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off"
# postgres, as itself, over the socket; role $DB from 127.0.0.1 with a password
hba="# written by dask_parsl ci/start_postgres.sh
local all  postgres            peer
host  all  $DB  127.0.0.1/32  md5"
changed=0
if [ "$(cat "$DATA/dask_parsl.conf" 2>/dev/null)" != "$conf" ]; then
  printf '%s\n' "$conf" >"$DATA/dask_parsl.conf"; changed=1
fi
if [ "$(cat "$DATA/pg_hba.conf" 2>/dev/null)" != "$hba" ]; then
  printf '%s\n' "$hba" >"$DATA/pg_hba.conf"; changed=1
fi
chown postgres:postgres "$DATA/dask_parsl.conf" "$DATA/pg_hba.conf"

# -- server ----------------------------------------------------------------------
# A postmaster that died unreaped leaves its zombie PID in its lock files, which pg_ctl
# and postgres read as a server still running: those files are stale.
for lock in "$DATA/postmaster.pid" "$SOCK"/.s.PGSQL.*.lock; do
  pm=$(head -n 1 "$lock" 2>/dev/null || true)
  if [ -n "$pm" ] && [ -e "/proc/$pm" ] && ! alive "$pm"; then
    say "removing $lock of exited postgres $pm"
    rm -f "$lock"
  fi
done
# A postmaster on our data directory whose PID is no longer recorded (state lost) was
# started by this script all the same: take it back.
if ! ours postgres && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
  head -n 1 "$DATA/postmaster.pid" >"$STATE/postgres.pid"
  ours postgres && say "found our server running, pid $(cat "$STATE/postgres.pid")"
fi
if [ $changed = 1 ] && ours postgres; then
  say "configuration changed: restarting"
  as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 30 -s || fail "pg_ctl stop"
fi
if ! ours postgres; then
  # pg_ctl puts the postmaster in a session of its own, its output in the log
  as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOGS/postgresql.log" -w -t 60 -s </dev/null \
    || fail "pg_ctl start (port $PORT taken?)"
  head -n 1 "$DATA/postmaster.pid" >"$STATE/postgres.pid"
  ours postgres || fail "postgres is not running after pg_ctl start"
  say "started postgres $version on 127.0.0.1:$PORT, pid $(cat "$STATE/postgres.pid")"
else
  say "postgres already running on 127.0.0.1:$PORT, pid $(cat "$STATE/postgres.pid")"
fi
until_ok 60 postgres as_pg "$BIN/pg_isready" -q -h "$SOCK" -p "$PORT" -U postgres -d postgres

# -- role and database -------------------------------------------------------------
as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres \
  >"$LOGS/setup.log" 2>&1 <<SQL || fail "creating role and database $DB"
SELECT 'CREATE ROLE $DB' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB')\gexec
ALTER ROLE $DB LOGIN CREATEDB PASSWORD '$DB';
SELECT 'CREATE DATABASE $DB OWNER $DB' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB')\gexec
SQL

# -- ready: that user, over TCP ------------------------------------------------------
until_ok 60 postgres "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U $DB -d $DB
until_ok 30 postgres env PGPASSWORD=$DB PGCONNECT_TIMEOUT=5 \
  "$BIN/psql" -X -q -At -h 127.0.0.1 -p "$PORT" -U $DB -d $DB -c 'select 1'
echo "$URL" >"$STATE/url.tmp" && mv "$STATE/url.tmp" "$STATE/url"
say "ready: $URL (also in $STATE/url)"
