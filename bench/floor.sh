#!/usr/bin/env bash
# The floor of the resize and upgrade benchmarks: the same safe steps the controller takes, done by hand with
# etcdctl and kubectl, no operator. The objects are the controller's own (dist/controller/objects.js, owner
# references left out since no EtcdCluster owns them), so the pods start exactly as the operator's pods do.
#
#   floor.sh --kubeconfig K --namespace NS --name NAME create [--storage 64Mi] [--version 3.5.16]   1 member
#   floor.sh --kubeconfig K --namespace NS --name NAME resize FROM TO   one member at a time
#   floor.sh --kubeconfig K --namespace NS --name NAME upgrade VERSION N   N members, one restart at a time
#
# Grow, per member k: etcdctl member add --learner; its start entry in ConfigMap NAME-members; StatefulSet
# to k+1; etcdctl member promote retried until the learner has caught up; PDB minAvailable = quorum.
# Shrink: every leaving member out of the client Service (label off) and drained (gone from its Endpoints
# and 1.5 s since); then per member k (highest first): etcdctl move-leader when k leads; member remove; its
# start entry dropped; StatefulSet to k; PDB minAvailable = quorum; then for each removed member: wait for
# its pod to go, delete its PVC (a removed member's pod is not waited for before the next removal).
# Refused steps (etcd's ~5 s reconfigure guard, a learner not in sync) are retried every 300 ms, as the
# controller does. Upgrade: the StatefulSet's etcd image to VERSION; then per member, followers from the highest
# ordinal down and the leader last (etcdctl move-leader to a member already restarted first): delete its pod,
# wait until the member answers on VERSION within 100 raft entries of the leader; then wait for etcd's cluster
# version to reach VERSION's minor. Progress lines go to stderr with a time stamp.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools:$PATH" ETCDCTL_API=3

usage() { echo "usage: $0 --kubeconfig K --namespace NS --name NAME (create | resize FROM TO | upgrade VERSION N)" >&2; exit 2; }
kubeconfig= ns= name=
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) kubeconfig=$2; shift 2 ;;
    --namespace) ns=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    *) break ;;
  esac
