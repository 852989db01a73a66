#!/usr/bin/env bash
# Deploys the operator onto a running local cluster exactly as users deploy it (kubectl apply -k), with the
# local overlay, and waits until the controller and the webhook are available. The operator image is built
# from this checkout (the Dockerfile's layout, bin/localcluster-images) and imported into every node first;
# when it changed since the pods started, the Deployments are restarted onto it (same tag, new content).
# Usage: deploy-operator.sh [KUBECONFIG]   (a local-cluster instance's kubeconfig; default .local/kubeconfig)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
export KUBECONFIG="${1:-${KUBECONFIG:-$ROOT/.local/kubeconfig}}"
[ -d "$ROOT/dist" ] || { echo "deploy-operator: dist/ missing; run 'make build'" >&2; exit 1; }
# The instance behind the kubeconfig: .local/clusters/NAME/kubeconfig, or .local/kubeconfig for "local".
kdir=$(cd "$(dirname "$KUBECONFIG")" && pwd)
if [ -f "$kdir/instance.env" ]; then STATE=$kdir; else STATE=$ROOT/.local/clusters/local; fi
NAME=$(basename "$STATE")
[ -f "$STATE/instance.env" ] || die "no running local-cluster instance for $KUBECONFIG"
source "$STATE/instance.env"
set_slot_names
start=$(date +%s)

mkdir -p "$ROOT/.local/images"
read -r tag tar < <(flock "$ROOT/.local/images/.build.lock" "$ROOT/bin/localcluster-images" --root "$ROOT" --cache "${ETCDOP_CACHE:-$HOME/.cache/etcd-k8s-operator}/images" \
  --out "$ROOT/.local/images" --only operator 2>>"$STATE/logs/images.log") ||
  die "building the operator image failed: $(tail -5 "$STATE/logs/images.log")"
# The image ID is the digest of its config (what the kubelet reports as a container's imageID).
image_id=sha256:$(tar -xOf "$tar" ./manifest.json | sed -E 's/.*"Config":"([0-9a-f]+)\.json".*/\1/')
for ((k = 1; k <= NODES; k++)); do node_import "$k" "$tar" & done
wait

bash "$ROOT/localcluster/scripts/webhook-cert.sh"
kubectl apply -k "$ROOT/manifests/overlays/local" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/etcdclusters.etcd.k8s-operator.io >/dev/null
for d in etcd-webhook etcd-controller; do
  running=$(kubectl -n etcd-operator-system get pods -l "app.kubernetes.io/name=$d" -o jsonpath='{range .items[*]}{.status.containerStatuses[0].imageID}{"\n"}{end}')
  if [ -n "$running" ] && grep -qv "$image_id" <<<"$running"; then
    log "$d runs an older build of $tag; restarting it"
    kubectl -n etcd-operator-system rollout restart "deployment/$d" >/dev/null
  fi
done
for d in etcd-webhook etcd-controller; do
  if ! kubectl -n etcd-operator-system rollout status "deployment/$d" --timeout=120s >/dev/null; then
    echo "deploy-operator: deployment $d did not become available:" >&2
    kubectl -n etcd-operator-system get pods -o wide >&2 || true
    exit 1
  fi
done
echo "deploy-operator: controller and webhook available in $(( $(date +%s) - start )) s (namespace etcd-operator-system)"
