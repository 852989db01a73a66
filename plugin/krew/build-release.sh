#!/usr/bin/env bash
# Builds the standalone kubectl-etcd (no Node needed on the user's machine) for the krew platforms:
# the plugin bundled by esbuild into one CommonJS file, made a Node single executable application (SEA)
# per platform with postject, packed as kubectl-etcd_v<version>_<os>_<arch>.tar.gz with
# kubectl_complete-etcd (a wrapper for the hidden `kubectl-etcd __complete`).
# Usage (after `make build`): plugin/krew/build-release.sh [PLATFORM...]
#   PLATFORM  linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 (default: all four)
#   OUT_DIR   env; default .local/release
# Node binaries of other platforms come from nodejs.org/dist (checked against SHASUMS256.txt); darwin
# binaries must be re-signed after injection, which needs `codesign` (macOS) or `rcodesign` on PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
node=${ETCDOP_NODE:-$root/.tools/node}
version=$("$node" -p "require('./package.json').version")
node_version=$("$node" -p 'process.versions.node')
out=${OUT_DIR:-$root/.local/release}
work="$out/work"
platforms=("$@"); [ ${#platforms[@]} -eq 0 ] && platforms=(linux_amd64 linux_arm64 darwin_amd64 darwin_arm64)
[ -f dist/plugin/main.js ] || { echo "build-release: dist/plugin/main.js missing: run 'make build' first" >&2; exit 1; }
mkdir -p "$work"

# 1. One file: CommonJS (what SEA runs), the version compiled in, import.meta.url mapped for yargs' shims.
echo "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" > "$work/import-meta.js"
node_modules/esbuild/bin/esbuild dist/plugin/main.js --bundle --format=cjs --platform=node --target="node${node_version%%.*}" \
  --minify --outfile="$work/kubectl-etcd.cjs" --define:import.meta.url=importMetaUrl --inject:"$work/import-meta.js" \
  "--define:__KUBECTL_ETCD_VERSION__=\"$version\"" --log-level=warning
# The blob holds no code cache or snapshot, so one blob serves every platform of this Node version.
cat > "$work/sea.json" <<JSON
{"main": "$work/kubectl-etcd.cjs", "output": "$work/sea.blob", "disableExperimentalSEAWarning": true, "useCodeCache": false, "useSnapshot": false}
JSON
"$node" --experimental-sea-config "$work/sea.json" >/dev/null

host_platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]'); arch=$(uname -m)
  case "$arch" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; esac
  echo "${os}_${arch}"
}

node_binary() { # PLATFORM -> path of that platform's node binary, version $node_version
  local p=$1 os=${1%_*} arch=${1#*_} dist
  if [ "$p" = "$(host_platform)" ]; then readlink -f "$node"; return; fi
  [ "$arch" = amd64 ] && arch=x64
  dist="node-v$node_version-$os-$arch"
  if [ ! -x "$work/$dist/bin/node" ]; then
    curl -fsSL "https://nodejs.org/dist/v$node_version/$dist.tar.gz" -o "$work/$dist.tar.gz"
    curl -fsSL "https://nodejs.org/dist/v$node_version/SHASUMS256.txt" -o "$work/SHASUMS256-$node_version.txt"
    (cd "$work" && grep " $dist.tar.gz\$" "SHASUMS256-$node_version.txt" | sha256sum -c - >/dev/null)
    tar -xzf "$work/$dist.tar.gz" -C "$work" "$dist/bin/node"
  fi
  echo "$work/$dist/bin/node"
}

for p in "${platforms[@]}"; do
  case "$p" in linux_amd64|linux_arm64|darwin_amd64|darwin_arm64) ;; *) echo "build-release: unknown platform $p" >&2; exit 1 ;; esac
  stage="$work/$p"; rm -rf "$stage"; mkdir -p "$stage"
  cp "$(node_binary "$p")" "$stage/kubectl-etcd"; chmod u+w "$stage/kubectl-etcd"
  inject=(node_modules/postject/dist/cli.js "$stage/kubectl-etcd" NODE_SEA_BLOB "$work/sea.blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2)
  if [[ $p == darwin_* ]]; then
    if command -v codesign >/dev/null; then codesign --remove-signature "$stage/kubectl-etcd"; sign=(codesign --sign - "$stage/kubectl-etcd")
    elif command -v rcodesign >/dev/null; then sign=(rcodesign sign "$stage/kubectl-etcd")
    else echo "build-release: $p needs codesign (macOS) or rcodesign to re-sign the binary after injection" >&2; exit 1; fi
    "$node" "${inject[@]}" --macho-segment-name NODE_SEA >/dev/null
    "${sign[@]}"
  else
    "$node" "${inject[@]}" >/dev/null
  fi
  cat > "$stage/kubectl_complete-etcd" <<'SH'
#!/bin/sh
# kubectl 1.26+ runs this for `kubectl etcd <TAB>`; the standalone kubectl-etcd answers it.
exec "$(dirname "$(readlink -f "$0")")/kubectl-etcd" __complete "$@"
SH
  chmod 755 "$stage/kubectl-etcd" "$stage/kubectl_complete-etcd"
  tar -czf "$out/kubectl-etcd_v${version}_${p}.tar.gz" -C "$stage" kubectl-etcd kubectl_complete-etcd
  echo "build-release: $out/kubectl-etcd_v${version}_${p}.tar.gz"
done
