// Self-healing on the local cluster (real kubelets): a member whose disk is lost (its PVC and pod deleted) is
// replaced under a new member ID without its etcd ever starting on the empty volume under the old one, and
// `kubectl etcd replace` replaces a healthy member on request, through the webhook. The controller runs as a
// host process; the webhook in a pod (webhook-harness).
import { jest } from '@jest/globals';
import type { EtcdCluster } from '../../core/api.js';
import { clientURL } from '../../core/member-naming.js';
import { waitFor } from '../helpers/cluster.js';
import { etcdctl, etcdctlMembers } from './controller-harness.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';
import { installWebhook, type InstalledWebhook } from './webhook-harness.js';

jest.setTimeout(15 * 60_000);

let p: PluginEnv;
let webhook: InstalledWebhook | undefined;
const timings: Record<string, number> = {};

beforeAll(async () => {
  p = await pluginEnv('repair', 3);
  webhook = await installWebhook(p.tc, p.ns, p.ns);
  await p.settled(3);
}, 600_000);

afterAll(async () => {
  if (Object.keys(timings).length) console.log(`repair e2e (s): ${JSON.stringify(timings)}`);
  await p?.close();
  await webhook?.remove();
});

interface PodJson {
  metadata: { uid: string };
  status: {
    initContainerStatuses?: { name: string; state: { terminated?: { exitCode: number; message?: string }; waiting?: { reason: string } }; lastState: { terminated?: { exitCode: number; message?: string } } }[];
    containerStatuses?: { name: string; restartCount: number; state: { running?: object; waiting?: { reason: string } }; lastState: { terminated?: object } }[];
  };
}
const pod = async (name: string): Promise<PodJson | undefined> => {
  const r = await p.tc.kubectl(['-n', p.ns, 'get', 'pod', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as PodJson) : undefined;
};
const endpoints = () => [0, 1, 2].map((k) => clientURL(NAME, p.ns, k));

/** Replaced: a completed status.lastRepair for `member` away from `oldId`, 3 healthy voting members, READY 3. */
async function replaced(member: string, oldId: string): Promise<EtcdCluster> {
  return waitFor(async () => {
    const c = await p.get();
    const r = c.status?.lastRepair;
    const ok = r?.member === member && r.oldId === oldId && r.completedAt && c.status?.phase === 'Running' && c.status.readyReplicas === 3;
    return ok ? c : undefined;
  }, { timeoutMs: 300_000, intervalMs: 1000, what: `${member} (${oldId}) replaced and ${NAME} Running with 3 ready` });
}

test('a member whose disk is lost is replaced under a new ID; etcd never starts on the empty volume under the old one', async () => {
  await etcdctl(endpoints()[0], ['put', 'before-loss', 'kept']);
  const before = await etcdctlMembers(endpoints());
  const old = before.find((m) => m.name === `${NAME}-1`)!;
  const t0 = Date.now();
  // The disk is gone: its claim and its pod (the StatefulSet brings both back, the claim empty).
  await p.tc.kubectl(['-n', p.ns, 'delete', 'pvc', `data-${NAME}-1`, '--wait=false']);
  await p.tc.kubectl(['-n', p.ns, 'delete', 'pod', `${NAME}-1`, '--wait=false']);

  // The new pod's member guard refuses the empty volume (exit 4, DataLost) and its etcd never runs.
  const refused = await waitFor(async () => {
    const q = await pod(`${NAME}-1`);
    const g = q?.status.initContainerStatuses?.find((c) => c.name === 'member-guard');
    const t = g?.state.terminated ?? g?.lastState.terminated;
    return t?.exitCode === 4 ? { q: q!, message: t.message ?? '' } : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, what: `${NAME}-1's member guard to refuse its empty volume` });
  expect(refused.message).toContain(`DataLost: ${NAME}-1 (${old.id}) has run before`);
  const etcdOfRefused = refused.q.status.containerStatuses?.find((c) => c.name === 'etcd');
  expect(etcdOfRefused?.restartCount ?? 0).toBe(0);
  expect(etcdOfRefused?.state.running).toBeUndefined();
  expect(etcdOfRefused?.lastState.terminated).toBeUndefined();

  const c = await replaced(`${NAME}-1`, old.id);
  timings.lostDiskToHealthy = (Date.now() - t0) / 1000;
  const after = await etcdctlMembers(endpoints());
  expect(after.map((m) => m.name).sort()).toEqual([0, 1, 2].map((k) => `${NAME}-${k}`));
  expect(after.find((m) => m.name === `${NAME}-1`)!.id).not.toBe(old.id);
  expect(after.some((m) => m.id === old.id)).toBe(false);
  expect(c.status?.lastRepair).toMatchObject({ reason: 'DataLost', newId: after.find((m) => m.name === `${NAME}-1`)!.id });
  // The new member caught up from the others: the data is there, read from it alone.
  expect((await etcdctl(endpoints()[1], ['get', 'before-loss', '--print-value-only', '--consistency=s'])).trim()).toBe('kept');
  const events = await p.tc.kubectl(['-n', p.ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME}`, '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
  for (const reason of ['MemberReplacing', 'MemberRemoved', 'MemberAdded', 'MemberPromoted', 'MemberReplaced']) expect(events.stdout.split('\n')).toContain(reason);
});

test('kubectl etcd replace: a healthy member, on request (plan, webhook V8, progress), recorded with who asked', async () => {
  const before = await etcdctlMembers(endpoints());
  const old = before.find((m) => m.name === `${NAME}-2`)!;
  const dry = await p.etcd(['-n', p.ns, 'replace', NAME, `${NAME}-2`, '--dry-run', '-o', 'json']);
  expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
  const plan = JSON.parse(dry.stdout) as { member: string; id: string; toleratesNow: number; steps: { action: string; votingAfter: number; toleratesAfter: number }[]; verdict: { allowed: boolean; by: string; warnings: string[] } };
  expect(plan).toMatchObject({ member: `${NAME}-2`, id: old.id, toleratesNow: 1, verdict: { allowed: true, by: 'server' } });
  expect(plan.steps.map((s) => s.action)).toEqual(expect.arrayContaining(['remove-member', 'delete-pvc', 'add-learner', 'start-pod', 'promote']));
  expect(plan.steps.find((s) => s.action === 'remove-member')).toMatchObject({ votingAfter: 2, toleratesAfter: 0 });
  expect(plan.verdict.warnings.join('\n')).toContain('W5: while demo-2 is replaced');

  const t0 = Date.now();
  const r = await p.etcd(['-n', p.ns, 'replace', NAME, `${NAME}-2`, '--yes', '--timeout', '5m'], 360_000);
  timings.replaceCommand = (Date.now() - t0) / 1000;
  expect(r.stderr).toContain(`replacement of ${NAME}-2 (${old.id}) requested`);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stdout).toMatch(new RegExp(`${NAME}-2 replaced: ${old.id} -> [0-9a-f]{16} in [0-9.]+ s; 3/3 ready, phase Running`));
  const c = await p.get();
  expect(c.status?.lastRepair).toMatchObject({ member: `${NAME}-2`, oldId: old.id, reason: 'Requested', requestedBy: 'admin' });
  expect((await etcdctlMembers(endpoints())).find((m) => m.name === `${NAME}-2`)!.id).toBe(c.status!.lastRepair!.newId);
  // The request is done once: the annotation still names the old ID, and nothing more happens.
  await new Promise((res) => setTimeout(res, 5000));
  const later = await p.get();
  expect(later.status?.lastRepair).toEqual(c.status?.lastRepair);
  expect((await etcdctlMembers(endpoints())).find((m) => m.name === `${NAME}-2`)!.id).toBe(c.status!.lastRepair!.newId);
  // Asking anew for the old ID is refused by the webhook (V8), naming the member as it is now.
  expect((await p.tc.kubectl(['-n', p.ns, 'annotate', 'etcdcluster', NAME, 'etcd.k8s-operator.io/replace-'])).code).toBe(0);
  const stale = await p.tc.kubectl(['-n', p.ns, 'annotate', 'etcdcluster', NAME, `etcd.k8s-operator.io/replace=${NAME}-2/${old.id}`]);
  expect(stale.code).not.toBe(0);
  expect(stale.stderr).toContain(`V8: cannot replace ${NAME}-2 (${old.id}): ${NAME}-2 is member ${c.status!.lastRepair!.newId} now`);
});

test('kubectl etcd recover after two of three members lost their disks: the survivor\'s data is all there, the cluster is back at 3', async () => {
  for (let i = 0; i < 50; i++) await etcdctl(endpoints()[0], ['put', `survivor-${i}`, `v${i}`]);
  const before = await etcdctlMembers(endpoints());
  const survivor = before.find((m) => m.name === `${NAME}-0`)!;
  for (const k of [1, 2]) {
    await p.tc.kubectl(['-n', p.ns, 'delete', 'pvc', `data-${NAME}-${k}`, '--wait=false']);
    await p.tc.kubectl(['-n', p.ns, 'delete', 'pod', `${NAME}-${k}`, '--wait=false']);
  }
  // Quorum is lost for good (the two new pods refuse their empty volumes): nothing is replaced, it says so.
  await waitFor(async () => (await p.get()).status?.conditions?.find((c) => c.type === 'Available' && c.status === 'False' && c.reason === 'QuorumLost'),
    { timeoutMs: 120_000, intervalMs: 1000, what: 'Available False, QuorumLost' });
  await waitFor(async () => (await p.get()).status?.members?.find((m) => m.name === `${NAME}-0`)?.raftIndex !== undefined,
    { timeoutMs: 60_000, intervalMs: 1000, what: `${NAME}-0's figures in status` });

  const dry = await p.etcd(['-n', p.ns, 'recover', NAME, '--dry-run', '-o', 'json']);
  expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
  const proposal = JSON.parse(dry.stdout) as { chosen: { name: string; id: string; raftIndex: number }; members: { name: string; answers: boolean; loses: string }[]; verdict: { allowed: boolean; by: string } };
  expect(proposal.chosen).toMatchObject({ name: `${NAME}-0`, id: survivor.id });
  expect(proposal.verdict).toMatchObject({ allowed: true, by: 'server' });
  expect(proposal.members.filter((m) => m.name !== `${NAME}-0`).every((m) => !m.answers && /does not answer/.test(m.loses))).toBe(true);
  expect((await p.get()).metadata.annotations?.['etcd.k8s-operator.io/recover']).toBeUndefined();

  const t0 = Date.now();
  const r = await p.etcd(['-n', p.ns, 'recover', NAME, '--yes', '--timeout', '8m'], 540_000);
  timings.recoverCommand = (Date.now() - t0) / 1000;
  expect(r.stdout).toContain(`Proposal: restart ${NAME}-0 (${survivor.id}) once as a one-member cluster`);
  expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /error/i.test(l)).join('\n') }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(new RegExp(`${NAME}: recovered from ${NAME}-0 in [0-9.]+ s; 3/3 ready, phase Running`));

  const after = await etcdctlMembers(endpoints());
  expect(after.map((m) => m.name).sort()).toEqual([0, 1, 2].map((k) => `${NAME}-${k}`));
  expect(after.find((m) => m.name === `${NAME}-0`)!.id).toBe(survivor.id);
  for (const k of [1, 2]) {
    // Every key, from each new member itself.
    const got = await etcdctl(endpoints()[k], ['get', 'survivor-', '--prefix', '--keys-only', '--consistency=s']);
    expect(got.split('\n').filter(Boolean)).toHaveLength(50);
  }
  const c = await p.get();
  expect(c.status?.lastRecovery).toMatchObject({ member: `${NAME}-0`, id: survivor.id, requestedBy: 'admin' });
  expect(c.status?.lastRecovery?.forcedAt).toBeDefined();
  expect(c.status?.lastRecovery?.completedAt).toBeDefined();
  // Once: the entry no longer asks etcd to force a new cluster.
  const entry = await p.tc.kubectl(['-n', p.ns, 'get', 'configmap', `${NAME}-members`, '-o', `jsonpath={.data.${NAME}-0}`]);
  expect(entry.stdout).not.toContain('force-new-cluster: true');
});
