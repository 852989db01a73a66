// What the benchmarks against the deployed operator share: their instance with the operator deployed from the
// manifests as users run it (controller and webhook in pods), bench/floor.sh (the same steps by hand), and the
// figures' arithmetic.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { GROUP, PLURAL, VERSION, type EtcdCluster } from '../core/api.js';
import { benchCluster, ROOT, run, type BenchCluster } from './lib-bench-cluster.js';

export const seconds = (ms: number) => (ms / 1000).toFixed(2);
export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Instance "<bench>-operator" with deploy-operator.sh run on it. */
async function operatorBenchCluster(): Promise<BenchCluster> {
  const bc = await benchCluster('operator');
  const deployed = await run('bash', [join(ROOT, 'localcluster/scripts/deploy-operator.sh'), bc.kubeconfig], { timeoutMs: 300_000 });
  if (deployed.code !== 0) {
    await bc.release();
    throw new Error(`deploy-operator.sh failed:\n${deployed.stdout}${deployed.stderr}`);
  }
  return bc;
}

/** bench/floor.sh on cluster `name` in `ns`; its progress lines (stderr) come back as the log. */
export function floor(bc: BenchCluster, ns: string, name: string, args: string[]): Promise<{ code: number; log: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [join(ROOT, 'bench/floor.sh'), '--kubeconfig', bc.kubeconfig, '--namespace', ns, '--name', name, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
    child.on('close', (code) => resolve({ code: code ?? -1, log }));
  });
}

export async function getCluster(bc: BenchCluster, ns: string, name: string): Promise<EtcdCluster> {
  return (await bc.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })) as EtcdCluster;
}

/** The last lines of the deployed controller pods' logs. */
async function controllerLogTail(bc: BenchCluster, lines: number): Promise<string> {
  const r = await bc.kubectl(['-n', 'etcd-operator-system', 'logs', '-l', 'app.kubernetes.io/name=etcd-controller', '--prefix', `--tail=${lines}`, '--request-timeout=10s']);
  return r.code === 0 ? r.stdout : `(kubectl logs failed: ${r.stderr.trim()})`;
}

/** Runs a benchmark on the operator's instance, releasing it afterwards; exits 0 when done, 1 with the error. */
export function runOperatorBench(name: string, body: (bc: BenchCluster) => Promise<void>): void {
  const main = async () => {
    const bc = await operatorBenchCluster();
    try {
      await body(bc);
    } finally {
      await bc.release();
    }
  };
  main().then(() => process.exit(0), (err: unknown) => {
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

/**
 * One round in fresh namespaces (so no pod DNS name is reused with a new address): the operator's
 * (`<prefix>-op`, cluster "op") and the floor's (`<prefix>-floor`); on a failure, op's status and the controller's
 * last log lines are printed; both namespaces go afterwards.
 */
export async function inRoundNamespaces(bc: BenchCluster, prefix: string, body: (opNs: string, floorNs: string) => Promise<void>): Promise<void> {
  const opNs = await bc.createNamespace(`${prefix}-op`);
  const floorNs = await bc.createNamespace(`${prefix}-floor`);
  try {
    await body(opNs, floorNs);
  } catch (err) {
    const c = await getCluster(bc, opNs, 'op').catch(() => undefined);
    console.error(`EtcdCluster op status: ${JSON.stringify(c?.status)}\ncontroller log tail:\n${await controllerLogTail(bc, 15)}`);
    throw err;
  } finally {
    await Promise.all([bc.deleteNamespace(opNs), bc.deleteNamespace(floorNs)]);
  }
}
