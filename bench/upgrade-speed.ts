// `make bench`: the wall time of a version upgrade (etcd 3.4.23 -> 3.5.16) of a 3- and a 5-member cluster
// through the operator, against a floor measured in the same run on the same local cluster: bench/floor.sh
// doing the same steps by hand on a twin cluster built from the controller's own objects (the StatefulSet's
// image, then per member, followers first and the leader last after etcdctl move-leader: delete the pod, wait
// for the member on the new version and caught up; then etcd's cluster version). Both are done by the same
// check: every member answers on the new version, every pod Ready, etcd's cluster version at the new minor.
// The operator's figure ends there too; "status" is when its own status.lastUpgrade said completed.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../core/api.js';
import { minorOf } from '../core/etcd-version.js';
import { clientURL } from '../core/member-naming.js';
import { EtcdAdmin } from '../controller/etcd-admin.js';
import { until, type BenchCluster } from './lib-bench-cluster.js';
import { notConverged } from './lib-converged.js';
import { floor, getCluster, inRoundNamespaces, median, runOperatorBench, seconds } from './lib-operator-bench.js';

const FROM = '3.4.23';
const TO = '3.5.16';
const SIZES = [3, 5];
const ROUNDS = Number(process.env.ETCDOP_BENCH_UPGRADE_ROUNDS ?? 1);
const STORAGE = '256Mi';
const TIMEOUT_MS = 600_000;
const POLL_MS = 200;

interface Times { op: number; opStatus: number; floor: number }

const etcd = new EtcdAdmin({ timeoutMs: 1000 });

/** Every member answers on `to`, its pod Ready, and the cluster version has reached `to`'s minor. */
async function upgraded(bc: BenchCluster, ns: string, name: string, n: number, to: string): Promise<boolean> {
  if (await notConverged(bc, ns, name, n)) return false;
  const urls = Array.from({ length: n }, (_, k) => clientURL(name, ns, k));
  const versions = await Promise.all(urls.map((u) => etcd.status(u).then((s) => s.version, () => undefined)));
  if (versions.some((v) => v !== to)) return false;
  return minorOf(await etcd.clusterVersion(urls[0])) === minorOf(to);
}

async function runRound(bc: BenchCluster, n: number, round: number, times: Map<number, Times[]>): Promise<void> {
  await inRoundNamespaces(bc, 'bench-upgrade', async (opNs, floorNs) => {
    const created = await bc.kubectl(['-n', opNs, 'apply', '-f', '-'],
      JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'EtcdCluster', metadata: { name: 'op' }, spec: { size: n, version: FROM, storage: { size: STORAGE } } }));
    if (created.code !== 0) throw new Error(`creating EtcdCluster op: ${created.stderr}`);
    const made = await floor(bc, floorNs, 'fl', ['create', '--storage', STORAGE, '--version', FROM]);
    if (made.code !== 0) throw new Error(`floor.sh create failed:\n${made.log}`);
    const grown = await floor(bc, floorNs, 'fl', ['resize', '1', String(n)]);
    if (grown.code !== 0) throw new Error(`floor.sh resize 1 ${n} failed:\n${grown.log}`);
    await until(() => upgraded(bc, opNs, 'op', n, FROM), `op at ${n} members on ${FROM}`, TIMEOUT_MS, POLL_MS);
    await until(() => upgraded(bc, floorNs, 'fl', n, FROM), `fl at ${n} members on ${FROM}`, TIMEOUT_MS, POLL_MS);
    const t: Times = { op: 0, opStatus: 0, floor: 0 };
    const operator = async () => {
      const start = Date.now();
      await bc.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: opNs, plural: PLURAL, name: 'op', body: [{ op: 'replace', path: '/spec/version', value: TO }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      await until(() => upgraded(bc, opNs, 'op', n, TO), `op upgraded to ${TO}`, TIMEOUT_MS, POLL_MS);
      t.op = Date.now() - start;
      await until(async () => {
        const u = (await getCluster(bc, opNs, 'op')).status?.lastUpgrade;
        return u?.to === TO && !!u.completedAt;
      }, 'status.lastUpgrade of op completed', TIMEOUT_MS, POLL_MS);
      t.opStatus = Date.now() - start;
    };
    const byHand = async () => {
      const start = Date.now();
      const r = await floor(bc, floorNs, 'fl', ['upgrade', TO, String(n)]);
      if (r.code !== 0) throw new Error(`floor.sh upgrade ${TO} ${n} failed:\n${r.log}`);
      await until(() => upgraded(bc, floorNs, 'fl', n, TO), `fl upgraded to ${TO}`, TIMEOUT_MS, POLL_MS);
      t.floor = Date.now() - start;
    };
    if (round % 2 === 0) { await operator(); await byHand(); } else { await byHand(); await operator(); }
    times.set(n, [...(times.get(n) ?? []), t]);
    console.log(`  round ${round + 1}, ${n} members: operator ${seconds(t.op)} s (status completed at ${seconds(t.opStatus)} s), floor ${seconds(t.floor)} s, ratio ${(t.op / t.floor).toFixed(2)}x`);
  });
}

runOperatorBench('upgrade-speed', async (bc) => {
  const times = new Map<number, Times[]>();
  for (const n of SIZES) for (let round = 0; round < ROUNDS; round++) await runRound(bc, n, round, times);
  console.log(`upgrade ${FROM} -> ${TO} wall time, median of ${ROUNDS} round(s): operator vs by-hand floor`);
  for (const [n, ts] of times) {
    const op = median(ts.map((t) => t.op)), fl = median(ts.map((t) => t.floor)), st = median(ts.map((t) => t.opStatus));
    console.log(`  ${n} members: operator ${seconds(op).padStart(7)} s  floor ${seconds(fl).padStart(7)} s  ratio ${(op / fl).toFixed(2)}x  (operator status completed ${seconds(st)} s)`);
  }
});
