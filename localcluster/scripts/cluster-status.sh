#!/usr/bin/env bash
# cluster-status.sh [--name NAME]: exit 0 when the instance runs and is healthy (every process up, API ready,
# node Ready); otherwise prints what is wrong and exits 1. Prints the kubeconfig path on success.
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
"${kc[@]}" get --raw /readyz >/dev/null 2>&1 || { log "API server not ready"; exit 1; }
ready=$("${kc[@]}" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
[ "$ready" = True ] || { log "node $NODE_NAME is not Ready"; exit 1; }
echo "$USER_KUBECONFIG"
