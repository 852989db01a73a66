// The etcd pods on the local cluster (real kubelets, containerd, runc and scheduler, three nodes): a 3-member
// cluster lands on three nodes; the kubelet enforces the pods' securityContext (the process's uid, capabilities,
// no_new_privs and seccomp in /proc, its root filesystem read-only); a spec.podTemplate and spec.etcdOptions
// change is rolled one member at a time under the acknowledged-write checker, and each member then runs with
// the new options (its own metrics say so). Settings the controller cannot apply are refused at admission (V11).
import { readFileSync, statSync } from 'node:fs';
import { jest } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { CLUSTER_LABEL, TEMPLATE_HASH_ANNOTATION } from '../../core/api.js';
import { waitFor } from '../helpers/cluster.js';
import type { AckWriter } from '../helpers/writer.js';
import { chaosEnvOf, describeReport, markRestarts, progress, startWriter, type ChaosEnv } from '../chaos/chaos-harness.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';
import { installWebhook, type InstalledWebhook } from './webhook-harness.js';

jest.setTimeout(15 * 60_000);

const QUOTA = 4 * 2 ** 30;
let p: PluginEnv;
let env: ChaosEnv;
let webhook: InstalledWebhook | undefined;
let writer: AckWriter | undefined;
let stopMarks: (() => void) | undefined;
let sampler: NodeJS.Timeout | undefined;

beforeAll(async () => {
  p = await pluginEnv('pods', 3, { storage: { size: '64Mi' }, networkPolicy: { clientNamespaces: ['apps'] } }, { ETCDOP_NETWORK_POLICIES: 'true' });
  webhook = await installWebhook(p.tc, p.ns, p.ns);
  env = chaosEnvOf(p.tc, p.ns);
  await p.settled(3, 400_000);
}, 900_000);

afterAll(async () => {
  clearInterval(sampler);
  stopMarks?.();
  await writer?.stop().catch(() => undefined);
  await p?.close();
  await webhook?.remove();
});

const etcdPods = async () => (await env.kube.core.listNamespacedPod({ namespace: p.ns, labelSelector: `${CLUSTER_LABEL}=${NAME}` })).items;
const ready = (pod: V1Pod) => !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

test('a 3-member cluster lands on three nodes (the preferred spread)', async () => {
  const pods = await etcdPods();
  expect(pods).toHaveLength(3);
  const nodes = pods.map((x) => x.spec?.nodeName);
  expect(nodes.every((n) => typeof n === 'string' && n.length > 0)).toBe(true);
  expect(new Set(nodes).size).toBe(3);
});

/** A /proc/PID/status field, e.g. "Uid" -> "1000\t1000\t1000\t1000". */
const procField = (pid: number, field: string) => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim();

test('with --network-policies: peers only from the members, clients from the cluster\'s namespace and those named, the metrics port open', async () => {
  const np = JSON.parse((await p.tc.kubectl(['-n', p.ns, 'get', 'networkpolicy', NAME, '-o', 'json'])).stdout) as { metadata: { ownerReferences: { name: string }[] }; spec: unknown };
  expect(np.metadata.ownerReferences[0].name).toBe(NAME);
  expect(np.spec).toEqual({
    podSelector: { matchLabels: { [CLUSTER_LABEL]: NAME } },
    policyTypes: ['Ingress'],
    ingress: [
      { from: [{ podSelector: { matchLabels: { [CLUSTER_LABEL]: NAME } } }], ports: [{ protocol: 'TCP', port: 2380 }] },
      // The controller runs on the host here (no namespace of its own): the cluster's and the named ones.
      { from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps', p.ns].sort() }] } }], ports: [{ protocol: 'TCP', port: 2379 }] },
      { ports: [{ protocol: 'TCP', port: 2381 }] },
    ],
  });
});

test('the kubelet enforces the securityContext: etcd runs as uid 1000, no capabilities, no_new_privs, seccomp, a read-only root', async () => {
  for (const k of [0, 1, 2]) {
    const pod = `${NAME}-${k}`;
    const pid = await p.tc.containerPid(p.ns, pod, 'etcd');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('/usr/local/bin/etcd');
    expect(procField(pid, 'Uid')!.split(/\s+/)).toEqual(['1000', '1000', '1000', '1000']);
    expect(procField(pid, 'Gid')!.split(/\s+/)).toEqual(['1000', '1000', '1000', '1000']);
    // fsGroup joins the process to the volume's group.
    expect(procField(pid, 'Groups')!.split(/\s+/)).toContain('1000');
    expect(procField(pid, 'CapEff')).toBe('0000000000000000');
    expect(procField(pid, 'CapBnd')).toBe('0000000000000000');
    expect(procField(pid, 'NoNewPrivs')).toBe('1');
    // 2: a seccomp filter is in force (RuntimeDefault).
    expect(procField(pid, 'Seccomp')).toBe('2');
    // The root mount of the container's mount namespace is read-only; the data volume is not.
    const mounts = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const root = mounts.find((f) => f[4] === '/');
    expect(root?.[5].split(',')).toContain('ro');
    const data = mounts.find((f) => f[4] === '/var/lib/etcd');
    expect(data?.[5].split(',')).toContain('rw');
    // etcd wrote its data as that user.
    expect(statSync(`/proc/${pid}/root/var/lib/etcd/member`).uid).toBe(1000);
  }
});

test('settings the controller cannot apply are refused at admission (V11), and nothing changes', async () => {
  const before = await p.get();
  const r = await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p',
    JSON.stringify({ spec: { podTemplate: { spec: { hostNetwork: true } }, etcdOptions: { electionTimeout: 300 } } })]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('V11: the pod settings of demo cannot be applied: spec.podTemplate.spec.hostNetwork is not merged into the etcd pods');
  expect(r.stderr).toContain('the election timeout (300 ms) must be at least 5 heartbeat intervals');
  const after = await p.get();
  expect(after.metadata.generation).toBe(before.metadata.generation);
  expect(after.spec.podTemplate).toBeUndefined();
});

