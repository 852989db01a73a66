#!/usr/bin/env bash
# cluster-up.sh [--name NAME] [--nodes N]: starts a local Kubernetes cluster instance (default "local", 3
# nodes): etcd, kube-apiserver, kube-controller-manager, kube-scheduler on the host; per node a real
# kubelet, containerd (runc) and kube-proxy in the node's own namespaces (node-lib.sh); cluster DNS
# (dnsmasq) and a local-path volume provisioner (bin/localcluster-addons). Images are built here
# (bin/localcluster-images) and imported into each node: no registry is used or reachable.
# Every start is a fresh cluster: the instance's state dir .local/clusters/NAME/ is recreated.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
parse_name "$@"
[ "$(id -u)" = 0 ] || die "must run as root (it creates a bridge, network namespaces, cgroups and /etc/hosts lines)"
for tool in ip unshare nsenter openssl etcd etcdctl kubectl flock setsid containerd ctr runc dnsmasq iptables; do
  command -v "$tool" >/dev/null || die "'$tool' is missing; run 'make setup'"
done
find_k8s_bin
for f in localcluster/addons/main.js localcluster/images/main.js; do
  [ -f "$ROOT/dist/$f" ] || die "$ROOT/dist/$f is not built; run 'make build'"
done
t0=$(date +%s.%N)
lock_instance

usage() {
  cat <<EOF
localcluster[$NAME]: nodes $NAME-node-1..$NODES, API https://$GATEWAY:$API_PORT, pods in $SUBNET on bridge $BRIDGE
  export KUBECONFIG=$USER_KUBECONFIG
  kubectl get nodes
  logs: $STATE/logs/ (and kubectl logs)   stop: bash localcluster/scripts/cluster-down.sh$NAME_ARG
EOF
}

daemons() { # the daemons of a running instance with $NODES nodes
  echo etcd kube-apiserver kube-controller-manager kube-scheduler dnsmasq addons
  local k
  for ((k = 1; k <= NODES; k++)); do echo "node-$k-holder node-$k-containerd node-$k-kubelet node-$k-kube-proxy"; done
}

