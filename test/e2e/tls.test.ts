// Mutual TLS on the local cluster (real kubelets and etcd 3.5.16): a TLS cluster with the operator's own CA
// grows 1 -> 3 and shrinks back with every member URL https; a client without a certificate is refused, one
// with the cluster's client certificate served; a renewed member certificate is served on the next handshake,
// client and peer port, with no pod restarted; turning TLS off is denied (V7). With spec.tls.issuerRef the
// controller asks cert-manager for Certificates (cert-manager is not installed here: the test installs its
// Certificate API and plays its part, issuing the Secrets from a CA of its own) and runs on what it gets.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api, KubeConfig, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { CLUSTER_LABEL, type EtcdCluster } from '../../core/api.js';
import { parseCertificate } from '../../core/cert-renewal.js';
import { clientTlsSecret, memberTlsSecret, type ClusterIdentity } from '../../core/tls-objects.js';
import { issueClient, issueMember, makeCa } from '../../controller/certificates.js';
import { run, waitFor } from '../helpers/cluster.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';
import { installWebhook, type InstalledWebhook } from './webhook-harness.js';
import { CERTIFICATE_CRD } from '../helpers/cert-manager-crd.js';

jest.setTimeout(15 * 60_000);

let p: PluginEnv;
let core: CoreV1Api;
let webhook: InstalledWebhook | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tls-e2e-'));

beforeAll(async () => {
  p = await pluginEnv('tls', 1, { tls: { enabled: true }, storage: { size: '64Mi' } });
  webhook = await installWebhook(p.tc, p.ns, p.ns);
  const kc = new KubeConfig();
  kc.loadFromFile(p.tc.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await p.settled(1, 300_000);
}, 900_000);

afterAll(async () => {
  await p?.close();
  await webhook?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const secret = (name: string) => core.readNamespacedSecret({ name, namespace: p.ns });
const text = (s: V1Secret, key: string) => Buffer.from(s.data![key], 'base64').toString();
const endpoint = (k: number) => `https://${NAME}-${k}.${NAME}.${p.ns}.svc:2379`;
const etcdPods = async () => (await core.listNamespacedPod({ namespace: p.ns, labelSelector: `${CLUSTER_LABEL}=${NAME}` })).items;

/** The client Secret's files, for etcdctl and for handshakes made by the test. */
async function clientFiles(): Promise<{ ca: string; cert: string; key: string }> {
  const s = await secret(`${NAME}-tls-client`);
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'client.crt'), key: join(dir, 'client.key') };
  writeFileSync(files.ca, text(s, 'ca.crt'));
  writeFileSync(files.cert, text(s, 'tls.crt'));
  writeFileSync(files.key, text(s, 'tls.key'), { mode: 0o600 });
  return files;
}

async function etcdctl(endpoints: string, args: string[], withCert = true) {
  const f = await clientFiles();
  const auth = withCert ? ['--cacert', f.ca, '--cert', f.cert, '--key', f.key] : ['--cacert', f.ca];
  return run('etcdctl', ['--endpoints', endpoints, '--command-timeout=5s', ...auth, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
}

/** The serial number of the certificate a member serves on `port`, read from a TLS handshake made with the client certificate. */
async function servedSerial(pod: V1Pod, port: number): Promise<string> {
  const f = await clientFiles();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: pod.status!.podIP!, port, servername: `${pod.metadata!.name}.${NAME}.${p.ns}.svc`, ca: readFileSync(f.ca), cert: readFileSync(f.cert), key: readFileSync(f.key) }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
      socket.end();
      resolve(serial);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('handshake timed out')));
    socket.once('error', reject);
  });
}

const restarts = (pods: V1Pod[]) => Object.fromEntries(pods.map((x) => [x.metadata!.name!, `${x.metadata!.uid} ${(x.status?.containerStatuses ?? []).map((c) => c.restartCount).join(',')}`]));

