# Shared by the local-cluster scripts (sourced, not run).
# An instance is a name (default "local") plus a machine-wide slot 0..15 that picks every kernel-level name
# and address it uses, so several instances (from several checkouts) run side by side without touching
# each other's objects. With B = slot*16, an instance owns 10.244.B.0/20:
#   10.244.B.0/24    the node segment on bridge etcdop<slot>: .1 the host (API server :6443, cluster DNS :53),
#                    .10+K node K (a network namespace etcdop<slot>-n<K>, veth ve<slot>-n<K>)
#   10.244.B+K.0/24  the pods of node K (CNI bridge inside the node), routed via the node's address
#   10.244.B+15.0/24 Service ClusterIPs (kube-proxy in each node)
# plus /etc/hosts lines tagged "etcdop-localcluster:<slot>:", cgroups etcdop<slot>-n<K> in every cgroup v1
# hierarchy, and the API server's etcd on 127.0.0.1:<22379+2*slot> (peer +1).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REGISTRY=${ETCDOP_REGISTRY:-/var/lib/etcd-k8s-operator/localcluster}
MAX_SLOTS=16
# The operator's image repository (manifests/base; built by bin/localcluster-images).
OPERATOR_REPOSITORY=ghcr.io/etcd-k8s-operator/etcd-k8s-operator

log() { echo "localcluster[$NAME]: $*"; }
die() { echo "localcluster[$NAME]: error: $*" >&2; exit 1; }

# parse_name ARGS...: `[NAME]` or `--name NAME`, and `--nodes N` (cluster-up); sets NAME, STATE and NODES_ARG.
parse_name() {
  NAME=local NODES_ARG=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) NAME=${2:?--name needs a value}; shift 2 ;;
      --name=*) NAME=${1#--name=}; shift ;;
      --nodes) NODES_ARG=${2:?--nodes needs a value}; shift 2 ;;
      --nodes=*) NODES_ARG=${1#--nodes=}; shift ;;
      -h|--help) echo "usage: $(basename "$0") [--name NAME] [--nodes N]   (default instance: local, 3 nodes)"; exit 0 ;;
      -*) NAME=${NAME:-local}; die "unknown option $1" ;;
      *) NAME=$1; shift ;;
    esac
  done
  [[ "$NAME" =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] || die "instance name must be a DNS label of at most 32 characters"
  [ -z "$NODES_ARG" ] || [[ "$NODES_ARG" =~ ^([1-9]|1[0-4])$ ]] || die "--nodes must be 1..14"
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
  CGROUP_PREFIX=etcdop$SLOT-
  HOSTS_TAG="etcdop-localcluster:$SLOT:$NAME"
  local third=$((SLOT * 16))
  SUBNET=10.244.$third.0/20
  NODE_SEGMENT=10.244.$third.0/24
  GATEWAY=10.244.$third.1
  SERVICE_CIDR=10.244.$((third + 15)).0/24
  SERVICE_IP=10.244.$((third + 15)).1
  API_PORT=6443
  ETCD_PORT=$((22379 + 2 * SLOT))
  ETCD_PEER_PORT=$((ETCD_PORT + 1))
  CLUSTER_DOMAIN=cluster.local
  ADMIN_KUBECONFIG=$STATE/kubeconfig
  # The default instance's kubeconfig is also at .local/kubeconfig (what the Makefile and README name).
  if [ "$NAME" = local ]; then USER_KUBECONFIG=$ROOT/.local/kubeconfig; NAME_ARG=""
  else USER_KUBECONFIG=$ADMIN_KUBECONFIG; NAME_ARG=" --name $NAME"; fi
}

MAX_NODES=14
# node_vars K: the names and addresses of node K (1..NODES) of this instance.
node_vars() {
  local k=$1 third=$((SLOT * 16))
  N_INDEX=$k
  N_NAME=$NAME-node-$k
  N_IP=10.244.$third.$((10 + k))
  N_POD_CIDR=10.244.$((third + k)).0/24
  N_NS=${NETNS_PREFIX}n$k
  N_VETH=${VETH_PREFIX}n$k
  N_CGROUP=${CGROUP_PREFIX}n$k
  # Short paths: unix socket paths must stay under 108 bytes.
  N_DIR=$STATE/nodes/$k
  N_SOCK=$N_DIR/containerd.sock
}

