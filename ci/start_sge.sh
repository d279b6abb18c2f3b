#!/usr/bin/env bash
# Start a single-node Grid Engine (Son of Grid Engine: sge_qmaster, sge_execd) for
# dask_parsl's batch tests.
#
#   sudo bash ci/start_sge.sh     # installs Debian's gridengine packages if missing
#
# Runs without systemd. Both daemons detach themselves; their PIDs go to
# $STATE/<daemon>.pid so ci/stop_sge.sh stops exactly what this script started.
# Creates queue "debug" (one slot per CPU) that root may submit to, scheduling
# every second. Safe to run twice. Exits 0 once the queue accepts jobs.
# Clients need: export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
set -euo pipefail

QUEUE=${DASK_PARSL_SGE_QUEUE:-debug}
STATE=/run/dask-parsl-sge
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
QMASTER_SPOOL=/var/spool/gridengine/qmaster
NODE=$(hostname -s)

say() { echo "[ci/start_sge] $*"; }
fail() {
  echo "[ci/start_sge] FAILED: $*" >&2
  tail -n 20 "$QMASTER_SPOOL/messages" >&2 2>/dev/null || true
  exit 1
}
[ "$(id -u)" = 0 ] || fail "run as root (it installs packages and starts daemons)"

# -- packages ------------------------------------------------------------------
need=()
for pkg in gridengine-master gridengine-exec gridengine-client; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  # let the packages create the cell "default" with this host as its master
  for pkg in gridengine-common gridengine-master; do
    printf '%s\n' "$pkg shared/gridenginemaster string $NODE" "$pkg shared/gridenginecell string default" \
      "$pkg shared/gridengineconfig boolean true" | debconf-set-selections
  done
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/tmp/dask-parsl-sge-apt.log 2>&1 \
    || { tail -n 30 /tmp/dask-parsl-sge-apt.log >&2; fail "apt-get install"; }
fi
[ -f "$SGE_ROOT/$SGE_CELL/common/bootstrap" ] || fail "the gridengine cell $SGE_ROOT/$SGE_CELL was not created"

mkdir -p "$STATE" /var/run/gridengine
chown sgeadmin:sgeadmin /var/run/gridengine
# This host's name resolves to 127.0.0.1, whose name is "localhost": without the
# alias, qmaster rejects every client as coming from the wrong host.
echo "$NODE localhost" >"$SGE_ROOT/$SGE_CELL/common/host_aliases"

# ours NAME: the PID recorded for NAME is alive and runs the program NAME
ours() {
  local pid
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]
}
until_ok() {  # until_ok SECONDS WHAT COMMAND...
  local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not ready after $1 s"
    sleep 0.3
  done
}
start_daemon() {  # start_daemon NAME PIDFILE COMMAND...: it detaches and writes PIDFILE
  local name=$1 pidfile=$2; shift 2
  rm -f "$pidfile"
  "$@"
  until_ok 30 "$name's pid file" test -s "$pidfile"
  cp "$pidfile" "$STATE/$name.pid"
  say "started $name, pid $(cat "$STATE/$name.pid")"
}

# -- qmaster and its configuration -------------------------------------------------
ours sge_qmaster || start_daemon sge_qmaster "$QMASTER_SPOOL/qmaster.pid" /usr/sbin/sge_qmaster
until_ok 30 sge_qmaster qconf -sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# root may run jobs (its uid and gid are below the default minimum)
if ! qconf -sconf | grep -qE '^min_uid +0$'; then
  qconf -sconf global | sed -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' >global
  qconf -Mconf global >/dev/null  # (qconf reads the configuration's name from the file name)
fi
# schedule every second instead of every 15 s
if ! qconf -ssconf | grep -qE '^schedule_interval +0:0:1$'; then
  qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
    -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' >scheduler
  qconf -Msconf scheduler >/dev/null
fi
qconf -ss 2>/dev/null | grep -qx "$NODE" || qconf -as "$NODE" >/dev/null
if ! qconf -sel 2>/dev/null | grep -qx "$NODE"; then
  printf '%s\n' "hostname $NODE" "load_scaling NONE" "complex_values NONE" "user_lists NONE" \
    "xuser_lists NONE" "projects NONE" "xprojects NONE" "usage_scaling NONE" "report_variables NONE" >host
  qconf -Ae host >/dev/null
fi
# no load thresholds (a busy CI machine would close the queue), no parallel environments
if ! qconf -sql 2>/dev/null | grep -qx "$QUEUE"; then
  qconf -sq | sed -e "s/^qname .*/qname $QUEUE/" -e "s/^hostlist .*/hostlist $NODE/" \
    -e "s/^slots .*/slots $(nproc)/" -e 's/^load_thresholds .*/load_thresholds NONE/' \
    -e 's/^pe_list .*/pe_list NONE/' -e 's|^shell .*|shell /bin/bash|' >queue
  qconf -Aq queue >/dev/null
fi

# -- execd -------------------------------------------------------------------------
ours sge_execd || SGE_EXECD_PIDFILE=/var/run/gridengine/execd.pid \
  start_daemon sge_execd /var/run/gridengine/execd.pid /usr/sbin/sge_execd
# the queue instance is usable once it reports a load and has no state flags
until_ok 60 "queue $QUEUE@$NODE" bash -c \
  "qstat -f -q $QUEUE | awk '\$1 == \"$QUEUE@$NODE\" && \$4 != \"-NA-\" && NF == 5 {up = 1} END {exit !up}'"
say "ready: queue $QUEUE on $NODE ($(nproc) slots)"
