// The controller on the local cluster: create and resize 1 -> 3 -> 5 -> 3 -> 1 -> 3 with the truth checked after
// every step (etcdctl member list == status.members, kubectl columns, pods and PVCs), and PVCs kept when the
// EtcdCluster is deleted. Crash safety at every failure point of a resize is test/chaos/controller-kill.test.ts
// (the same kills under the acknowledged-write checker, `make chaos`); `make test` crosses one in chaos-subset.
import { jest } from '@jest/globals';
import { CLUSTER_LABEL } from '../../core/api.js';
import { FIGURES_MAX_AGE_MS } from '../../core/status-derive.js';
import { clientURL } from '../../core/member-naming.js';
import { useTestCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { Controllers, etcdctl, etcdctlLeaderId, etcdctlMembers, getCluster, kubectlOf, type ControllerProcess, type Kubectl } from './controller-harness.js';

/** Failures as they happen (jest prints its report only at the end of this long file). */
const progress = (line: string) => process.stderr.write(`[controller-e2e ${new Date().toISOString()}] ${line}\n`);

jest.setTimeout(15 * 60_000);

const NAME = 'demo';
let tc: TestCluster;
let kubectl: Kubectl;
let ns: string;
let controller: ControllerProcess | undefined;
/** Every controller a test starts is stopped after it, pass or fail. */
const controllers = new Controllers();
const launch = (env: Record<string, string> = {}) => controllers.start(tc.kubeconfig, ns, env);
const timings: Record<string, number> = {};

beforeAll(async () => {
  tc = await useTestCluster();
  kubectl = kubectlOf(tc);
  ns = await tc.createNamespace('ctl');
  await tc.installCrd();
});

afterEach(async () => {
  await controllers.stopAll();
});

afterAll(async () => {
  if (ns) await tc.discardNamespace(ns);
  if (Object.keys(timings).length) console.log(`controller e2e wall times (s): ${JSON.stringify(timings)}`);
});

const endpoints = (size: number) => Array.from({ length: Math.max(size, 1) + 2 }, (_, k) => clientURL(NAME, ns, k));

async function podsAndPvcs(): Promise<{ pods: string[]; readyPods: string[]; pvcs: string[]; stsReplicas: number }> {
  const pods = JSON.parse(await kubectl(['-n', ns, 'get', 'pods', '-l', `${CLUSTER_LABEL}=${NAME}`, '-o', 'json'])) as {
    items: { metadata: { name: string; deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } }[];
  };
  const pvcs = JSON.parse(await kubectl(['-n', ns, 'get', 'pvc', '-l', `${CLUSTER_LABEL}=${NAME}`, '-o', 'json'])) as { items: { metadata: { name: string } }[] };
  const sts = JSON.parse(await kubectl(['-n', ns, 'get', 'statefulset', NAME, '-o', 'json'])) as { spec: { replicas: number } };
  return {
    pods: pods.items.map((p) => p.metadata.name).sort(),
    readyPods: pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.metadata.name),
    pvcs: pvcs.items.map((p) => p.metadata.name).sort(),
    stsReplicas: sts.spec.replicas,
  };
}

const names = (prefix: string, size: number) => Array.from({ length: size }, (_, k) => `${prefix}${NAME}-${k}`).sort();

/** Converged = status shows `size` healthy voting members, no learner, and pods/PVCs/StatefulSet match. */
async function converged(size: number): Promise<boolean> {
  const c = await getCluster(kubectl, ns, NAME);
  const s = c.status;
  if (!s || s.observedGeneration !== c.metadata.generation || s.phase !== 'Running' || s.size !== size || s.readyReplicas !== size) return false;
  if (s.members?.length !== size || s.members.some((m) => m.isLearner || !m.healthy)) return false;
  const k = await podsAndPvcs();
  return JSON.stringify(k.pods) === JSON.stringify(names('', size)) && k.readyPods.length === size && JSON.stringify(k.pvcs) === JSON.stringify(names('data-', size)) && k.stsReplicas === size;
}

async function describeState(): Promise<string> {
  const c = await getCluster(kubectl, ns, NAME).catch((e: unknown) => String(e));
  const objs = await podsAndPvcs().catch((e: unknown) => String(e));
  const events = await kubectl(['-n', ns, 'get', 'events', '--sort-by=.lastTimestamp']).catch(() => '');
  return `cluster: ${JSON.stringify(c, null, 1)}\nobjects: ${JSON.stringify(objs)}\nevents:\n${events.split('\n').slice(-25).join('\n')}\ncontroller log tail:\n${controller?.log.slice(-30).join('\n')}`;
}

async function waitConverged(size: number, timeoutMs = 180_000): Promise<void> {
  try {
    await waitFor(() => converged(size), { timeoutMs, what: `EtcdCluster ${NAME} converged at ${size}` });
  } catch (err) {
    const e = new Error(`${(err as Error).message}\n${await describeState()}`);
    progress(e.message);
    throw e;
  }
  progress(`converged at ${size}`);
}

/** The truth after a step: etcd's own member list equals status.members; kubectl columns equal the truth. */
async function assertTruth(size: number): Promise<void> {
  try {
    await checkTruth(size);
  } catch (err) {
    progress(`truth check at ${size} failed: ${(err as Error).message}`);
    throw err;
  }
}

