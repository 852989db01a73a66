#!/usr/bin/env bash
# Deploys the operator onto a running local cluster exactly as users deploy it (kubectl apply -k), with the
# local overlay, and waits until the controller and the webhook are available.
# Usage: deploy-operator.sh [KUBECONFIG]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export KUBECONFIG="${1:-${KUBECONFIG:-$root/.local/kubeconfig}}"
[ -d "$root/dist" ] || { echo "deploy-operator: dist/ missing; run 'make build'" >&2; exit 1; }
bash "$root/localcluster/scripts/webhook-cert.sh"
start=$(date +%s)
kubectl apply -k "$root/manifests/overlays/local" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/etcdclusters.etcd.k8s-operator.io >/dev/null
for d in etcd-webhook etcd-controller; do
  if ! kubectl -n etcd-operator-system rollout status "deployment/$d" --timeout=120s >/dev/null; then
    echo "deploy-operator: deployment $d did not become available:" >&2
    kubectl -n etcd-operator-system get pods -o wide >&2 || true
    exit 1
  fi
done
echo "deploy-operator: controller and webhook available in $(( $(date +%s) - start )) s (namespace etcd-operator-system)"
