// Mutual TLS against real etcd 3.4 and 3.5, each member started from a config file holding the lines of
// core/tls-config.ts and certificates made by controller/certificates.ts, mounted as the kubelet mounts a
// Secret: refusal without (or with a foreign) certificate, the controller's EtcdAdmin over https, membership
// changes over https peer URLs, renewal by the kubelet's symlink swap without a restart, and what the
// plain-HTTP /health says when quorum is lost (what a liveness probe would see).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { issueClient, issueMember, makeCa } from '../../controller/certificates.js';
import { EtcdAdmin, isTransientRefusal, type EtcdClientCredentials } from '../../controller/etcd-admin.js';
import { parseCertificate } from '../../core/cert-renewal.js';
import { CONTROLLER_CLIENT_CN, type CaPem, type IssuedPem } from '../../core/tls-objects.js';
import { waitFor } from '../helpers/etcd-processes.js';
import { TlsEtcdCluster } from '../helpers/etcd-tls-processes.js';

const VERSIONS: [string, string][] = [
  ['3.4.23', '/usr/bin/etcd'],
  ['3.5.16', '/root/.cache/etcd-k8s-operator/etcd-3.5.16/bin/etcd'],
];
const id = { cluster: 'it', namespace: 'ns' };
const run = promisify(execFile);
const credsOf = (issued: IssuedPem): EtcdClientCredentials => ({ ca: issued.caPem, cert: issued.certPem, key: issued.keyPem });
const portOf = (url: string) => Number(new URL(url).port);

/**
 * One TLS handshake; resolves the serial the server presented. TLS 1.2, so that a server refusing the client's
 * certificate fails the handshake itself (with 1.3 the client finishes first and learns of it later).
 */
function handshake(url: string, creds: Partial<EtcdClientCredentials>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: portOf(url), ca: creds.ca, cert: creds.cert, key: creds.key, maxVersion: 'TLSv1.2' }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
      socket.end();
      resolve(serial);
    });
    socket.once('error', reject);
    socket.setTimeout(3000, () => socket.destroy(new Error('handshake timed out')));
  });
}

interface ProbeAnswer {
  /** HTTP status; 0 when no answer came within 5 s. */
  status: number;
  body?: string;
  health?: string;
}