test('the operator made a CA and the members\' and the controller\'s certificates, in Secrets the cluster owns', async () => {
  const c = await p.get();
  for (const name of [`${NAME}-ca`, `${NAME}-tls-member`, `${NAME}-tls-client`]) {
    const s = await secret(name);
    expect(s.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'EtcdCluster', name: NAME, uid: c.metadata.uid });
  }
  const member = parseCertificate(text(await secret(`${NAME}-tls-member`), 'tls.crt'));
  expect(member.dnsNames).toContain(`${NAME}-0.${NAME}.${p.ns}.svc`);
  expect(member.dnsNames).toContain(`*.${NAME}.${p.ns}.svc`);
  const events = JSON.parse((await p.tc.kubectl(['-n', p.ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME},reason=CertificatesIssued`, '-o', 'json'])).stdout) as { items: { message: string }[] };
  expect(events.items.map((e) => e.message).join('\n')).toContain('issuing a CA (Secret demo-ca)');
});

test('1 -> 3 over TLS: https member URLs; no certificate, no service; the client certificate is served', async () => {
  expect((await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"size":3}}'])).code).toBe(0);
  const c = await p.settled(3, 400_000);
  for (const m of c.status!.members!) {
    expect(m.peerURL).toMatch(/^https:\/\//);
    expect(m.clientURL).toMatch(/^https:\/\//);
  }
  const refused = await etcdctl(endpoint(0), ['member', 'list'], false);
  expect(refused.code).not.toBe(0);
  const served = await etcdctl(endpoint(0), ['member', 'list']);
  expect(served.code).toBe(0);
  expect(served.stdout.trim().split('\n')).toHaveLength(3);
  expect(served.stdout).toContain(`https://${NAME}-2.${NAME}.${p.ns}.svc:2380`);
  const put = await etcdctl([0, 1, 2].map(endpoint).join(','), ['put', 'tls-e2e', 'ok']);
  expect(put.code).toBe(0);
});

test('a renewed member certificate is served on the next handshake, client and peer port, with no pod restarted', async () => {
  const pods = await etcdPods();
  const before = restarts(pods);
  const old = parseCertificate(text(await secret(`${NAME}-tls-member`), 'tls.crt')).serial;
  for (const pod of pods) expect(await servedSerial(pod, 2379)).toBe(old);
  // Gone from its Secret, as when it is lost or revoked: the controller issues a new one.
  await core.deleteNamespacedSecret({ name: `${NAME}-tls-member`, namespace: p.ns });
  const renewed = await waitFor(async () => {
    const s = await secret(`${NAME}-tls-member`).catch(() => undefined);
    const serial = s && parseCertificate(text(s, 'tls.crt')).serial;
    return serial && serial !== old ? serial : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, what: 'a new member certificate in its Secret' });
  const t0 = Date.now();
  // The kubelet swaps the mounted files on its next sync of each pod (up to a minute or so); etcd reads them
  // on each handshake.
  for (const pod of pods) {
    for (const port of [2379, 2380]) {
      await waitFor(async () => (await servedSerial(pod, port).catch(() => '')) === renewed, { timeoutMs: 180_000, intervalMs: 1000, what: `${pod.metadata!.name}:${port} serving ${renewed}` });
    }
  }
  console.log(`tls e2e: renewed member certificate served by all 3 members on both ports ${((Date.now() - t0) / 1000).toFixed(1)} s after it was written`);
  expect(restarts(await etcdPods())).toEqual(before);
  const c = await p.get();
  expect(c.status).toMatchObject({ phase: 'Running', size: 3, readyReplicas: 3 });
  expect((await etcdctl(endpoint(1), ['get', 'tls-e2e', '--print-value-only'])).stdout.trim()).toBe('ok');
});

test('a snapshot of a TLS cluster: the Job presents the client certificate, the file holds what was put', async () => {
  const on = await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"backup":{"keep":1,"volume":{"size":"128Mi"}}}}']);
  expect(on.code).toBe(0);
  const r = await p.etcd(['snapshot', NAME, '-n', p.ns], 240_000);
  expect(r.stderr).not.toMatch(/^error/m);
  expect(r.code).toBe(0);
  const s = (await p.get()).status!.backup!.lastSnapshot!;
  expect(s.member).toMatch(new RegExp(`^${NAME}-[0-2]$`));
  // The put of the test before is in it (its revision is at or below the snapshot's).
  const rev = JSON.parse((await etcdctl(endpoint(0), ['get', 'tls-e2e', '-w', 'json'])).stdout) as { kvs: { mod_revision: number }[] };
  expect(s.revision).toBeGreaterThanOrEqual(rev.kvs[0].mod_revision);
  expect(s.sizeBytes).toBeGreaterThan(0);
});

test('turning TLS off on a running cluster is denied (V7), saying why', async () => {
  const r = await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"tls":{"enabled":false}}}']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('V7: spec.tls of demo cannot change on a running cluster (from TLS from the operator\'s own CA to TLS off)');
  expect((await p.get()).spec.tls).toEqual({ enabled: true });
});

