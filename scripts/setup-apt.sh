#!/usr/bin/env bash
# Installs the Debian packages the project needs, and the deb-src entry the control-plane build reads.
# Idempotent: apt runs only when something is missing.
set -euo pipefail
src=/etc/apt/sources.list.d/etcd-k8s-operator-src.sources
need_update=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  # A copy of the machine's own bookworm entry (its mirror and key), as deb-src.
  read -r uri signed < <(bash "$(dirname "$0")/apt-mirror.sh" bookworm)
  {
    echo "Types: deb-src"; echo "URIs: $uri"; echo "Suites: bookworm"; echo "Components: main"
    [ "$signed" != - ] && echo "Signed-By: $signed"
  } > "$src"
  need_update=1
fi
missing=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# kubectl ships with these machines; where it does not, Debian's own client serves the local 1.20 server.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
[ -z "$(apt-cache showsrc kubernetes 2>/dev/null | head -1)" ] && need_update=1
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  echo "setup: apt-get update${missing[*]:+ and install ${missing[*]}}"
  apt-get update -qq
  [ ${#missing[@]} -gt 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "setup: apt packages present"
