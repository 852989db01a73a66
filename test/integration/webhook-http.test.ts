// The real webhook server over TLS on 127.0.0.1 (no Kubernetes: the EtcdCluster lookup is a fixed map and
// /scale records are captured in memory; everything from the socket to the processors is the real code).
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCert, makeCa, writeSecretDir, type Issued } from '../../bench/lib-tls-fixture.js';
import { Annotations, type EtcdCluster, type EtcdClusterStatus } from '../../core/api.js';
import { createLogger } from '../../core/log.js';
import type { ResizeRecord } from '../../core/resize-record.js';
import { fixedClusterLookup, type ClusterLookup } from '../../webhook/cluster-cache.js';
import { createMetrics } from '../../webhook/metrics.js';
import type { ClusterRef, RequestEvent } from '../../webhook/resize-events.js';
import { createWebhookServer } from '../../webhook/server.js';
import { TlsReloader } from '../../webhook/tls.js';

const healthy3: EtcdClusterStatus = {
  observedGeneration: 1,
  members: [0, 1, 2].map((i) => ({ name: `demo-${i}`, id: `000000000000000${i + 1}`, isLearner: false, healthy: true })),
};
const oneDown: EtcdClusterStatus = { ...healthy3, members: healthy3.members!.map((m, i) => ({ ...m, healthy: i !== 2 })) };

function cluster(name: string, status: EtcdClusterStatus, annotations: Record<string, string> = {}): EtcdCluster {
  return { metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: 1, annotations }, spec: { size: 3 }, status };
}

const clusters = fixedClusterLookup([
  cluster('healthy', healthy3),
  cluster('degraded', oneDown),
  cluster('forced', oneDown, { [Annotations.forceResize]: 'true' }),
]);
const lookup: ClusterLookup = {
  synced: () => true,
  get: async (ns, name) => {
    if (name === 'explodes') throw new Error('API server unreachable');
    return clusters.get(ns, name);
  },
};

let dir: string;
let certs: Issued[];
let caPem: Buffer;
let server: Server;
let reloader: TlsReloader;
let port: number;
const records: Array<{ cluster: ClusterRef; record: ResizeRecord; via: string }> = [];
const requests: Array<{ cluster: ClusterRef; event: RequestEvent }> = [];
const metrics = createMetrics(false);
const keepAlive = () => new Agent({ keepAlive: true, ca: caPem, maxSockets: 16 });
let agent: Agent;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webhook-http-'));
  const ca = makeCa(join(dir, 'ca'));
  caPem = readFileSync(ca.cert);
  certs = [issueCert(ca, 'one', ['localhost']), issueCert(ca, 'two', ['localhost'])];
  writeSecretDir(join(dir, 'tls'), { 'tls.crt': certs[0].certPem, 'tls.key': certs[0].keyPem }, 1);
  const log = createLogger('webhook', { level: 'silent' });
  reloader = new TlsReloader({
    certFile: join(dir, 'tls', 'tls.crt'),
    keyFile: join(dir, 'tls', 'tls.key'),
    apply: (pair) => server.setSecureContext({ cert: pair.cert, key: pair.key }),
    onResult: (result) => metrics.tlsReloads.inc({ result }),
    log,
    debounceMs: 50,
  });
  const pair = await reloader.start();
  server = createWebhookServer({
    tls: pair,
    context: { maxSize: 7, clusters: lookup, recorder: { record: async (c, r, via) => { records.push({ cluster: c, record: r, via }); }, recordRequest: async (c, e) => { requests.push({ cluster: c, event: e }); } }, now: () => new Date('2026-11-24T19:30:00.123Z') },
    metrics,
    log,
    ready: () => true,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  agent = keepAlive();
});

