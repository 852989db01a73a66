// The admission webhooks on the local cluster: etcd-webhook runs in a pod (the Deployment, Service and RBAC
// of manifests/base/webhook, in a namespace of this test), the API server calls it through its Service, and
// real kubectl shows what a user sees. The controller is not needed: EtcdCluster status is written here
// through the status subresource to make healthy, degraded and in-progress clusters.
// Run with ETCDOP_TEST_CLUSTER=webhook.
import { jest } from '@jest/globals';
import { Annotations, type EtcdCluster, type EtcdClusterStatus } from '../../core/api.js';
import { RECORD_ANNOTATIONS } from '../../core/resize-record.js';
import { useTestCluster, waitFor, type RunResult, type TestCluster } from '../helpers/cluster.js';
import { installWebhook, type InstalledWebhook } from './webhook-harness.js';

jest.setTimeout(10 * 60_000);

let tc: TestCluster;
let ns: string;
let webhook: InstalledWebhook | undefined;

async function kubectl(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return tc.kubectl(args, { ...opts, timeoutMs: 60_000 });
}

async function must(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  tc = await useTestCluster();
  await tc.installCrd();
  ns = await tc.createNamespace('wh');
  webhook = await installWebhook(tc, ns, ns);
}, 480_000);

afterAll(async () => {
  if (ns) await tc.discardNamespace(ns);
  await webhook?.remove();
});

function clusterYaml(name: string, size: number, annotations: Record<string, string> = {}): string {
  const ann = Object.entries(annotations).map(([k, v]) => `\n    ${k}: "${v}"`).join('');
  return `apiVersion: etcd.k8s-operator.io/v1alpha1
kind: EtcdCluster
metadata:
  name: ${name}${ann ? `\n  annotations:${ann}` : ''}
spec:
  size: ${size}
  version: "3.6.5"
  storage:
    emptyDir: true
`;
}

type Health = 'h' | 'u' | 'l';

/** status.members from a pattern by ordinal: h healthy voter, u unhealthy voter, l learner. */
function members(name: string, pattern: string): EtcdClusterStatus['members'] {
  return [...pattern].map((c, i) => ({
    name: `${name}-${i}`, id: (0x1000 + i).toString(16).padStart(16, '0'), isLearner: (c as Health) === 'l', healthy: (c as Health) !== 'u',
  }));
}

async function getCluster(name: string): Promise<EtcdCluster> {
  return JSON.parse(await must(['-n', ns, 'get', 'etcdcluster', name, '-o', 'json'])) as EtcdCluster;
}