# node_index NODE: K for a node name NAME-node-K (or a bare K).
node_index() {
  local n=${1#"$NAME"-node-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "${NODES:-$MAX_NODES}" ] || die "no node '$1' in instance $NAME (nodes: $NAME-node-1..${NODES:-?})"
  echo "$n"
}

# cgroup v1 hierarchies (one per controller, and name=systemd); the kubelet and runc use the cgroupfs driver.
cgroup_hierarchies() {
  local d
  for d in /sys/fs/cgroup/*; do
    [ -f "$d/cgroup.procs" ] && [ "$(stat -f -c %T "$d")" = cgroupfs ] && echo "$d"
  done
}

# cgroup_create PATH: PATH (and its parents) in every hierarchy; cpuset needs cpus and mems set on each level.
cgroup_create() {
  local h part cur
  for h in $(cgroup_hierarchies); do
    cur=$h
    for part in ${1//\// }; do
      cur=$cur/$part
      [ -d "$cur" ] || mkdir "$cur"
      if [ -f "$cur/cpuset.cpus" ] && [ -z "$(cat "$cur/cpuset.cpus")" ]; then
        cat "$(dirname "$cur")/cpuset.cpus" >"$cur/cpuset.cpus"
        cat "$(dirname "$cur")/cpuset.mems" >"$cur/cpuset.mems"
      fi
    done
  done
}

# cgroup_procs NAME: every process in the cgroup tree NAME (the freezer hierarchy holds each exactly once).
cgroup_procs() {
  local root=/sys/fs/cgroup/freezer/$1
  [ -d "$root" ] || return 0
  find "$root" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

# cgroup_kill NAME: thaws, then SIGKILLs every process of the tree until none is left; removes the tree.
cgroup_kill() {
  local i pids h
  [ -f "/sys/fs/cgroup/freezer/$1/freezer.state" ] && echo THAWED >"/sys/fs/cgroup/freezer/$1/freezer.state" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pids=$(cgroup_procs "$1")
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  [ -z "$(cgroup_procs "$1")" ] || log "warning: processes left in cgroup $1: $(cgroup_procs "$1" | tr '\n' ' ')"
  for h in $(cgroup_hierarchies); do
    [ -d "$h/$1" ] && find "$h/$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# Kubernetes binaries: $ETCDOP_K8S_BIN, else the cache dir build-control-plane.sh fills (its --dir).
find_k8s_bin() {
  if [ -n "${ETCDOP_K8S_BIN:-}" ]; then K8S_BIN=$ETCDOP_K8S_BIN; else
    K8S_BIN=$(bash "$(dirname "${BASH_SOURCE[0]}")/build-control-plane.sh" --dir 2>/dev/null || true)
  fi
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy pause; do
    [ -x "${K8S_BIN:-/nonexistent}/$b" ] ||
      die "$b not found${K8S_BIN:+ in $K8S_BIN}; run 'make control-plane' (bash localcluster/scripts/build-control-plane.sh)"
  done
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

# Every process of every node of this slot (kubelets, containerds, shims, containers, holders): each node's
# processes live in its cgroup tree; killing the tree also ends its mount namespace and every mount in it.
kill_node_leftovers() {
  local h cg n=0
  for cg in $(ls /sys/fs/cgroup/freezer 2>/dev/null | grep "^${CGROUP_PREFIX}n[0-9]*$" || true); do
    [ -n "$(cgroup_procs "$cg")" ] && n=$((n + 1))
    cgroup_kill "$cg"
  done
  [ "$n" -eq 0 ] || log "stopped the processes of $n node(s)"
  rm -f "$STATE"/pids/node-* 2>/dev/null || true
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