test('3 -> 1 over TLS', async () => {
  expect((await p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"size":1}}'])).code).toBe(0);
  await p.settled(1, 400_000);
  const list = await etcdctl(endpoint(0), ['member', 'list']);
  expect(list.stdout.trim().split('\n')).toHaveLength(1);
  expect((await etcdctl(endpoint(0), ['get', 'tls-e2e', '--print-value-only'])).stdout.trim()).toBe('ok');
});

interface Certificate { metadata: { name: string; ownerReferences?: { name: string }[] }; spec: { secretName: string; dnsNames?: string[]; usages: string[]; issuerRef: { name: string; kind: string }; commonName: string } }

test('with spec.tls.issuerRef: Certificates asked of cert-manager, and the cluster runs on the Secrets it issues', async () => {
  await p.tc.applyCrd(JSON.stringify(CERTIFICATE_CRD), CERTIFICATE_CRD.metadata.name);
  const name = 'cm';
  const apply = await p.tc.kubectl(['-n', p.ns, 'apply', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name },
    spec: { size: 1, storage: { size: '64Mi' }, tls: { enabled: true, issuerRef: { name: 'etcd-ca', kind: 'ClusterIssuer' } } },
  }) });
  expect(apply.code).toBe(0);
  const certs = await waitFor(async () => {
    const r = await p.tc.kubectl(['-n', p.ns, 'get', 'certificates.cert-manager.io', '-o', 'json']);
    const items = r.code === 0 ? (JSON.parse(r.stdout) as { items: Certificate[] }).items.filter((x) => x.metadata.name.startsWith(`${name}-`)) : [];
    return items.length === 2 ? items : undefined;
  }, { timeoutMs: 60_000, intervalMs: 1000, what: 'two Certificates' });
  const member = certs.find((x) => x.metadata.name === `${name}-tls-member`)!;
  const client = certs.find((x) => x.metadata.name === `${name}-tls-client`)!;
  expect(member.spec).toMatchObject({ secretName: `${name}-tls-member`, issuerRef: { name: 'etcd-ca', kind: 'ClusterIssuer' }, usages: ['digital signature', 'server auth', 'client auth'] });
  expect(member.spec.dnsNames).toContain(`${name}-0.${name}.${p.ns}.svc`);
  expect(client.spec).toMatchObject({ secretName: `${name}-tls-client`, usages: ['digital signature', 'client auth'] });
  expect(member.metadata.ownerReferences?.[0]?.name).toBe(name);
  const waiting = await waitFor(async () => {
    const c = JSON.parse((await p.tc.kubectl(['-n', p.ns, 'get', 'etcdcluster', name, '-o', 'json'])).stdout) as EtcdCluster;
    return c.status?.conditions?.find((x) => x.type === 'Progressing' && x.status === 'True' && x.message.startsWith('waiting for cert-manager'));
  }, { timeoutMs: 60_000, intervalMs: 1000, what: 'Progressing: waiting for cert-manager' });
  expect(waiting.message).toContain('waiting for cert-manager (ClusterIssuer etcd-ca) to issue Secret cm-tls-member and cm-tls-client');

  // cert-manager's part: the Secrets, from a CA of the test's own, with the names and usages asked for.
  const id: ClusterIdentity = { cluster: name, namespace: p.ns };
  const ca = await makeCa('test-held CA', new Date());
  for (const s of [memberTlsSecret(id, await issueMember(ca, id, new Date())), clientTlsSecret(id, await issueClient(ca, client.spec.commonName, new Date()))]) {
    expect((await p.tc.kubectl(['-n', p.ns, 'apply', '-f', '-'], { input: JSON.stringify(s) })).code).toBe(0);
  }
  await waitFor(async () => {
    const c = JSON.parse((await p.tc.kubectl(['-n', p.ns, 'get', 'etcdcluster', name, '-o', 'json'])).stdout) as EtcdCluster;
    return c.status?.phase === 'Running' && c.status.readyReplicas === 1 && c.status.members?.[0]?.clientURL?.startsWith('https://');
  }, { timeoutMs: 300_000, intervalMs: 1000, what: `${name} Running over TLS` });
  // No CA of the operator's own on this path.
  expect(await secret(`${name}-ca`).catch(() => undefined)).toBeUndefined();
});
