// Backups on the local cluster (real kubelets, containerd, the Job controller, local volumes): a schedule of every
// minute takes snapshots with growing revisions into PVC demo-backups; a requested one (`kubectl etcd snapshot`)
// prunes to `keep`; one is taken while the member it would use is down; a new EtcdCluster restored from a
// snapshot taken under the acknowledged-write checker holds every write acknowledged at or below its revision
// and grows to its size, though the controller was killed halfway into the restore; a corrupted snapshot is
// refused at bootstrap and nothing starts on it.
import { jest } from '@jest/globals';
import type { EtcdCluster, SnapshotRecord } from '../../core/api.js';
import { useTestCluster, waitFor } from '../helpers/cluster.js';
import type { AckWriter } from '../helpers/writer.js';
import { chaosEnvOf, exitWithin, startWriter, type ChaosEnv } from '../chaos/chaos-harness.js';
import { startController, type ControllerProcess } from './controller-harness.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';

jest.setTimeout(15 * 60_000);

const BUSYBOX_IMAGE = 'localhost/busybox:1.35.0';
/** The etcd pods of `demo` carry it; a quota scoped to it keeps a deleted member's pod from coming back. */
const PRIORITY = 'etcd-backup-e2e';
const HOLD = 'hold-demo-members';

let p: PluginEnv;
let env: ChaosEnv;
let writer: AckWriter | undefined;
/** The controller that takes over from the one killed at a restore's failure point. */
let successor: ControllerProcess | undefined;
const timings: Record<string, number> = {};

beforeAll(async () => {
  // The PriorityClass must exist before the cluster's pods do.
  const tc = await useTestCluster();
  await tc.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: PRIORITY }, value: 1000 }) });
  p = await pluginEnv('backup', 3, {
    storage: { size: '64Mi' },
    podTemplate: { spec: { priorityClassName: PRIORITY } },
    backup: { schedule: '* * * * *', keep: 2, volume: { size: '256Mi' } },
  });
  env = chaosEnvOf(p.tc, p.ns);
  await p.settled(3, 400_000);
}, 900_000);

afterAll(async () => {
  console.log(`backup e2e (s): ${JSON.stringify(timings)}`);
  await writer?.stop().catch(() => undefined);
  await successor?.stop();
  await p?.close();
  await p?.tc.kubectl(['delete', 'priorityclass', PRIORITY, '--ignore-not-found']);
});

