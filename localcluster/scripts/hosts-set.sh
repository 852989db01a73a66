#!/usr/bin/env bash
# hosts-set.sh TAG < LINES: makes the /etc/hosts lines of one local-cluster slot exactly LINES ("IP NAME...").
# TAG is "etcdop-localcluster:<slot>:<name>"; every line marked with the same slot (any name: leftovers of a
# previous owner) is replaced. Other lines are never touched. Machine-wide lock; atomic replace where possible.
set -euo pipefail
tag=${1:?usage: hosts-set.sh TAG < lines}
[[ "$tag" =~ ^(etcdop-localcluster:[0-9]+:)[a-z0-9-]+$ ]] || { echo "hosts-set: bad tag '$tag'" >&2; exit 2; }
slot_marker="# ${BASH_REMATCH[1]}"
hosts=${ETCDOP_HOSTS_FILE:-/etc/hosts}
registry=${ETCDOP_REGISTRY:-/var/lib/etcd-k8s-operator/localcluster}
mkdir -p "$registry"
new_lines=$(grep -E '^[0-9a-fA-F.:]+[[:space:]]+[^#]+$' || true)
exec 9>"$registry/hosts.lock"
flock -w 30 9
tmp=$(mktemp "$(dirname "$hosts")/.hosts.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  awk -v m="$slot_marker" 'index($0, m) == 0' "$hosts"
  [ -z "$new_lines" ] || printf '%s\n' "$new_lines" | sed "s/[[:space:]]*\$/ # $tag/"
} >"$tmp"
cmp -s "$tmp" "$hosts" && exit 0
chmod --reference="$hosts" "$tmp"
# rename keeps readers from ever seeing a half-written file; a bind-mounted /etc/hosts needs an in-place write.
mv -f "$tmp" "$hosts" 2>/dev/null || cat "$tmp" >"$hosts"
