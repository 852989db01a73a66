// The real ground under the operator: pods run in containerd on real kubelets, `kubectl logs/exec` reach
// them, cgroup limits are the kernel's, each etcd image runs the etcd it names, a member keeps its data across
// a pod delete, and a node that stops and starts again gets its pods back.
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CLUSTER_LABEL, type EtcdCluster } from '../../core/api.js';
import { useTestCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { Controllers, etcdctl, etcdctlMembers, getCluster, kubectlOf, type Kubectl } from './controller-harness.js';

jest.setTimeout(6 * 60_000);

let tc: TestCluster;
let kubectl: Kubectl;
let ns: string;
const controllers = new Controllers();

interface PodJson {
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { name: string; containerID?: string; restartCount: number; ready: boolean }[] };
}
const pod = async (name: string): Promise<PodJson> => JSON.parse(await kubectl(['-n', ns, 'get', 'pod', name, '-o', 'json'])) as PodJson;
const ready = (p: PodJson) => !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function createCluster(name: string, size: number, version?: string): Promise<void> {
  await kubectl(['-n', ns, 'apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name }, spec: { size, ...(version ? { version } : {}) } }),
  });
}

async function runningWith(name: string, size: number): Promise<EtcdCluster> {
  return waitFor(async () => {
    const c = await getCluster(kubectl, ns, name);
    return c.status?.phase === 'Running' && c.status.readyReplicas === size && c.status.size === size ? c : undefined;
  }, { timeoutMs: 180_000, intervalMs: 1000, what: `EtcdCluster ${name} Running with ${size} ready members` });
}

