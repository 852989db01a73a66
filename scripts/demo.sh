#!/usr/bin/env bash
# make demo: the whole product on this machine. Local cluster up (reused when it already runs), the operator
# deployed from manifests/overlays/local, an EtcdCluster "demo" of 1 member, `kubectl etcd status`, a guided
# resize 1 -> 3, status again, then an unsafe resize denied by the webhook. Leaves the cluster running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# bin/ first: kubectl finds the plugin (kubectl-etcd) there; the pinned Node for everything else.
export PATH="$root/bin:$root/.tools:$PATH"
export KUBECONFIG="$root/.local/kubeconfig"
ns=default name=demo

bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
[ -t 1 ] || bold='' dim='' reset=''
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_all=$(now)
stage_names=() stage_times=()
stage_start() { printf '\n%s==> %s%s\n' "$bold" "$1" "$reset"; stage_names+=("$1"); t_stage=$(now); }
stage_end() { local s; s=$(elapsed "$t_stage" "$(now)"); stage_times+=("$s"); printf '%s(%s s)%s\n' "$dim" "$s" "$reset"; }
# Shows a command as the user would type it, then runs it.
show() { printf '%s$ %s%s\n' "$dim" "$*" "$reset"; "$@"; }
fail() {
  echo "demo: $*" >&2
  echo "demo: cluster logs are in $root/.local/clusters/local/logs/ (operator pods: etcd-operator-system_*)" >&2
  exit 1
}
# wait_ready N: phase Running with N ready members (READY counts healthy members whose pods are ready).
wait_ready() {
  kubectl -n "$ns" wait "etcdcluster/$name" --for=jsonpath='{.status.phase}'=Running --timeout=180s >/dev/null &&
    kubectl -n "$ns" wait "etcdcluster/$name" --for=jsonpath='{.status.readyReplicas}'="$1" --timeout=60s >/dev/null ||
    fail "EtcdCluster $name did not reach phase Running with $1 ready member(s) (kubectl etcd status $name)"
}
# The plugin and the operator's entry points run from dist/ (bin/_launch says what is missing).
kubectl-etcd version >/dev/null || fail "the plugin does not run; run 'make setup' (or 'make build')"
[ -f "$root/dist/controller/main.js" ] && [ -f "$root/dist/webhook/main.js" ] || fail "the operator is not built; run 'make build'"

stage_start "local cluster"
bash "$root/localcluster/scripts/cluster-up.sh" || fail "the local cluster did not start"
stage_end

stage_start "operator (kubectl apply -k manifests/overlays/local)"
bash "$root/localcluster/scripts/deploy-operator.sh" "$KUBECONFIG" || fail "the operator did not become available"
show kubectl -n etcd-operator-system get deployments,pods
stage_end

stage_start "EtcdCluster $name with 1 member"
if kubectl -n "$ns" get etcdcluster "$name" >/dev/null 2>&1; then
  # A fresh start: the old cluster's PVCs go too, so no member data of it is reused.
  echo "removing the EtcdCluster $name of an earlier demo run"
  kubectl -n "$ns" delete etcdcluster "$name" --wait=true --timeout=60s
  kubectl -n "$ns" delete pvc -l "etcd.k8s-operator.io/cluster=$name" --wait=true --timeout=60s
  kubectl -n "$ns" wait --for=delete pod -l "etcd.k8s-operator.io/cluster=$name" --timeout=60s 2>/dev/null || true
fi
printf '%s$ kubectl apply -f - <<EOF ...%s\n' "$dim" "$reset"
kubectl apply -f - <<EOF
apiVersion: etcd.k8s-operator.io/v1alpha1
kind: EtcdCluster
metadata:
  name: $name
  namespace: $ns
spec:
  size: 1
EOF
wait_ready 1
show kubectl -n "$ns" get etcdcluster "$name"
stage_end

stage_start "kubectl etcd status $name"
show kubectl etcd status "$name"
stage_end

stage_start "kubectl etcd scale $name --replicas 3 --yes"
show kubectl etcd scale "$name" --replicas 3 --yes || fail "the resize 1 -> 3 did not complete"
stage_end

stage_start "kubectl etcd status $name (after the resize)"
wait_ready 3
show kubectl etcd status "$name"
stage_end

stage_start "an unsafe resize, denied by the admission webhook"
echo "Start a resize 3 -> 5 without waiting, then ask for 7 while it runs:"
show kubectl etcd scale "$name" --replicas 5 --yes --wait=false
set +e
show kubectl scale etcdcluster "$name" --replicas 7
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "kubectl scale --replicas 7 during a resize was allowed; the webhook should have denied it (rule V3)"
echo "denied (exit $rc): the resize to 5 goes on; spec.size is still $(kubectl -n "$ns" get etcdcluster "$name" -o jsonpath='{.spec.size}')"
stage_end

total=$(elapsed "$t_all" "$(now)")
printf '\n%sTimes%s\n' "$bold" "$reset"
for i in "${!stage_names[@]}"; do printf '  %6s s  %s\n' "${stage_times[$i]}" "${stage_names[$i]}"; done
printf '  %6s s  total\n' "$total"

cat <<EOF

${bold}The local cluster keeps running.${reset} Try:
  export KUBECONFIG=$KUBECONFIG
  export PATH=$root/bin:\$PATH   # kubectl finds the plugin (kubectl-etcd) here
  kubectl etcd status $name --watch     # the resize to 5 finishing (Ctrl-C to stop)
  kubectl etcd scale $name --replicas 3 # plan, confirm, then shrink one member at a time
  kubectl etcd members $name            # each member's figures as the controller read them
  kubectl get etcdclusters              # DESIRED, MEMBERS, READY, PHASE, LEADER
  make cluster-down                     # stop the local cluster
EOF
