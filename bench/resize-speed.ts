// `make bench`: resize wall time through the operator against a floor measured in the same run on the same
// local cluster. The operator is deployed from the manifests as users run it (controller and webhook in pods,
// deploy-operator.sh); the floor is
// bench/floor.sh doing the same safe steps by hand (etcdctl + kubectl, no operator) on a twin
// cluster built from the controller's own objects in another namespace. Steps 1->3, 3->5, 5->3, 3->1, the
// operator and the floor alternating which goes first; each step ends when bench/lib-converged.ts (etcd's
// member list + pods, StatefulSet, PVCs) says done, the same check for both. Run twice: empty etcd, and
// with ETCDOP_BENCH_DATA_MB (default 50) of keys put before growing, where the learner's catch-up is etcd's.
// Instance: ETCDOP_TEST_CLUSTER (default "bench") + "-operator", started and stopped here when not running.
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Etcd3 } from 'etcd3';
import { GROUP, PLURAL, VERSION } from '../core/api.js';
import { clientURL } from '../core/member-naming.js';
import { until, type BenchCluster } from './lib-bench-cluster.js';
import { notConverged } from './lib-converged.js';
import { floor, getCluster, inRoundNamespaces, median, runOperatorBench, seconds } from './lib-operator-bench.js';

const STEPS: [number, number][] = [[1, 3], [3, 5], [5, 3], [3, 1]];
const ROUNDS = Number(process.env.ETCDOP_BENCH_ROUNDS ?? 2);
const DATA_MB = Number(process.env.ETCDOP_BENCH_DATA_MB ?? 50);
const TARGET = 1.2;
const STORAGE = '256Mi';
const POLL_MS = 100;
const STEP_TIMEOUT_MS = 300_000;

interface StepTime { op: number; opStatus: number; floor: number; catchUp: number[] }


async function untilConverged(bc: BenchCluster, ns: string, name: string, size: number): Promise<void> {
  let last: string | undefined;
  await until(async () => (last = await notConverged(bc, ns, name, size)) === undefined, () => `${ns}/${name} converged at ${size} (${last})`, STEP_TIMEOUT_MS, POLL_MS);
}

/** Operator done as its user sees it: status Running at the new size for the current generation. */
async function statusDone(bc: BenchCluster, ns: string, name: string, size: number): Promise<boolean> {
  const c = await getCluster(bc, ns, name);
  return c.status?.phase === 'Running' && c.status.size === size && c.status.observedGeneration === c.metadata.generation;
}

/** Puts `mb` MiB of 100 KiB values through member 0. */
async function loadData(ns: string, name: string, mb: number): Promise<void> {
  if (mb <= 0) return;
  const client = new Etcd3({ hosts: [clientURL(name, ns, 0)] });
  try {
    const value = randomBytes(100 * 1024);
    for (let i = 0; i < mb * 10; i++) await client.put(`bench/data/${String(i).padStart(5, '0')}`).value(value);
  } finally {
    client.close();
  }
}

/**
 * One round: fresh namespaces (so no pod DNS name is reused with a new address: see BENCHMARKS.md), the
 * operator's cluster and the floor's twin created, `dataMb` loaded into both, then the four steps.
 */
