#!/usr/bin/env bash
# Stop what ci/start_postgres.sh started, and nothing else: the postmaster of its own data
# directory, whose PID it recorded (and postmaster.pid confirms), with pg_ctl stop -m fast
# as postgres (-m immediate after 30 s, SIGKILL after 10 more). Any cluster of the package
# (pg_lsclusters, port 5432) is left alone.
#
#   sudo bash ci/stop_postgres.sh            # keeps the data directory: a rerun is fast
#   sudo bash ci/stop_postgres.sh --purge    # also deletes its data and logs
#
# Does nothing when nothing is running.
set -uo pipefail
STATE=/run/dask-parsl-postgres
DATA=/var/lib/dask-parsl-postgres
LOGS=/var/log/dask-parsl-postgres
say() { echo "[ci/stop_postgres] $*"; }
[ "$(id -u)" = 0 ] || { echo "[ci/stop_postgres] run as root" >&2; exit 1; }
purge=no
case "${1:-}" in
  "") ;;
  --purge) purge=yes ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

as_pg() { (cd / && setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql "$@"); }
# alive PID: running and not a zombie (in a container whose PID 1 reaps nothing, a
# postmaster that exited stays a zombie, and kill -0 still succeeds on it)
alive() { case $(awk '$1 == "State:" {print $2}' "/proc/$1/status" 2>/dev/null) in ''|Z|X) return 1 ;; esac; }
pid_if_ours() {
  local pid
  # the recorded PID; if the record was lost, the postmaster.pid of our own data directory
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  # (the name, not /proc/PID/exe: daemons that drop privileges hide their exe)
  alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] \
    && [ "$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null)" = "$pid" ] && echo "$pid"
}

rm -f "$STATE/url"
if pid=$(pid_if_ours postgres); then
  BIN=/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin
  as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 30 -s 2>/dev/null
  if alive "$pid"; then
    say "fast shutdown did not finish: immediate"
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 10 -s 2>/dev/null
  fi
  alive "$pid" && { say "postgres ignored SIGQUIT: SIGKILL"; kill -KILL "$pid"; }
  say "stopped postgres (pid $pid)"
fi
rm -f "$STATE/postgres.pid"

if [ $purge = yes ]; then
  if pid=$(pid_if_ours postgres); then
    say "postgres (pid $pid) still runs: data kept"; exit 1
  fi
  rm -rf "$DATA" "$LOGS" "$STATE"
  say "removed $DATA and $LOGS"
fi
