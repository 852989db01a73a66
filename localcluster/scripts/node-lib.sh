# The nodes of a local cluster (sourced after lib.sh). A node is what a machine would be:
# - a network namespace (veth on the instance's bridge, its node address, its pods' /24 behind a CNI bridge,
#   routes to the other nodes' pods, no default route: nothing leaves the instance's range);
# - a private mount namespace, kept by a holder process, where per-node directories are mounted over the
#   fixed paths a kubelet and containerd use (/var/lib/kubelet, /var/log/pods, /var/log/containers,
#   /var/lib/cni, /run/containerd, /run/netns, /etc/resolv.conf) and over the kernel settings a kubelet
#   insists on (/proc/sys/...: it writes only values that differ, so the host's settings stay untouched);
# - containerd, the kubelet and kube-proxy entered into both namespaces, all processes of the node (pods
#   included: cgroupRoot) in the cgroup tree etcdop<slot>-n<K>, which node.sh freezes to stop the node.
# Leaving the mount namespace's last process ends every mount made in it: nothing is left on the host.

NODE_SYSCTLS=(vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000)
# Fixed paths that need a mount point on the host; created empty when missing, removed again when empty.
NODE_MOUNT_POINTS=(/var/lib/kubelet /var/log/pods /var/log/containers /var/lib/cni /run/containerd)

# The host's values of the settings a kubelet writes, saved at cluster-up; cluster-down restores any that
# changed (nothing should: the nodes see files mounted over them) and says so.
save_host_sysctls() {
  local s
  for s in "${NODE_SYSCTLS[@]}"; do echo "${s%%=*}=$(cat "/proc/sys/${s%%=*}")"; done >"$STATE/host-sysctls"
}
check_host_sysctls() {
  local line key want now
  [ -f "$STATE/host-sysctls" ] || return 0
  while IFS= read -r line; do
    key=${line%%=*} want=${line#*=}
    now=$(cat "/proc/sys/$key")
    if [ "$now" != "$want" ]; then
      log "warning: /proc/sys/$key changed while the cluster ran ($want -> $now); restoring $want"
      echo "$want" >"/proc/sys/$key"
    fi
  done <"$STATE/host-sysctls"
}

# node_network K ALL...: the node's namespace, its link to the bridge, routes both ways.
node_network() {
  local k=$1 j; shift
  node_vars "$k"
  ip netns add "$N_NS"
  ip link add "$N_VETH" type veth peer name eth0 netns "$N_NS"
  ip link set "$N_VETH" master "$BRIDGE" up
  ip -n "$N_NS" link set lo up
  ip -n "$N_NS" addr add "$N_IP/24" dev eth0
  ip -n "$N_NS" link set eth0 up
  # Routing for its pods, and bridged pod traffic through iptables (kube-proxy's Service rules).
  ip netns exec "$N_NS" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  ip route replace "$N_POD_CIDR" via "$N_IP" dev "$BRIDGE"
  local my_ns=$N_NS
  for j in "$@"; do
    [ "$j" = "$k" ] && continue
    node_vars "$j"
    ip -n "$my_ns" route replace "$N_POD_CIDR" via "$N_IP" dev eth0
  done
  node_vars "$k"
}

# node_configure K: the node's directories and configuration files.
node_configure() {
  node_vars "$1"
  local d
  mkdir -p "$N_DIR"/{kubelet,log-pods,log-containers,cni-lib,run-containerd,netns,containerd,cni,sysctl,volume-plugins,volumes}
  for d in "${NODE_SYSCTLS[@]}"; do echo "${d#*=}" >"$N_DIR/sysctl/$(echo "${d%%=*}" | tr / .)"; done
  echo "nameserver $GATEWAY" >"$N_DIR/resolv.conf"
  cat >"$N_DIR/containerd.toml" <<EOF
version = 2
root = "$N_DIR/containerd/root"
state = "/run/containerd"
oom_score = 0
[grpc]
  address = "$N_SOCK"
[ttrpc]
  address = "$N_SOCK.ttrpc"
[debug]
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$N_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This VM's bounding set lacks CAP_SYS_RESOURCE: without it every sandbox fails ("can't get final child's PID").
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N_DIR/cni"
EOF
  cat >"$N_DIR/cni/10-pods.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "pods",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$N_POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    }
  ]
}
EOF
  cat >"$N_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $N_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupRoot: /$N_CGROUP
failSwapOn: false
makeIPTablesUtilChains: false
protectKernelDefaults: false
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: [$GATEWAY]
resolvConf: $N_DIR/resolv.conf
volumePluginDir: $N_DIR/volume-plugins
nodeStatusUpdateFrequency: 5s
nodeLeaseDurationSeconds: 20
serializeImagePulls: false
# Images cannot be pulled again here (no registry): never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# A disk shared with the rest of the machine: evict only when it is really full.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
containerLogMaxSize: 10Mi
containerLogMaxFiles: 2
EOF
  cat >"$N_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
