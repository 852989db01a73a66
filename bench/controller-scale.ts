// `make bench`: the controller at scale (issue 18). bin/etcd-controller on the host watches one namespace of the
// local cluster while it holds 0, 10 and 50 one-member EtcdClusters, all Running. Figures:
// - At rest, per setting, over REST_SECONDS: the controller's resident memory (the mean of a read a second; the
//   peak of every phase is printed too, as a memory limit must hold it) and CPU; API requests per minute
//   by verb from the API server's own apiserver_request_total, taken as the difference between a window with
//   the controller running and one with it stopped (SIGSTOP) in the same state, so the other components'
//   requests cancel out; etcd requests per minute (the controller's etcd_controller_etcd_requests_total).
// - Reaction: a spec.size patch to the controller's first step for it (its log: the learner's add sent on a
//   grow, the leaving member's client traffic stopped on a shrink), 20 patches (10 grows, 10 shrinks), each
//   settled before the next, with 1 cluster present and with 50; and, under load, with 50 present while ten
//   resizes overlap (patches 2 s apart).
// - Ten clusters resized 1 -> 3 at once against one alone, with 50 present, with the machine's CPU use and the
//   new pods' start times (created -> etcd container running), which say what limits the ten.
// Members request cpu 10m (not the default 100m): 70 members must fit the three nodes' 6 CPUs of requests.
// Instance: ETCDOP_TEST_CLUSTER (default "bench"), started and stopped here when not running.
import { readFileSync } from 'node:fs';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type EtcdCluster } from '../core/api.js';
import { benchCluster, sleep, startBenchController, until, type BenchCluster } from './lib-bench-cluster.js';

const REST_SECONDS = Number(process.env.ETCDOP_BENCH_REST_SECONDS ?? 60);
const METRICS_PORT = Number(process.env.ETCDOP_BENCH_METRICS_PORT ?? 18933);
const SETTINGS = [0, 10, 50];
const PATCHES = 20;
const TICKS_PER_S = 100;
/** The API resources the controller reads or writes. */
const RESOURCES = new Set(['etcdclusters', 'statefulsets', 'pods', 'persistentvolumeclaims', 'services', 'configmaps', 'poddisruptionbudgets', 'endpoints', 'jobs', 'secrets', 'networkpolicies', 'events']);

interface Proc { pid: number; log: string[] }

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
/** utime + stime in seconds. */
const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
};

/** The machine's busy and total CPU ticks since boot (/proc/stat: idle and iowait are not busy). */
const machineTicks = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
};

/** Read every second: the controller's RSS and the machine's CPU use, each filed under the bench's phase then. */
class RssSampler {
  private phase = 'starting';
  private readonly samples = new Map<string, number[]>();
  private readonly busy = new Map<string, { busy: number; total: number }>();
  private readonly timer: NodeJS.Timeout;
  constructor(pid: number) {
    let last = machineTicks();
    this.timer = setInterval(() => {
      const at = this.samples.get(this.phase) ?? [];
      at.push(rssMiB(pid));
      this.samples.set(this.phase, at);
      const now = machineTicks();
      const b = this.busy.get(this.phase) ?? { busy: 0, total: 0 };
      this.busy.set(this.phase, { busy: b.busy + now.busy - last.busy, total: b.total + now.total - last.total });
      last = now;
    }, 1000);
  }
  during(phase: string): void {
    this.phase = phase;
  }
  stats(phase: string): { mean: number; max: number } {
    const xs = this.samples.get(phase) ?? [];
    return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
  }
  /** The machine's CPU busy in the phase, in percent of all its cores. */
  machineBusy(phase: string): number {
    const b = this.busy.get(phase);
    return b && b.total ? (100 * b.busy) / b.total : NaN;
  }
  phases(): string[] {
    return [...this.samples.keys()];
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** One scrape of the controller's /metrics: a metric's value summed over its labels. */
async function controllerMetrics(): Promise<(name: string) => number> {
  const lines = (await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text()).split('\n');
  return (name) => lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

/** apiserver_request_total summed by verb over the controller's resources. */
async function apiRequests(bc: BenchCluster): Promise<Map<string, number>> {
  const r = await bc.kubectl(['get', '--raw', '/metrics']);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!RESOURCES.has(labels.resource ?? '')) continue;
    out.set(labels.verb!, (out.get(labels.verb!) ?? 0) + Number(line.split(' ').pop()));
  }
  return out;
}

const minus = (a: Map<string, number>, b: Map<string, number>) => new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));

