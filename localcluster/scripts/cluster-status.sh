#!/usr/bin/env bash
# cluster-status.sh [--name NAME]: exit 0 when the instance runs and is healthy (every process up, API ready,
# every node Ready) and prints its kubeconfig path; exit 1 when it is not running (or only in part); exit 2
# when its processes run but the API or a node is not ready (yet), or a node is stopped (node.sh stop).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_name "$@"
[ -f "$STATE/instance.env" ] || { log "not running"; exit 1; }
source "$STATE/instance.env"
set_slot_names
for d in etcd kube-apiserver kube-controller-manager kube-scheduler dnsmasq addons; do
  pid_alive "$d" >/dev/null || { log "$d is not running"; exit 1; }
done
for ((k = 1; k <= NODES; k++)); do
  for d in holder containerd kubelet kube-proxy; do
    pid_alive "node-$k-$d" >/dev/null || { log "node-$k's $d is not running"; exit 1; }
  done
done
kc=(kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=5s)
"${kc[@]}" get --raw /readyz >/dev/null 2>&1 || { log "API server not ready"; exit 2; }
ready=$("${kc[@]}" get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null || true)
for ((k = 1; k <= NODES; k++)); do
  grep -qx "$NAME-node-$k=True" <<<"$ready" || { log "node $NAME-node-$k is not Ready"; exit 2; }
done
echo "$USER_KUBECONFIG"
