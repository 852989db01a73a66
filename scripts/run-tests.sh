#!/usr/bin/env bash
# Runs the test levels in order (unit, integration with real etcd, e2e on the local cluster) and ends
# with jest's totals as one plain line, `N passed, N failed`, which CI reads as the test count.
set -uo pipefail
cd "$(dirname "$0")/.."
# The pinned Node (make setup), whoever calls this: client-node and undici need Node >= 22.
export PATH="$PWD/.tools:$PATH"
levels=("$@"); [ ${#levels[@]} -eq 0 ] && levels=(unit integration e2e)
mkdir -p .local
rc=0
for level in "${levels[@]}"; do
  out=".local/jest-$level.json"; rm -f "$out"
  args=(--json --outputFile="$out" "test/$level")
  # Integration tests share the machine's loopback ports: one file at a time. E2E files run two at a time (each
  # instance's network, cgroups and names are its own; files that install cluster-wide objects or stop nodes
  # ask for an instance of their own): most of their time is waiting for kubelets and etcd, not CPU.
  case "$level" in
    integration|chaos) args+=(--runInBand) ;;
    e2e) args+=(--maxWorkers="${ETCDOP_E2E_WORKERS:-2}") ;;
  esac
  echo "== $level tests"
  node --experimental-vm-modules node_modules/jest/bin/jest.js "${args[@]}" || rc=1
done
node scripts/test-totals.mjs "${levels[@]}"
exit $rc
