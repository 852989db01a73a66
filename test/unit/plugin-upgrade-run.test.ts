// `kubectl etcd upgrade` against the stand-in API server: the order of requests, the plan and progress it
// prints, when it says done, and its exit codes (0 done, 1 not confirmed, 2 denied, 3 timed out).
import type { EtcdCluster, MemberStatus } from '../../core/api.js';
import { MockApi, type MockOptions } from './plugin-mock-api.js';
import { cluster, member } from './plugin-fixtures.js';
import { kubectlEtcd } from './plugin-inprocess.js';

/** demo: 3 members on etcd 3.4.23 (cluster version 3.4.0), demo-0 the leader. */
function onOld(extra: (i: number) => Partial<MemberStatus> = () => ({})): EtcdCluster {
  const c = cluster(3, [0, 1, 2].map((i) => member(i, { version: '3.4.23', ...extra(i) })), { lastResize: undefined, clusterVersion: '3.4.0' });
  c.spec.version = '3.4.23';
  return c;
}

let api: MockApi | undefined;
async function serve(o: MockOptions): Promise<MockApi> {
  api = await new MockApi(o).start();
  return api;
}
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

const body = (version: string) => JSON.stringify({ spec: { version } });

describe('kubectl etcd upgrade', () => {
  test('--yes 3.4.23 -> 3.5.16: plan, dry run, the change, progress member by member, done once the cluster version moved', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '--yes'], a.kubeconfig);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const plan = r.stdout.split('\n');
    expect(plan.slice(0, 5)).toEqual([
      'Plan: upgrade demo (namespace ns) from etcd 3.4.23 to 3.5.16, one member at a time: followers first (highest ordinal down), the leader last',
      '  1. restart demo-2 on 3.5.16: tolerates 0 failures while it restarts (healthy 2 of 3, quorum 2)',
      '  2. restart demo-1 on 3.5.16: tolerates 0 failures while it restarts (healthy 2 of 3, quorum 2)',
      '  3. move leadership off demo-0 to another member',
      '  4. restart demo-0 on 3.5.16: tolerates 0 failures while it restarts (healthy 2 of 3, quorum 2)',
    ]);
    expect(r.stdout).toContain('  Tolerates 1 failure now; 0 failures while a member restarts.');
    expect(r.stdout).toContain("etcd's cluster version (3.4.0) moves to 3.5 once every member runs 3.5.16; going back to 3.4 is possible only until the first member runs 3.5.16 (V10).");
    // The server's dry run first, then the change: the same merge patch of spec.version.
    const patches = a.requests.filter((q) => q.method === 'PATCH');
    expect(patches.map((p) => [p.path, p.query.get('dryRun'), p.query.get('fieldManager'), p.body])).toEqual([
      ['/apis/etcd.k8s-operator.io/v1alpha1/namespaces/ns/etcdclusters/demo', 'All', 'kubectl-etcd', body('3.5.16')],
      ['/apis/etcd.k8s-operator.io/v1alpha1/namespaces/ns/etcdclusters/demo', null, 'kubectl-etcd', body('3.5.16')],
    ]);
    expect(r.stderr).toContain('demo: spec.version 3.4.23 -> 3.5.16');
    // Progress in the controller's order, with the step it reports.
    expect(r.stderr).toMatch(/\] 1 of 3 members on 3\.5\.16 \(demo-2\), cluster version 3\.4\.0, step: Upgrading: upgrade 3\.4\.23 -> 3\.5\.16: restarting demo-2 on etcd 3\.5\.16/);
    expect(r.stderr).toMatch(/\] 2 of 3 members on 3\.5\.16 \(demo-1, demo-2\), cluster version 3\.4\.0, /);
    // Every member on 3.5.16 is not yet done: the cluster version still says 3.4.
    expect(r.stderr).toMatch(/\] 3 of 3 members on 3\.5\.16 \(demo-0, demo-1, demo-2\), cluster version 3\.4\.0, /);
    expect(r.stdout).toMatch(/^demo: upgraded 3\.4\.23 -> 3\.5\.16; 3 members on 3\.5\.16, cluster version 3\.5\.0 \(took \d+\.\d s\)$/m);
    expect(a.o.cluster.status?.lastUpgrade?.completedAt).toBeDefined();
  });

  test('denied by the shared policy (a minor skipped): exit 2 with V10 and what to do, nothing sent', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.6.5', '--yes'], a.kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: V10: cannot upgrade demo from etcd 3\.4\.23 to 3\.6\.5 directly: etcd upgrades one minor version at a time\. Upgrade to 3\.5 first/);
    expect(a.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
  });

  test('denied by the webhook in the server-side dry run: exit 2, no change made', async () => {
    const a = await serve({ cluster: onOld(), webhookDenies: 'V10: cannot change the version of demo (3.4.23 -> 3.5.16) now: the replacement of demo-1 (DataLost) is in progress' });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '--yes'], a.kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('denied the request: V10: cannot change the version of demo');
    expect(a.patches(true)).toHaveLength(1);
    expect(a.patches(false)).toEqual([]);
    expect(a.o.cluster.spec.version).toBe('3.4.23');
  });

  test('the version it already wants: nothing to do, exit 0, nothing sent', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.4.23', '--yes'], a.kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('demo already wants etcd 3.4.23; nothing to change\n');
    expect(a.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
  });

  test('without a terminal and without --yes: refuses with exit 1 after the plan, nothing sent', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.4.25'], a.kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1. restart demo-2 on 3.4.25');
    // A patch release within the minor: no one-way cluster version move to warn about.
    expect(r.stdout).not.toContain('cluster version');
    expect(r.stderr).toContain('refusing to upgrade demo to etcd 3.4.25 without confirmation: no terminal to ask on; pass --yes to proceed');
    expect(a.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
  });

  test('--no-wait: the change made, how to follow it, exit 0 at once', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', 'v3.5.16', '--yes', '--no-wait'], a.kubeconfig);
    expect(r.code).toBe(0);
    // An image tag's "v" is not part of spec.version.
    expect(a.patches(false).map((p) => p.body)).toEqual([body('3.5.16')]);
    expect(r.stdout).toContain('demo: upgrade 3.4.23 -> 3.5.16 requested; follow it with: kubectl etcd status demo -n ns --watch');
    expect(a.o.cluster.status?.lastUpgrade).toBeUndefined();
  });

  test('a rollout held by an unhealthy member: the reason in the progress, exit 3 at --timeout, saying it goes on', async () => {
    const a = await serve({ cluster: onOld(), rolloutHeld: 'RolloutPaused' });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '--yes', '--timeout', '2s'], a.kubeconfig);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/0 of 3 members on 3\.5\.16, cluster version 3\.4\.0, step: Upgrading: .*, RolloutPaused: upgrade 3\.4\.23 -> 3\.5\.16 paused \(0 of 3 members restarted\): demo-1 is unhealthy/);
    expect(r.stderr).toMatch(/error: timed out after 2s waiting for every member of demo to run etcd 3\.5\.16 \(.*RolloutPaused: .*\); the upgrade goes on: follow it with kubectl etcd status demo -n ns --watch/);
    expect(a.o.cluster.spec.version).toBe('3.5.16');
  });

  test('a controller that never picks the change up: "waiting for the controller", exit 3', async () => {
    const a = await serve({ cluster: onOld(), controllerStuck: true });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '--yes', '--timeout', '1s'], a.kubeconfig);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/waiting for the controller, 0 of 3 members on 3\.5\.16, cluster version 3\.4\.0/);
  });
});

