#!/usr/bin/env bash
# Start a Slurm of four nodes on this machine (munged, slurmctld, and a slurmd for each
# of the nodes n1 to n4) for dask_parsl's batch tests. The default partition has the
# nodes n1 and n2: jobs land on either, and a job of two nodes runs a task on each
# (srun -N 2), so multi-node work is tested for real. The partition "blocks" has all
# four, so two jobs of two nodes can run side by side (a job and its replacement).
#
#   sudo bash ci/start_slurm.sh     # installs Debian's slurm and Open MPI packages if missing
#
# Runs without systemd: each daemon runs in the foreground of its own session, and
# its PID goes to $STATE/<name>.pid (slurmd-n1, slurmd-n2 for the node daemons) so
# ci/stop_slurm.sh stops exactly what this script started. Daemons listen on 127.0.0.1 only. Safe to run twice: daemons
# already started by this script are kept. Exits 0 once the node accepts jobs.
set -euo pipefail

PARTITION=${DASK_PARSL_SLURM_PARTITION:-debug}
STATE=/run/dask-parsl-slurm
SPOOL=/var/spool/dask-parsl-slurm
LOGS=/var/log/dask-parsl-slurm
CONF=/etc/slurm/slurm.conf
HEADER="# written by dask_parsl ci/start_slurm.sh"
NODE=$(hostname -s)
NODES=(n1 n2 n3 n4)

say() { echo "[ci/start_slurm] $*"; }
fail() {
  echo "[ci/start_slurm] FAILED: $*" >&2
  for f in "$LOGS"/*; do [ -s "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}
[ "$(id -u)" = 0 ] || fail "run as root (it installs packages and starts daemons)"

# -- packages ------------------------------------------------------------------
need=()
# (Open MPI and a C compiler: the MPI tests build and run a real MPI program with srun)
for pkg in munge slurmctld slurmd slurm-client openmpi-bin libopenmpi-dev gcc; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/tmp/dask-parsl-slurm-apt.log 2>&1 \
    || { tail -n 30 /tmp/dask-parsl-slurm-apt.log >&2; fail "apt-get install"; }
fi

mkdir -p "$STATE" "$SPOOL/ctld" "$LOGS"
for node in "${NODES[@]}"; do
  mkdir -p "$SPOOL/d-$node" "$SPOOL/tmp-$node"
  chmod 1777 "$SPOOL/tmp-$node"  # (each node's TmpFS: PMIx puts its per-step directories there)
done
chown slurm:slurm "$SPOOL/ctld" "$LOGS"

# ours NAME: the PID recorded for NAME is alive and runs the program NAME (slurmd for
# slurmd-n1)
ours() {
  local pid
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
  # (the name, not /proc/PID/exe: daemons that drop privileges hide their exe)
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${1%%-*}" ]
}
start() {  # start NAME COMMAND...: run in a new session, in the background, PID recorded
  local name=$1 pid tries=0; shift
  setsid "$@" </dev/null >>"$LOGS/$name.out" 2>&1 &
  pid=$!
  echo $pid >"$STATE/$name.pid"
  # Until the wrappers (setsid, setpriv) exec the daemon, its PID runs another program:
  # wait for the exec, so that `ours` is not read as "exited" on a busy machine.
  until ours "$name"; do
    kill -0 "$pid" 2>/dev/null || fail "$name exited at once"
    [ $(( tries += 1 )) -lt 100 ] || fail "$name did not start within 10 s"
    sleep 0.1
  done
  say "started $name, pid $pid"
}
until_ok() {  # until_ok SECONDS NAME COMMAND...: retry COMMAND; give up if daemon NAME died
  local deadline=$(( $(date +%s) + $1 )) name=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    ours "$name" || fail "$name exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name not ready after $1 s"
    sleep 0.2
  done
}

# -- munge -----------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  head -c 1024 /dev/urandom >/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
if ! ours munged; then
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "a munged not started by this script is running: using it"
  else
    rm -f /run/munge/munge.socket.2*
    start munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground
    until_ok 15 munged bash -c 'munge -n | unmunge'
  fi
fi

# -- slurm.conf ------------------------------------------------------------------
# Facts that matter on one small machine: cons_tres with per-core memory (else one
# job takes the whole node), RealMemory under the real total (else the node is
# drained), short scheduling intervals (jobs start in about a second), no process
# tracking plugins that need cgroups or systemd. The machine's CPUs and memory are
# shared between the nodes of the default partition (n3 and n4 share them again: they
# run only the tests of several multi-node jobs), each slurmd with its own port, spool,
# PID and log file.
node_cpus=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
memory_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9 / 2)}' /proc/meminfo)
node_lines=""
for i in "${!NODES[@]}"; do
  node_lines+="NodeName=${NODES[$i]} NodeHostname=$NODE NodeAddr=127.0.0.1 Port=$((17001 + i)) "
  node_lines+="CPUs=$node_cpus RealMemory=$memory_mb State=UNKNOWN"$'\n'
done
conf="$HEADER
ClusterName=daskparsl
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$SPOOL/ctld
SlurmdSpoolDir=$SPOOL/d-%n
TmpFS=$SPOOL/tmp-%n
SlurmctldPidFile=$STATE/slurmctld.own.pid
SlurmdPidFile=$STATE/slurmd-%n.own.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
${node_lines}PartitionName=$PARTITION Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
PartitionName=blocks Nodes=ALL MaxTime=INFINITE State=UP"
mkdir -p /etc/slurm
changed=0
if [ "$(cat "$CONF" 2>/dev/null)" != "$conf" ]; then
  if [ -f "$CONF" ] && ! grep -qF "$HEADER" "$CONF"; then
    cp "$CONF" "$CONF.before-dask-parsl"
    say "kept the previous slurm.conf as $CONF.before-dask-parsl"
  fi
  printf '%s\n' "$conf" >"$CONF"
  changed=1
fi

# -- slurmctld and slurmd --------------------------------------------------------
if [ $changed = 1 ]; then
  for daemon in slurmd "${NODES[@]/#/slurmd-}" slurmctld; do  # (slurmd: of the one-node version)
    if ours "$daemon"; then  # (and wait until it has gone: the new one needs its port)
      kill "$(cat "$STATE/$daemon.pid")"
      for _ in $(seq 100); do ours "$daemon" || break; sleep 0.1; done
    fi
  done
fi
# -c: forget jobs of an earlier run (workers left pending by a crashed test run)
ours slurmctld || start slurmctld /usr/sbin/slurmctld -D -c
until_ok 30 slurmctld bash -c 'scontrol ping | grep -q UP'
for node in "${NODES[@]}"; do
  ours "slurmd-$node" || start "slurmd-$node" /usr/sbin/slurmd -D -N "$node"
done

deadline=$(( $(date +%s) + 60 ))
for node in "${NODES[@]}"; do
  resumed=no
  while :; do
    ours slurmctld || fail "slurmctld exited"
    ours "slurmd-$node" || fail "slurmd of $node exited"
    state=$(sinfo -h -n "$node" -o %t 2>/dev/null | head -n 1 || true)
    case "$state" in
      idle|mix|alloc) break ;;
      down*|drain*|drng*|fail*)
        [ $resumed = no ] && { scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true; resumed=yes; } ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "node $node is '$state' after 60 s"
    sleep 0.3
  done
done
say "ready: partition $PARTITION, nodes ${NODES[*]} on $NODE ($node_cpus CPUs, $memory_mb MB each)"