const must = async (args: string[], input?: string) => {
  const r = await p.tc.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const getNamed = async (name: string) => JSON.parse(await must(['-n', p.ns, 'get', 'etcdcluster', name, '-o', 'json'])) as EtcdCluster;

/** Runs `script` in a busybox pod with PVC demo-backups at /b (on the volume's node) and returns its output. */
async function onBackupsVolume(tag: string, script: string): Promise<string> {
  const pod = `backups-${tag}`;
  await must(['-n', p.ns, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: pod },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'sh', image: BUSYBOX_IMAGE, command: ['sh', '-c', script], volumeMounts: [{ name: 'b', mountPath: '/b' }] }],
      volumes: [{ name: 'b', persistentVolumeClaim: { claimName: `${NAME}-backups` } }],
    },
  }));
  await waitFor(async () => ['Succeeded', 'Failed'].includes((await must(['-n', p.ns, 'get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).trim()), { timeoutMs: 120_000, what: `pod ${pod} to finish` });
  const out = await must(['-n', p.ns, 'logs', pod]);
  await must(['-n', p.ns, 'delete', 'pod', pod, '--wait=false']);
  return out;
}

const dbFiles = (ls: string) => ls.split('\n').map((l) => l.trim()).filter((l) => l.endsWith('.db')).sort();

test('every minute: snapshots with growing revisions; a requested one prunes to keep (2), in status and on the volume', async () => {
  writer = await startWriter(env, NAME, 'backup', 12 * 60_000);
  const seen = new Map<string, SnapshotRecord>();
  const t = Date.now();
  await waitFor(async () => {
    const s = (await p.get()).status?.backup?.lastSnapshot;
    if (s?.scheduledFor) seen.set(s.name, s);
    return seen.size >= 2;
  }, { timeoutMs: 200_000, intervalMs: 2000, what: 'two scheduled snapshots' });
  timings['two scheduled snapshots'] = (Date.now() - t) / 1000;
  const scheduled = [...seen.values()].sort((a, b) => a.takenAt.localeCompare(b.takenAt));
  expect(scheduled[1].revision).toBeGreaterThan(scheduled[0].revision);
  // Taken on the minute, from a follower (as the member itself said when the stream began: leadership may move since).
  for (const s of scheduled) expect(new Date(s.scheduledFor!).getUTCSeconds()).toBe(0);
  expect(scheduled.map((s) => s.fromLeader)).toEqual([false, false]);
  const c = await p.get();
  expect(c.status!.conditions!.find((x) => x.type === 'BackupReady')).toMatchObject({ status: 'True', reason: 'SnapshotTaken' });

  // The schedule off from here (snapshots only on request), so what the volume holds stays put.
  await must(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/backup/schedule' }])]);
  const r = await p.etcd(['snapshot', NAME, '-n', p.ns], 300_000);
  expect(r.stderr).not.toMatch(/^error/m);
  expect(r.code).toBe(0);
  const after = (await p.get()).status!.backup!;
  expect(r.stdout).toContain(`${NAME}: snapshot ${after.lastSnapshot!.name} taken from ${after.lastSnapshot!.member} at revision ${after.lastSnapshot!.revision}`);
  expect(after.lastSnapshot!.requestedAt).toBeDefined();
  expect(after.lastSnapshot!.revision).toBeGreaterThan(Math.max(...scheduled.map((s) => s.revision)));
  expect(after.snapshots!.map((s) => s.name)).toHaveLength(2);
  expect(after.snapshots![0].name).toBe(after.lastSnapshot!.name);
  // The volume holds exactly what status lists, each with its record.
  const ls = await onBackupsVolume('ls', 'ls -1 /b');
  expect(dbFiles(ls)).toEqual(after.snapshots!.map((s) => s.name).sort());
  for (const s of after.snapshots!) expect(ls).toContain(`${s.name}.json`);
  // The plugin lists them.
  const list = await p.etcd(['snapshots', NAME, '-n', p.ns, '-o', 'json']);
  expect(list.code).toBe(0);
  expect((JSON.parse(list.stdout) as SnapshotRecord[]).map((s) => [s.name, s.sha256])).toEqual(after.snapshots!.map((s) => [s.name, s.sha256]));
  // The Jobs are gone once recorded.
  await waitFor(async () => (await must(['-n', p.ns, 'get', 'jobs', '-o', 'name'])).trim() === '', { timeoutMs: 60_000, what: 'finished Jobs to be deleted' });
});

test('a snapshot while the member it would use is down is taken from another member', async () => {
  const c = await p.get();
  const follower = c.status!.members!.find((m) => m.name !== c.status!.leader)!.name;
  // Pods of demo with the PriorityClass are capped at 2: the deleted member's pod cannot come back until the quota goes.
  await must(['-n', p.ns, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: HOLD },
    spec: { hard: { pods: '2' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [PRIORITY] }] } },
  }));
  await waitFor(async () => (await must(['-n', p.ns, 'get', 'quota', HOLD, '-o', 'jsonpath={.status.used.pods}'])).trim() === '3', { timeoutMs: 60_000, what: 'the quota to count the members' });
  await must(['-n', p.ns, 'delete', 'pod', follower, '--wait=false']);
  await waitFor(async () => (await p.get()).status?.members?.find((m) => m.name === follower)?.healthy === false, { timeoutMs: 120_000, what: `${follower} to be reported down` });
  const t = Date.now();
  const r = await p.etcd(['snapshot', NAME, '-n', p.ns], 300_000);
  timings['snapshot with a member down'] = (Date.now() - t) / 1000;
  expect(r.code).toBe(0);
  const s = (await p.get()).status!.backup!.lastSnapshot!;
  expect(s.member).not.toBe(follower);
  expect(r.stdout).toContain(`taken from ${s.member}`);
  await must(['-n', p.ns, 'delete', 'quota', HOLD]);
  await p.settled(3, 300_000);
});

test('a new cluster restored from a snapshot taken under writes holds every write acknowledged at or below its revision, and grows to 3', async () => {
  const snap = (await p.get()).status!.backup!.lastSnapshot!;
  const w = writer!;
  const report = await w.stop();
  writer = undefined;
  const wanted = w.acknowledgedAtOrBelow(snap.revision);
  expect(wanted).toBeGreaterThan(100);
  expect(report.acknowledged).toBeGreaterThan(wanted);
  // The restore begins under a controller SIGKILLed between member 0's volume and the restore Job
  // (failure point after-restore-volume); the one after it finishes from what it finds.
  await p.controller.stop();
  const dying = startController(p.tc.kubeconfig, p.ns, { ETCDOP_FAILPOINTS: 'after-restore-volume' });
  const t = Date.now();
  await must(['-n', p.ns, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: 'restored' },
    spec: { size: 3, storage: { size: '64Mi' }, bootstrap: { fromSnapshot: { cluster: NAME, snapshot: snap.name } } },
  }));
  expect(await exitWithin(dying, 120_000)).toMatchObject({ signal: 'SIGKILL' });
  expect((await must(['-n', p.ns, 'get', 'pvc', 'data-restored-0', '-o', 'name'])).trim()).toBe('persistentvolumeclaim/data-restored-0');
  expect((await must(['-n', p.ns, 'get', 'job', 'restored-restore', '--ignore-not-found', '-o', 'name'])).trim()).toBe('');
  successor = startController(p.tc.kubeconfig, p.ns);
  const c = await waitFor(async () => {
    const x = await getNamed('restored');
    const s = x.status;
    return s?.phase === 'Running' && s.size === 3 && s.readyReplicas === 3 && !(s.members ?? []).some((m) => m.isLearner) ? x : undefined;
  }, { timeoutMs: 400_000, intervalMs: 2000, what: 'restored Running with 3 members' });
  timings['restore to 3 members Running'] = (Date.now() - t) / 1000;
  expect(c.status!.restoredFrom).toMatchObject({ cluster: NAME, snapshot: snap.name, sha256: snap.sha256, revision: snap.revision });
  expect(c.status!.conditions!.find((x) => x.type === 'Restored')).toMatchObject({ status: 'True', reason: 'SnapshotRestored' });
  const ip = (await must(['-n', p.ns, 'get', 'pod', 'restored-2', '-o', 'jsonpath={.status.podIP}'])).trim();
  expect(await w.verify(`http://${ip}:2379`, snap.revision)).toEqual([]);
  const events = await must(['-n', p.ns, 'get', 'events', '--field-selector', 'involvedObject.name=restored,reason=SnapshotRestored', '-o', 'name']);
  expect(events.trim()).not.toBe('');
  await must(['-n', p.ns, 'get', 'job', 'restored-restore', '--ignore-not-found', '-o', 'name']).then((o) => expect(o.trim()).toBe(''));
});