describe('kubectl etcd upgrade --dry-run', () => {
  test('text: the plan, the warnings and the server verdict; nothing changed, exit 0', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '--dry-run'], a.kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  3. move leadership off demo-0 to another member');
    expect(r.stdout).toContain('Verdict: allowed by the API server (dry run); nothing changed (--dry-run)');
    expect(a.patches(true)).toHaveLength(1);
    expect(a.patches(false)).toEqual([]);
    expect(a.o.cluster.spec.version).toBe('3.4.23');
  });

  test('-o json: from, to, toleratesNow, every step with the cluster while it runs, unhealthy members, the verdict (as scale\'s)', async () => {
    // demo-1 unhealthy, demo-2 on the new version already (a rollout begun earlier).
    const c = onOld((i) => (i === 1 ? { healthy: false } : i === 2 ? { version: '3.4.25' } : {}));
    const a = await serve({ cluster: c, warnings: ['server says hi'] });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.4.25', '--dry-run', '-o', 'json'], a.kubeconfig);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cluster: 'demo', namespace: 'ns', from: '3.4.23', to: '3.4.25', toleratesNow: 0,
      steps: [
        { member: 'demo-2', action: 'restart', voting: 3, healthy: 2, quorum: 2, tolerates: 0, done: true },
        // Unhealthy already: its restart costs nothing more.
        { member: 'demo-1', action: 'restart', voting: 3, healthy: 2, quorum: 2, tolerates: 0 },
        { member: 'demo-0', action: 'move-leader', voting: 3, healthy: 2, quorum: 2, tolerates: 0 },
        { member: 'demo-0', action: 'restart', voting: 3, healthy: 1, quorum: 2, tolerates: -1 },
      ],
      unhealthy: ['demo-1'],
      verdict: { allowed: true, by: 'server', warnings: [expect.stringMatching(/^W7: demo has unhealthy member\(s\) demo-1/), expect.stringMatching(/^W8: /), 'server says hi'] },
    });
    expect(a.patches(false)).toEqual([]);
  });

  test('denied: by the preflight (nothing sent) or by the server, exit 2 either way', async () => {
    const a = await serve({ cluster: onOld() });
    const local = await kubectlEtcd(['upgrade', 'demo', '--version', '3.3.9', '--dry-run', '-o', 'json'], a.kubeconfig);
    expect(local.code).toBe(2);
    expect(JSON.parse(local.stdout).verdict).toEqual({ allowed: false, by: 'preflight', rule: 'V10', message: expect.stringMatching(/^V10: cannot downgrade demo from etcd 3\.4\.23 to 3\.3\.9/), warnings: [] });
    expect(a.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    await a.stop();
    const denying = await serve({ cluster: onOld(), webhookDenies: 'V10: no' });
    const server = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '--dry-run'], denying.kubeconfig);
    expect(server.code).toBe(2);
    expect(server.stdout).toContain('1. restart demo-2 on 3.5.16');
    expect(server.stdout).toMatch(/Verdict: denied by the API server \(dry run\): admission webhook .* denied the request: V10: no/);
    expect(denying.patches(false)).toEqual([]);
  });

  test('-o json without --dry-run is refused before anything is read; --version is required', async () => {
    const a = await serve({ cluster: onOld() });
    const r = await kubectlEtcd(['upgrade', 'demo', '--version', '3.5.16', '-o', 'json', '--yes'], a.kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('add --dry-run');
    const missing = await kubectlEtcd(['upgrade', 'demo'], a.kubeconfig);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Missing required argument: version');
    expect(a.requests).toEqual([]);
  });
});
