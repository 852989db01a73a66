# Shared by cluster-up.sh, cluster-down.sh and cluster-status.sh (sourced, not run).
# An instance is a name (default "local") plus a machine-wide slot 0..15 that picks every kernel-level name
# and address it uses, so several instances (from several checkouts) run side by side without touching
# each other's objects:
#   bridge etcdop<slot>, netns etcdop<slot>-*, veths ve<slot>-*, /etc/hosts lines tagged "etcdop-localcluster:<slot>:",
#   subnet 10.244.<slot*16>.0/20 (.1 = host side, last /24 = Service ClusterIPs), API server <gateway>:6443,
#   its etcd on 127.0.0.1:<22379+2*slot> (peer +1).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REGISTRY=${ETCDOP_REGISTRY:-/var/lib/etcd-k8s-operator/localcluster}
MAX_SLOTS=16

log() { echo "localcluster[$NAME]: $*"; }
die() { echo "localcluster[$NAME]: error: $*" >&2; exit 1; }

# parse_name ARGS...: `[NAME]` or `--name NAME`; sets NAME and STATE.
parse_name() {
  NAME=local
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) NAME=${2:?--name needs a value}; shift 2 ;;
      --name=*) NAME=${1#--name=}; shift ;;
      -h|--help) echo "usage: $(basename "$0") [--name NAME]   (default instance: local)"; exit 0 ;;
      -*) NAME=${NAME:-local}; die "unknown option $1" ;;
      *) NAME=$1; shift ;;
    esac
  done
  [[ "$NAME" =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] || die "instance name must be a DNS label of at most 32 characters"
  STATE=$ROOT/.local/clusters/$NAME
}

# Instance lock: one cluster-up/down at a time per instance. Fd 8 must not leak into the daemons.
lock_instance() {
  mkdir -p "$ROOT/.local/clusters"
  exec 8>"$ROOT/.local/clusters/.$NAME.lock"
  flock -w 300 8 || die "another cluster-up/down of this instance holds its lock for 5 minutes"
}

# slot_of STATE: the slot registered for this state dir, or nothing.
slot_of() {
  local f
  for f in "$REGISTRY"/slot-*; do
    [ -f "$f" ] && [ "$(cat "$f")" = "$1" ] && { echo "${f##*/slot-}"; return 0; }
  done
  return 0
}

# Machine-wide slot registry: slot-N holds the state dir owning slot N. A slot whose state dir is gone is free.
allocate_slot() {
  # The state dir exists before the slot names it, so no concurrent allocation mistakes it for stale.
  mkdir -p "$REGISTRY" "$STATE"
  SLOT=$(
    exec 7>"$REGISTRY/lock"; flock -w 60 7 || exit 1
    s=$(slot_of "$STATE")
    if [ -z "$s" ]; then
      for ((i = 0; i < MAX_SLOTS; i++)); do
        f=$REGISTRY/slot-$i
        if [ ! -f "$f" ] || [ ! -d "$(cat "$f")" ]; then echo "$STATE" >"$f"; s=$i; break; fi
      done
    fi
    echo "$s"
  )
  [ -n "$SLOT" ] || die "all $MAX_SLOTS local-cluster slots are taken (see $REGISTRY/slot-*; stop an instance with cluster-down)"
  set_slot_names
}

release_slot() {
  [ -n "${SLOT:-}" ] || return 0
  ( exec 7>"$REGISTRY/lock"; flock -w 60 7; f=$REGISTRY/slot-$SLOT; [ "$(cat "$f" 2>/dev/null)" = "$STATE" ] && rm -f "$f" ) || true
}

set_slot_names() {
  BRIDGE=etcdop$SLOT
  NETNS_PREFIX=etcdop$SLOT-
  VETH_PREFIX=ve$SLOT-
  HOSTS_TAG="etcdop-localcluster:$SLOT:$NAME"
  local third=$((SLOT * 16))
  SUBNET=10.244.$third.0/20
  GATEWAY=10.244.$third.1
  SERVICE_CIDR=10.244.$((third + 15)).0/24
  SERVICE_IP=10.244.$((third + 15)).1
  API_PORT=6443
  ETCD_PORT=$((22379 + 2 * SLOT))
  ETCD_PEER_PORT=$((ETCD_PORT + 1))
  NODE_NAME=$NAME-node
  ADMIN_KUBECONFIG=$STATE/kubeconfig
  # The default instance's kubeconfig is also at .local/kubeconfig (what the Makefile and README name).
  if [ "$NAME" = local ]; then USER_KUBECONFIG=$ROOT/.local/kubeconfig; NAME_ARG=""
  else USER_KUBECONFIG=$ADMIN_KUBECONFIG; NAME_ARG=" --name $NAME"; fi
}

