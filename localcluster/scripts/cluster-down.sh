#!/usr/bin/env bash
# cluster-down.sh [--name NAME]: stops the processes cluster-up started for the instance (default "local"),
# the pods' processes, and removes its network namespaces, veths, bridge and /etc/hosts lines.
# The state dir (logs, volumes) stays for inspection; the next cluster-up starts afresh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
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
# The agent first: on SIGTERM it stops its pods' processes and removes their netns and hosts lines.
stop_daemon agent 30
stop_daemon kube-controller-manager 10
stop_daemon kube-apiserver 15
stop_daemon etcd 10
kill_pod_leftovers
CLEANED=0
# Network objects only while the slot is still ours (after a release it may belong to another instance).
if [ "$(slot_of "$STATE")" = "$SLOT" ]; then
  remove_network_leftovers
  release_slot
fi
rm -f "$STATE/instance.env"
[ "$NAME" != local ] || rm -f "$ROOT/.local/kubeconfig"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [ ${#STOPPED[@]} -eq 0 ]; then
  log "was not running; removed $CLEANED leftover network object(s)/hosts line(s) (${took} s)"
else
  log "stopped ${STOPPED[*]}; removed bridge $BRIDGE, its pod network namespaces and hosts lines (${took} s)"
fi