/** Creates the cluster (kubectl apply, so later applies work) and writes its status as a controller would. */
async function makeCluster(name: string, size: number, pattern: string, extra: Partial<EtcdClusterStatus> = {}): Promise<void> {
  await must(['-n', ns, 'apply', '-f', '-'], clusterYaml(name, size));
  const generation = (await getCluster(name)).metadata.generation ?? 1;
  const status = { observedGeneration: generation, members: members(name, pattern), size: [...pattern].filter((c) => c !== 'l').length, ...extra };
  await must(['-n', ns, 'patch', 'etcdcluster', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

/** Waits until the webhook's watch cache has the status just written: a /scale dry run gets the expected rule. */
async function expectDryRunScale(name: string, replicas: number, rule: RegExp): Promise<RunResult> {
  return waitFor(async () => {
    const r = await kubectl(['-n', ns, 'scale', 'etcdcluster', name, `--replicas=${replicas}`, '--dry-run=server']);
    return rule.test(r.stderr) ? r : undefined;
  }, { timeoutMs: 20_000, intervalMs: 300, what: `kubectl scale --dry-run=server of ${name} to be denied with ${rule}` });
}

/** The four ways a user changes the size, each run against the cluster; returns what each printed. */
async function tryAllWays(name: string, from: number, to: number): Promise<Record<string, RunResult>> {
  const results: Record<string, RunResult> = {};
  results.scale = await kubectl(['-n', ns, 'scale', 'etcdcluster', name, `--replicas=${to}`]);
  results.patch = await kubectl(['-n', ns, 'patch', 'etcdcluster', name, '--type=merge', '-p', JSON.stringify({ spec: { size: to } })]);
  results.apply = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: clusterYaml(name, to) });
  results.edit = await kubectl(['-n', ns, 'edit', 'etcdcluster', name], {
    env: { EDITOR: `sed -i -E 's/^  size: ${from}$/  size: ${to}/'`, KUBE_EDITOR: '' },
  });
  return results;
}

describe('unsafe resizes are denied whichever way they are asked for', () => {
  const cases: Array<{ rule: string; name: string; size: number; pattern: string; to: number; extra?: Partial<EtcdClusterStatus>; expect: string[] }> = [
    { rule: 'V2', name: 'lost', size: 3, pattern: 'huu', to: 5, expect: ['1 of 3 voting members healthy, quorum is 2', 'lost-1, lost-2'] },
    {
      rule: 'V3', name: 'busy', size: 5, pattern: 'hhhhl', to: 3,
      extra: {
        conditions: [{ type: 'Progressing', status: 'True', reason: 'ScalingUp', message: 'promoting learner busy-4', lastTransitionTime: '2026-11-24T19:00:00Z' }],
        lastResize: { from: 3, to: 5, requestedBy: 'alice' },
      },
      expect: ['a resize of busy from 3 to 5 is in progress', '4 of 5 voting members', 'learner busy-4 joining', 'set spec.size to 4 to stop where it is'],
    },
    { rule: 'V4', name: 'sick', size: 3, pattern: 'hhu', to: 5, expect: ['from 3 to 5', '1 of 3 voting members unhealthy (sick-2)'] },
    { rule: 'V5', name: 'shrink', size: 5, pattern: 'huuhh', to: 3, expect: ['from 5 to 3', 'step k=4', '2 healthy of the 4 remaining, quorum is 3', 'Repair shrink-1, shrink-2 first'] },
  ];

  it.each(cases)('$rule: kubectl scale, patch, apply and edit are denied with the rule and its numbers', async (c) => {
    await makeCluster(c.name, c.size, c.pattern, c.extra);
    const dry = await expectDryRunScale(c.name, c.to, new RegExp(`${c.rule}: `));
    expect(dry.code).not.toBe(0);
    const results = await tryAllWays(c.name, c.size, c.to);
    for (const [way, r] of Object.entries(results)) {
      const context = `${way}: exit ${r.code}, stderr: ${r.stderr}`;
      expect([context, r.code]).toEqual([context, 1]);
      // What the user sees on the terminal: the webhook's name, the rule, the numbers, the way out.
      expect(r.stderr).toContain('denied the request');
      expect(r.stderr).toContain(`${c.rule}: `);
      for (const text of c.expect) expect(r.stderr).toContain(text);
      expect(r.stderr).toContain('force-resize: "true"');
    }
    expect((await getCluster(c.name)).spec.size).toBe(c.size);
  });
});

/** The ResizeRequested Events of a cluster, oldest first. */
async function resizeEvents(name: string): Promise<any[]> {
  const list = JSON.parse(await must(['-n', ns, 'get', 'events', '--field-selector', `involvedObject.name=${name},reason=ResizeRequested`, '-o', 'json'])) as { items: any[] };
  return list.items.sort((a, b) => String(a.metadata.annotations?.[Annotations.requestedAt]).localeCompare(String(b.metadata.annotations?.[Annotations.requestedAt])));
}

const recordOnObject = (c: EtcdCluster) => RECORD_ANNOTATIONS.filter((k) => c.metadata.annotations?.[k] !== undefined);

describe('safe resizes pass and are recorded', () => {
  it('main resource: a ResizeRequested Event records the sizes, the requester and the time; the object carries no intent', async () => {
    await makeCluster('grow', 3, 'hhh');
    const before = Date.now();
    const r = await kubectl(['-n', ns, 'patch', 'etcdcluster', 'grow', '--type=merge', '-p', '{"spec":{"size":5}}']);
    expect(r.code).toBe(0);
    const c = await getCluster('grow');
    expect(c.spec.size).toBe(5);
    expect(recordOnObject(c)).toEqual([]);
    // kubectl apply's own annotation is left alone.
    expect(c.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
    // Written before the answer: there when the patch returns.
    const events = await resizeEvents('grow');
    expect(events).toHaveLength(1);
    const a = events[0].metadata.annotations;
    expect(a).toEqual(expect.objectContaining({ [Annotations.intendedSize]: '5', [Annotations.previousSize]: '3' }));
    expect(a[Annotations.requestedBy]).toMatch(/.+/);
    expect(a[Annotations.requestedAt]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(a[Annotations.requestedAt])).toBeGreaterThanOrEqual(before - 5000);
    expect(events[0].involvedObject).toEqual(expect.objectContaining({ kind: 'EtcdCluster', name: 'grow', uid: c.metadata.uid }));
    expect(events[0].message).toMatch(/^resize 3 -> 5 requested by .+ via an update of the EtcdCluster$/);
  });

  it('a record annotation written by hand (or left by an earlier version) is removed: it could not be kept true', async () => {
    const created = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: clusterYaml('handwritten', 3, { [Annotations.intendedSize]: '7', team: 'db' }) });
    expect(created.code).toBe(0);
    const c = await getCluster('handwritten');
    expect(recordOnObject(c)).toEqual([]);
    expect(c.metadata.annotations?.team).toBe('db');
  });

  it('CREATE: an even size is allowed with warning W1 on the terminal, and no intent is recorded on the object', async () => {
    const created = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: clusterYaml('even', 4) });
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/Warning: W1: an even size \(4\)/);
    expect(recordOnObject(await getCluster('even'))).toEqual([]);
  });

  it('/scale: the resize is recorded as a ResizeRequested Event with the four annotations', async () => {
    await makeCluster('viascale', 3, 'hhh');
    const r = await kubectl(['-n', ns, 'scale', 'etcdcluster', 'viascale', '--replicas=5']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect((await getCluster('viascale')).spec.size).toBe(5);
    const [event] = await resizeEvents('viascale');
    expect(event.type).toBe('Normal');
    expect(event.involvedObject).toEqual(expect.objectContaining({ kind: 'EtcdCluster', name: 'viascale', namespace: ns }));
    expect(event.message).toMatch(/^resize 3 -> 5 requested by .+ via the \/scale subresource$/);
    expect(event.metadata.annotations).toEqual(expect.objectContaining({ [Annotations.intendedSize]: '5', [Annotations.previousSize]: '3' }));
    expect(event.metadata.annotations[Annotations.requestedBy]).toMatch(/.+/);
  });

  it('force-resize lets an unsafe resize through with warning W3', async () => {
    await makeCluster('forced', 3, 'hhu');
    await expectDryRunScale('forced', 5, /V4: /);
    await must(['-n', ns, 'annotate', 'etcdcluster', 'forced', `${Annotations.forceResize}=true`]);
    const r = await kubectl(['-n', ns, 'patch', 'etcdcluster', 'forced', '--type=merge', '-p', '{"spec":{"size":5}}']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Warning: W3: etcd\.k8s-operator\.io\/force-resize bypassed V4/);
    expect((await getCluster('forced')).spec.size).toBe(5);
  });
});

