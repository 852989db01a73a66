#!/usr/bin/env bash
# Renders the krew manifest (plugin/krew/etcd.yaml) from the archives build-release.sh made: version, URIs
# and the sha256 of each archive. Refuses when an archive is missing: krew manifests never carry placeholders.
# Usage: plugin/krew/render.sh [ARCHIVE_DIR] > etcd.yaml
#   ARCHIVE_DIR  default .local/release
#   BASE_URL     env; default https://github.com/etcd-k8s-operator/etcd-k8s-operator/releases/download/v<version>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$root/.local/release}
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$root/package.json" | head -1)
[ -n "$version" ] || { echo "render.sh: no version in package.json" >&2; exit 1; }
base=${BASE_URL:-https://github.com/etcd-k8s-operator/etcd-k8s-operator/releases/download/v$version}
manifest=$(cat "$here/etcd.yaml")
manifest=${manifest//'{{VERSION}}'/$version}
manifest=${manifest//'{{BASE_URL}}'/$base}
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
  archive="$dir/kubectl-etcd_v${version}_${platform}.tar.gz"
  [ -f "$archive" ] || { echo "render.sh: $archive is missing: run plugin/krew/build-release.sh first" >&2; exit 1; }
  sum=$(sha256sum "$archive" | cut -d' ' -f1)
  manifest=${manifest//"{{SHA256_$platform}}"/$sum}
done
if grep -q '{{' <<<"$manifest"; then
  echo "render.sh: unfilled placeholders left: $(grep -o '{{[^}]*}}' <<<"$manifest" | sort -u | tr '\n' ' ')" >&2
  exit 1
fi
# The header comment describes the template, not the rendered manifest.
sed '1,2d' <<<"$manifest"
