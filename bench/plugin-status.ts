// `make bench`: wall time of `kubectl etcd status NAME` against `kubectl get etcdcluster NAME` on the same
// cluster in the same run, interleaved round by round, as medians and their ratio (target: at most 1.5x).
// Cluster: $KUBECONFIG, else .local/kubeconfig (`make cluster-up`, operator deployed). It creates namespace
// bench-plugin with a 1-member EtcdCluster when absent and deletes what it created when done.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KUBECONFIG = process.env.KUBECONFIG || join(ROOT, '.local/kubeconfig');
const NS = process.env.ETCDOP_BENCH_NAMESPACE || 'bench-plugin';
const NAME = 'bench';
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
  const createdCluster = (await kubectl('get', 'etcdcluster', NAME)).code !== 0;
  try {
    if (createdCluster) {
      const manifest = JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 1 } });
      const applied = await run('kubectl', ['apply', '-f', '-', '-n', NS], manifest);
      if (applied.code !== 0) { console.error(`plugin-status: ${applied.stderr.trim()}`); return 1; }
    }
    // Measure a cluster that has members (live figures through the pod proxy are part of the cost).
    const deadline = Date.now() + 180_000;
    for (;;) {
      const phase = (await kubectl('get', 'etcdcluster', NAME, '-o', 'jsonpath={.status.phase}')).stdout;
      if (phase === 'Running') break;
      if (Date.now() > deadline) { console.error(`plugin-status: ${NAME} not Running after 3 min (phase "${phase}"): is the operator deployed?`); return 1; }
      await new Promise((r) => setTimeout(r, 1000));
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
    console.log(`kubectl etcd status above that floor: ${(p - d - n).toFixed(1)} ms (loading, kubeconfig, API and pod-proxy requests, rendering)`);
    return 0;
  } finally {
    if (createdCluster) await kubectl('delete', 'etcdcluster', NAME, '--wait=false');
    if (createdNs) await run('kubectl', ['delete', 'namespace', NS, '--wait=false']);
    rmSync(noopDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