describe('--dry-run=server shows the verdict and changes nothing', () => {
  it('denied and allowed dry runs leave the cluster, its annotations and its Events as they were', async () => {
    await makeCluster('dry', 3, 'hhu');
    const denied = await expectDryRunScale('dry', 5, /V4: /);
    expect(denied.stderr).toContain('1 of 3 voting members unhealthy (dry-2)');
    const before = await getCluster('dry');

    const shrink = await kubectl(['-n', ns, 'scale', 'etcdcluster', 'dry', '--replicas=2', '--dry-run=server']);
    expect(shrink.code).toBe(0);
    expect(shrink.stdout).toContain('(server dry run)');
    expect(shrink.stderr).toMatch(/Warning: W1: /);

    const patched = await kubectl(['-n', ns, 'patch', 'etcdcluster', 'dry', '--type=merge', '-p', '{"spec":{"size":1}}', '--dry-run=server', '-o', 'json']);
    expect(patched.code).toBe(0);
    expect(patched.stderr).toMatch(/Warning: W2: /);
    // The dry-run answer shows the object as it would be: size 1, no recorded intent ...
    const answer = JSON.parse(patched.stdout) as EtcdCluster;
    expect(answer.spec.size).toBe(1);
    expect(recordOnObject(answer)).toEqual([]);

    // ... and nothing was changed or recorded.
    const after = await getCluster('dry');
    expect(after.spec.size).toBe(3);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await resizeEvents('dry')).toEqual([]);
  });
});