afterAll(async () => {
  agent.destroy();
  reloader.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface Reply { status: number; body: any; fingerprint?: string }

function send(method: string, path: string, body?: string | Buffer, opts: { contentType?: string; agent?: Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = body === undefined ? 0 : Buffer.byteLength(body);
    const req = request({
      host: '127.0.0.1', port, method, path, headers, servername: 'localhost',
      agent: opts.agent === undefined ? agent : opts.agent, ca: caPem,
    }, (res) => {
      // Read the peer certificate now: the socket goes back to the agent (res.socket = null) at 'end'.
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* plain text answers (probes, metrics) stay text */ }
        resolve({ status: res.statusCode ?? 0, body: parsed, fingerprint });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const post = (path: string, body: unknown, opts?: { contentType?: string; agent?: Agent | false }) =>
  send('POST', path, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), opts);

/** A request Event as the webhook records it for cluster demo, asked by alice at the fixed clock. */
function requestRecord(reason: string, message: string, key: string, value: string) {
  return {
    cluster: { namespace: 'ns', name: 'demo', uid: 'uid-demo' },
    event: { reason, message, annotations: { [key]: value, 'etcd.k8s-operator.io/requested-by': 'alice', 'etcd.k8s-operator.io/requested-at': '2026-11-24T19:30:00.123Z' } },
  };
}

let uidSeq = 0;
function review(request: Record<string, unknown>): { apiVersion: string; kind: string; request: Record<string, unknown> & { uid: string } } {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `uid-${++uidSeq}`, ...request } };
}

function clusterUpdate(oldSize: number, newSize: number, status: EtcdClusterStatus, more: { annotations?: Record<string, string>; newAnnotations?: Record<string, string>; dryRun?: boolean; oldSpec?: object; newSpec?: object } = {}) {
  const meta = { name: 'demo', namespace: 'ns', uid: 'uid-demo', generation: 1, ...(more.annotations ? { annotations: more.annotations } : {}) };
  const newMeta = more.newAnnotations ? { ...meta, annotations: { ...more.annotations, ...more.newAnnotations } } : meta;
  return review({
    kind: { group: 'etcd.k8s-operator.io', version: 'v1alpha1', kind: 'EtcdCluster' },
    resource: { group: 'etcd.k8s-operator.io', version: 'v1alpha1', resource: 'etcdclusters' },
    name: 'demo', namespace: 'ns', operation: 'UPDATE', userInfo: { username: 'alice' }, dryRun: more.dryRun ?? false,
    object: { metadata: newMeta, spec: { size: newSize, ...more.newSpec }, status },
    oldObject: { metadata: meta, spec: { size: oldSize, ...more.oldSpec }, status },
  });
}

function scaleUpdate(name: string, oldReplicas: number, newReplicas: unknown, dryRun = false) {
  const meta = { name, namespace: 'ns', uid: `uid-${name}` };
  return review({
    kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    resource: { group: 'etcd.k8s-operator.io', version: 'v1alpha1', resource: 'etcdclusters' }, subResource: 'scale',
    name, namespace: 'ns', operation: 'UPDATE', userInfo: { username: 'bob' }, dryRun,
    object: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta, spec: { replicas: newReplicas }, status: { replicas: oldReplicas } },
    oldObject: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta, spec: { replicas: oldReplicas }, status: { replicas: oldReplicas } },
  });
}

