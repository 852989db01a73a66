#!/usr/bin/env bash
# cluster-up.sh [--name NAME]: starts a local Kubernetes cluster instance (default "local"): etcd, kube-apiserver,
# kube-controller-manager and the node agent, on a bridge and pod subnet of its own (see lib.sh).
# Every start is a fresh cluster: the instance's state dir .local/clusters/NAME/ is recreated.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_name "$@"
[ "$(id -u)" = 0 ] || die "must run as root (it creates a bridge, network namespaces and /etc/hosts lines)"
for tool in ip unshare nsenter openssl etcd etcdctl kubectl flock setsid; do
  command -v "$tool" >/dev/null || die "'$tool' is missing; run 'make setup'"
done
find_k8s_bin
[ -f "$ROOT/dist/localcluster/agent/main.js" ] || die "the node agent is not built ($ROOT/dist/localcluster/agent/main.js); run 'make build'"
t0=$(date +%s.%N)
lock_instance

usage() {
  cat <<EOF
localcluster[$NAME]: node $NODE_NAME, API https://$GATEWAY:$API_PORT, pods in $SUBNET on bridge $BRIDGE
  export KUBECONFIG=$USER_KUBECONFIG
  kubectl get nodes
  logs: $STATE/logs/   stop: bash localcluster/scripts/cluster-down.sh$NAME_ARG
EOF
}