hostnameOverride: $N_NAME
bindAddress: $N_IP
clusterCIDR: $SUBNET
mode: iptables
# Leave the machine-wide conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
iptables: {syncPeriod: 30s, minSyncPeriod: 1s}
EOF
}

# node_daemon K ROLE CMD...: CMD as a daemon of node K, in its cgroup tree and its two namespaces.
node_daemon() {
  local k=$1 role=$2 holder; shift 2
  node_vars "$k"
  holder=$(pid_alive "node-$k-holder") || die "node $N_NAME has no holder process"
  start_daemon "node-$k-$role" bash "$ROOT/localcluster/scripts/in-cgroup.sh" "$N_CGROUP/system" \
    nsenter -t "$holder" -m -n -- "$@"
}

# node_start K: holder (namespaces and mounts), then containerd; the kubelet comes after the images.
node_start() {
  local k=$1 m mounts
  node_vars "$k"
  cgroup_create "$N_CGROUP/system"
  for m in "${NODE_MOUNT_POINTS[@]}"; do
    [ -d "$m" ] || { mkdir -p "$m" && echo "$m" >>"$STATE/created-mount-points"; }
  done
  mounts="mount --bind $N_DIR/kubelet /var/lib/kubelet && mount --bind $N_DIR/log-pods /var/log/pods"
  mounts+=" && mount --bind $N_DIR/log-containers /var/log/containers && mount --bind $N_DIR/cni-lib /var/lib/cni"
  mounts+=" && mount --bind $N_DIR/run-containerd /run/containerd && mount --bind $N_DIR/netns /run/netns"
  mounts+=" && mount --bind $N_DIR/resolv.conf /etc/resolv.conf"
  for m in "${NODE_SYSCTLS[@]}"; do
    m=${m%%=*}
    mounts+=" && mount --bind $N_DIR/sysctl/$(echo "$m" | tr / .) /proc/sys/$m"
  done
  rm -f "$N_DIR/holder.ready"
  start_daemon "node-$k-holder" bash "$ROOT/localcluster/scripts/in-cgroup.sh" "$N_CGROUP/system" \
    nsenter --net="/run/netns/$N_NS" unshare -m --propagation private -- \
    sh -c "$mounts && touch $N_DIR/holder.ready && exec sleep infinity"
  wait_for "node $N_NAME's namespaces" 10 "node-$k-holder" test -f "$N_DIR/holder.ready"
  node_daemon "$k" containerd containerd --config "$N_DIR/containerd.toml"
  wait_for "containerd of $N_NAME" 30 "node-$k-containerd" ctr -a "$N_SOCK" version
}

# node_import K TAR...: images into the node's containerd (namespace k8s.io, where the kubelet looks).
node_import() {
  local k=$1 tar; shift
  node_vars "$k"
  for tar in "$@"; do
    # Unpacked on first use by the CRI plugin (most nodes never run most images).
    ctr -a "$N_SOCK" -n k8s.io images import --no-unpack "$tar" >/dev/null || die "importing $tar into $N_NAME failed"
  done
}

# node_kubelet K: the kubelet and kube-proxy of node K.
node_kubelet() {
  node_vars "$1"
  node_daemon "$1" kubelet "$K8S_BIN/kubelet" --config="$N_DIR/kubelet.yaml" --kubeconfig="$N_DIR/kubelet.kubeconfig" \
    --container-runtime=remote --container-runtime-endpoint="unix://$N_SOCK" --runtime-request-timeout=2m \
    --pod-infra-container-image="$PAUSE_IMAGE" --root-dir=/var/lib/kubelet --cert-dir=/var/lib/kubelet/pki \
    --hostname-override="$N_NAME" --node-ip="$N_IP" --node-labels="topology.kubernetes.io/zone=zone-$1" \
    --logtostderr=true --v=1
  node_daemon "$1" kube-proxy "$K8S_BIN/kube-proxy" --config="$N_DIR/kube-proxy.yaml" --logtostderr=true --v=1
}

# node_stop K: every process of the node (pods included) ends; its namespaces and mounts go with them. Its
# image store and pod directories go too (hundreds of MB a node); its logs and volumes stay for inspection.
node_stop() {
  node_vars "$1"
  cgroup_kill "$N_CGROUP"
  rm -f "$STATE/pids/node-$1-"*
  ip netns delete "$N_NS" 2>/dev/null || true
  [ -n "$(cgroup_procs "$N_CGROUP")" ] || rm -rf "$N_DIR/containerd" "$N_DIR/kubelet" "$N_DIR/run-containerd" "$N_DIR/netns"
}
