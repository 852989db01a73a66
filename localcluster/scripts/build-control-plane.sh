#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from Debian's `kubernetes` source package and caches
# them outside the clone, keyed by the source version, so a second run (or a fresh clone) skips the build.
set -euo pipefail
cache="${ETCDOP_CACHE:-$HOME/.cache/etcd-k8s-operator}"
mkdir -p "$cache"

version=$(apt-cache showsrc kubernetes 2>/dev/null | awk '/^Version:/ {print $2; exit}')
if [ -z "$version" ]; then
  echo "build-control-plane: no source package 'kubernetes' known to apt; is the deb-src entry in place (make setup)?" >&2
  exit 1
fi
out="$cache/kubernetes-$version"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
  echo "build-control-plane: cached $out"
  exit 0
fi

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "build-control-plane: fetching source of kubernetes $version"
apt-get source --download-only kubernetes >/dev/null
tar xzf kubernetes_*.orig.tar.gz
src=$(find . -maxdepth 1 -type d -name 'kubernetes-*' | head -1)
cd "$src"
mkdir -p .go/src/k8s.io && ln -s ../../.. .go/src/k8s.io/kubernetes
start=$(date +%s)
echo "build-control-plane: building kube-apiserver and kube-controller-manager (a few minutes)"
GOPATH=$PWD/.go CGO_ENABLED=0 HOME=$(mktemp -d) GOFLAGS=-mod=vendor \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; exit 1; }
mkdir -p "$out.tmp"
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$out.tmp/"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "build-control-plane: built in $(( $(date +%s) - start )) s -> $out"