/** Requests per minute by verb in a window of REST_SECONDS. */
async function window(bc: BenchCluster): Promise<Map<string, number>> {
  const before = await apiRequests(bc);
  await sleep(REST_SECONDS * 1000);
  const after = await apiRequests(bc);
  return new Map([...minus(after, before)].map(([k, v]) => [k, (v * 60) / REST_SECONDS]));
}

const fmt = (m: Map<string, number>) => [...m].filter(([, v]) => Math.abs(v) >= 0.05).sort().map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') || 'none';

async function restFigures(bc: BenchCluster, c: Proc, n: number, rss: RssSampler): Promise<void> {
  rss.during(`at rest with ${n}`);
  const m0 = await controllerMetrics();
  const cpu0 = cpuSeconds(c.pid);
  const running = await window(bc);
  const cpu = cpuSeconds(c.pid) - cpu0;
  const m = await controllerMetrics();
  const perMinute = (name: string) => (m(name) - m0(name)) * 60 / REST_SECONDS;
  const etcd = perMinute('etcd_controller_etcd_requests_total');
  const reads = perMinute('etcd_controller_api_reads_total');
  const mem = rss.stats(`at rest with ${n}`);
  const mib = (name: string, digits: number) => (m(name) / 2 ** 20).toFixed(digits);
  const heap = `heap used ${mib('nodejs_heap_size_used_bytes', 1)} of ${mib('nodejs_heap_size_total_bytes', 1)} MiB, external ${mib('nodejs_external_memory_bytes', 1)} MiB; `
    + `full collections for RSS so far ${m('etcd_controller_memory_reclaims_total')}, giving back ${mib('etcd_controller_memory_reclaimed_bytes_total', 0)} MiB`;
  rss.during('stopped');
  process.kill(c.pid, 'SIGSTOP');
  let stopped: Map<string, number>;
  try {
    stopped = await window(bc);
  } finally {
    process.kill(c.pid, 'SIGCONT');
  }
  const mine = minus(running, stopped);
  const writes = ['create', 'update', 'patch', 'delete'].reduce((s, v) => s + Math.max(0, mine.get(v.toUpperCase()) ?? 0), 0);
  const readsApi = ['GET', 'LIST'].reduce((s, v) => s + (mine.get(v) ?? 0), 0);
  console.log(`at rest with ${n} clusters: RSS ${mem.mean.toFixed(1)} MiB (mean of a read a second; max ${mem.max.toFixed(1)}; at the end ${heap}), CPU ${((cpu / REST_SECONDS) * 100).toFixed(1)}% of a core`);
  console.log(`  API requests per minute (API server, running - stopped): ${fmt(mine)}; reads ${readsApi.toFixed(1)}${n ? ` (${(readsApi / n).toFixed(2)} per cluster)` : ''}, writes ${writes.toFixed(1)}`);
  console.log(`    with the controller running: ${fmt(running)}; stopped: ${fmt(stopped)}`);
  console.log(`  controller's own count of API reads outside its informers: ${reads.toFixed(1)} per minute; etcd requests per minute: ${etcd.toFixed(1)}${n ? ` (${(etcd / n).toFixed(1)} per cluster)` : ''}`);
  rest.set(n, { rss: mem.mean, reads: readsApi, writes });
}

const rest = new Map<number, { rss: number; reads: number; writes: number }>();

async function createClusters(bc: BenchCluster, ns: string, from: number, to: number): Promise<void> {
  if (to <= from) return;
  const manifests = Array.from({ length: to - from }, (_, i) => JSON.stringify({
    apiVersion: `${GROUP}/${VERSION}`, kind: 'EtcdCluster', metadata: { name: `scale-${from + i}` },
    spec: { size: 1, storage: { size: '64Mi' }, podTemplate: { spec: { resources: { requests: { cpu: '10m', memory: '64Mi' } } } } },
  })).join('\n');
  const t0 = Date.now();
  // 40 creates on a machine busy starting the clusters before them take longer than kubectl's usual minute.
  const r = await bc.kubectl(['-n', ns, 'create', '-f', '-'], manifests, 600_000);
  if (r.code !== 0) throw new Error(`creating EtcdClusters: ${r.stderr}`);
  await waitRunning(bc, ns, Array.from({ length: to - from }, (_, i) => `scale-${from + i}`), 1, 900_000);
  console.log(`${to - from} EtcdClusters created, Running ${((Date.now() - t0) / 1000).toFixed(1)} s later (${to} in all)`);
}