/** etcd_server_quota_backend_bytes as the member itself reports it on its metrics listener. */
async function quotaOf(podIP: string): Promise<number | undefined> {
  const text = await (await fetch(`http://${podIP}:2381/metrics`, { signal: AbortSignal.timeout(3000) })).text();
  const m = /^etcd_server_quota_backend_bytes\s+(\S+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

test('a podTemplate and etcdOptions change rolls one member at a time, writable throughout, each member then on the new settings', async () => {
  const before = await etcdPods();
  const oldHash = before[0].metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION];
  for (const pod of before) expect(await quotaOf(pod.status!.podIP!)).toBe(2 * 2 ** 30);
  // Puts get etcdctl's default command timeout (5 s): this test runs beside the others on 2 CPUs, and a put
  // that waits for its own process's turn is not one the cluster refused.
  const w = await startWriter(env, NAME, 'pods', 10 * 60_000, 5000);
  writer = w;
  stopMarks = markRestarts(env, NAME, w);
  // How many etcd pods are down at once (deleting, missing or not ready), sampled throughout.
  let mostDown = 0;
  let samples = 0;
  sampler = setInterval(() => {
    void etcdPods().then((pods) => {
      samples++;
      mostDown = Math.max(mostDown, 3 - pods.filter(ready).length);
    }).catch(() => undefined);
  }, 300);
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = Date.now();
  const r = await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', JSON.stringify({
    spec: {
      podTemplate: { metadata: { labels: { team: 'storage' } }, spec: { resources: { requests: { cpu: '150m', memory: '300Mi' } } } },
      etcdOptions: { quotaBackendBytes: QUOTA },
    },
  })]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('W9: spec.podTemplate and spec.etcdOptions changed: every member of demo restarts to apply it, one at a time');

  const done = await waitFor(async () => {
    const pods = await etcdPods();
    const hashes = new Set(pods.map((x) => x.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION]));
    const c = await p.get();
    const settled = c.status?.phase === 'Running' && c.status.readyReplicas === 3
      && c.status.conditions?.find((x) => x.type === 'Progressing')?.status === 'False';
    return pods.length === 3 && pods.every(ready) && hashes.size === 1 && !hashes.has(oldHash) && settled ? pods : undefined;
  }, { timeoutMs: 480_000, intervalMs: 1000, what: 'every member restarted from the new template' });
  const rolledMs = Date.now() - t0;
  clearInterval(sampler);
  stopMarks();
  const report = await w.stop();
  writer = undefined;
  const missing = await w.verify(`http://${done[0].status!.podIP!}:2379`);
  console.log(`pods e2e: podTemplate + etcdOptions rolled over 3 members in ${(rolledMs / 1000).toFixed(1)} s; longest failure window per phase (ms): ${JSON.stringify(report.longestWindowMs)}`);
  progress('pods', `rolled 3 members in ${(rolledMs / 1000).toFixed(1)} s; most pods down at once ${mostDown} (${samples} samples); ${describeReport(report, missing)}`);

  for (const pod of done) {
    const etcd = pod.spec!.containers.find((x) => x.name === 'etcd')!;
    expect(etcd.resources).toEqual({ requests: { cpu: '150m', memory: '300Mi' } });
    expect(pod.metadata?.labels).toMatchObject({ team: 'storage', [CLUSTER_LABEL]: NAME });
    expect(await quotaOf(pod.status!.podIP!)).toBe(QUOTA);
    // Every pod is new: none kept its uid.
    expect(before.map((x) => x.metadata?.uid)).not.toContain(pod.metadata?.uid);
  }
  expect(samples).toBeGreaterThan(20);
  expect(mostDown).toBe(1);
  expect(missing).toEqual([]);
  // Each restart was its own phase of the writer (a member at a time), writes were acknowledged in every one,
  // and the quorum never went.
  expect(Object.keys(report.longestWindowMs).filter((k) => k.startsWith('restart '))).toHaveLength(3);
  for (const [phase, acks] of Object.entries(report.acknowledgedByPhase)) expect([phase, acks >= 10]).toEqual([phase, true]);
  for (const ms of Object.values(report.longestWindowMs)) expect(ms).toBeLessThan(15_000);
  // Still spread across three nodes after the restarts.
  expect(new Set(done.map((x) => x.spec?.nodeName)).size).toBe(3);
});

test('what the API server would only find when making a pod is refused at admission too: a bad toleration, a PriorityClass that does not exist', async () => {
  const patch = (spec: unknown) => p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { podTemplate: { spec } } })]);
  const before = await p.get();
  const bad = await patch({ tolerations: [{ key: 'dedicated', operator: 'Sometimes' }] });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('spec.podTemplate.spec.tolerations[0].operator is "Sometimes": it must be one of Equal, Exists');
  const missing = await patch({ priorityClassName: 'no-such-class' });
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('spec.podTemplate.spec.priorityClassName "no-such-class" names no PriorityClass');
  // One that exists is taken (and rolled out like any other change).
  const ok = await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '--dry-run=server', '-p', JSON.stringify({ spec: { podTemplate: { spec: { priorityClassName: 'system-cluster-critical' } } } })]);
  expect(ok.code).toBe(0);
  expect((await p.get()).metadata.generation).toBe(before.metadata.generation);
});
