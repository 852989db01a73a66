#!/usr/bin/env bash
# `make bench`: every benchmark, each measuring its baseline in the same run and printing the ratio.
# Benches that need a cluster of their own start one; the plugin bench reads the default local cluster with
# the operator (or $KUBECONFIG), started here when it is not running and stopped again afterwards.
# `bash scripts/bench.sh NAME...` runs only those (e.g. backup-speed, which needs no cluster at all).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools:$PWD/bin:$PATH"
selected=("$@")
wanted() {
  [ ${#selected[@]} -eq 0 ] && return 0
  local s
  for s in "${selected[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}
started=0
if wanted plugin-status && [ -z "${KUBECONFIG:-}" ]; then
  if ! bash localcluster/scripts/cluster-status.sh >/dev/null 2>&1; then
    bash localcluster/scripts/cluster-up.sh >/dev/null && started=1
  fi
  bash localcluster/scripts/deploy-operator.sh >/dev/null
fi
trap '[ "$started" = 1 ] && bash localcluster/scripts/cluster-down.sh >/dev/null' EXIT
status=0
for b in dist/bench/*.js; do
  name=$(basename "$b" .js)
  case "$name" in _*|lib-*) continue ;; esac
  wanted "$name" || continue
  echo "== $name"
  node "$b" || { echo "benchmark $name failed" >&2; status=1; }
done
exit $status
