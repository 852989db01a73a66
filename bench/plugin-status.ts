// `make bench`: wall time of `kubectl etcd status NAME` against `kubectl get etcdcluster NAME` on the same
// cluster in the same run, interleaved round by round, as medians and their ratio (target: at most 1.5x);
// then `kubectl etcd status` of a 3-member cluster with one member down (its etcd stopped through its ConfigMap
// entry, as a crash loop) beside a healthy one, interleaved, target under 1 s; and while a member joins. The
// plugin asks no member itself (figures come from the EtcdCluster's status), so neither should cost more than
// a healthy cluster. Cluster: $KUBECONFIG, else .local/kubeconfig (`make cluster-up`, operator deployed). It
// creates namespace bench-plugin with the EtcdClusters when absent and deletes what it created when done.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KUBECONFIG = process.env.KUBECONFIG || join(ROOT, '.local/kubeconfig');
const NS = process.env.ETCDOP_BENCH_NAMESPACE || 'bench-plugin';
const NAME = 'bench';
/** 3-member clusters: NAME3 healthy (then grown to 4), NAME3D with DOWN's etcd stopped. */
const NAME3 = 'bench3';
const NAME3D = 'bench3d';
const DOWN = `${NAME3D}-2`;
const DOWN_TARGET_MS = 1000;
const ROUNDS = Number(process.env.ETCDOP_BENCH_ROUNDS || 15);
const WARMUP = 2;
const TARGET = 1.5;
// The floor any kubectl plugin in Node pays before doing work: kubectl finding and starting a plugin (an
// empty shell script, kubectl-etcdbenchnoop) and Node starting (`node -e 0`, the pinned Node).
const noopDir = mkdtempSync(join(tmpdir(), 'etcd-bench-plugin-'));
writeFileSync(join(noopDir, 'kubectl-etcdbenchnoop'), '#!/bin/sh\nexit 0\n');
chmodSync(join(noopDir, 'kubectl-etcdbenchnoop'), 0o755);
const env = { ...process.env, KUBECONFIG, PATH: `${join(ROOT, 'bin')}:${noopDir}:${process.env.PATH}`, NO_COLOR: '1' };

interface Run { code: number; stdout: string; stderr: string; ms: number }