async function checkTruth(size: number): Promise<void> {
  const c = await getCluster(kubectl, ns, NAME);
  const etcd = await etcdctlMembers(endpoints(size));
  const fromEtcd = etcd.map((m) => ({ name: m.name, id: m.id, isLearner: m.isLearner, peerURL: m.peerURL })).sort((a, b) => a.name.localeCompare(b.name));
  const fromStatus = c.status!.members!.map((m) => ({ name: m.name, id: m.id, isLearner: m.isLearner, peerURL: m.peerURL })).sort((a, b) => a.name.localeCompare(b.name));
  expect(fromStatus).toEqual(fromEtcd);
  expect(etcd.filter((m) => m.status === 'started')).toHaveLength(size);
  expect(new Set(etcd.map((m) => m.name)).size).toBe(etcd.length);

  const row = (await kubectl(['-n', ns, 'get', 'etcdclusters', NAME, '--no-headers'])).trim().split(/\s+/);
  // NAME DESIRED MEMBERS READY PHASE LEADER AGE
  expect(row.slice(0, 5)).toEqual([NAME, String(size), String(size), String(size), 'Running']);
  const leaderId = await etcdctlLeaderId(endpoints(size)[0], true);
  const leader = etcd.find((m) => m.id === leaderId);
  expect(row[5]).toBe(leader?.name);
}

async function resize(size: number): Promise<void> {
  await kubectl(['-n', ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { size } })]);
}

describe('etcd-controller on a local cluster', () => {
  it('creates a 1-member cluster and resizes 1 -> 3 -> 5 -> 3 -> 1 -> 3, truthful after every step', async () => {
    controller = launch();
    await waitFor(() => controller!.log.some((l) => l.includes('became leader')), { timeoutMs: 30_000, what: 'the controller to lead' });
    // A second replica on the same Lease stands by and never reconciles.
    const standby = launch();
    await kubectl(['-n', ns, 'apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 1, storage: { size: '64Mi' } } }),
    });
    let t = Date.now();
    await waitConverged(1);
    timings['create 1'] = (Date.now() - t) / 1000;
    await assertTruth(1);
    await etcdctl(endpoints(1)[0], ['put', 'survivor', 'yes']);

    for (const [from, to] of [
      [1, 3],
      [3, 5],
      [5, 3],
      [3, 1],
      [1, 3],
    ]) {
      t = Date.now();
      await resize(to);
      await waitConverged(to);
      timings[`${Object.keys(timings).length}: ${from}->${to}`] = (Date.now() - t) / 1000;
      await assertTruth(to);
      expect((await etcdctl(endpoints(to)[0], ['get', 'survivor', '--print-value-only'])).trim()).toBe('yes');
      const c = await getCluster(kubectl, ns, NAME);
      expect(c.status!.lastResize).toMatchObject({ from, to });
      expect(c.status!.lastResize!.completedAt).toBeDefined();
    }
    // At rest the controller writes nothing: status unchanged over a few resyncs. Figures that moved during the
    // last step are written once they are FIGURES_MAX_AGE_MS old, so rest begins when the written ones are older.
    await waitFor(async () => {
      const readAt = (await getCluster(kubectl, ns, NAME)).status!.members!.map((m) => Date.parse(m.readAt!));
      // Past one write period and one more resync (5 s here): a pass has looked since the figures could be written.
      return readAt.every((t) => Date.now() - t > FIGURES_MAX_AGE_MS + 8_000);
    }, { timeoutMs: 120_000, what: 'the figures in status to be older than one write period' });
    const before = (await getCluster(kubectl, ns, NAME)).metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await getCluster(kubectl, ns, NAME)).metadata.resourceVersion).toBe(before);
    await standby.stop();
    expect(standby.log.join('\n')).toContain('another replica leads; waiting');
    expect(standby.log.join('\n')).not.toMatch(/watching EtcdClusters|member added/);
    await controller.stop();
    controller = undefined;
  });

  it('keeps the PVCs when the EtcdCluster is deleted, and a recreated cluster resumes from them', async () => {
    controller = launch();
    await kubectl(['-n', ns, 'apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 3, storage: { size: '64Mi' } } }),
    });
    await waitConverged(3);
    await etcdctl(endpoints(3)[0], ['put', 'survivor', 'yes']);
    const before = await etcdctlMembers(endpoints(3));
    await kubectl(['-n', ns, 'delete', 'etcdcluster', NAME, '--wait=true']);
    await waitFor(
      async () => (await kubectl(['-n', ns, 'get', 'statefulsets,services,configmaps,pods', '-l', `${CLUSTER_LABEL}=${NAME}`, '-o', 'name'])).trim() === '',
      { timeoutMs: 120_000, what: 'owned objects garbage collected' },
    );
    const pvcs = await kubectl(['-n', ns, 'get', 'pvc', '-l', `${CLUSTER_LABEL}=${NAME}`, '-o', 'name']);
    expect(pvcs.trim().split('\n').sort()).toEqual(names('persistentvolumeclaim/data-', 3));

    // Same name again: the members come back as themselves with their data.
    await kubectl(['-n', ns, 'apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 3, storage: { size: '64Mi' } } }),
    });
    await waitConverged(3);
    const after = await etcdctlMembers(endpoints(3));
    expect(after.map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
    expect((await etcdctl(endpoints(3)[0], ['get', 'survivor', '--print-value-only'])).trim()).toBe('yes');
    await assertTruth(3);
  });

});
