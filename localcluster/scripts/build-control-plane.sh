#!/usr/bin/env bash
# Builds the local cluster's Kubernetes binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet, kube-proxy) from Debian's `kubernetes` source package and caches them outside the clone, keyed by
# the source version, so a second run (or a fresh clone) skips the build.
set -euo pipefail
cache="${ETCDOP_CACHE:-$HOME/.cache/etcd-k8s-operator}"
mkdir -p "$cache"

version=$(apt-cache showsrc kubernetes 2>/dev/null | awk '/^Version:/ {print $2; exit}')
if [ -z "$version" ]; then
  echo "build-control-plane: no source package 'kubernetes' known to apt; is the deb-src entry in place (make setup)?" >&2
  exit 1
fi
# Kubernetes 1.20 vendors reflect2 1.0.1, which faults under Go >= 1.18 (Debian's Go is 1.19) as soon as
# json-iterator encodes a custom resource; Debian's golang-github-modern-go-reflect2-dev (1.0.2) is swapped in.
out="$cache/kubernetes-$version-reflect2-1.0.2"
# --dir: print where the binaries live (the one place the cache key is defined) and stop.
if [ "${1:-}" = --dir ]; then echo "$out"; exit 0; fi
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
kube_cached() { local b; for b in "${BINARIES[@]}"; do [ -x "$out/$b" ] || return 1; done; }
# The pod sandbox's pause program, from the same tree (build/pause/linux/pause.c), static as upstream builds it.
cached() { kube_cached && [ -x "$out/pause" ]; }
if cached; then
  echo "build-control-plane: cached $out"
  exit 0
fi
# One build at a time on the machine; whoever waited finds the binaries cached.
exec 9>"$cache/build.lock"
if ! flock -n 9; then
  echo "build-control-plane: another build is running; waiting for it"
  flock 9
fi
if cached; then
  echo "build-control-plane: cached $out"
  exit 0
fi

reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
if [ ! -f "$reflect2/reflect2.go" ]; then
  echo "build-control-plane: $reflect2 missing; install golang-github-modern-go-reflect2-dev (make setup does)" >&2
  exit 1
fi
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "build-control-plane: fetching source of kubernetes $version"
apt-get -o APT::Sandbox::User=root source --download-only kubernetes >/dev/null
if kube_cached; then
  tar xzf kubernetes_*.orig.tar.gz --wildcards '*/build/pause/linux/pause.c'
else
  tar xzf kubernetes_*.orig.tar.gz
fi
src=$(find . -maxdepth 1 -type d -name 'kubernetes-*' | head -1)
cd "$src"
start=$(date +%s)
if ! kube_cached; then
  mkdir -p .go/src/k8s.io && ln -s ../../.. .go/src/k8s.io/kubernetes
  rm -rf vendor/github.com/modern-go/reflect2 && cp -r "$reflect2" vendor/github.com/modern-go/
  sed -i 's#modern-go/reflect2 v1.0.1#modern-go/reflect2 v1.0.2#g' vendor/modules.txt go.mod
  echo "build-control-plane: building ${BINARIES[*]} (10-20 minutes on 2 cores)"
  what=$(printf 'cmd/%s ' "${BINARIES[@]}")
  GOPATH=$PWD/.go CGO_ENABLED=0 HOME=$(mktemp -d) GOFLAGS=-mod=vendor \
    nice make WHAT="$what" >"$work/build.log" 2>&1 || {
    tail -40 "$work/build.log" >&2; exit 1; }
  mkdir -p "$out.tmp"
  for b in "${BINARIES[@]}"; do cp "_output/bin/$b" "$out.tmp/"; done
  rm -rf "$out" && mv "$out.tmp" "$out"
fi
gcc -static -Os -DVERSION=v3.2-etcdop -o "$out/pause.tmp" build/pause/linux/pause.c
mv "$out/pause.tmp" "$out/pause"
echo "build-control-plane: built in $(( $(date +%s) - start )) s -> $out"