describe('bad input is refused at kubectl apply, with the limit or the reason; nothing is created', () => {
  const notThere = async (namespace: string, name: string) => {
    const r = await kubectl(['-n', namespace, 'get', 'etcdcluster', name]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NotFound|not found/);
  };

  it.each([
    ['1bad', 'it starts with "1", not a lower-case letter'],
    ['a'.repeat(53), 'it is 53 characters, 1 more than the 52 that fit'],
    ['a'.repeat(65), 'it is 65 characters, 13 more than the 52 that fit'],
  ])('the name %s is denied by the webhook (V6), naming the limit', async (name, why) => {
    const r = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: clusterYaml(name, 3) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('denied the request: V6: ');
    expect(r.stderr).toContain(why);
    expect(r.stderr).toContain('at most 52 characters');
    expect(r.stderr).toContain('DNS-1035 label');
    await notThere(ns, name);
  });

  it('a 52-character name fits (NAME-8 and the revision label NAME-<10 characters> are within 63)', async () => {
    const name = `n${'a'.repeat(51)}`;
    const r = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: clusterYaml(name, 3) });
    expect([r.code, r.stderr]).toEqual([0, '']);
    await must(['-n', ns, 'delete', 'etcdcluster', name]);
  });

  it('without the webhook the CRD schema refuses the same names (limit 52, DNS-1035 pattern)', async () => {
    const bare = await tc.createNamespace('whschema');
    try {
      const long = await kubectl(['-n', bare, 'apply', '-f', '-'], { input: clusterYaml('a'.repeat(53), 3) });
      expect(long.code).toBe(1);
      expect(long.stderr).toMatch(/metadata\.name in body should be at most 52 chars long/);
      const digit = await kubectl(['-n', bare, 'apply', '-f', '-'], { input: clusterYaml('1bad', 3) });
      expect(digit.code).toBe(1);
      expect(digit.stderr).toMatch(/metadata\.name in body should match '\^\[a-z\]/);
      await notThere(bare, '1bad');
      await notThere(bare, 'a'.repeat(53));
    } finally {
      await tc.discardNamespace(bare);
    }
  });

  it('a storage change on an existing cluster is denied (V7) with what to do instead; nothing changes', async () => {
    await makeCluster('store', 3, 'hhh');
    const before = await getCluster('store');
    const yaml = clusterYaml('store', 3).replace('  storage:\n    emptyDir: true\n', '  storage:\n    size: 5Gi\n');
    const r = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: yaml });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('denied the request: V7: spec.storage of store cannot change (from emptyDir to size 5Gi)');
    expect(r.stderr).toContain('would apply to nothing');
    expect(r.stderr).toContain('create a new EtcdCluster');
    const after = await getCluster('store');
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('a backup schedule that is not a five-field cron is denied (V12) with the value and the form; nothing is created', async () => {
    const yaml = `${clusterYaml('badcron', 3)}  backup:\n    schedule: "*/30 * * *"\n`;
    const r = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: yaml });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('denied the request: V12: the backup settings of badcron cannot be applied: ');
    expect(r.stderr).toContain('spec.backup.schedule "*/30 * * *" has 4 fields; a schedule has 5 (minute hour day-of-month month day-of-week)');
    expect(r.stderr).toContain('and apply again');
    await notThere(ns, 'badcron');
  });

  it('a restore from a cluster whose backups PVC is not in the namespace is denied (V13), naming the PVC, the namespace and the command', async () => {
    // A volume for member 0 (V13 refuses a restore into emptyDir before it looks for the PVC).
    const yaml = clusterYaml('restored', 3).replace('  storage:\n    emptyDir: true\n', '  storage:\n    size: 1Gi\n') +
      '  bootstrap:\n    fromSnapshot:\n      cluster: nosuch\n      snapshot: nosuch-20261202T120000Z-r1234.db\n';
    const r = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: yaml });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('denied the request: V13: cannot restore restored from snapshot nosuch-20261202T120000Z-r1234.db of nosuch: ');
    expect(r.stderr).toContain(`PVC nosuch-backups does not exist in namespace ${ns}`);
    expect(r.stderr).toContain(`kubectl etcd snapshots nosuch -n ${ns}`);
    await notThere(ns, 'restored');
  });
});

describe('the webhook pod', () => {
  it('logs one line per decision and counts them in /metrics', async () => {
    const sysNs = webhook!.sysNs;
    const pod = (await must(['-n', sysNs, 'get', 'pods', '-l', 'app.kubernetes.io/name=etcd-webhook', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const logs = await tc.logs(sysNs, pod, 'webhook');
    const decisions = logs.split('\n').filter((l) => l.includes('"admission decision"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(decisions.some((d) => d.rule === 'V4' && d.verdict === 'denied' && d.subResource === 'scale')).toBe(true);
    expect(decisions.some((d) => d.endpoint === 'mutate' && d.patched === true)).toBe(true);
    const metrics = await must(['get', '--raw', `/api/v1/namespaces/${sysNs}/services/https:etcd-webhook:443/proxy/metrics`]);
    expect(metrics).toMatch(/etcd_webhook_requests_total\{endpoint="validate",kind="Scale",verdict="denied",rule="V4"\} [1-9]/);
  });
});
