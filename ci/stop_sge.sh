#!/usr/bin/env bash
# Stop what ci/start_sge.sh started, and nothing else: delete the jobs still queued,
# then stop the daemons whose PIDs it recorded (SIGTERM, SIGKILL after 10 s).
# Packages and configuration stay. Does nothing when nothing is running.
set -uo pipefail
STATE=/run/dask-parsl-sge
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
say() { echo "[ci/stop_sge] $*"; }
[ "$(id -u)" = 0 ] || { echo "[ci/stop_sge] run as root" >&2; exit 1; }

pid_if_ours() {
  local pid
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && echo "$pid"
}

if pid_if_ours sge_qmaster >/dev/null && [ -n "$(qstat -u '*' 2>/dev/null)" ]; then
  say "deleting jobs"
  qdel -f -u '*' >/dev/null 2>&1
  for _ in $(seq 50); do [ -z "$(qstat -u '*' 2>/dev/null)" ] && break; sleep 0.3; done
fi

for daemon in sge_execd sge_qmaster; do
  if pid=$(pid_if_ours $daemon); then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "$daemon ignored SIGTERM: SIGKILL"; kill -KILL "$pid"; }
    say "stopped $daemon (pid $pid)"
  fi
  rm -f "$STATE/$daemon.pid"
done