done
[ -n "$kubeconfig" ] && [ -n "$ns" ] && [ -n "$name" ] && [ $# -ge 1 ] || usage
k() { kubectl --kubeconfig "$kubeconfig" -n "$ns" "$@"; }
say() { echo "[floor $(date +%T.%3N)] $*" >&2; }
RETRY_SLEEP=0.3
MAX_TRIES=1000 # 300 s of retries per step at most

host() { echo "$name-$1.$name.$ns.svc"; }
client_url() { echo "http://$(host "$1"):2379"; }
peer_url() { echo "http://$(host "$1"):2380"; }
endpoints() { local n=$1 i out=; for ((i = 0; i < n; i++)); do out+="${out:+,}$(client_url "$i")"; done; echo "$out"; }
ectl() { etcdctl --command-timeout=5s "$@"; }
quorum() { echo $(($1 / 2 + 1)); }

# "ID, started, NAME, PEER, CLIENT, LEARNER" -> the hex ID of the member with this peer URL.
member_id() { ectl --endpoints "$1" member list | awk -F', ' -v p="$2" '$4 == p { print $1 }'; }
# Hex ID of the leader as the members see it (endpoint status: ENDPOINT, ID, VERSION, DB, IS_LEADER, ...).
leader_id() { ectl --endpoints "$1" endpoint status | awk -F', ' '$5 == "true" { print $2; exit }'; }

# Runs a step until etcd accepts it; only refusals that clear by themselves are retried.
# As the controller: wait until the client Service's Endpoints no longer list the pod, and until 1.5 s after
# its label came off at $2 (ns since the epoch; core/reconcile-step.ts CLIENT_DRAIN_MS).
drain() {
  local pod=$1 since=$2 left_ms
  while k get endpoints "$name-client" -o jsonpath='{range .subsets[*]}{range .addresses[*]}{.targetRef.name} {end}{range .notReadyAddresses[*]}{.targetRef.name} {end}{end}' 2>/dev/null | grep -qw "$pod"; do
    sleep 0.1
  done
  left_ms=$(( 1500 - ($(date +%s%N) - since) / 1000000 ))
  [ "$left_ms" -gt 0 ] && sleep "$(printf '%d.%03d' $((left_ms / 1000)) $((left_ms % 1000)))"
  return 0
}

retry() {
  local what=$1 out tries=0; shift
  while ! out=$("$@" 2>&1); do
    tries=$((tries + 1))
    if ! grep -qiE 'in sync with leader|not healthy for reconfigure|unhealthy cluster|too many learner|leader changed|no leader|timed out|deadline|connection refused' <<<"$out" || [ $tries -ge $MAX_TRIES ]; then
      echo "floor: $what failed after $tries tries: $out" >&2
      return 1
    fi
    sleep "$RETRY_SLEEP"
  done
  say "$what (after $tries refusals)"
  printf '%s\n' "$out"
}

set_entry() { # ordinal initial-cluster: the member's start entry (its etcd config file), by the controller's own formatEntry
  local entry
  entry=$(NAME="$name" NS="$ns" MEMBER="$name-$1" IC="$2" node --input-type=module -e "
    const o = await import('$root/dist/controller/objects.js');
    process.stdout.write(o.formatEntry({ cluster: process.env.NAME, namespace: process.env.NS, token: process.env.NAME + '-floor' },
      process.env.MEMBER, { state: 'existing', initialCluster: process.env.IC, addedAt: new Date().toISOString() }));")
  k patch configmap "$name-members" --type merge -p "$(jq -cn --arg k "$name-$1" --arg v "$entry" '{data: {($k): $v}}')" >/dev/null
}

set_pdb() { k patch pdb "$name" --type merge -p "{\"spec\":{\"minAvailable\":$(quorum "$1")}}" >/dev/null; }

create() { # [--storage SIZE] [--version V]
  # The controller's objects for a 1-member cluster, owner references stripped.
  local pdb_version storage=64Mi version=
  while [ $# -gt 0 ]; do
    case "$1" in
      --storage) storage=$2; shift 2 ;;
      --version) version=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  pdb_version=$(kubectl --kubeconfig "$kubeconfig" api-versions | grep -qx policy/v1 && echo policy/v1 || echo policy/v1beta1)
  NS="$ns" NAME="$name" PDB="$pdb_version" STORAGE="$storage" VERSION="$version" node --input-type=module -e "
    const o = await import('$root/dist/controller/objects.js');
    const c = { apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster',
      metadata: { name: process.env.NAME, namespace: process.env.NS, uid: 'floor' },
      spec: { size: 1, storage: { size: process.env.STORAGE }, ...(process.env.VERSION ? { version: process.env.VERSION } : {}) } };
    const peer = 'http://' + process.env.NAME + '-0.' + process.env.NAME + '.' + process.env.NS + '.svc:2380';
    const entries = { [process.env.NAME + '-0']: { state: 'new', initialCluster: process.env.NAME + '-0=' + peer, addedAt: new Date().toISOString() } };
    const objs = [o.headlessService(c), o.clientService(c), o.membersConfigMap(c, entries), o.pdb(c, process.env.PDB, 1),
      o.statefulSet(c, { etcdRepository: o.DEFAULT_ETCD_REPOSITORY, guard: o.defaultGuardImage() }, 1)];
    for (const x of objs) { delete x.metadata.ownerReferences; console.log(JSON.stringify(x)); }
  " | k apply -f - >/dev/null
  say "objects created; waiting for $name-0"
  local i
  for ((i = 0; i < 600; i++)); do
    if ectl --endpoints "$(client_url 0)" endpoint health >/dev/null 2>&1; then
      k label pod "$name-0" etcd.k8s-operator.io/serving=true --overwrite >/dev/null
      say "$name-0 serves"; return 0
    fi
    sleep 0.3
  done
  echo "floor: $name-0 did not serve within 180 s" >&2
  return 1
}

grow() { # ordinal: the cluster has members 0..ordinal-1
  local n=$1 eps list id
  eps=$(endpoints "$n")
  retry "member add $name-$n --learner" ectl --endpoints "$eps" member add "$name-$n" --learner --peer-urls "$(peer_url "$n")" >/dev/null
  # ID and initial cluster from etcd's member list (as the controller does; etcdctl's output may carry retry noise).
  list=$(ectl --endpoints "$eps" member list)
  id=$(awk -F', ' -v p="$(peer_url "$n")" '$4 == p { print $1 }' <<<"$list")
  [ -n "$id" ] || { printf "floor: %s not in the member list after member add:\n%s\n" "$name-$n" "$list" >&2; return 1; }
  set_entry "$n" "$(awk -F', ' '{ split($4, u, "[/.]"); printf "%s%s=%s", sep, u[3], $4; sep = "," }' <<<"$list")"
  k scale statefulset "$name" --replicas=$((n + 1)) >/dev/null
  say "StatefulSet scaled to $((n + 1))"
  local grown=$EPOCHREALTIME
  retry "member promote $name-$n ($id)" ectl --endpoints "$eps" member promote "$id" >/dev/null
  # Pod start + learner catch-up: the part of a grow that etcd (and the pod's start) decides.
  say "catch-up $name-$n $(awk -v a="$grown" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
  k label pod "$name-$n" etcd.k8s-operator.io/serving=true --overwrite >/dev/null  # a voting member serves clients
  set_pdb $((n + 1))
}

shrink() { # ordinal of the member to remove: the highest
  local n=$1 eps id leader
  eps=$(endpoints $((n + 1)))
  id=$(member_id "$eps" "$(peer_url "$n")")
  leader=$(leader_id "$eps")
  if [ "$leader" = "$id" ]; then
    retry "move-leader off $name-$n" ectl --endpoints "$(client_url "$n")" move-leader "$(member_id "$eps" "$(peer_url 0)")" >/dev/null
  fi
  retry "member remove $name-$n ($id)" ectl --endpoints "$(endpoints "$n")" member remove "$id" >/dev/null
  set_pdb "$n"
  k patch configmap "$name-members" --type json -p "[{\"op\":\"remove\",\"path\":\"/data/$name-$n\"}]" >/dev/null
  k scale statefulset "$name" --replicas="$n" >/dev/null
  say "$name-$n removed, StatefulSet at $n"
}

drop_data() { # ordinal of a removed member: its PVC once its pod has gone (the next removal did not wait for it)
  local n=$1
  k wait --for=delete "pod/$name-$n" --timeout=120s >/dev/null 2>&1 || true
  k get "pod/$name-$n" >/dev/null 2>&1 && { echo "floor: pod $name-$n still there after 120 s" >&2; return 1; }
  k delete pvc "data-$name-$n" --wait=false >/dev/null
  say "$name-$n pod gone, PVC deleted"
}

# The member's own answer: "VERSION RAFT_INDEX" (endpoint status: ENDPOINT, ID, VERSION, DB, LEADER, LEARNER, TERM, INDEX, ...).
member_state() { ectl --endpoints "$(client_url "$1")" endpoint status 2>/dev/null | awk -F', ' '{ print $3, $8 }'; }

restart() { # ordinal version n: delete the pod, wait until the member answers on the version, caught up
  local k=$1 version=$2 n=$3 state leader_index i
  k delete pod "$name-$k" --wait=false >/dev/null
  k wait --for=delete "pod/$name-$k" --timeout=120s >/dev/null 2>&1 || true
  for ((i = 0; i < 1200; i++)); do
    state=$(member_state "$k" || true)
    if [ "${state%% *}" = "$version" ]; then
      leader_index=$(ectl --endpoints "$(endpoints "$n")" endpoint status 2>/dev/null | awk -F', ' '$5 == "true" { print $8; exit }')
      [ -n "$leader_index" ] && [ "${state##* }" -ge $((leader_index - 100)) ] && { say "$name-$k back on $version"; return 0; }
    fi
    sleep 0.2
  done
  echo "floor: $name-$k did not come back on $version within 240 s" >&2
  return 1
}

upgrade() { # version n
  local version=$1 n=$2 eps leader lk k i cv
  eps=$(endpoints "$n")
  k patch statefulset "$name" --type json -p "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"gcr.io/etcd-development/etcd:v$version\"}]" >/dev/null
  leader=$(leader_id "$eps")
  for ((k = n - 1; k >= 0; k--)); do
    [ "$(member_id "$eps" "$(peer_url "$k")")" = "$leader" ] && { lk=$k; continue; }
    restart "$k" "$version" "$n"
  done
  if [ -n "${lk:-}" ]; then
    if [ "$n" -gt 1 ]; then
      local to=$(( lk == n - 1 ? n - 2 : n - 1 ))
      retry "move-leader off $name-$lk" ectl --endpoints "$(client_url "$lk")" move-leader "$(member_id "$eps" "$(peer_url "$to")")" >/dev/null
    fi
    restart "$lk" "$version" "$n"
  fi
  for ((i = 0; i < 600; i++)); do
    cv=$(curl -s --max-time 2 "$(client_url 0)/version" | jq -r .etcdcluster 2>/dev/null || true)
    [ "${cv%.*}" = "${version%.*}" ] && { say "upgrade to $version done, cluster version $cv"; return 0; }
    sleep 0.2
  done
  echo "floor: cluster version did not reach ${version%.*} within 120 s (last: $cv)" >&2
  return 1
}

case "$1" in
  create) shift; create "$@" ;;
  upgrade) [ $# -eq 3 ] || usage; upgrade "$2" "$3" ;;
  resize)
    [ $# -eq 3 ] || usage
    from=$2 to=$3
    if [ "$to" -gt "$from" ]; then for ((m = from; m < to; m++)); do grow "$m"; done
    else
      # As the controller: every leaving member out of client traffic first, drained together.
      for ((m = from - 1; m >= to; m--)); do k label pod "$name-$m" etcd.k8s-operator.io/serving- >/dev/null; done
      since=$(date +%s%N)
      for ((m = from - 1; m >= to; m--)); do drain "$name-$m" "$since"; done
      for ((m = from - 1; m >= to; m--)); do shrink "$m"; done
      for ((m = from - 1; m >= to; m--)); do drop_data "$m"; done
    fi
    # Done as for the operator: every pod of a member Ready.
    k wait --for=condition=Ready pod -l "etcd.k8s-operator.io/cluster=$name" --timeout=180s >/dev/null
    say "resize $from -> $to done"
    ;;
  *) usage ;;
esac