/** What a kubelet httpGet probe of the metrics port would get. */
async function probe(metricsURL: string, path: string): Promise<ProbeAnswer> {
  try {
    const res = await fetch(`${metricsURL}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.text()).trim();
    const health = body.startsWith('{') ? (JSON.parse(body) as { health?: string }).health : undefined;
    return { status: res.status, body, health };
  } catch {
    return { status: 0 };
  }
}

async function retryRefused<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientRefusal(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

describe.each(VERSIONS)('etcd %s over mutual TLS', (version, bin) => {
  const etcdctl = join(dirname(bin), 'etcdctl');
  const now = new Date();
  let ca: CaPem;
  let memberCert: IssuedPem;
  let clientCert: IssuedPem;
  let cluster: TlsEtcdCluster;
  let admin: EtcdAdmin;

  const running = () => [...cluster.members.values()].filter((m) => m.proc);
  const observe = () => admin.observe(running().map((m) => m.clientURL));
  const ctl = (args: string[]) => run(etcdctl, [`--endpoints=${cluster.member('m0').clientURL}`, '--dial-timeout=2s', '--command-timeout=3s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });

  beforeAll(async () => {
    expect(existsSync(bin)).toBe(true);
    ca = await makeCa('it-ca', now);
    memberCert = await issueMember(ca, id, now);
    clientCert = await issueClient(ca, CONTROLLER_CLIENT_CN, now);
    admin = new EtcdAdmin({ timeoutMs: 3000, credentials: credsOf(clientCert) });
    cluster = new TlsEtcdCluster(bin);
    const m0 = await cluster.define('m0', memberCert);
    cluster.start('m0', `m0=${m0.peerURL}`, 'new');
    await cluster.waitHealthy('m0');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('the controller with its client certificate observes the member list, status and version over https', async () => {
    const view = await observe();
    expect(view.authoritative).toBe(true);
    expect(view.members).toEqual([expect.objectContaining({ name: 'm0', peerURLs: [cluster.member('m0').peerURL], clientURLs: [cluster.member('m0').clientURL] })]);
    expect(view.status.get(view.leaderId!)!.version).toBe(version);
    expect(view.clusterVersion).toBe(`${version.split('.').slice(0, 2).join('.')}.0`);
  });

  it('refuses a client without a certificate: etcd3, etcdctl and a bare TLS handshake', async () => {
    const bare = new Etcd3({ hosts: [cluster.member('m0').clientURL], credentials: { rootCertificate: Buffer.from(ca.certPem) }, dialTimeout: 2000 });
    try {
      await expect(bare.maintenance.status()).rejects.toThrow();
    } finally {
      bare.close();
    }
    await expect(ctl(['--cacert', join(cluster.member('m0').certDir, 'ca.crt'), 'endpoint', 'status'])).rejects.toMatchObject({ code: 1 });
    await expect(handshake(cluster.member('m0').clientURL, { ca: ca.certPem })).rejects.toThrow(/certificate|handshake/i);
    // Peers likewise: the peer port wants a certificate from the cluster's CA.
    await expect(handshake(cluster.member('m0').peerURL, { ca: ca.certPem })).rejects.toThrow(/certificate|handshake/i);
  });

  it('etcdctl with --cacert/--cert/--key lists the member', async () => {
    const dir = join(cluster.root, 'ctl');
    cluster.mountFiles(dir, { 'ca.crt': ca.certPem, 'tls.crt': clientCert.certPem, 'tls.key': clientCert.keyPem });
    const { stdout } = await ctl(['--cacert', join(dir, 'ca.crt'), '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), 'member', 'list', '-w', 'json']);
    const list = JSON.parse(stdout) as { members: { name: string; peerURLs: string[] }[] };
    expect(list.members.map((m) => [m.name, m.peerURLs])).toEqual([['m0', [cluster.member('m0').peerURL]]]);
  });

  it('grows to 3 members over https peer URLs (learner, then promoted) and removes one', async () => {
    for (const name of ['m1', 'm2']) {
      const joiner = await cluster.define(name, memberCert);
      const before = await observe();
      const leaderURL = before.status.get(before.leaderId!)!.endpoint;
      const learner = await retryRefused(() => admin.addLearner(leaderURL, joiner.peerURL));
      const initial = [...before.members!.map((m) => `${m.name}=${m.peerURLs[0]}`), `${name}=${joiner.peerURL}`].join(',');
      cluster.start(name, initial, 'existing');
      await retryRefused(async () => {
        const v = await observe();
        await admin.promote(v.status.get(v.leaderId!)!.endpoint, learner.id);
      });
    }
    const grown = await observe();
    expect(grown.members!.map((m) => [m.name, m.isLearner]).sort()).toEqual([['m0', false], ['m1', false], ['m2', false]]);
    expect(grown.members!.every((m) => m.peerURLs[0].startsWith('https://'))).toBe(true);
    expect(grown.status.size).toBe(3);

    const m2 = grown.members!.find((m) => m.name === 'm2')!;
    await retryRefused(() => admin.remove(grown.status.get(grown.leaderId!)!.endpoint, m2.id));
    // A removed member learns it from its peers and stops by itself.
    await waitFor('removed member m2 to exit', async () => !cluster.member('m2').proc, 20_000);
    const shrunk = await observe();
    expect(shrunk.members!.map((m) => m.name).sort()).toEqual(['m0', 'm1']);
  }, 90_000);

  it('a renewed member certificate swapped in by the kubelet is served on the next handshake, without a restart', async () => {
    const renewed = await issueMember(ca, id, new Date());
    const oldSerial = parseCertificate(memberCert.certPem).serial;
    const newSerial = parseCertificate(renewed.certPem).serial;
    expect(newSerial).not.toBe(oldSerial);
    const members = running();
    expect(members.map((m) => m.name).sort()).toEqual(['m0', 'm1']);
    const pids = members.map((m) => m.proc!.pid);
    for (const m of members) {
      expect(await handshake(m.clientURL, credsOf(clientCert))).toBe(oldSerial);
      expect(await handshake(m.peerURL, credsOf(clientCert))).toBe(oldSerial);
    }

    for (const m of members) cluster.mount(m.name, renewed);
    for (const m of members) {
      expect(await handshake(m.clientURL, credsOf(clientCert))).toBe(newSerial);
      expect(await handshake(m.peerURL, credsOf(clientCert))).toBe(newSerial);
    }
    expect(running().map((m) => m.proc!.pid)).toEqual(pids);
    const view = await observe();
    expect(view.authoritative).toBe(true);
    expect(view.status.size).toBe(2);
  });

  it('refuses a certificate from another CA, on the client and on the peer port', async () => {
    const other = await makeCa('other-ca', now);
    const foreign = await issueClient(other, CONTROLLER_CLIENT_CN, now);
    // The server is trusted (our CA); only the client's certificate is foreign.
    const foreignCreds = { ...credsOf(foreign), ca: ca.certPem };
    const m0 = cluster.member('m0');
    await expect(handshake(m0.clientURL, foreignCreds)).rejects.toThrow(/certificate|unknown ca|handshake/i);
    await expect(handshake(m0.peerURL, foreignCreds)).rejects.toThrow(/certificate|unknown ca|handshake/i);
    const view = await new EtcdAdmin({ timeoutMs: 2000, credentials: foreignCreds }).observe([m0.clientURL]);
    expect(view.members).toBeUndefined();
    expect(view.status.size).toBe(0);
    // And a member presenting a foreign server certificate is not trusted by the controller.
    const foreignServer = await issueMember(other, id, now);
    const m1 = cluster.member('m1');
    cluster.mount('m1', foreignServer);
    await expect(handshake(m1.clientURL, credsOf(clientCert))).rejects.toThrow(/certificate|verify/i);
    cluster.mount('m1', memberCert);
    expect(await handshake(m1.clientURL, credsOf(clientCert))).toBe(parseCertificate(memberCert.certPem).serial);
  });

  it('trusts a CA added to ca.crt only after a restart (trusted-ca-file is read once)', async () => {
    const next = await makeCa('next-ca', now);
    const nextClient = { ...credsOf(await issueClient(next, CONTROLLER_CLIENT_CN, now)), ca: ca.certPem };
    cluster.mount('m0', { ...memberCert, caPem: `${ca.certPem}${next.certPem}` });
    await expect(handshake(cluster.member('m0').clientURL, nextClient)).rejects.toThrow(/certificate|unknown ca|handshake/i);
    await cluster.restart('m0');
    expect(await handshake(cluster.member('m0').clientURL, nextClient)).toBe(parseCertificate(memberCert.certPem).serial);
    expect(await handshake(cluster.member('m0').clientURL, credsOf(clientCert))).toBe(parseCertificate(memberCert.certPem).serial);
  });

  it('plain-HTTP /health on the metrics port after quorum is lost', async () => {
    const m0 = cluster.member('m0');
    expect(await probe(m0.metricsURL, '/health')).toMatchObject({ status: 200, health: 'true' });
    await cluster.kill('m1');
    await waitFor('m0 to lose its leader', async () => (await probe(m0.metricsURL, '/health')).health === 'false', 20_000);
    const answers = Object.fromEntries(await Promise.all(['/health', '/health?serializable=true', '/livez'].map(async (p) => [p, await probe(m0.metricsURL, p)] as const)));
    expect(answers['/health']).toMatchObject({ status: 503, health: 'false' });
    if (version.startsWith('3.4.')) {
      // 3.4 ignores the parameter and has no /livez: every health check there fails without a leader.
      expect(answers['/health?serializable=true']).toMatchObject({ status: 503, health: 'false' });
      expect(answers['/livez'].status).toBe(404);
    } else {
      // 3.5 answers a serializable check from the member alone, and /livez says the process is alive.
      expect(answers['/health?serializable=true']).toMatchObject({ status: 200, health: 'true' });
      expect(answers['/livez']).toMatchObject({ status: 200, body: 'ok' });
    }
    process.stdout.write(`etcd ${version} without quorum: ${JSON.stringify(answers)}\n`);
  });
});
