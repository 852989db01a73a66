#!/usr/bin/env bash
# node.sh [--name NAME] stop|start|status NODE: stops a node of a running local cluster as a machine that
# dies stops (its kubelet, containerd, kube-proxy and every pod process frozen at once: the cgroup freezer
# over the node's tree), or starts it again (thawed: processes go on where they were; the kubelet then
# catches up with the API server). NODE is NAME-node-K or K. A stopped node goes NotReady after the
# controller-manager's grace period (~20 s); `kubectl logs/exec` to it hang (use timeouts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=() action="" node=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name|--nodes) args+=("$1" "${2:?}"); shift 2 ;;
    --name=*|--nodes=*) args+=("$1"); shift ;;
    stop|start|status) action=$1; shift ;;
    -h|--help) echo "usage: node.sh [--name NAME] stop|start|status NODE"; exit 0 ;;
    *) node=$1; shift ;;
  esac
done
parse_name "${args[@]}"
[ -n "$action" ] && [ -n "$node" ] || die "usage: node.sh [--name NAME] stop|start|status NODE"
[ -f "$STATE/instance.env" ] || die "instance $NAME is not running"
source "$STATE/instance.env"
set_slot_names
k=$(node_index "$node")
node_vars "$k"
state_file=/sys/fs/cgroup/freezer/$N_CGROUP/freezer.state
[ -f "$state_file" ] || die "node $N_NAME has no cgroup ($N_CGROUP): is it running?"
case "$action" in
  stop)
    echo FROZEN >"$state_file"
    for ((i = 0; i < 100; i++)); do [ "$(cat "$state_file")" = FROZEN ] && break; sleep 0.05; done
    [ "$(cat "$state_file")" = FROZEN ] || die "node $N_NAME did not freeze (state $(cat "$state_file"))"
    log "node $N_NAME stopped ($(cgroup_procs "$N_CGROUP" | wc -l) processes frozen)"
    ;;
  start)
    echo THAWED >"$state_file"
    log "node $N_NAME started"
    ;;
  status)
    case "$(cat "$state_file")" in FROZEN|FREEZING) echo stopped ;; *) echo running ;; esac
    ;;
esac
