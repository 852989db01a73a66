// Certificates the operator makes itself: what a member's and the controller's certificates say, and that
// the CA signed them.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { issueClient, issueMember, makeCa } from '../../controller/certificates.js';
import { parseCertificate } from '../../core/cert-renewal.js';
import type { CaPem } from '../../core/tls-objects.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY = 86_400_000;
const now = new Date('2026-01-10T12:00:00Z');
const id = { cluster: 'demo', namespace: 'ns1' };

let ca: CaPem;
beforeAll(async () => {
  ca = await makeCa('demo-ca', now);
});

describe('makeCa', () => {
  it('is a CA for 5 years, self-signed, with its key', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=demo-ca');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    expect(cert.validToDate.getTime() - now.getTime()).toBe(5 * 365 * DAY);
    expect(cert.validFromDate.getTime()).toBeLessThanOrEqual(now.getTime());
  });
});

describe('issueMember', () => {
  it('one certificate for every member, as server and peer, signed by the CA, 90 days', async () => {
    const m = await issueMember(ca, id, now);
    const cert = new X509Certificate(m.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(m.caPem).toBe(ca.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(m.keyPem))).toBe(true);
    expect(cert.keyUsage.sort()).toEqual([SERVER_AUTH, CLIENT_AUTH]);
    expect(cert.validToDate.getTime() - now.getTime()).toBe(90 * DAY);
    const facts = parseCertificate(m.certPem);
    expect(facts.dnsNames).toEqual([
      // Every member by name: etcd looks names that are not wildcards up to check a peer's address.
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => `demo-${k}.demo.ns1.svc`),
      '*.demo.ns1.svc',
      '*.demo.ns1.svc.cluster.local',
      'demo-client.ns1.svc',
      'demo-client.ns1.svc.cluster.local',
      'demo-client',
      'localhost',
    ]);
    expect(facts.ipAddresses).toEqual(['127.0.0.1']);
  });

  it('names match member hosts and the client Service, not another cluster', async () => {
    const cert = new X509Certificate((await issueMember(ca, id, now)).certPem);
    for (const host of ['demo-0.demo.ns1.svc', 'demo-12.demo.ns1.svc.cluster.local', 'demo-client.ns1.svc', 'demo-client', 'localhost']) {
      expect(cert.checkHost(host)).toBeDefined();
    }
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('demo-0.other.ns1.svc')).toBeUndefined();
    expect(cert.checkHost('demo-0.demo.ns2.svc')).toBeUndefined();
    expect(cert.checkHost('x.demo-0.demo.ns1.svc')).toBeUndefined();
  });

  it('a new serial every time', async () => {
    const [a, b] = await Promise.all([issueMember(ca, id, now), issueMember(ca, id, now)]);
    expect(parseCertificate(a.certPem).serial).not.toBe(parseCertificate(b.certPem).serial);
  });
});

describe('PEM text', () => {
  it('ends with a newline, so that concatenated CA bundles stay valid', async () => {
    const m = await issueMember(ca, id, now);
    for (const pem of [ca.certPem, ca.keyPem, m.certPem, m.keyPem]) expect(pem).toMatch(/-----\n$/);
    expect(`${ca.certPem}${m.certPem}`).toContain('-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----');
  });
});

describe('issueClient', () => {
  it('client authentication only, no names, the given common name and validity', async () => {
    const c = await issueClient(ca, 'etcd-k8s-operator', now, 7);
    const cert = new X509Certificate(c.certPem);
    expect(cert.subject).toBe('CN=etcd-k8s-operator');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert.subjectAltName).toBeUndefined();
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.validToDate.getTime() - now.getTime()).toBe(7 * DAY);
  });
});