if [ -f "$STATE/instance.env" ]; then
  source "$STATE/instance.env"
  set_slot_names
  running=() dead=()
  for d in etcd kube-apiserver kube-controller-manager agent; do
    if pid_alive "$d" >/dev/null; then running+=("$d"); elif [ -f "$STATE/pids/$d" ]; then dead+=("$d"); fi
  done
  if [ ${#running[@]} -eq 4 ]; then
    log "already running (pids in $STATE/pids); nothing changed"
    usage
    exit 0
  fi
  if [ ${#running[@]} -gt 0 ]; then
    die "partially running (up: ${running[*]}; exited: ${dead[*]:-none}); see $STATE/logs/, then run cluster-down and cluster-up again"
  fi
  # A previous run that crashed or was cleaned up only in part: remove what is left of it, then start fresh.
  kill_pod_leftovers
  # Its network objects only while the slot is still ours (a released slot may belong to another instance now).
  if [ "$(slot_of "$STATE")" = "$SLOT" ]; then
    remove_network_leftovers
    [ "$CLEANED" -eq 0 ] || log "removed $CLEANED leftover network object(s)/hosts line(s) of a previous run"
  fi
fi

allocate_slot
remove_network_leftovers
[ "$CLEANED" -eq 0 ] || log "removed $CLEANED leftover network object(s)/hosts line(s) of slot $SLOT"
for port in "$ETCD_PORT" "$ETCD_PEER_PORT"; do
  if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then die "port $port (its etcd) is taken by another process"; fi
done

# Fresh start: empty the state dir (the dir itself stays: it is what holds the slot).
find "$STATE" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
mkdir -p "$STATE"/{pki,pids,logs,etcd,pods,volumes}
cat >"$STATE/instance.env" <<EOF
NAME=$NAME
SLOT=$SLOT
EOF

# Fail-safe: if anything below fails, stop what this run started and remove its network objects.
STOPPED=()
cleanup_on_error() {
  local rc=$?
  [ $rc -eq 0 ] && return
  echo "localcluster[$NAME]: start failed; last lines of the logs:" >&2
  for f in "$STATE"/logs/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
  for d in agent kube-controller-manager kube-apiserver etcd; do stop_daemon "$d" 10; done
  kill_pod_leftovers
  remove_network_leftovers
  release_slot
  exit $rc
}
trap cleanup_on_error EXIT

# --- certificates and credentials
pki=$STATE/pki
openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=etcdop-localcluster-$NAME-ca" -days 3650 -out "$pki/ca.crt" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$pki/serving.key" 2>/dev/null
openssl req -new -key "$pki/serving.key" -subj "/CN=kube-apiserver" -out "$pki/serving.csr" 2>/dev/null
printf 'subjectAltName=IP:%s,IP:%s,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
  "$GATEWAY" "$SERVICE_IP" >"$pki/serving.ext"
openssl x509 -req -in "$pki/serving.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
  -extfile "$pki/serving.ext" -out "$pki/serving.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
admin_token=$(token) cm_token=$(token) agent_token=$(token)
# Each component its own user; all in system:masters (the controller-manager runs with
# --use-service-account-credentials=false, the agent plays scheduler and kubelet).
cat >"$pki/tokens.csv" <<EOF
$admin_token,admin,admin,"system:masters"
$cm_token,system:kube-controller-manager,system:kube-controller-manager,"system:masters"
$agent_token,system:node:$NODE_NAME,system:node:$NODE_NAME,"system:masters,system:nodes"
EOF
chmod 600 "$pki"/*.key "$pki/tokens.csv"
ca_data=$(base64 -w0 "$pki/ca.crt")
write_kubeconfig() { # FILE USER TOKEN
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: etcdop-$NAME
  cluster:
    server: https://$GATEWAY:$API_PORT
    certificate-authority-data: $ca_data
users:
- name: $2
  user:
    token: $3
contexts:
- name: etcdop-$NAME
  context:
    cluster: etcdop-$NAME
    user: $2
    namespace: default
current-context: etcdop-$NAME
EOF
  chmod 600 "$1"
}
write_kubeconfig "$ADMIN_KUBECONFIG" admin "$admin_token"
write_kubeconfig "$STATE/controller-manager.kubeconfig" system:kube-controller-manager "$cm_token"
write_kubeconfig "$STATE/agent.kubeconfig" "system:node:$NODE_NAME" "$agent_token"

# --- pod network: the bridge; pods get netns + veth from the agent.
# The guard route keeps the whole pod range on this machine: an address of a stopped instance (a stale
# kubeconfig, a leftover client) is unreachable here instead of leaving through the default route. Each
# live instance's /20 on its bridge is more specific and wins. It stays after cluster-down on purpose.
ip route replace unreachable 10.244.0.0/16
ip link add "$BRIDGE" type bridge
ip addr add "$GATEWAY/20" dev "$BRIDGE"
ip link set "$BRIDGE" up

# --- etcd for the API server
start_daemon etcd etcd --name "etcdop-$NAME" --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "etcdop-$NAME=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn --logger zap
wait_for() { # DESCRIPTION TIMEOUT_S DAEMON CMD...: polls CMD; fails early when DAEMON exited
  local what=$1 timeout=$2 daemon=$3 deadline; shift 3
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    [ -z "$daemon" ] || pid_alive "$daemon" >/dev/null || die "$daemon exited while waiting for $what; see $STATE/logs/$daemon.log"
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for $what; see $STATE/logs/"
    sleep 0.2
  done
}
wait_for "etcd to be healthy" 30 etcd env ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$ETCD_PORT" endpoint health

# --- kube-apiserver
api_flags=(
  --etcd-servers="http://127.0.0.1:$ETCD_PORT"
  --bind-address="$GATEWAY" --advertise-address="$GATEWAY" --secure-port="$API_PORT" --insecure-port=0
  --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" --client-ca-file="$pki/ca.crt"
  --token-auth-file="$pki/tokens.csv" --authorization-mode=RBAC --allow-privileged=true
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key"
  --service-account-issuer=https://kubernetes.default.svc.cluster.local
  --api-audiences=https://kubernetes.default.svc.cluster.local
  # Projected, pod-bound ServiceAccount tokens (TokenRequest), as every current Kubernetes injects them.
  --feature-gates=BoundServiceAccountTokenVolume=true
  --service-cluster-ip-range="$SERVICE_CIDR"
  --enable-aggregator-routing=true
  --profiling=false --logtostderr=true --v=1
)
start_daemon kube-apiserver "$K8S_BIN/kube-apiserver" "${api_flags[@]}"
kc=(kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=5s)
wait_for "the API server to be ready" 90 kube-apiserver "${kc[@]}" get --raw /readyz

# --- kube-controller-manager (no node lifecycle: there are no kubelet heartbeats to judge nodes by)
start_daemon kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$STATE/controller-manager.kubeconfig" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=false --leader-elect=false \
  --bind-address=127.0.0.1 --secure-port=0 --port=0 \
  --controllers='*,-nodelifecycle' --pvclaimbinder-sync-period=5s \
  --feature-gates=BoundServiceAccountTokenVolume=true \
  --profiling=false --logtostderr=true --v=1

# --- the node agent
cat >"$STATE/agent.json" <<EOF
{
  "name": "$NAME",
  "nodeName": "$NODE_NAME",
  "root": "$ROOT",
  "stateDir": "$STATE",
  "bridge": "$BRIDGE",
  "subnet": "$SUBNET",
  "gateway": "$GATEWAY",
  "serviceCidr": "$SERVICE_CIDR",
  "apiServerPort": $API_PORT,
  "netnsPrefix": "$NETNS_PREFIX",
  "vethPrefix": "$VETH_PREFIX",
  "hostsTag": "$HOSTS_TAG"
}
EOF
start_daemon agent env LOG_FORMAT=json "$ROOT/bin/localcluster-agent" --kubeconfig "$STATE/agent.kubeconfig" --config "$STATE/agent.json"
wait_for "node $NODE_NAME to be Ready" 60 agent \
  "${kc[@]}" wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
# Pods can be created once the namespace's default ServiceAccount exists (the controller-manager makes it).
wait_for "the default ServiceAccount" 60 kube-controller-manager "${kc[@]}" get serviceaccount default -n default

[ "$USER_KUBECONFIG" = "$ADMIN_KUBECONFIG" ] || cp "$ADMIN_KUBECONFIG" "$USER_KUBECONFIG"
trap - EXIT
log "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
usage