test('a corrupted snapshot is refused at bootstrap: condition Restored False (SnapshotCorrupt), no StatefulSet', async () => {
  const b = (await p.get()).status!.backup!;
  const victim = b.snapshots![b.snapshots!.length - 1].name;
  // One byte in the middle of the file changed, as bit rot or a bad copy would.
  await onBackupsVolume('corrupt', `printf 'X' | dd of=/b/${victim} bs=1 seek=4096 conv=notrunc && echo done`);
  await must(['-n', p.ns, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: 'broken' },
    spec: { size: 1, storage: { size: '64Mi' }, bootstrap: { fromSnapshot: { cluster: NAME, snapshot: victim } } },
  }));
  const cond = await waitFor(async () => {
    const x = (await getNamed('broken')).status?.conditions?.find((k) => k.type === 'Restored');
    return x?.status === 'False' ? x : undefined;
  }, { timeoutMs: 240_000, intervalMs: 2000, what: 'broken refused' });
  expect(cond.reason).toBe('SnapshotCorrupt');
  expect(cond.message).toContain(`sha256 mismatch for ${victim}`);
  expect(cond.message).toContain('Delete this EtcdCluster');
  expect((await must(['-n', p.ns, 'get', 'statefulset', 'broken', '--ignore-not-found', '-o', 'name'])).trim()).toBe('');
  expect((await getNamed('broken')).status!.conditions!.find((k) => k.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'SnapshotCorrupt' });
});