function applyPatch(doc: any, patchB64: string): any {
  const out = structuredClone(doc);
  for (const op of JSON.parse(Buffer.from(patchB64, 'base64').toString())) {
    expect(op.op).toBe('remove');
    const tokens: string[] = op.path.split('/').slice(1).map((t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop()!;
    let target = out;
    for (const t of tokens) target = target[t];
    expect(target).toHaveProperty([last]);
    delete target[last];
  }
  return out;
}

describe('admission over HTTPS', () => {
  it('allows a valid CREATE and echoes the uid', async () => {
    const body = review({ resource: { resource: 'etcdclusters' }, operation: 'CREATE', name: 'demo', namespace: 'ns', object: { metadata: { name: 'demo' }, spec: { size: 3 } } });
    const r = await post('/validate', body);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } });
  });

  it('denies an unsafe resize with 403 and the rule, numbers and next step', async () => {
    const r = await post('/validate', clusterUpdate(3, 5, oneDown));
    expect(r.status).toBe(200);
    expect(r.body.response.allowed).toBe(false);
    expect(r.body.response.status).toEqual({ code: 403, reason: 'Forbidden', message: expect.stringMatching(/^V4: cannot grow demo from 3 to 5 while 1 of 3 voting members unhealthy \(demo-2\)/) });
    expect(r.body.response.status.message).toContain('force-resize: "true"');
  });

  it('denies V1 on CREATE with a size above --max-size', async () => {
    const r = await post('/validate', review({ resource: { resource: 'etcdclusters' }, operation: 'CREATE', object: { metadata: { name: 'x' }, spec: { size: 8 } } }));
    expect(r.body.response.status.message).toMatch(/^V1: .*1 to 7; got 8/);
  });

  it('allows with warnings', async () => {
    const r = await post('/validate', clusterUpdate(3, 4, healthy3));
    expect(r.body.response).toEqual({ uid: expect.any(String), allowed: true, warnings: [expect.stringMatching(/^W1: an even size \(4\)/)] });
    const forced = await post('/validate', clusterUpdate(3, 5, oneDown, { annotations: { [Annotations.forceResize]: 'true' } }));
    expect(forced.body.response.allowed).toBe(true);
    expect(forced.body.response.warnings).toEqual([expect.stringMatching(/^W3: .*bypassed V4/)]);
  });

  it('keeps no recorded intent on the object: a resize is not annotated; record annotations present are removed, others kept', async () => {
    const plain = await post('/mutate', clusterUpdate(3, 5, healthy3, { annotations: { team: 'db' } }));
    expect(plain.body.response).toEqual({ uid: expect.any(String), allowed: true });
    const leftover = {
      team: 'db', [Annotations.forceResize]: 'true',
      [Annotations.intendedSize]: '1', [Annotations.previousSize]: '1', [Annotations.requestedBy]: 'old', [Annotations.requestedAt]: '2026-01-01T00:00:00Z',
    };
    const body = clusterUpdate(3, 5, healthy3, { annotations: leftover });
    const r = await post('/mutate', body);
    expect(r.body.response).toEqual(expect.objectContaining({ allowed: true, patchType: 'JSONPatch' }));
    const patched = applyPatch(body.request.object, r.body.response.patch);
    expect(patched.metadata.annotations).toEqual({ team: 'db', [Annotations.forceResize]: 'true' });
    expect(patched.spec).toEqual({ size: 5 });
  });

  it('CREATE: nothing to annotate; an unusable name is denied by the mutating webhook (before the schema) and the validating one (V6)', async () => {
    const create = (name: string) => review({ resource: { resource: 'etcdclusters' }, operation: 'CREATE', name, namespace: 'ns', object: { metadata: { name }, spec: { size: 3 } } });
    expect((await post('/mutate', create('demo'))).body.response).toEqual({ uid: expect.any(String), allowed: true });
    for (const path of ['/mutate', '/validate']) {
      for (const [name, why] of [['1bad', 'it starts with "1"'], ['x'.repeat(65), 'it is 65 characters, 13 more than the 52 that fit']]) {
        const r = await post(path, create(name));
        expect(r.body.response.allowed).toBe(false);
        expect(r.body.response.status).toEqual({ code: 403, reason: 'Forbidden', message: expect.stringMatching(/^V6: the name /) });
        expect(r.body.response.status.message).toContain(why);
        expect(r.body.response.status.message).toContain('at most 52 characters');
      }
    }
  });

  it('V7: a storage change is denied with what to do instead; V10: a version change etcd cannot take', async () => {
    const storage = await post('/validate', clusterUpdate(3, 3, healthy3, { oldSpec: { storage: { size: '1Gi' } }, newSpec: { storage: { size: '5Gi' } } }));
    expect(storage.body.response.allowed).toBe(false);
    expect(storage.body.response.status.message).toMatch(/^V7: spec\.storage of demo cannot change \(from size 1Gi to size 5Gi\)/);
    const skipped = await post('/validate', clusterUpdate(3, 3, healthy3, { oldSpec: { version: '3.4.23' }, newSpec: { version: '3.6.5' } }));
    expect(skipped.body.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(skipped.body.response.status.message).toMatch(/^V10: cannot upgrade demo from etcd 3\.4\.23 to 3\.6\.5 directly/);
    const down = await post('/validate', clusterUpdate(3, 3, healthy3, { oldSpec: { version: '3.5.16' }, newSpec: { version: '3.4.23' } }));
    expect(down.body.response.status.message).toMatch(/^V10: cannot downgrade demo from etcd 3\.5\.16 to 3\.4\.23/);
    const same = await post('/validate', clusterUpdate(3, 3, healthy3, { oldSpec: { storage: { size: '1Gi' } }, newSpec: { storage: { size: '1024Mi' } } }));
    expect(same.body.response.allowed).toBe(true);
  });

  it('records an allowed resize of the main resource, before answering, never on a dry run', async () => {
    records.length = 0;
    await post('/validate', clusterUpdate(3, 5, oneDown));
    expect(records).toEqual([]);
    await post('/validate', clusterUpdate(3, 5, healthy3, { dryRun: true }));
    expect(records).toEqual([]);
    await post('/validate', clusterUpdate(3, 3, healthy3));
    expect(records).toEqual([]);
    const ok = await post('/validate', clusterUpdate(3, 5, healthy3));
    expect(ok.body.response.allowed).toBe(true);
    expect(records).toEqual([{
      cluster: { namespace: 'ns', name: 'demo', uid: 'uid-demo' },
      record: { from: 3, to: 5, requestedBy: 'alice', requestedAt: '2026-11-24T19:30:00.123Z' },
      via: 'an update of the EtcdCluster',
    }]);
  });

  it('kubectl etcd replace (annotation MEMBER/ID): V8 on the status, W5, a ReplaceRequested record, never on a dry run', async () => {
    requests.length = 0;
    const ask = (member: string, id: string, status: EtcdClusterStatus, dryRun = false) =>
      post('/validate', clusterUpdate(3, 3, status, { newAnnotations: { [Annotations.replace]: `${member}/${id}` }, dryRun }));
    const dry = await ask('demo-1', '0000000000000002', healthy3, true);
    expect(dry.body.response.allowed).toBe(true);
    expect(requests).toEqual([]);
    const ok = await ask('demo-1', '0000000000000002', healthy3);
    expect(ok.body.response.allowed).toBe(true);
    expect(ok.body.response.warnings).toEqual(['W5: while demo-1 is replaced, demo tolerates no failure (2 healthy of 2 members, quorum 2)']);
    expect(requests).toEqual([requestRecord('ReplaceRequested', 'replacement of demo-1 (0000000000000002) requested by alice', Annotations.replace, 'demo-1/0000000000000002')]);
    // The sick member of three can be replaced (the two that stay are healthy); a healthy one, leaving the sick one in, cannot.
    expect((await ask('demo-2', '0000000000000003', oneDown)).body.response.allowed).toBe(true);
    const unsafe = await ask('demo-0', '0000000000000001', oneDown);
    expect(unsafe.body.response.status.message).toBe('V8: replacing demo-0 would leave 1 healthy of 2 members while it is out (quorum 2): etcd would be unavailable. Repair demo-2 first (kubectl etcd status demo).');
    expect((await ask('demo-7', '0000000000000008', healthy3)).body.response.status.message).toMatch(/^V8: cannot replace demo-7: it is not a voting member of demo \(voting: demo-0, demo-1, demo-2\)/);
    expect((await ask('demo-1', '00000000000000ff', healthy3)).body.response.status.message).toMatch(/^V8: cannot replace demo-1 \(00000000000000ff\): demo-1 is member 0000000000000002 now/);
    const bad = await post('/validate', clusterUpdate(3, 3, healthy3, { newAnnotations: { [Annotations.replace]: 'demo-1' } }));
    expect(bad.body.response.status.message).toMatch(/^V8: etcd.k8s-operator.io\/replace must be MEMBER\/ID/);
    expect(requests).toHaveLength(2);
  });

  it('records an allowed version change as an UpgradeRequested Event, never on a dry run', async () => {
    requests.length = 0;
    const up = (dryRun: boolean) => post('/validate', clusterUpdate(3, 3, healthy3, { oldSpec: { version: '3.4.23' }, newSpec: { version: '3.5.16' }, dryRun }));
    expect((await up(true)).body.response.allowed).toBe(true);
    expect(requests).toEqual([]);
    expect((await up(false)).body.response.allowed).toBe(true);
    expect(requests).toEqual([requestRecord('UpgradeRequested', 'upgrade of etcd 3.4.23 -> 3.5.16 requested by alice', Annotations.upgrade, '3.4.23->3.5.16')]);
  });

  it('does not patch an UPDATE that leaves the size alone', async () => {
    const r = await post('/mutate', clusterUpdate(3, 3, healthy3));
    expect(r.body.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('gives dry-run requests the same answers', async () => {
    const denied = await post('/validate', clusterUpdate(3, 5, oneDown, { dryRun: true }));
    expect(denied.body.response.status.message).toMatch(/^V4: /);
    const patched = await post('/mutate', clusterUpdate(3, 5, healthy3, { dryRun: true, annotations: { [Annotations.intendedSize]: '3' } }));
    expect(patched.body.response.patchType).toBe('JSONPatch');
  });

  it('judges /scale with the EtcdCluster status from the lookup and records allowed resizes', async () => {
    records.length = 0;
    const denied = await post('/validate', scaleUpdate('degraded', 3, 5));
    expect(denied.body.response.status.message).toMatch(/^V4: cannot grow degraded from 3 to 5 .*demo-2/);
    const dry = await post('/validate', scaleUpdate('healthy', 3, 5, true));
    expect(dry.body.response.allowed).toBe(true);
    expect(records).toEqual([]);
    const ok = await post('/validate', scaleUpdate('healthy', 3, 5));
    expect(ok.body.response).toEqual({ uid: expect.any(String), allowed: true });
    expect(records).toEqual([{
      cluster: { namespace: 'ns', name: 'healthy', uid: 'uid-healthy' },
      record: { from: 3, to: 5, requestedBy: 'bob', requestedAt: '2026-11-24T19:30:00.123Z' },
      via: 'the /scale subresource',
    }]);
    const forced = await post('/validate', scaleUpdate('forced', 3, 5));
    expect(forced.body.response.warnings).toEqual([expect.stringMatching(/^W3: /)]);
    const v1 = await post('/validate', scaleUpdate('healthy', 3, '5'));
    expect(v1.body.response.status.message).toMatch(/^V1: .*the string "5"/);
    const mutate = await post('/mutate', scaleUpdate('healthy', 3, 5));
    expect(mutate.body.response).toEqual({ uid: expect.any(String), allowed: true });
    expect(records).toHaveLength(2);
  });

  it('answers a processor failure with a well-formed fail-closed review', async () => {
    const body = scaleUpdate('explodes', 3, 5);
    const r = await post('/validate', body);
    expect(r.status).toBe(200);
    expect(r.body.response).toEqual({
      uid: body.request.uid, allowed: false,
      status: { code: 500, reason: 'InternalError', message: expect.stringMatching(/^internal error in etcd-webhook \(API server unreachable\)/) },
    });
  });
});

describe('malformed requests', () => {
  it.each([
    ['not JSON', '{"apiVersion": ', /not valid JSON/],
    ['a JSON string', '"hello"', /not a JSON object/],
    ['an empty object', '{}', /expected apiVersion admission\.k8s\.io\/v1/],
    ['wrong apiVersion', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }), /v1beta1/],
    ['wrong kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: { uid: 'x' } }), /"Pod"/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request/],
    ['no uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }), /no uid/],
  ])('%s -> 400 with a reason', async (_name, body, reason) => {
    for (const path of ['/validate', '/mutate']) {
      const r = await post(path, body);
      expect(r.status).toBe(400);
      expect(r.body.reason).toMatch(reason);
    }
  });

  it('rejects an empty body with 400', async () => {
    const r = await send('POST', '/validate');
    expect(r.status).toBe(400);
    expect(r.body.reason).toMatch(/not a JSON object/);
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const huge = JSON.stringify(review({ operation: 'CREATE', object: { junk: 'x'.repeat(2 * 1024 * 1024) } }));
    const r = await post('/validate', huge, { agent: false });
    expect(r.status).toBe(413);
    expect(r.body.reason).toMatch(/exceeds the limit/);
  });

  it('rejects a wrong content type with 415', async () => {
    const r = await post('/validate', JSON.stringify(clusterUpdate(3, 5, healthy3)), { contentType: 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body.reason).toMatch(/send application\/json/);
  });

  it('answers unknown paths and methods with 404', async () => {
    expect((await send('GET', '/validate')).status).toBe(404);
    expect((await post('/nope', {})).status).toBe(404);
  });
});

describe('probes and metrics', () => {
  it('serves /healthz, /readyz and /metrics with per-rule counts', async () => {
    expect(await send('GET', '/healthz')).toEqual(expect.objectContaining({ status: 200, body: 'ok' }));
    expect(await send('GET', '/readyz')).toEqual(expect.objectContaining({ status: 200, body: 'ok' }));
    await post('/validate', clusterUpdate(3, 5, oneDown));
    const m = await send('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/etcd_webhook_requests_total\{endpoint="validate",kind="EtcdCluster",verdict="denied",rule="V4"\} [1-9]/);
    expect(m.body).toMatch(/etcd_webhook_request_duration_seconds_bucket/);
  });
});

describe('certificate rotation', () => {
  const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

  it('serves the new certificate after a symlink swap, without failing a request in flight', async () => {
    const [oldFp, newFp] = [fingerprint(certs[0].certPem), fingerprint(certs[1].certPem)];
    const seen = new Set<string>();
    const failures: string[] = [];
    let sent = 0;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        try {
          // A new TLS handshake per request, so each one shows which certificate is being served.
          const r = await post('/validate', clusterUpdate(3, 5, healthy3), { agent: false });
          sent++;
          if (r.status !== 200 || r.body.response?.allowed !== true) failures.push(`status ${r.status}`);
          if (r.fingerprint) seen.add(r.fingerprint);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    await new Promise((r) => setTimeout(r, 200));
    writeSecretDir(join(dir, 'tls'), { 'tls.crt': certs[1].certPem, 'tls.key': certs[1].keyPem }, 2);
    const deadline = Date.now() + 10_000;
    while (!seen.has(newFp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(seen).toEqual(new Set([oldFp, newFp]));
    expect(sent).toBeGreaterThan(20);
  });

  it('keeps serving the current pair when the new files do not match', async () => {
    const current = fingerprint(certs[1].certPem);
    const rejectedBefore = (await metrics.tlsReloads.get()).values.find((v) => v.labels.result === 'rejected')?.value ?? 0;
    writeSecretDir(join(dir, 'tls'), { 'tls.crt': certs[0].certPem, 'tls.key': certs[1].keyPem }, 3);
    const deadline = Date.now() + 5000;
    let rejected = rejectedBefore;
    while (rejected === rejectedBefore && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      await reloader.settled();
      rejected = (await metrics.tlsReloads.get()).values.find((v) => v.labels.result === 'rejected')?.value ?? 0;
    }
    expect(rejected).toBeGreaterThan(rejectedBefore);
    const r = await post('/validate', clusterUpdate(3, 5, healthy3), { agent: false });
    expect(r.status).toBe(200);
    expect(r.fingerprint).toBe(current);
  });
});

describe('fuzz', () => {
  // mulberry32: a seeded PRNG, so a failure reproduces.
  function prng(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('answers thousands of mutated AdmissionReviews without a 5xx and stays healthy', async () => {
    const rand = prng(20261124);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const junk = (depth = 0): unknown => pick<() => unknown>([
      () => null, () => true, () => -1, () => 1e308, () => 2 ** 53 + 1, () => -0.5, () => 'x'.repeat(Math.floor(rand() * 300)),
      () => '5', () => [], () => ({}), () => depth > 4 ? 0 : [junk(depth + 1), junk(depth + 1)],
      () => depth > 4 ? {} : { spec: junk(depth + 1), status: junk(depth + 1), metadata: junk(depth + 1), members: [junk(depth + 1)] },
    ])();
    const seeds = [
      () => clusterUpdate(3, 5, oneDown), () => clusterUpdate(5, 3, healthy3), () => scaleUpdate('healthy', 3, 4),
      () => scaleUpdate('degraded', 3, 1), () => scaleUpdate('missing', 1, 3),
    ];
    const mutate = (value: any, depth = 0): any => {
      if (value === null || typeof value !== 'object') return rand() < 0.3 ? junk() : value;
      const out: any = Array.isArray(value) ? [...value] : { ...value };
      for (const key of Object.keys(out)) {
        const r = rand();
        if (r < 0.08) delete out[key];
        else if (r < 0.16) out[key] = junk();
        else if (depth < 6) out[key] = mutate(out[key], depth + 1);
      }
      if (rand() < 0.1) out[`junk${Math.floor(rand() * 5)}`] = junk();
      return out;
    };
    const bodies: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const base: any = pick(seeds)();
      // Mostly keep the envelope valid so the processors see the damage; sometimes break the envelope too.
      const doc = rand() < 0.85 ? { ...base, request: { ...mutate(base.request), uid: `fuzz-${i}` } } : mutate(base);
      bodies.push(JSON.stringify(doc));
    }
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let next = 0;
    const fuzzAgent = keepAlive();
    const worker = async () => {
      while (next < bodies.length) {
        const i = next++;
        const r = await post(i % 2 ? '/validate' : '/mutate', bodies[i], { agent: fuzzAgent });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 500) bad.push(`#${i}: ${r.status}`);
        if (r.status === 200) {
          const request = JSON.parse(bodies[i]).request;
          if (r.body?.kind !== 'AdmissionReview' || r.body.response?.uid !== request.uid || typeof r.body.response.allowed !== 'boolean') {
            bad.push(`#${i}: malformed answer ${JSON.stringify(r.body).slice(0, 200)}`);
          }
        } else if (typeof r.body?.reason !== 'string') {
          bad.push(`#${i}: ${r.status} without a reason`);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    fuzzAgent.destroy();
    expect(bad).toEqual([]);
    expect([...statuses.keys()].every((s) => s === 200 || s === 400)).toBe(true);
    expect(statuses.get(200)).toBeGreaterThan(2000);
    expect(statuses.get(400)).toBeGreaterThan(50);
    expect((await send('GET', '/healthz')).status).toBe(200);
    // A normal request is still judged correctly afterwards.
    expect((await post('/validate', clusterUpdate(3, 5, oneDown))).body.response.status.message).toMatch(/^V4: /);
  }, 120_000);
});
