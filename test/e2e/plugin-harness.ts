// Shared set-up of the plugin's end-to-end tests: a namespace on the local test cluster with the CRD, the
// controller running as a host process (bin/etcd-controller), one EtcdCluster, and `kubectl etcd` run through
// the real kubectl with bin/ first on PATH.
import { resolve } from 'node:path';
import type { EtcdCluster } from '../../core/api.js';
import { ROOT, run, useTestCluster, waitFor, type RunResult, type TestCluster } from '../helpers/cluster.js';
import { startController, type ControllerProcess } from './controller-harness.js';

export const NAME = 'demo';

export interface PluginEnv {
  tc: TestCluster;
  ns: string;
  controller: ControllerProcess;
  /** `kubectl etcd ARGS` (the plugin found on PATH by kubectl). */
  etcd(args: string[], timeoutMs?: number): Promise<RunResult>;
  get(): Promise<EtcdCluster>;
  /** Waits for phase Running with `size` voting members all ready, no learner, generation observed. */
  settled(size: number, timeoutMs?: number): Promise<EtcdCluster>;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** `spec` adds fields to the cluster's spec beside its size (a test of Manual repair sets `repair`); `controllerEnv` is the controller's. */
export async function pluginEnv(prefix: string, size: number, spec: Record<string, unknown> = {}, controllerEnv: Record<string, string> = {}): Promise<PluginEnv> {
  const tc = await useTestCluster();
  const must = async (args: string[], input?: string) => {
    const r = await tc.kubectl(args, { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await tc.installCrd();
  const ns = await tc.createNamespace(prefix);
  const controller = startController(tc.kubeconfig, ns, controllerEnv);
  await must(['-n', ns, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size, ...spec },
  }));
  const env = { KUBECONFIG: tc.kubeconfig, PATH: `${resolve(ROOT, 'bin')}:${process.env.PATH}`, NO_COLOR: '1' };
  const get = async () => JSON.parse(await must(['-n', ns, 'get', 'etcdcluster', NAME, '-o', 'json'])) as EtcdCluster;
  const e: PluginEnv = {
    tc, ns, controller, env,
    etcd: (args, timeoutMs = 120_000) => run('kubectl', ['etcd', ...args], { env, timeoutMs }),
    get,
    settled: (n, timeoutMs = 240_000) => waitFor(async () => {
      const c = await get();
      const s = c.status;
      const ok = s?.phase === 'Running' && s.size === n && s.readyReplicas === n && !(s.members ?? []).some((m) => m.isLearner) && (s.observedGeneration ?? 0) >= (c.metadata.generation ?? 0);
      return ok ? c : undefined;
    }, { timeoutMs, intervalMs: 1000, what: `${NAME} Running with ${n} members in ${ns}` }),
    async close() {
      await controller.stop();
      await tc.discardNamespace(ns);
    },
  };
  return e;
}