function run(cmd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((done) => {
    const t = process.hrtime.bigint();
    const child = execFile(cmd, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: Number(process.hrtime.bigint() - t) / 1e6 });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

// Flags after the arguments: kubectl refuses flags before a plugin's name.
const kubectl = (...args: string[]) => run('kubectl', [...args, '-n', NS]);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main(): Promise<number> {
  if (!existsSync(KUBECONFIG)) {
    console.error(`plugin-status: no kubeconfig at ${KUBECONFIG}: run \`make cluster-up\` (or set KUBECONFIG)`);
    return 1;
  }
  const createdNs = (await run('kubectl', ['get', 'namespace', NS])).code !== 0;
  if (createdNs && (await run('kubectl', ['create', 'namespace', NS])).code !== 0) {
    console.error(`plugin-status: cannot create namespace ${NS} (is the cluster up? \`make cluster-up\`)`);
    return 1;
  }
  const created: string[] = [];
  try {
    for (const [name, size] of [[NAME, 1], [NAME3, 3], [NAME3D, 3]] as const) {
      if ((await kubectl('get', 'etcdcluster', name)).code === 0) continue;
      const manifest = JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name }, spec: { size } });
      const applied = await run('kubectl', ['apply', '-f', '-', '-n', NS], manifest);
      if (applied.code !== 0) { console.error(`plugin-status: ${applied.stderr.trim()}`); return 1; }
      created.push(name);
    }
    // Measure clusters that have members (their figures in status make the Members table's rows).
    for (const [name, size] of [[NAME, 1], [NAME3, 3], [NAME3D, 3]] as const) {
      const why = await until(async () => (await kubectl('get', 'etcdcluster', name, '-o', 'jsonpath={.status.phase} {.status.readyReplicas}')).stdout === `Running ${size}`, 240_000);
      if (why) { console.error(`plugin-status: ${name} not Running with ${size} ready after 4 min: is the operator deployed?`); return 1; }
    }
    const plugin = () => kubectl('etcd', 'status', NAME);
    const baseline = () => kubectl('get', 'etcdcluster', NAME);
    const check = await plugin();
    if (check.code !== 0) { console.error(`plugin-status: kubectl etcd status failed: ${check.stderr.trim()}`); return 1; }
    const help = () => kubectl('etcd', '--help');
    const dispatch = () => kubectl('etcdbenchnoop');
    const nodeStart = () => run(process.execPath, ['-e', '0']);
    const times = { plugin: [] as number[], baseline: [] as number[], help: [] as number[], dispatch: [] as number[], nodeStart: [] as number[] };
    const steps = [['plugin', plugin], ['baseline', baseline], ['help', help], ['dispatch', dispatch], ['nodeStart', nodeStart]] as const;
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      // Rotate which goes first so none always runs on a warmer cache.
      const order = [...steps.slice(i % steps.length), ...steps.slice(0, i % steps.length)];
      for (const [key, fn] of order) {
        const r = await fn();
        if (r.code !== 0) { console.error(`plugin-status: ${key} run failed: ${r.stderr.trim()}`); return 1; }
        if (i >= WARMUP) times[key].push(r.ms);
      }
    }
    const p = median(times.plugin), b = median(times.baseline), ratio = p / b;
    console.log(`kubectl etcd status ${NAME}: median ${p.toFixed(1)} ms over ${ROUNDS} runs`);
    console.log(`kubectl get etcdcluster ${NAME}: median ${b.toFixed(1)} ms over ${ROUNDS} runs (baseline)`);
    console.log(`ratio ${ratio.toFixed(2)}x (target <= ${TARGET}x: ${ratio <= TARGET ? 'met' : 'NOT met'})`);
    console.log(`kubectl etcd --help: median ${median(times.help).toFixed(1)} ms (no API call)`);
    const d = median(times.dispatch), n = median(times.nodeStart);
    console.log(`floor: kubectl running an empty plugin ${d.toFixed(1)} ms + node -e 0 ${n.toFixed(1)} ms = ${(d + n).toFixed(1)} ms = ${((d + n) / b).toFixed(2)}x kubectl get, before any work`);
    console.log(`kubectl etcd status above that floor: ${(p - d - n).toFixed(1)} ms (loading, kubeconfig, API requests, rendering)`);
    return await memberDown();
  } finally {
    for (const name of created) await kubectl('delete', 'etcdcluster', name, '--wait=false');
    if (createdNs) await run('kubectl', ['delete', 'namespace', NS, '--wait=false']);
    rmSync(noopDir, { recursive: true, force: true });
  }
}

/** Calls fn until it is true; undefined when it became true, else a reason (timed out). */
async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) return 'timed out';
    await new Promise((r) => setTimeout(r, 1000));
  }
  return undefined;
}

/**
 * Two 3-member clusters: NAME3 healthy and NAME3D with DOWN's etcd stopped through Kubernetes objects only (its
 * entry in ConfigMap NAME3D-members, its etcd config file, given a value etcd refuses, then its pod deleted,
 * so etcd exits at every start), measured interleaved round by round; then NAME3 while it grows to 4 (a
 * learner's pod starting). The clusters are deleted afterwards when this bench created them.
 */
