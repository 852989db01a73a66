// The admission webhooks on the local cluster: etcd-webhook runs in a pod (the Deployment, Service and RBAC
// of manifests/base/webhook, in a namespace of this test), the API server calls it through its Service, and
// real kubectl shows what a user sees. The controller is not needed: EtcdCluster status is written here
// through the status subresource to make healthy, degraded and in-progress clusters.
// Run with ETCDOP_TEST_CLUSTER=webhook.
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { issueCert, makeCa } from '../../bench/lib-tls-fixture.js';
import { Annotations, type EtcdCluster, type EtcdClusterStatus } from '../../core/api.js';
import { ROOT, useTestCluster, waitFor, type RunResult, type TestCluster } from '../helpers/cluster.js';

jest.setTimeout(10 * 60_000);

let tc: TestCluster;
let sysNs: string;
let ns: string;
let dir: string;
let suffix: string;
const clusterScoped: string[][] = [];

async function kubectl(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return tc.kubectl(args, { ...opts, timeoutMs: 60_000 });
}

async function must(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const apply = (docs: unknown[]) => must(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));

/** The webhook's own manifests, moved into this test's namespace, with cluster-wide names made unique. */
function webhookManifests(caBundle: string): { workload: any[]; webhooks: any[] } {
  const base = join(ROOT, 'manifests/base/webhook');
  const docs = readdirSync(base).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(base, f), 'utf8')).map((d) => d.toJS() as any)).filter(Boolean);
  const workload: any[] = [];
  const webhooks: any[] = [];
  for (const d of docs) {
    switch (d.kind) {
      case 'PodDisruptionBudget':
        break; // policy/v1 is not served by the 1.20 API server (the local overlay patches it)
      case 'ClusterRole':
        d.metadata.name = `etcd-webhook-${suffix}`;
        clusterScoped.push(['clusterrole', d.metadata.name]);
        workload.push(d);
        break;
      case 'ClusterRoleBinding':
        d.metadata.name = `etcd-webhook-${suffix}`;
        d.roleRef.name = `etcd-webhook-${suffix}`;
        d.subjects[0].namespace = sysNs;
        clusterScoped.push(['clusterrolebinding', d.metadata.name]);
        workload.push(d);
        break;
      case 'Deployment':
        d.metadata.namespace = sysNs;
        d.spec.replicas = 1; // one is enough here and spares the shared CPUs
        workload.push(d);
        break;
      case 'ValidatingWebhookConfiguration':
      case 'MutatingWebhookConfiguration':
        d.metadata.name = `etcd-webhook-${suffix}`;
        clusterScoped.push([d.kind.toLowerCase(), d.metadata.name]);
        for (const w of d.webhooks) {
          w.clientConfig.service.namespace = sysNs;
          w.clientConfig.caBundle = caBundle;
          // Only this test's namespace: other tests on the same instance are not subject to it.
          w.namespaceSelector = { matchLabels: { 'etcdop-webhook-e2e': suffix } };
        }
        webhooks.push(d);
        break;
      default:
        d.metadata.namespace = sysNs;
        workload.push(d);
    }
  }
  return { workload, webhooks };
}

beforeAll(async () => {
  tc = await useTestCluster();
  await tc.installCrd();
  sysNs = await tc.createNamespace('whsys');
  ns = await tc.createNamespace('wh');
  suffix = ns;
  await must(['label', 'namespace', ns, `etcdop-webhook-e2e=${suffix}`]);

  dir = mkdtempSync(join(tmpdir(), 'webhook-e2e-'));
  const ca = makeCa(dir);
  const serving = issueCert(ca, 'serving', [`etcd-webhook.${sysNs}.svc`, `etcd-webhook.${sysNs}.svc.cluster.local`]);
  await must(['-n', sysNs, 'create', 'secret', 'tls', 'etcd-webhook-tls', `--cert=${serving.cert}`, `--key=${serving.key}`]);

  const { workload, webhooks } = webhookManifests(readFileSync(ca.cert).toString('base64'));
  await apply(workload);
  await must(['-n', sysNs, 'rollout', 'status', 'deployment/etcd-webhook', '--timeout=120s']);
  await apply(webhooks);
  // Registered and reachable: a size above --max-size is denied by the webhook (the schema allows up to 9).
  await waitFor(async () => {
    const r = await kubectl(['-n', ns, 'create', '--dry-run=server', '-f', '-'], { input: clusterYaml('probe', 8) });
    return r.code !== 0 && r.stderr.includes('V1:');
  }, { timeoutMs: 60_000, intervalMs: 1000, what: 'the webhook to answer through its Service' });
}, 300_000);