if [ -f "$STATE/instance.env" ]; then
  source "$STATE/instance.env"
  set_slot_names
  running=() dead=()
  for d in $(daemons); do
    if pid_alive "$d" >/dev/null; then running+=("$d"); elif [ -f "$STATE/pids/$d" ]; then dead+=("$d"); fi
  done
  if [ ${#running[@]} -eq "$(daemons | wc -w)" ]; then
    log "already running (pids in $STATE/pids); nothing changed"
    usage
    exit 0
  fi
  if [ ${#running[@]} -gt 0 ]; then
    die "partially running (up: ${running[*]}; exited: ${dead[*]:-none}); see $STATE/logs/, then run cluster-down and cluster-up again"
  fi
  # A previous run that crashed or was cleaned up only in part: remove what is left of it, then start fresh.
  if [ "$(slot_of "$STATE")" = "$SLOT" ]; then
    kill_node_leftovers
    remove_network_leftovers
    [ "$CLEANED" -eq 0 ] || log "removed $CLEANED leftover network object(s)/hosts line(s) of a previous run"
  fi
fi

allocate_slot
NODES=${NODES_ARG:-${ETCDOP_NODES:-3}}
kill_node_leftovers
remove_network_leftovers
[ "$CLEANED" -eq 0 ] || log "removed $CLEANED leftover network object(s)/hosts line(s) of slot $SLOT"
for port in "$ETCD_PORT" "$ETCD_PEER_PORT"; do
  if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then die "port $port (its etcd) is taken by another process"; fi
done

# Fresh start: empty the state dir (the dir itself stays: it is what holds the slot).
find "$STATE" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
mkdir -p "$STATE"/{pki,pids,logs,etcd,nodes,dns}
# Phase times, for tuning and BENCHMARKS.md (logs/cluster-up.log).
mark() { awk -v a="$t0" -v b="$(date +%s.%N)" -v p="$1" 'BEGIN { printf "%6.1f s  %s\n", b - a, p }' >>"$STATE/logs/cluster-up.log"; }
cat >"$STATE/instance.env" <<EOF
NAME=$NAME
SLOT=$SLOT
NODES=$NODES
EOF

# Fail-safe: if anything below fails, stop what this run started and remove its network objects.
STOPPED=()
cleanup_on_error() {
  local rc=$?
  [ $rc -eq 0 ] && return
  echo "localcluster[$NAME]: start failed; last lines of the logs:" >&2
  for f in "$STATE"/logs/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
  kill_node_leftovers
  for d in addons dnsmasq kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_daemon "$d" 10; done
  remove_network_leftovers
  release_slot
  exit $rc
}
trap cleanup_on_error EXIT

wait_for() { # DESCRIPTION TIMEOUT_S DAEMON CMD...: polls CMD; fails early when DAEMON exited
  local what=$1 timeout=$2 daemon=$3 deadline; shift 3
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    [ -z "$daemon" ] || pid_alive "$daemon" >/dev/null || die "$daemon exited while waiting for $what; see $STATE/logs/$daemon.log"
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for $what; see $STATE/logs/"
    sleep 0.2
  done
}

# --- images (built in the background while the control plane starts)
images_list=$STATE/images.list
etcd_args=(--etcd "$(etcd --version | awk '/^etcd Version:/ {print $3}')=$(dirname "$(command -v etcd)")")
for v in $(bash "$ROOT/localcluster/scripts/fetch-etcd.sh" --versions); do
  d=$(bash "$ROOT/localcluster/scripts/fetch-etcd.sh" --dir "$v")/bin
  [ -x "$d/etcd" ] || die "etcd $v is not fetched ($d); run 'make setup'"
  etcd_args+=(--etcd "$v=$d")
done
# One build at a time per checkout (instances start in parallel and share the cached layers and images).
mkdir -p "$ROOT/.local/images"
flock "$ROOT/.local/images/.build.lock" "$ROOT/bin/localcluster-images" --root "$ROOT" --cache "${ETCDOP_CACHE:-$HOME/.cache/etcd-k8s-operator}/images" \
  --out "$ROOT/.local/images" --pause "$K8S_BIN/pause" "${etcd_args[@]}" >"$images_list" 2>"$STATE/logs/images.log" &
images_pid=$!

# --- certificates and credentials
pki=$STATE/pki
openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=etcdop-localcluster-$NAME-ca" -days 3650 -out "$pki/ca.crt" 2>/dev/null
sign() { # NAME SUBJECT EXTENSIONS: a key and a certificate signed by the instance CA
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null
  openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
  printf '%b' "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}
sign serving /CN=kube-apiserver "subjectAltName=IP:$GATEWAY,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN\nextendedKeyUsage=serverAuth\n"
# The API server's identity towards kubelets (logs, exec, port-forward), authorized as a cluster admin.
sign kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth\n"
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
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
# Each component its own user with the identity Kubernetes' bootstrap RBAC expects (kubelets as
# system:node:NAME for the Node authorizer and NodeRestriction).
: >"$pki/tokens.csv"
credential() { # KUBECONFIG USER GROUPS
  local t; t=$(token)
  echo "$t,$2,$2,\"$3\"" >>"$pki/tokens.csv"
  write_kubeconfig "$1" "$2" "$t"
}
credential "$ADMIN_KUBECONFIG" admin system:masters
credential "$STATE/controller-manager.kubeconfig" system:kube-controller-manager system:masters
credential "$STATE/scheduler.kubeconfig" system:kube-scheduler system:authenticated
credential "$STATE/kube-proxy.kubeconfig" system:kube-proxy system:authenticated
credential "$STATE/addons.kubeconfig" system:localcluster-addons system:masters
for ((k = 1; k <= NODES; k++)); do
  node_vars "$k"
  mkdir -p "$N_DIR"
  credential "$N_DIR/kubelet.kubeconfig" "system:node:$N_NAME" system:nodes
done
chmod 600 "$pki"/*.key "$pki/tokens.csv"

# --- the node segment on the host bridge, and each node's pod range behind its node address.
# The guard route keeps the whole pod range on this machine: an address of a stopped instance (a stale
# kubeconfig, a leftover client) is unreachable here instead of leaving through the default route. Each
# live instance's routes are more specific and win. It stays after cluster-down on purpose.
ip route replace unreachable 10.244.0.0/16
ip link add "$BRIDGE" type bridge
ip addr add "$GATEWAY/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
all_nodes=$(seq 1 "$NODES")
for k in $all_nodes; do
  # shellcheck disable=SC2086
  node_network "$k" $all_nodes
done

# --- cluster DNS: dnsmasq on the bridge address, answering only cluster names, from the add-ons' records.
start_daemon dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --listen-address="$GATEWAY" --bind-interfaces \
  --no-resolv --no-hosts --hostsdir="$STATE/dns" --local="/$CLUSTER_DOMAIN/" --local=/svc/ --domain-needed \
  --user=root --pid-file= --log-facility=-

# --- etcd for the API server
start_daemon etcd etcd --name "etcdop-$NAME" --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "etcdop-$NAME=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn --logger zap
mark "network and dnsmasq"
wait_for "etcd to be healthy" 30 etcd env ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$ETCD_PORT" endpoint health

# --- kube-apiserver
api_flags=(
  --etcd-servers="http://127.0.0.1:$ETCD_PORT"
  --bind-address="$GATEWAY" --advertise-address="$GATEWAY" --secure-port="$API_PORT" --insecure-port=0
  --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" --client-ca-file="$pki/ca.crt"
  --kubelet-client-certificate="$pki/kubelet-client.crt" --kubelet-client-key="$pki/kubelet-client.key"
  --kubelet-preferred-address-types=InternalIP
  --token-auth-file="$pki/tokens.csv" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction
  --allow-privileged=true
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key"
  --service-account-issuer=https://kubernetes.default.svc.$CLUSTER_DOMAIN
  --api-audiences=https://kubernetes.default.svc.$CLUSTER_DOMAIN
  # Projected, pod-bound ServiceAccount tokens (TokenRequest), as every current Kubernetes injects them.
  --feature-gates=BoundServiceAccountTokenVolume=true
  --service-cluster-ip-range="$SERVICE_CIDR"
  # Webhooks behind a Service are called at the endpoints' pod addresses (the host runs no kube-proxy).
  --enable-aggregator-routing=true
  --profiling=false --logtostderr=true --v=1
)
start_daemon kube-apiserver "$K8S_BIN/kube-apiserver" "${api_flags[@]}"
kc=(kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=5s)
wait_for "the API server to be ready" 90 kube-apiserver "${kc[@]}" get --raw /readyz
mark "etcd and kube-apiserver ready"

# --- kube-controller-manager (node lifecycle on: a node that stops reporting goes NotReady in ~20 s)
start_daemon kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$STATE/controller-manager.kubeconfig" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=false --leader-elect=false \
  --bind-address=127.0.0.1 --secure-port=0 --port=0 \
  --node-monitor-grace-period=20s --node-monitor-period=2s --pvclaimbinder-sync-period=5s \
  --feature-gates=BoundServiceAccountTokenVolume=true \
  --profiling=false --logtostderr=true --v=1
start_daemon kube-scheduler "$K8S_BIN/kube-scheduler" --kubeconfig="$STATE/scheduler.kubeconfig" \
  --leader-elect=false --port=0 --secure-port=0 --profiling=false --logtostderr=true --v=1

# --- nodes: namespaces and containerd, the images, then the kubelets
wait "$images_pid" || die "building the images failed: $(tail -5 "$STATE/logs/images.log")"
mark "images built"
PAUSE_IMAGE=$(awk '$1 ~ /\/pause:/ {print $1; exit}' "$images_list")
# The operator image (the largest) is imported while the kubelets register.
mapfile -t base_tars < <(awk -v op="$OPERATOR_REPOSITORY:" 'index($1, op) != 1 {print $2}' "$images_list")
operator_tar=$(awk -v op="$OPERATOR_REPOSITORY:" 'index($1, op) == 1 {print $2}' "$images_list")
save_host_sysctls
node_pids=()
for k in $all_nodes; do
  ( node_configure "$k" && node_start "$k" && node_import "$k" "${base_tars[@]}" && node_kubelet "$k" && node_import "$k" "$operator_tar" ) &
  node_pids+=($!)
done
for p in "${node_pids[@]}"; do wait "$p" || die "a node did not start; see $STATE/logs/node-*.log"; done
mark "nodes: containerd up, images imported, kubelets started"

# --- add-ons: cluster DNS records and volumes; the default StorageClass binds on first consumer
cat >"$STATE/addons.json" <<EOF
{ "name": "$NAME", "root": "$ROOT", "stateDir": "$STATE", "dnsDir": "$STATE/dns",
  "hostsTag": "$HOSTS_TAG", "domain": "$CLUSTER_DOMAIN" }
EOF
start_daemon addons env LOG_FORMAT=json "$ROOT/bin/localcluster-addons" --kubeconfig "$STATE/addons.kubeconfig" --config "$STATE/addons.json"
"${kc[@]}" apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: localcluster.etcd-k8s-operator.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF

for k in $all_nodes; do
  node_vars "$k"
  wait_for "node $N_NAME to be Ready" 90 "node-$k-kubelet" \
    "${kc[@]}" wait --for=condition=Ready "node/$N_NAME" --timeout=2s
done
mark "nodes Ready"
# Pods can be created once the namespace's default ServiceAccount exists (the controller-manager makes it).
wait_for "the default ServiceAccount" 60 kube-controller-manager "${kc[@]}" get serviceaccount default -n default

[ "$USER_KUBECONFIG" = "$ADMIN_KUBECONFIG" ] || cp "$ADMIN_KUBECONFIG" "$USER_KUBECONFIG"
mark "up"
trap - EXIT
log "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
usage