async function memberDown(): Promise<number> {
  const cm = JSON.parse((await kubectl('get', 'configmap', `${NAME3D}-members`, '-o', 'json')).stdout || '{}') as { data?: Record<string, string> };
  const entry = cm.data?.[DOWN];
  if (!entry) { console.error(`plugin-status: no entry ${DOWN} in ConfigMap ${NAME3D}-members`); return 1; }
  const patch = JSON.stringify({ data: { [DOWN]: `${entry}snapshot-count: 'not-a-number'\n` } });
  if ((await kubectl('patch', 'configmap', `${NAME3D}-members`, '--type=merge', '-p', patch)).code !== 0) return 1;
  await kubectl('delete', 'pod', DOWN, '--wait=true');
  const why = await until(async () => {
    const members = JSON.parse((await kubectl('get', 'etcdcluster', NAME3D, '-o', 'json')).stdout || '{}')?.status?.members as { name: string; healthy: boolean }[] | undefined;
    return members?.find((m) => m.name === DOWN)?.healthy === false;
  }, 120_000);
  if (why) { console.error(`plugin-status: ${DOWN} not reported unhealthy after 2 min`); return 1; }
  const down = memberRows((await kubectl('etcd', 'status', NAME3D)).stdout).find((r) => r.NAME === DOWN);
  const listed = down ? `${DOWN} ${down.HEALTH}, ${down.READ === '-' ? 'no figures' : `figures read ${down.READ} ago`}` : `${DOWN} not listed`;

  const times = { healthy: [] as number[], down: [] as number[] };
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const order = i % 2 ? (['down', 'healthy'] as const) : (['healthy', 'down'] as const);
    for (const key of order) {
      const r = await kubectl('etcd', 'status', key === 'down' ? NAME3D : NAME3);
      if (r.code !== 0) { console.error(`plugin-status: status (${key}) failed: ${r.stderr.trim()}`); return 1; }
      if (i >= WARMUP) times[key].push(r.ms);
    }
  }
  const starting = await whileGrowing();
  if (!starting) return 1;
  const [h, d] = [median(times.healthy), median(times.down)];
  console.log(`kubectl etcd status ${NAME3} (3 members, all healthy): median ${h.toFixed(1)} ms over ${ROUNDS} runs`);
  console.log(`kubectl etcd status ${NAME3D} (3 members, ${DOWN} down): median ${d.toFixed(1)} ms over ${ROUNDS} runs, interleaved with the above: ${(d / h).toFixed(2)}x (target < ${DOWN_TARGET_MS} ms: ${d < DOWN_TARGET_MS ? 'met' : 'NOT met'}); it shows ${listed}`);
  console.log(`kubectl etcd status ${NAME3} while ${NAME3}-3 joins (3 -> 4): median ${median(starting.times).toFixed(1)} ms, max ${Math.max(...starting.times).toFixed(1)} ms over ${starting.times.length} runs; ${starting.silent} of them showed a member without figures (not answering the controller yet)`);
  return 0;
}

/** `status` run back to back while NAME3 grows 3 -> 4: the learner's pod starting, its etcd not yet serving. */
async function whileGrowing(): Promise<{ times: number[]; silent: number } | undefined> {
  if ((await kubectl('scale', 'etcdcluster', NAME3, '--replicas=4')).code !== 0) { console.error(`plugin-status: could not scale ${NAME3} to 4`); return undefined; }
  const times: number[] = [];
  let silent = 0;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await kubectl('etcd', 'status', NAME3);
    if (r.code !== 0) { console.error(`plugin-status: status ${NAME3} while growing failed: ${r.stderr.trim()}`); return undefined; }
    times.push(r.ms);
    if (memberRows(r.stdout).some((row) => row.READ === '-')) silent++;
    if (/Phase:\s+Running/.test(r.stdout) && /Size:\s+4 wanted, 4 voting, 4 ready/.test(r.stdout)) return { times, silent };
    if (Date.now() > deadline) { console.error(`plugin-status: ${NAME3} did not reach 4 members in 3 min`); return undefined; }
  }
}

/** The Members table of `kubectl etcd status` text, one record per row keyed by header (cells are 3+ spaces apart). */
function memberRows(text: string): Record<string, string>[] {
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => /^NAME\s{3,}ID\s{3,}ROLE\s/.test(l));
  if (at < 0) return [];
  const headers = lines[at].split(/\s{3,}/);
  const rows: Record<string, string>[] = [];
  // The table ends at the first line that is not a row (the note under it).
  for (const cells of lines.slice(at + 1).map((l) => l.split(/\s{3,}/))) {
    if (cells.length !== headers.length) break;
    rows.push(Object.fromEntries(headers.map((h, i) => [h, cells[i]])));
  }
  return rows;
}

process.exitCode = await main();