afterAll(async () => {
  for (const [kind, name] of clusterScoped) await kubectl(['delete', kind, name, '--ignore-not-found']);
  if (ns) await tc.deleteNamespace(ns);
  if (sysNs) await tc.deleteNamespace(sysNs);
  if (dir) rmSync(dir, { recursive: true, force: true });
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

describe('safe resizes pass and are recorded', () => {
  it('main resource: annotations record the sizes, the requester and the time', async () => {
    await makeCluster('grow', 3, 'hhh');
    const before = Date.now();
    const r = await kubectl(['-n', ns, 'patch', 'etcdcluster', 'grow', '--type=merge', '-p', '{"spec":{"size":5}}']);
    expect(r.code).toBe(0);
    const c = await getCluster('grow');
    expect(c.spec.size).toBe(5);
    const a = c.metadata.annotations ?? {};
    expect(a[Annotations.intendedSize]).toBe('5');
    expect(a[Annotations.previousSize]).toBe('3');
    expect(a[Annotations.requestedBy]).toMatch(/.+/);
    expect(a[Annotations.requestedAt]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(a[Annotations.requestedAt])).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 5000);
    // kubectl apply's own annotation survives the patch.
    expect(a['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
  });

  it('CREATE records intended-size; an even size is allowed with warning W1 on the terminal', async () => {
    const created = await kubectl(['-n', ns, 'apply', '-f', '-'], { input: clusterYaml('even', 4) });
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/Warning: W1: an even size \(4\)/);
    expect((await getCluster('even')).metadata.annotations?.[Annotations.intendedSize]).toBe('4');
  });

  it('/scale: the resize is recorded as a ResizeRequested Event with the four annotations', async () => {
    await makeCluster('viascale', 3, 'hhh');
    const r = await kubectl(['-n', ns, 'scale', 'etcdcluster', 'viascale', '--replicas=5']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect((await getCluster('viascale')).spec.size).toBe(5);
    const event = await waitFor(async () => {
      const list = JSON.parse(await must(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.name=viascale,reason=ResizeRequested', '-o', 'json'])) as { items: any[] };
      return list.items[0];
    }, { timeoutMs: 20_000, what: 'the ResizeRequested Event of viascale' });
    expect(event.type).toBe('Normal');
    expect(event.involvedObject).toEqual(expect.objectContaining({ kind: 'EtcdCluster', name: 'viascale', namespace: ns }));
    expect(event.message).toMatch(/^resize 3 -> 5 requested by .+ via \/scale$/);
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
    // The dry-run answer shows what would be recorded ...
    expect((JSON.parse(patched.stdout) as EtcdCluster).metadata.annotations?.[Annotations.intendedSize]).toBe('1');

    // ... and nothing was.
    const after = await getCluster('dry');
    expect(after.spec.size).toBe(3);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const events = JSON.parse(await must(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.name=dry,reason=ResizeRequested', '-o', 'json'])) as { items: unknown[] };
    expect(events.items).toEqual([]);
  });
});

describe('the webhook pod', () => {
  it('logs one line per decision and counts them in /metrics', async () => {
    const pod = (await must(['-n', sysNs, 'get', 'pods', '-l', 'app.kubernetes.io/name=etcd-webhook', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const logs = await tc.logs(sysNs, pod, 'webhook');
    const decisions = logs.split('\n').filter((l) => l.includes('"admission decision"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(decisions.some((d) => d.rule === 'V4' && d.verdict === 'denied' && d.subResource === 'scale')).toBe(true);
    expect(decisions.some((d) => d.endpoint === 'mutate' && d.patched === true)).toBe(true);
    const metrics = await must(['get', '--raw', `/api/v1/namespaces/${sysNs}/services/https:etcd-webhook:443/proxy/metrics`]);
    expect(metrics).toMatch(/etcd_webhook_requests_total\{endpoint="validate",kind="Scale",verdict="denied",rule="V4"\} [1-9]/);
  });
});
