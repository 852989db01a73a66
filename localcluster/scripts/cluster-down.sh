#!/usr/bin/env bash
# cluster-down.sh [--name NAME]: stops everything cluster-up started for the instance (default "local"): every
# process of its nodes (kubelets, containerd, shims, pods) by their cgroup trees, which ends the nodes' mount
# namespaces and all their mounts; the control plane, DNS and add-ons; then removes its network namespaces,
# veths, bridge, cgroups, /etc/hosts lines and the empty mount points it created. Host kernel settings that a
# kubelet would change are checked against what cluster-up saw. The state dir (logs, volumes) stays for
# inspection; the next cluster-up starts afresh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
parse_name "$@"
[ "$(id -u)" = 0 ] || die "must run as root"
t0=$(date +%s.%N)
if [ ! -f "$STATE/instance.env" ]; then
  log "not running; nothing to stop"
  exit 0
fi
lock_instance
source "$STATE/instance.env"
set_slot_names
STOPPED=()
mine=$([ "$(slot_of "$STATE")" = "$SLOT" ] && echo yes || echo no)
# The nodes first, all at once: every process of a node by its cgroup tree (no graceful kubelet shutdown is
# needed to throw a node away). Cgroups and namespaces are named by the slot: only while the slot is ours.
node_pids=()
for ((k = 1; k <= ${NODES:-0}; k++)); do
  [ -f "$STATE/pids/node-$k-holder" ] && STOPPED+=("$NAME-node-$k")
  if [ "$mine" = yes ]; then node_stop "$k" & node_pids+=($!); else rm -f "$STATE/pids/node-$k-"*; fi
done
for p in "${node_pids[@]}"; do wait "$p" || true; done
# The add-ons remove this instance's /etc/hosts lines on SIGTERM; the control plane stops in parallel.
for d in addons kube-scheduler kube-controller-manager kube-apiserver etcd dnsmasq; do
  pid_alive "$d" >/dev/null && STOPPED+=("$d")
  stop_daemon "$d" 15 &
done
wait
CLEANED=0
if [ "$mine" = yes ]; then
  kill_node_leftovers
  remove_network_leftovers
  release_slot
fi
# Mount points cluster-up made on the host for the nodes' fixed paths go once no instance runs on the machine
# (removing a directory that is a mount point in another instance's node would unmount it there).
if [ -f "$STATE/created-mount-points" ] && [ -z "$(ls "$REGISTRY"/slot-* 2>/dev/null)" ]; then
  while read -r m; do rmdir "$m" 2>/dev/null || true; done <"$STATE/created-mount-points"
  rm -f "$STATE/created-mount-points"
fi
check_host_sysctls
rm -f "$STATE/instance.env"
[ "$NAME" != local ] || rm -f "$ROOT/.local/kubeconfig"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [ ${#STOPPED[@]} -eq 0 ]; then
  log "was not running; removed $CLEANED leftover network object(s)/hosts line(s) (${took} s)"
else
  log "stopped ${STOPPED[*]}; removed bridge $BRIDGE, its network namespaces, cgroups and hosts lines (${took} s)"
fi