# Control-plane binaries: $ETCDOP_K8S_BIN, else the cache dir build-control-plane.sh fills (its --dir).
find_k8s_bin() {
  if [ -n "${ETCDOP_K8S_BIN:-}" ]; then K8S_BIN=$ETCDOP_K8S_BIN; else
    K8S_BIN=$(bash "$(dirname "${BASH_SOURCE[0]}")/build-control-plane.sh" --dir 2>/dev/null || true)
  fi
  [ -x "${K8S_BIN:-/nonexistent}/kube-apiserver" ] && [ -x "$K8S_BIN/kube-controller-manager" ] ||
    die "kube-apiserver/kube-controller-manager not found${K8S_BIN:+ in $K8S_BIN}; run 'make control-plane' (bash localcluster/scripts/build-control-plane.sh)"
}

# Processes: $STATE/pids/NAME holds "PID STARTTIME" (starttime from /proc/PID/stat) so a recycled pid never matches.
# A zombie (exited, not yet reaped by init, which here can take seconds) has no starttime: it counts as gone.
proc_starttime() { awk '{ sub(/^.*\) /, ""); if ($1 != "Z") print $20 }' "/proc/$1/stat" 2>/dev/null; }

# pid_alive NAME: prints the pid when the recorded process still runs.
pid_alive() {
  local f=$STATE/pids/$1 pid start
  [ -f "$f" ] || return 1
  read -r pid start <"$f" || return 1
  [ -n "$pid" ] && [ "$(proc_starttime "$pid")" = "$start" ] && echo "$pid"
}

# start_daemon NAME CMD...: runs CMD in its own session, output to logs/NAME.log, and records it.
start_daemon() {
  local name=$1; shift
  mkdir -p "$STATE/pids" "$STATE/logs"
  # The child writes its own pid (setsid may fork); fds 7/8 (locks) are closed so daemons never hold them.
  setsid sh -c 'echo $$ >"$0.tmp"; exec "$@"' "$STATE/pids/$name" "$@" \
    </dev/null >>"$STATE/logs/$name.log" 2>&1 7>&- 8>&- &
  local i pid=""
  for ((i = 0; i < 100; i++)); do
    [ -s "$STATE/pids/$name.tmp" ] && pid=$(cat "$STATE/pids/$name.tmp") && [ -n "$pid" ] && break
    sleep 0.05
  done
  [ -n "$pid" ] || die "$name did not start; see $STATE/logs/$name.log"
  echo "$pid $(proc_starttime "$pid")" >"$STATE/pids/$name" && rm -f "$STATE/pids/$name.tmp"
}

# stop_daemon NAME TIMEOUT_S: SIGTERM, then SIGKILL after TIMEOUT_S; only the recorded process.
stop_daemon() {
  local name=$1 timeout=$2 pid i
  if pid=$(pid_alive "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do pid_alive "$name" >/dev/null || break; sleep 0.1; done
    if pid_alive "$name" >/dev/null; then log "$name did not stop in ${timeout}s; killing it"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    STOPPED+=("$name")
  fi
  rm -f "$STATE/pids/$name"
}

# Pod processes the agent recorded (pods/*/*.pid, same format); used when the agent itself died.
kill_pod_leftovers() {
  local f pid start n=0
  for f in "$STATE"/pods/*/*.pid; do
    [ -f "$f" ] || continue
    read -r pid start <"$f" || continue
    if [ -n "$pid" ] && [ "$(proc_starttime "$pid")" = "$start" ]; then kill -KILL -- "-$pid" "$pid" 2>/dev/null || true; n=$((n + 1)); fi
    rm -f "$f"
  done
  [ "$n" -eq 0 ] || log "killed $n leftover pod process(es)"
}

# Kernel objects and /etc/hosts lines of this slot: netns, veths, bridge, tagged lines.
remove_network_leftovers() {
  local ns link n=0
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NETNS_PREFIX" || true); do
    ip netns delete "$ns" 2>/dev/null && n=$((n + 1)) || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$VETH_PREFIX" || true); do
    ip link delete "$link" 2>/dev/null && n=$((n + 1)) || true
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link delete "$BRIDGE" && n=$((n + 1)); fi
  local before; before=$(grep -c "# $HOSTS_TAG" /etc/hosts 2>/dev/null || true)
  bash "$ROOT/localcluster/scripts/hosts-set.sh" "$HOSTS_TAG" </dev/null
  n=$((n + ${before:-0}))
  CLEANED=$n
}
