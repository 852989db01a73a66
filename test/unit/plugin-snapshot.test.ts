// `kubectl etcd snapshot` and `snapshots` against the stand-in API server, the test playing the controller: it
// serves the request (a snapshot or an error with the annotation's time as requestedAt) once the plugin has made it.
import { Annotations, type EtcdCluster } from '../../core/api.js';
import { colorsFor } from '../../plugin/cli/output.js';
import { snapshotsText } from '../../plugin/commands/snapshots/render.js';
import { MockApi } from './plugin-mock-api.js';
import { ago, cluster, member, NOW, snapshotRecord } from './plugin-fixtures.js';
import { kubectlEtcd } from './plugin-inprocess.js';

const plain = colorsFor('never', { isTTY: true });
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** demo, 3 members; with spec.backup unless `backup` is false. */
function demo(backup = true): EtcdCluster {
  const c = cluster(3, [member(0), member(1), member(2)]);
  if (backup) c.spec.backup = { schedule: '*/30 * * * *', keep: 10, volume: { size: '5Gi' } };
  return c;
}

let api: MockApi | undefined;
async function serve(c: EtcdCluster): Promise<MockApi> {
  api = await new MockApi({ cluster: c }).start();
  return api;
}
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

/** The annotation value of the request the plugin sent (its one merge patch), once sent. */
function requested(a: MockApi): string | undefined {
  const p = a.patches(false)[0];
  return p ? (JSON.parse(p.body) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[Annotations.snapshotRequested] : undefined;
}

/** The controller's part: once `ready` yields the request's time, `act` on it (given up after 5 s, so a failing command cannot hang the test). */
async function controller(ready: () => string | undefined, act: (at: string) => void): Promise<void> {
  for (const end = Date.now() + 5_000; Date.now() < end;) {
    const at = ready();
    if (at) return act(at);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const taken = (a: MockApi) => (at: string) => {
  const s = snapshotRecord(1, 1234, { requestedAt: at, sizeBytes: 24576 }, new Date());
  a.o.cluster.status!.backup = { lastSnapshot: s, snapshots: [s] };
};

describe('kubectl etcd snapshot', () => {
  test('S1: without spec.backup, denied with exit 2, why and the patch that sets it; nothing sent', async () => {
    const a = await serve(demo(false));
    const r = await kubectlEtcd(['snapshot', 'demo'], a.kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: S1: cannot take a snapshot of demo: it has no spec.backup, so there is no backup volume (PVC demo-backups) to write it to.');
    expect(r.stderr).toContain(`Set spec.backup first: kubectl -n ns patch etcdcluster demo --type merge -p '{"spec":{"backup":{"schedule":"0 */6 * * *","keep":7,"volume":{"size":"5Gi"}}}}'`);
    expect(a.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  test('asks with an RFC 3339 time, waits, and prints the snapshot that serves it: exit 0', async () => {
    const a = await serve(demo());
    const before = Date.now();
    const [r] = await Promise.all([kubectlEtcd(['snapshot', 'demo'], a.kubeconfig), controller(() => requested(a), taken(a))]);
    expect(r.code).toBe(0);
    // One merge patch of the annotation alone, as the plugin's field manager; no dry run.
    const patches = a.requests.filter((q) => q.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0].path).toBe('/apis/etcd.k8s-operator.io/v1alpha1/namespaces/ns/etcdclusters/demo');
    expect(patches[0].query.get('fieldManager')).toBe('kubectl-etcd');
    const at = requested(a)!;
    expect(JSON.parse(patches[0].body)).toEqual({ metadata: { annotations: { [Annotations.snapshotRequested]: at } } });
    expect(at).toMatch(RFC3339_MS);
    expect(Date.parse(at)).toBeGreaterThanOrEqual(before - 1);
    expect(r.stderr).toContain(`demo: snapshot requested (${at})`);
    expect(r.stderr).toMatch(/^\[\d+s\] waiting for the snapshot Job \(requested at .*\)$/m);
    const s = a.o.cluster.status!.backup!.lastSnapshot!;
    expect(r.stdout).toBe(`demo: snapshot ${s.name} taken from demo-1 at revision 1234 (24 KiB, sha256 ${s.sha256.slice(0, 12)})\n`);
  });

  test('a served error: exit 1 with its message, the Job and where to look', async () => {
    const a = await serve(demo());
    const failed = (at: string) => {
      a.o.cluster.status!.backup = { lastError: { message: 'no healthy member to stream a snapshot from', at: new Date().toISOString(), job: 'demo-snapshot-x7k2p', requestedAt: at } };
    };
    const [r] = await Promise.all([kubectlEtcd(['snapshot', 'demo'], a.kubeconfig), controller(() => requested(a), failed)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: the snapshot of demo failed: no healthy member to stream a snapshot from (Job demo-snapshot-x7k2p); ' +
      'see kubectl etcd status demo -n ns and the events: kubectl -n ns describe etcdcluster demo');
    expect(r.stdout).toBe('');
  });

  test('not served within --timeout: exit 3, the request stays queued (the annotation kept), how to follow it', async () => {
    const a = await serve(demo());
    const r = await kubectlEtcd(['snapshot', 'demo', '--timeout', '1s'], a.kubeconfig);
    expect(r.code).toBe(3);
    const at = requested(a)!;
    expect(r.stderr).toContain(`error: timed out after 1s waiting for the snapshot of demo (waiting for the snapshot Job (requested at ${at})); ` +
      'the request stays queued on demo and the controller takes the snapshot when it can: follow it with kubectl etcd snapshots demo -n ns');
    expect(a.o.cluster.metadata.annotations?.[Annotations.snapshotRequested]).toBe(at);
  });

  test('a request not served yet is waited for, not made again: no patch', async () => {
    const pending = ago(40, new Date());
    const c = demo();
    // An older request, served: not what is pending.
    const old = snapshotRecord(3600, 900, { requestedAt: ago(3600, new Date()) }, new Date());
    c.status!.backup = { lastSnapshot: old, snapshots: [old] };
    c.metadata.annotations = { [Annotations.snapshotRequested]: pending };
    const a = await serve(c);
    const [r] = await Promise.all([kubectlEtcd(['snapshot', 'demo'], a.kubeconfig), controller(() => (a.requests.length ? pending : undefined), taken(a))]);
    expect(r.code).toBe(0);
    expect(a.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(r.stderr).toContain(`demo: a snapshot requested at ${pending} is not taken yet; waiting for that one instead of asking again`);
    expect(r.stdout).toMatch(/^demo: snapshot demo-\d{8}T\d{6}Z-r1234\.db taken from demo-1 at revision 1234 /);
  });

  test('a request already served (its snapshot or its error in status) is not pending: a new one is made', async () => {
    const c = demo();
    const before = ago(600, new Date());
    c.metadata.annotations = { [Annotations.snapshotRequested]: before };
    c.status!.backup = { lastError: { message: 'disk full', at: before, requestedAt: before } };
    const a = await serve(c);
    const [r] = await Promise.all([kubectlEtcd(['snapshot', 'demo'], a.kubeconfig), controller(() => requested(a), taken(a))]);
    expect(r.code).toBe(0);
    expect(requested(a)).not.toBe(before);
    expect(requested(a)).toMatch(RFC3339_MS);
  });

  test('a bad --timeout is refused before anything is read', async () => {
    const a = await serve(demo());
    const r = await kubectlEtcd(['snapshot', 'demo', '--timeout', 'soon'], a.kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--timeout soon: not a duration');
    expect(a.requests).toEqual([]);
  });
});

describe('kubectl etcd snapshots', () => {
  /** Two snapshots, newest first, then a failure after the newest and a request not served. */
  function withHistory(now: Date): EtcdCluster {
    const c = demo();
    const newest = snapshotRecord(1800, 2000, { scheduledFor: ago(1800, now) }, now);
    const older = snapshotRecord(3600, 1500, { member: 'demo-0', fromLeader: true, sizeBytes: 700 * 1024 }, now);
    c.status!.backup = {
      lastSnapshot: newest, snapshots: [newest, older],
      lastError: { message: 'snapshot Job demo-snapshot-abcde failed: etcdserver: request timed out', at: ago(60, now), job: 'demo-snapshot-abcde' },
    };
    c.metadata.annotations = { [Annotations.snapshotRequested]: ago(30, now) };
    return c;
  }

  test('table: newest first with when taken and how long ago, revision, size, 12 hex of sha256, member (marked when it led); then the newer error and the pending request', () => {
    const c = withHistory(NOW);
    const b = c.status!.backup!;
    const lines = snapshotsText(c, 'ns', NOW, plain);
    const cells = lines.map((l) => l.split(/\s{3,}/));
    expect(cells[0]).toEqual(['NAME', 'TAKEN', 'REVISION', 'SIZE', 'SHA256', 'MEMBER']);
    expect(cells[1]).toEqual(['demo-20261124T113000Z-r2000.db', '2026-11-24T11:30:00.000Z (30m ago)', '2000', '1.5 MiB', b.snapshots![0].sha256.slice(0, 12), 'demo-1']);
    expect(cells[2]).toEqual(['demo-20261124T110000Z-r1500.db', '2026-11-24T11:00:00.000Z (1h ago)', '1500', '700 KiB', b.snapshots![1].sha256.slice(0, 12), 'demo-0 (leader)']);
    expect(lines.slice(3)).toEqual([
      'Last error 2026-11-24T11:59:00.000Z (1m ago): snapshot Job demo-snapshot-abcde failed: etcdserver: request timed out (Job demo-snapshot-abcde)',
      'Requested 2026-11-24T11:59:30.000Z (30s ago): not taken yet',
    ]);
  });

  test('an error older than the newest snapshot is history: not shown', () => {
    const c = withHistory(NOW);
    c.status!.backup!.lastError!.at = ago(7200);
    delete c.metadata.annotations;
    expect(snapshotsText(c, 'ns', NOW, plain)).toHaveLength(3);
  });

  test('none yet: says so, and whether spec.backup is set (with what to run either way)', () => {
    expect(snapshotsText(demo(), 'ns', NOW, plain)).toEqual([
      'No snapshots of demo yet (spec.backup is set, schedule */30 * * * * (UTC)); take one now with: kubectl etcd snapshot demo -n ns',
    ]);
    expect(snapshotsText(demo(false), 'ns', NOW, plain)[0]).toMatch(/^No snapshots of demo: it has no spec\.backup, so none are taken\. Set it with: kubectl -n ns patch etcdcluster demo --type merge -p /);
  });

  test('the command: the table from the EtcdCluster alone (a get: the viewer role), exit 0', async () => {
    const a = await serve(withHistory(new Date()));
    const r = await kubectlEtcd(['snapshots', 'demo'], a.kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+TAKEN\s+REVISION\s+SIZE\s+SHA256\s+MEMBER$/);
    expect(r.stdout).toMatch(/^demo-\d{8}T\d{6}Z-r2000\.db\s+\S+ \(30m ago\)\s+2000\s+1\.5 MiB\s+[0-9a-f]{12}\s+demo-1$/m);
    expect(r.stdout).toContain('Last error ');
    expect(a.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /apis/etcd.k8s-operator.io/v1alpha1/namespaces/ns/etcdclusters/demo']);
  });

  test('-o json: the records as stored, newest first, full sha256; [] when there are none', async () => {
    const c = withHistory(new Date());
    const a = await serve(c);
    const r = await kubectlEtcd(['snapshots', 'demo', '-o', 'json'], a.kubeconfig);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { sha256: string }[];
    expect(list).toEqual(c.status!.backup!.snapshots);
    expect(list.map((s) => s.sha256)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
    delete a.o.cluster.status!.backup;
    const none = await kubectlEtcd(['snapshots', 'demo', '-o', 'json'], a.kubeconfig);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  test('a cluster that does not exist: exit 1 saying so', async () => {
    const a = await serve(demo());
    const r = await kubectlEtcd(['snapshots', 'nope'], a.kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EtcdCluster "nope" in namespace "ns" not found');
  });
});