async function clusters(bc: BenchCluster, ns: string): Promise<EtcdCluster[]> {
  return ((await bc.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as { items: EtcdCluster[] }).items;
}

async function waitRunning(bc: BenchCluster, ns: string, names: string[], size: number, timeoutMs: number): Promise<void> {
  const want = new Set(names);
  let done = 0;
  await until(async () => {
    const cs = (await clusters(bc, ns)).filter((c) => want.has(c.metadata.name!));
    done = cs.filter((c) => c.status?.phase === 'Running' && c.status.size === size && c.status.readyReplicas === size && c.status.observedGeneration === c.metadata.generation
      && !!c.status.lastResize?.completedAt === (c.status.lastResize !== undefined)).length;
    return done === want.size;
  }, () => `${want.size} clusters Running at ${size} (${done} are)`, timeoutMs, 1000);
}

async function patchSize(bc: BenchCluster, ns: string, name: string, size: number): Promise<number> {
  const t = Date.now();
  await bc.custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { spec: { size } } }, mergePatch);
  return t;
}

/** The time of the controller's first step for `cluster` after `since`, in its log from line `from` on: a learner's add sent, or client traffic stopped. */
function firstStep(c: Proc, ns: string, cluster: string, since: number, from: number): number | undefined {
  for (const line of c.log.slice(from)) {
    let l: { time?: string; cluster?: string; msg?: string; serving?: boolean };
    try {
      l = JSON.parse(line);
    } catch {
      continue;
    }
    // The log's time is ISO 8601 with ms (core/log.ts).
    const at = Date.parse(l.time ?? '');
    if (l.cluster !== `${ns}/${cluster}` || !(at >= since)) continue;
    if (l.msg === 'adding member as learner' || l.serving === false) return at;
  }
  return undefined;
}

/** Patch `name` to `size` and wait for the controller's first step for it: milliseconds from the patch sent. */
async function measure(bc: BenchCluster, c: Proc, ns: string, name: string, size: number): Promise<number> {
  const from = c.log.length;
  const t = await patchSize(bc, ns, name, size);
  let at: number | undefined;
  const what = () => `the first step for ${name} (its log lines since the patch: ${c.log.slice(from).filter((l) => l.includes(`"${ns}/${name}"`)).slice(-5).join(' | ') || 'none'})`;
  await until(async () => (at = firstStep(c, ns, name, t, from)) !== undefined, what, 120_000, 20);
  return at! - t;
}

/** One cluster grown to 2 and shrunk to 1 in turn, each settled before the next patch. */
async function reactionSettled(bc: BenchCluster, c: Proc, ns: string, name: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < PATCHES / 2; i++) {
    out.push(await measure(bc, c, ns, name, 2));
    await waitRunning(bc, ns, [name], 2, 300_000);
    out.push(await measure(bc, c, ns, name, 1));
    await waitRunning(bc, ns, [name], 1, 300_000);
  }
  return out;
}

/** Ten clusters grown one after another 2 s apart, so their resizes overlap, then shrunk the same way. */
async function reactionOverlapping(bc: BenchCluster, c: Proc, ns: string, names: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of names) { out.push(await measure(bc, c, ns, n, 2)); await sleep(2000); }
  await waitRunning(bc, ns, names, 2, 600_000);
  for (const n of names) { out.push(await measure(bc, c, ns, n, 1)); await sleep(2000); }
  await waitRunning(bc, ns, names, 1, 600_000);
  return out;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

/** Seconds from a pod's creation to its etcd container running, for the pods of `names` created since `since`. */
async function podStarts(bc: BenchCluster, ns: string, names: string[], since: number): Promise<number[]> {
  const want = new Set(names);
  const pods = (await bc.core.listNamespacedPod({ namespace: ns })).items;
  return pods.filter((p) => want.has(p.metadata?.labels?.['etcd.k8s-operator.io/cluster'] ?? '') && p.metadata!.creationTimestamp!.getTime() >= since - 1000)
    .map((p) => {
      const started = p.status?.containerStatuses?.find((s) => s.name === 'etcd')?.state?.running?.startedAt;
      return started ? (started.getTime() - p.metadata!.creationTimestamp!.getTime()) / 1000 : NaN;
    });
}

