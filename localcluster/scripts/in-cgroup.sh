#!/usr/bin/env bash
# in-cgroup.sh PATH CMD...: runs CMD (exec, same pid) inside cgroup PATH of every cgroup v1 hierarchy, so
# it and everything it starts can be frozen or killed as one (a node of the local cluster).
set -euo pipefail
path=${1:?usage: in-cgroup.sh PATH CMD...}; shift
for h in /sys/fs/cgroup/*; do
  [ -f "$h/cgroup.procs" ] && [ "$(stat -f -c %T "$h")" = cgroupfs ] || continue
  echo $$ >"$h/$path/cgroup.procs"
done
exec "$@"
