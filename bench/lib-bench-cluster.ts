// What the cluster benchmarks share: the local cluster instance they run on (ETCDOP_TEST_CLUSTER, default
// "bench", started when it does not run and then stopped again; one that already ran is left running) and
// bin/etcd-controller run as a host process watching one namespace.
import { startHostController, type HostController } from '../localcluster/host-controller.js';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: this file runs as dist/bench/lib-bench-cluster.js. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Run { code: number; stdout: string; stderr: string }

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      // A program killed at the timeout has no exit code and may have said nothing: the error says why.
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: err && !stderr ? err.message : stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls fn until it returns true; throws naming `what` (a function: read at the time out) after timeoutMs. */
export async function until(fn: () => Promise<boolean>, what: string | (() => string), timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}${last}`);
    await sleep(intervalMs);
  }
}

export interface BenchCluster {
  name: string;
  kubeconfig: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  kubectl(args: string[], input?: string, timeoutMs?: number): Promise<Run>;
  createNamespace(prefix: string): Promise<string>;
  deleteNamespace(ns: string): Promise<void>;
  /** Stops the instance when this benchmark started it. */
  release(): Promise<void>;
}

const script = (name: string) => join(ROOT, 'localcluster/scripts', name);

/**
 * A local cluster instance for a benchmark: $ETCDOP_TEST_CLUSTER, else `bench`, with `-variant` appended
 * when given (a bench that deploys the operator gets an instance of its own, so no other bench's host
 * controller shares clusters with it). Started when not running, and stopped by release() if so.
 */
export async function benchCluster(variant?: string): Promise<BenchCluster> {
  const name = `${process.env.ETCDOP_TEST_CLUSTER || 'bench'}${variant ? `-${variant}` : ''}`;
  const status = await run('bash', [script('cluster-status.sh'), '--name', name], { timeoutMs: 30_000 });
  const wasRunning = status.code === 0;
  if (!wasRunning) {
    const up = await run('bash', [script('cluster-up.sh'), '--name', name], { timeoutMs: 300_000 });
    if (up.code !== 0) throw new Error(`cluster-up --name ${name} failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  }
  const kubeconfig = join(ROOT, '.local/clusters', name, 'kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const kubectl = (args: string[], input?: string, timeoutMs?: number) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { input, timeoutMs });
  const crd = await kubectl(['apply', '-f', join(ROOT, 'manifests/base/crd/etcdclusters.yaml')]);
  if (crd.code !== 0) throw new Error(`applying the CRD failed: ${crd.stderr}`);
  await kubectl(['wait', '--for=condition=Established', 'crd/etcdclusters.etcd.k8s-operator.io', '--timeout=30s']);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    name, kubeconfig, core, kubectl,
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    async createNamespace(prefix) {
      const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
      await core.createNamespace({ body: { metadata: { name: ns } } });
      // Pods are refused until the namespace's default ServiceAccount exists.
      await until(async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: ns })), `ServiceAccount default in ${ns}`, 30_000);
      return ns;
    },
    async deleteNamespace(ns) {
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
      await until(async () => !(await core.readNamespace({ name: ns }).then(() => true, () => false)), `namespace ${ns} to go`, 180_000, 1000);
    },
    async release() {
      if (!wasRunning) await run('bash', [script('cluster-down.sh'), '--name', name], { timeoutMs: 120_000 });
    },
  };
}

/**
 * bin/etcd-controller on the host, watching `namespace`, its /metrics on 127.0.0.1:metricsPort, once it watches;
 * its whole log in .local/bench-NAMESPACE-controller.log, kept for reading after the run.
 */
export async function startBenchController(kubeconfig: string, namespace: string, metricsPort: number): Promise<HostController> {
  const logFile = join(ROOT, `.local/bench-${namespace}-controller.log`);
  // Every line in memory too: a bench reads lines from a point on, and must not lose them to a cap.
  const controller = startHostController(kubeconfig, namespace, { args: ['--leader-elect=false', '--metrics-addr', `127.0.0.1:${metricsPort}`], logFile, keepLines: Infinity });
  console.log(`controller log: ${logFile}`);
  const { log, proc } = controller;
  await until(async () => log.some((l) => l.includes('watching EtcdClusters')) || proc.exitCode !== null, 'the controller to watch', 60_000);
  if (proc.exitCode !== null) throw new Error(`etcd-controller exited with ${proc.exitCode}:\n${log.slice(-20).join('\n')}`);
  return controller;
}
