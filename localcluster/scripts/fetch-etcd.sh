#!/usr/bin/env bash
# fetch-etcd.sh [--dir VERSION]: etcd releases newer than bookworm's, from Debian's own newer suites, by
# exact package version, cached in ~/.cache/etcd-k8s-operator/etcd-<version>/bin/{etcd,etcdctl,etcdutl}.
# A private apt configuration (its own sources list, lists and cache under the cache dir) reads the suite;
# the machine's apt sources are never changed, and the mirror is the one the machine already uses.
# bookworm's own etcd (3.4.23, package etcd-server) is the machine's /usr/bin/etcd and needs no fetch.
set -euo pipefail
cache="${ETCDOP_CACHE:-$HOME/.cache/etcd-k8s-operator}"
# etcd version -> "SUITE PACKAGE_VERSION". trixie is a stable release: its package versions stay put.
declare -A RELEASES=([3.5.16]="trixie 3.5.16-4")
VERSIONS=${ETCDOP_ETCD_VERSIONS:-3.5.16}

dir_of() { echo "$cache/etcd-$1"; }
if [ "${1:-}" = --dir ]; then dir_of "${2:?--dir VERSION}"; exit 0; fi
if [ "${1:-}" = --versions ]; then echo "$VERSIONS"; exit 0; fi

fetched() { local d; d=$(dir_of "$1"); [ -x "$d/bin/etcd" ] && [ -x "$d/bin/etcdctl" ] && [ -x "$d/bin/etcdutl" ]; }
missing=()
for v in $VERSIONS; do
  [ -n "${RELEASES[$v]:-}" ] || { echo "fetch-etcd: no Debian package known for etcd $v (known: ${!RELEASES[*]})" >&2; exit 1; }
  fetched "$v" || missing+=("$v")
done
if [ ${#missing[@]} -eq 0 ]; then echo "setup: etcd $VERSIONS cached"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/fetch-etcd.lock"
flock -w 600 9
apt_dir=$cache/apt-private
read -r uri signed < <(bash "$(dirname "$0")/../../scripts/apt-mirror.sh" bookworm)
opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt_dir/lists"
      -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
suites=$(for v in "${missing[@]}"; do echo "${RELEASES[$v]%% *}"; done | sort -u)
for s in $suites; do
  if [ "$signed" = - ]; then echo "deb $uri $s main"; else echo "deb [signed-by=$signed] $uri $s main"; fi
done >"$apt_dir/sources.list"
echo "setup: fetching etcd ${missing[*]} from Debian ($suites) through a private apt configuration"
apt-get "${opts[@]}" update
for v in "${missing[@]}"; do
  pkg=${RELEASES[$v]#* }
  work=$(mktemp -d "$cache/etcd-$v.XXXXXX")
  ( cd "$work" && apt-get "${opts[@]}" download "etcd-server=$pkg" "etcd-client=$pkg" )
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$work/bin"
  for b in etcd etcdctl etcdutl; do
    [ -x "$work/root/usr/bin/$b" ] || { echo "fetch-etcd: $b missing from etcd $pkg" >&2; exit 1; }
    mv "$work/root/usr/bin/$b" "$work/bin/"
  done
  got=$("$work/bin/etcd" --version | awk '/^etcd Version:/ {print $3}')
  [ "$got" = "$v" ] || { echo "fetch-etcd: package $pkg holds etcd $got, not $v" >&2; exit 1; }
  out=$(dir_of "$v"); rm -rf "$out"; mkdir -p "$out"; mv "$work/bin" "$out/"; rm -rf "$work"
  echo "setup: etcd $v -> $out"
done
