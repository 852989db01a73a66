#!/usr/bin/env bash
# cluster-status.sh [--name NAME]: exit 0 when the instance runs and is healthy (every process up, API ready,
# node Ready) and prints its kubeconfig path; exit 1 when it is not running (or only in part); exit 2 when
# its processes run but the API or the node is not ready (yet).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_name "$@"
[ -f "$STATE/instance.env" ] || { log "not running"; exit 1; }
source "$STATE/instance.env"
set_slot_names
for d in etcd kube-apiserver kube-controller-manager agent; do
  pid_alive "$d" >/dev/null || { log "$d is not running"; exit 1; }
done
kc=(kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=5s)
"${kc[@]}" get --raw /readyz >/dev/null 2>&1 || { log "API server not ready"; exit 2; }
ready=$("${kc[@]}" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
[ "$ready" = True ] || { log "node $NODE_NAME is not Ready"; exit 2; }
echo "$USER_KUBECONFIG"
