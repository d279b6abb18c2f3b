#!/usr/bin/env bash
# Stop what ci/start_slurm.sh started, and nothing else: cancel the jobs still queued,
# then stop the daemons whose PIDs it recorded (SIGTERM, SIGKILL after 10 s).
# Packages and configuration stay. Does nothing when nothing is running.
set -uo pipefail
STATE=/run/dask-parsl-slurm
say() { echo "[ci/stop_slurm] $*"; }
[ "$(id -u)" = 0 ] || { echo "[ci/stop_slurm] run as root" >&2; exit 1; }

pid_if_ours() {
  local pid
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
  # (the name, not /proc/PID/exe: daemons that drop privileges hide their exe)
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${1%%-*}" ] && echo "$pid"  # (slurmd for slurmd-n1)
}

if pid_if_ours slurmctld >/dev/null; then
  jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    say "cancelling jobs $jobs"
    scancel $jobs 2>/dev/null
    for _ in $(seq 50); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.3; done
  fi
fi

for daemon in slurmd-n1 slurmd-n2 slurmd-n3 slurmd-n4 slurmd slurmctld munged; do
  if pid=$(pid_if_ours $daemon); then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "$daemon ignored SIGTERM: SIGKILL"; kill -KILL "$pid"; }
    say "stopped $daemon (pid $pid)"
  fi
  rm -f "$STATE/$daemon.pid"
done
