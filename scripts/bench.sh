#!/usr/bin/env bash
# `make bench`: every benchmark, each measuring its baseline in the same run and printing the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools:$PWD/bin:$PATH"
status=0
for b in dist/bench/*.js; do
  case "$(basename "$b")" in _*|lib-*) continue ;; esac
  echo "== $(basename "$b" .js)"
  node "$b" || { echo "benchmark $(basename "$b") failed" >&2; status=1; }
done
exit $status