/** etcd's own answer at /version, from the host. */
async function etcdVersion(name: string, ordinal: number): Promise<{ etcdserver: string; etcdcluster: string }> {
  const res = await fetch(`http://${name}-${ordinal}.${name}.${ns}.svc:2379/version`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as { etcdserver: string; etcdcluster: string };
}

beforeAll(async () => {
  // An instance of its own: this file stops a node, which would freeze other files' pods on it.
  tc = await useTestCluster('nodes');
  kubectl = kubectlOf(tc);
  ns = await tc.createNamespace('ground');
  await tc.installCrd();
  controllers.start(tc.kubeconfig, ns);
});

afterAll(async () => {
  await controllers.stopAll();
  if (ns) await tc.discardNamespace(ns);
});

test('EtcdClusters at 3.4.23 and at the default 3.5 release run those versions (etcd\'s /version), on containerd', async () => {
  await createCluster('old', 1, '3.4.23');
  await createCluster('new', 3);
  const created = await getCluster(kubectl, ns, 'new');
  expect(created.spec.version).toBe('3.5.16');
  await Promise.all([runningWith('old', 1), runningWith('new', 3)]);
  expect((await etcdVersion('old', 0)).etcdserver).toBe('3.4.23');
  for (const k of [0, 1, 2]) expect((await etcdVersion('new', k)).etcdserver).toBe('3.5.16');
  expect((await etcdVersion('new', 0)).etcdcluster).toBe('3.5.0');
  for (const name of ['old-0', 'new-0', 'new-1', 'new-2']) {
    expect((await pod(name)).status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  }
});

test('kubectl logs and kubectl exec reach an etcd pod', async () => {
  const logs = await tc.logs(ns, 'new-1', 'etcd');
  // etcd 3.5 logs JSON lines; this one says the member serves clients.
  expect(logs).toMatch(/"msg":"serving client traffic insecurely/);
  const put = await tc.kubectl(['-n', ns, 'exec', 'new-1', '-c', 'etcd', '--', 'etcdctl', '--endpoints=http://127.0.0.1:2379', 'put', 'from-exec', 'yes']);
  expect(put.stderr).toBe('');
  expect(put.stdout.trim()).toBe('OK');
  expect((await etcdctl(`http://new-0.new.${ns}.svc:2379`, ['get', 'from-exec', '--print-value-only'])).trim()).toBe('yes');
});

test('a memory limit set on a pod is its container\'s cgroup limit', async () => {
  await kubectl(['-n', ns, 'apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: limited}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: localhost/busybox:1.35.0
    command: [sleep, "3600"]
    resources: {limits: {memory: 48Mi, cpu: 250m}}
`,
  });
  await waitFor(async () => ready(await pod('limited')), { timeoutMs: 60_000, what: 'pod limited Ready' });
  const pid = await tc.containerPid(ns, 'limited', 'main');
  // The kernel's view, from the host: the container's own memory and cpu cgroups.
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const memPath = /^\d+:memory:(.*)$/m.exec(cgroups)?.[1];
  const cpuPath = /^\d+:cpu:(.*)$/m.exec(cgroups)?.[1];
  expect(memPath).toContain(`pod${(await pod('limited')).metadata.uid}`);
  expect(Number(readFileSync(`/sys/fs/cgroup/memory${memPath}/memory.limit_in_bytes`, 'utf8'))).toBe(48 * 1024 * 1024);
  expect(Number(readFileSync(`/sys/fs/cgroup/cpu${cpuPath}/cpu.cfs_quota_us`, 'utf8'))).toBe(25_000);
  // And as the container sees it.
  const inside = await tc.kubectl(['-n', ns, 'exec', 'limited', '--', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
  expect(inside.stdout.trim()).toBe(String(48 * 1024 * 1024));
});

test('a member of a 3-member cluster keeps its data and its member ID across a pod delete', async () => {
  const endpoint = `http://new-2.new.${ns}.svc:2379`;
  await etcdctl(`http://new-0.new.${ns}.svc:2379`, ['put', 'kept', `across-delete-${ns}`]);
  const before = await pod('new-2');
  const idBefore = (await etcdctlMembers([endpoint])).find((m) => m.name === 'new-2')?.id;
  expect(idBefore).toMatch(/^[0-9a-f]{16}$/);
  // Not waited for in kubectl: a 1.20 kubelet that loses its kill race finishes the deletion only at its next
  // full sync of the pod, a minute or more on a loaded machine.
  await kubectl(['-n', ns, 'delete', 'pod', 'new-2', '--wait=false']);
  const after = await waitFor(async () => {
    const p = await pod('new-2').catch(() => undefined);
    return p && p.metadata.uid !== before.metadata.uid && ready(p) ? p : undefined;
  }, { timeoutMs: 240_000, intervalMs: 1000, what: 'a new Ready pod new-2' });
  // The local volume keeps it on its node.
  expect(after.spec.nodeName).toBe(before.spec.nodeName);
  const value = await waitFor(async () => (await etcdctl(endpoint, ['get', 'kept', '--print-value-only', '--consistency=s'])).trim() || undefined,
    { timeoutMs: 30_000, what: 'the key on new-2 itself' });
  expect(value).toBe(`across-delete-${ns}`);
  expect((await etcdctlMembers([endpoint])).find((m) => m.name === 'new-2')?.id).toBe(idBefore);
  await runningWith('new', 3);
});

test('a node stopped and started again: it goes NotReady, its pods come back as they were', async () => {
  const victim = (await pod('new-1')).spec.nodeName!;
  const onNode = JSON.parse(await kubectl(['-n', ns, 'get', 'pods', '-l', `${CLUSTER_LABEL}=new`, '--field-selector', `spec.nodeName=${victim}`, '-o', 'json'])) as { items: PodJson[] };
  expect(onNode.items.length).toBeGreaterThan(0);
  const nodeReady = async () => (await kubectl(['get', 'node', victim, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim();
  expect(await nodeReady()).toBe('True');
  await tc.node('stop', victim);
  try {
    await waitFor(async () => (await nodeReady()) !== 'True', { timeoutMs: 60_000, intervalMs: 1000, what: `node ${victim} NotReady` });
    // Its pods' processes are frozen with it: the cluster sees one member unhealthy.
    await waitFor(async () => (await getCluster(kubectl, ns, 'new')).status?.members?.some((m) => m.name === 'new-1' && !m.healthy),
      { timeoutMs: 60_000, intervalMs: 1000, what: 'new-1 reported unhealthy' });
  } finally {
    await tc.node('start', victim);
  }
  await waitFor(async () => (await nodeReady()) === 'True', { timeoutMs: 60_000, intervalMs: 500, what: `node ${victim} Ready again` });
  for (const p of onNode.items) {
    const now = await waitFor(async () => {
      const q = await pod(p.metadata.name);
      return ready(q) ? q : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000, what: `pod ${p.metadata.name} Ready again` });
    // The same pod and container, resumed: nothing was recreated or restarted.
    expect(now.metadata.uid).toBe(p.metadata.uid);
    expect(now.status.containerStatuses?.[0]?.restartCount).toBe(p.status.containerStatuses?.[0]?.restartCount);
  }
  const c = await runningWith('new', 3);
  expect(c.status?.members?.every((m) => m.healthy)).toBe(true);
});
