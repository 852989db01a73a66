#!/usr/bin/env bash
# Prints "URI SIGNED_BY" of the machine's own Debian entry (the first `deb` source whose suites include
# bookworm, not -security/-updates), read from /etc/apt/sources.list.d/*.sources (deb822) and
# /etc/apt/sources.list. The project names no mirror: the deb-src entry and the private apt configuration
# of fetch-etcd.sh use whatever this machine's apt already uses.
set -euo pipefail
suite=${1:-bookworm}
awk -v suite="$suite" '
  function flush() {
    if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && !found) {
      split(uris, u, " "); print u[1], (signed == "" ? "-" : signed); found = 1
    }
    types = ""; uris = ""; suites = ""; signed = ""
  }
  FNR == 1 { flush() }
  /^[[:space:]]*$/ { flush(); next }
  /^[[:space:]]*#/ { next }
  tolower($1) == "types:" { $1 = ""; types = substr($0, 2) }
  tolower($1) == "uris:" { $1 = ""; uris = substr($0, 2) }
  tolower($1) == "suites:" { $1 = ""; suites = substr($0, 2) }
  tolower($1) == "signed-by:" { $1 = ""; signed = substr($0, 2) }
  END { flush() }
' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | grep . && exit 0
# One-line format: deb [signed-by=...] URI SUITE COMPONENTS
awk -v suite="$suite" '
  $1 == "deb" {
    signed = "-"; i = 2
    if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { if ($i ~ /signed-by=/) { s = $i; sub(/.*signed-by=/, "", s); signed = s } i++ }
                      if ($i ~ /signed-by=/) { s = $i; sub(/.*signed-by=/, "", s); sub(/\]$/, "", s); signed = s } i++ }
    if ($(i + 1) == suite) { print $i, signed; exit }
  }' /etc/apt/sources.list 2>/dev/null | grep . && exit 0
echo "apt-mirror: no 'deb' source for $suite in /etc/apt/sources.list(.d)" >&2
exit 1