async function resizeWall(bc: BenchCluster, ns: string, names: string[]): Promise<{ wall: number; starts: number[] }> {
  const t = Date.now();
  await Promise.all(names.map((n) => patchSize(bc, ns, n, 3)));
  await waitRunning(bc, ns, names, 3, 900_000);
  return { wall: (Date.now() - t) / 1000, starts: await podStarts(bc, ns, names, t) };
}

async function main(): Promise<number> {
  const bc = await benchCluster();
  const ns = await bc.createNamespace('bench-scale');
  const c = await startBenchController(bc.kubeconfig, ns, METRICS_PORT);
  const rss = new RssSampler(c.pid);
  try {
    await sleep(10_000);
    await restFigures(bc, c, 0, rss);
    rss.during('creating 1');
    await createClusters(bc, ns, 0, 1);
    rss.during('reaction with 1');
    const one = await reactionSettled(bc, c, ns, 'scale-0');
    let have = 1;
    for (const n of SETTINGS.filter((s) => s > 0)) {
      rss.during(`creating ${n}`);
      await createClusters(bc, ns, have, n);
      have = n;
      // The last status writes and Events of the creation land before the windows open.
      await sleep(15_000);
      await restFigures(bc, c, n, rss);
    }
    rss.during('reaction with 50');
    const many = await reactionSettled(bc, c, ns, 'scale-10');
    rss.during('reaction with 50, overlapping');
    const loaded = await reactionOverlapping(bc, c, ns, Array.from({ length: 10 }, (_, i) => `scale-${11 + i}`));
    rss.during('one resize 1 -> 3');
    const alone = await resizeWall(bc, ns, ['scale-21']);
    rss.during('ten resizes 1 -> 3');
    const ten = await resizeWall(bc, ns, Array.from({ length: 10 }, (_, i) => `scale-${22 + i}`));
    rss.stop();
    const phases = rss.phases().filter((p) => p !== 'stopped');
    console.log(`controller RSS by phase, MiB (mean / max): ${phases.map((p) => `${p} ${rss.stats(p).mean.toFixed(0)} / ${rss.stats(p).max.toFixed(0)}`).join('; ')}`);
    console.log(`machine CPU busy by phase, % of its cores: ${phases.map((p) => `${p} ${rss.machineBusy(p).toFixed(0)}`).join('; ')}`);

    const r50 = rest.get(50)!;
    const growth = (r50.rss - rest.get(0)!.rss) / 50;
    console.log(`RSS growth per cluster at rest (0 -> 50): ${growth.toFixed(2)} MiB (target under 2): ${growth < 2 ? 'met' : 'NOT met'}`);
    console.log(`API reads at rest per cluster per minute with 50: ${(r50.reads / 50).toFixed(2)} (target under 1): ${r50.reads / 50 < 1 ? 'met' : 'NOT met'}; writes ${r50.writes.toFixed(1)} per minute (target 0): ${r50.writes < 0.5 ? 'met' : 'NOT met'}`);
    const f = (xs: number[]) => `p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms (min ${Math.min(...xs)}, max ${Math.max(...xs)})`;
    console.log(`reaction, patch -> first step, ${PATCHES} patches: 1 cluster ${f(one)}; 50 clusters ${f(many)}`);
    const ratio = pct(many, 99) / pct(one, 99);
    console.log(`  p99 at 50 / p99 at 1: ${ratio.toFixed(2)}x (target within 1.5x): ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
    console.log(`  under load, 50 present and ten resizes overlapping: ${f(loaded)}`);
    const starts = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} s, max ${Math.max(...xs).toFixed(1)} s over ${xs.length} pods`;
    console.log(`ten clusters 1 -> 3 at once: ${ten.wall.toFixed(1)} s; one alone: ${alone.wall.toFixed(1)} s; ratio ${(ten.wall / alone.wall).toFixed(2)}x (target within 1.5x): ${ten.wall / alone.wall <= 1.5 ? 'met' : 'NOT met'}`);
    console.log(`  new pods, created -> etcd running: alone ${starts(alone.starts)}; the ten ${starts(ten.starts)}`);
    return 0;
  } finally {
    rss.stop();
    await c.stop();
    await bc.deleteNamespace(ns);
    await bc.release();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`controller-scale: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
