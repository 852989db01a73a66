// What the reliability tests share: a namespace on a local cluster instance with the CRD, API clients, the
// "Running at size N" check (converged by etcd and Kubernetes, bench/lib-converged.ts, and the status says
// so), and the writer's report printed as it happens.
import { expect } from '@jest/globals';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { notConverged } from '../../bench/lib-converged.js';
import { clientServiceName } from '../../controller/objects.js';
import { useTestCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { AckWriter, serviceEndpoints, type WriterReport } from '../helpers/writer.js';
import { getCluster, kubectlOf, type ControllerProcess, type Kubectl } from '../e2e/controller-harness.js';

export interface ChaosEnv {
  tc: TestCluster;
  kubectl: Kubectl;
  kube: { core: CoreV1Api; apps: AppsV1Api };
  ns: string;
}

export async function chaosEnv(prefix: string, variant?: string): Promise<ChaosEnv> {
  const tc = await useTestCluster(variant);
  await tc.installCrd();
  return chaosEnvOf(tc, await tc.createNamespace(prefix));
}

/** The same clients for a namespace made elsewhere (a plugin test's). */
export function chaosEnvOf(tc: TestCluster, ns: string): ChaosEnv {
  const kc = new KubeConfig();
  kc.loadFromFile(tc.kubeconfig);
  return { tc, kubectl: kubectlOf(tc), kube: { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) }, ns };
}

/**
 * The reliability tests' writer: 200 puts/s to the ready addresses of cluster `name`'s client Service,
 * keys under `tag/<start time>`, started once the Service has an address.
 */
export async function startWriter(env: ChaosEnv, name: string, tag: string, maxMs: number, timeoutMs?: number): Promise<AckWriter> {
  const endpoints = serviceEndpoints(env.kube.core, env.ns, clientServiceName(name));
  await waitFor(async () => (await endpoints()).length > 0, { timeoutMs: 60_000, what: 'client Service endpoints' });
  const writer = new AckWriter({ endpoints, prefix: `${tag}/${Date.now()}`, rate: 200, maxMs, ...(timeoutMs ? { timeoutMs } : {}) });
  await writer.start();
  return writer;
}

/** The process's exit, or undefined after `ms`; the timer is cleared so it never holds jest open. */
export async function exitWithin(c: ControllerProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([c.exited, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

export const progress = (tag: string, line: string) => process.stderr.write(`[${tag} ${new Date().toISOString()}] ${line}\n`);

/** A controller launched with failpoint `fp` must SIGKILL itself there within 300 s, once `cause` (if any) has run. */
export async function crashAt(tag: string, launch: (vars: Record<string, string>) => ControllerProcess, fp: string, cause?: () => Promise<void>): Promise<void> {
  progress(tag, `controller to crash at ${fp}`);
  const c = launch({ ETCDOP_FAILPOINTS: fp });
  if (cause) await cause();
  const exit = await exitWithin(c, 300_000);
  if (!exit) await c.stop();
  expect(c.log.join('\n')).toContain(`failpoint ${fp} reached`);
  expect(exit?.signal).toBe('SIGKILL');
}

export async function createCluster(env: ChaosEnv, name: string, size: number): Promise<void> {
  await env.kubectl(['-n', env.ns, 'apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name }, spec: { size, storage: { size: '64Mi' } } }),
  });
}

export async function resize(env: ChaosEnv, name: string, size: number): Promise<void> {
  await env.kubectl(['-n', env.ns, 'patch', 'etcdcluster', name, '--type', 'merge', '-p', JSON.stringify({ spec: { size } })]);
}

/** Waits until etcd and Kubernetes show `size` members and the status says Running at that size. */
export async function waitRunning(env: ChaosEnv, name: string, size: number, timeoutMs = 240_000): Promise<void> {
  let last: string | undefined = 'not checked yet';
  try {
    await waitFor(async () => {
      last = await notConverged(env.kube, env.ns, name, size);
      if (last) return false;
      const c = await getCluster(env.kubectl, env.ns, name);
      last = `status phase ${c.status?.phase}, size ${c.status?.size}`;
      return c.status?.phase === 'Running' && c.status.size === size && c.status.observedGeneration === c.metadata.generation;
    }, { timeoutMs, intervalMs: 500, what: `${name} Running at ${size}` });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${last}`);
  }
}

export function describeReport(r: WriterReport, missing: string[]): string {
  return `${r.acknowledged} of ${r.attempted} puts acknowledged, ${r.failed} failed, ${missing.length} acknowledged keys missing on read-back\n` +
    `  longest failure window per phase (ms): ${JSON.stringify(r.longestWindowMs)}\n` +
    [...r.windows].sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs)).slice(0, 8)
      .map((w) => `  window in "${w.phase}": ${w.endMs - w.startMs} ms, ${w.failures} failed puts, last error: ${w.lastError.slice(0, 160)}`).join('\n');
}

/** The Progressing messages of the steps of one member's restart in a rollout (core/rollout.ts), naming it. */
const RESTART_STEP = /restarting (\S+) (?:on etcd|from the new pod template)|waiting for pod (\S+) to stop|waiting for the pod of (\S+) to be created|waiting for (\S+) to come back|waiting for (\S+) to catch up/;

/** Marks the writer's phase with the member the controller says it restarts ("restart NAME-k"), while a rollout runs; returns the stop. */
export function markRestarts(env: ChaosEnv, name: string, writer: AckWriter): () => void {
  let last = '';
  const timer = setInterval(() => {
    void getCluster(env.kubectl, env.ns, name).then((c) => {
      // Any step of one member's restart names it (the delete lasts one pass, the waits that follow several), so
      // a slow poll still sees each member's restart.
      const m = RESTART_STEP.exec(c.status?.conditions?.find((x) => x.type === 'Progressing')?.message ?? '');
      const member = m?.slice(1).find((x) => x !== undefined);
      if (member && member !== last) {
        last = member;
        writer.mark(`restart ${member}`);
      }
    }).catch(() => undefined);
  }, 250);
  return () => clearInterval(timer);
}