async function runRound(bc: BenchCluster, dataMb: number, round: number, times: Map<string, StepTime[]>): Promise<void> {
  await inRoundNamespaces(bc, 'bench-resize', async (opNs, floorNs) => {
    const created = await bc.kubectl(['-n', opNs, 'apply', '-f', '-'],
      JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'EtcdCluster', metadata: { name: 'op' }, spec: { size: 1, storage: { size: STORAGE } } }));
    if (created.code !== 0) throw new Error(`creating EtcdCluster op: ${created.stderr}`);
    const made = await floor(bc, floorNs, 'fl', ['create', '--storage', STORAGE]);
    if (made.code !== 0) throw new Error(`floor.sh create failed:\n${made.log}`);
    await untilConverged(bc, opNs, 'op', 1);
    await untilConverged(bc, floorNs, 'fl', 1);
    await Promise.all([loadData(opNs, 'op', dataMb), loadData(floorNs, 'fl', dataMb)]);

    for (const [i, [from, to]] of STEPS.entries()) {
      const t: StepTime = { op: 0, opStatus: 0, floor: 0, catchUp: [] };
      const operator = async () => {
        const start = Date.now();
        await bc.custom.patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace: opNs, plural: PLURAL, name: 'op', body: [{ op: 'replace', path: '/spec/size', value: to }] },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        );
        await untilConverged(bc, opNs, 'op', to);
        t.op = Date.now() - start;
        await until(() => statusDone(bc, opNs, 'op', to), `status of op Running at ${to}`, STEP_TIMEOUT_MS, POLL_MS);
        t.opStatus = Date.now() - start;
      };
      const byHand = async () => {
        const start = Date.now();
        const r = await floor(bc, floorNs, 'fl', ['resize', String(from), String(to)]);
        if (r.code !== 0) throw new Error(`floor.sh resize ${from} ${to} failed:\n${r.log}`);
        await untilConverged(bc, floorNs, 'fl', to);
        t.floor = Date.now() - start;
        t.catchUp = [...r.log.matchAll(/catch-up \S+ ([\d.]+) s/g)].map((m) => Number(m[1]));
      };
      // Alternate which goes first, so neither always runs right after the other's load.
      if ((round + i) % 2 === 0) { await operator(); await byHand(); } else { await byHand(); await operator(); }
      const key = `${from}->${to}`;
      times.set(key, [...(times.get(key) ?? []), t]);
      console.log(`  [${dataMb} MiB] round ${round + 1} ${key}: operator ${seconds(t.op)} s (status Running at ${seconds(t.opStatus)} s), floor ${seconds(t.floor)} s, ratio ${(t.op / t.floor).toFixed(2)}x${t.catchUp.length ? `; floor learner pod start + catch-up ${t.catchUp.map((x) => `${x.toFixed(2)} s`).join(', ')}` : ''}`);
    }
  });
}

function report(dataMb: number, times: Map<string, StepTime[]>): boolean {
  let met = true;
  let opSum = 0, floorSum = 0;
  console.log(`resize wall time, ${dataMb} MiB in etcd, median of ${ROUNDS} round(s): operator vs by-hand floor`);
  for (const [key, ts] of times) {
    const op = median(ts.map((t) => t.op)), fl = median(ts.map((t) => t.floor)), st = median(ts.map((t) => t.opStatus));
    const ratio = op / fl;
    opSum += op;
    floorSum += fl;
    met &&= ratio <= TARGET;
    const catchUp = ts.flatMap((t) => t.catchUp);
    console.log(`  ${key.padEnd(5)} operator ${seconds(op).padStart(6)} s  floor ${seconds(fl).padStart(6)} s  ratio ${ratio.toFixed(2)}x  (operator status Running ${seconds(st)} s${catchUp.length ? `; floor pod start + catch-up per learner: median ${median(catchUp).toFixed(2)} s` : ''})`);
  }
  console.log(`  all 4 operator ${seconds(opSum).padStart(6)} s  floor ${seconds(floorSum).padStart(6)} s  ratio ${(opSum / floorSum).toFixed(2)}x`);
  return met;
}

// The operator as users run it: deployed from the manifests (controller and webhook in pods).
runOperatorBench('resize-speed', async (bc) => {
  const variants = [0, ...(DATA_MB > 0 ? [DATA_MB] : [])];
  let met = true;
  const results: [number, Map<string, StepTime[]>][] = [];
  for (const mb of variants) {
    const times = new Map<string, StepTime[]>();
    for (let round = 0; round < ROUNDS; round++) await runRound(bc, mb, round, times);
    results.push([mb, times]);
  }
  for (const [mb, times] of results) met = report(mb, times) && met;
  console.log(`target: every step at most ${TARGET}x the floor: ${met ? 'met' : 'NOT met'}`);
});
