// The certificates phase of a TLS cluster: issued by the operator's CA (and renewed at 2/3 of their life), or
// asked of cert-manager and waited for; before the StatefulSet, so no member starts without them.
import type { EtcdCluster } from '../../core/api.js';
import type { CertificateSeen, ObservedTls } from '../../core/certificate-step.js';
import { nextStep, type Observed } from '../../core/reconcile-step.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const DAY = 86_400_000;
const cluster = (tls: EtcdCluster['spec']['tls']): EtcdCluster => ({ metadata: { name: 'demo', namespace: 'ns', uid: 'u' }, spec: { size: 3, tls } });
const fresh = (c: EtcdCluster, tls?: ObservedTls): Observed => ({
  now: NOW, cluster: c, etcd: { authoritative: false, problem: 'no member endpoints to ask' }, servicesPresent: true, pdb: { minAvailable: 1 }, pods: [], pvcs: [],
  ...(tls ? { tls } : {}),
});
const cert = (issuedDaysAgo: number, lifeDays = 90): CertificateSeen => ({ serial: 'AB', notBefore: new Date(NOW - issuedDaysAgo * DAY).toISOString(), notAfter: new Date(NOW + (lifeDays - issuedDaysAgo) * DAY).toISOString() });

describe('certificates of a TLS cluster (the operator\'s own CA)', () => {
  const c = cluster({ enabled: true });
  it('issues a CA and both certificates first, before the bootstrap entry', () => {
    expect(nextStep(fresh(c, { ca: false }))).toEqual({
      kind: 'issue-certificates', which: ['ca', 'member', 'client'],
      message: 'issuing a CA (Secret demo-ca), the members\' certificate (Secret demo-tls-member), the controller\'s client certificate (Secret demo-tls-client)',
    });
  });
  it('with them in place, goes on to the bootstrap', () => {
    expect(nextStep(fresh(c, { ca: true, member: cert(1), client: cert(1) })).kind).toBe('write-member-entries');
  });
  it('renews each certificate once 2/3 of its life has passed, on its own', () => {
    expect(nextStep(fresh(c, { ca: true, member: cert(61), client: cert(10) }))).toEqual({
      kind: 'issue-certificates', which: ['member'], message: 'renewing the members\' certificate (Secret demo-tls-member)',
    });
    expect(nextStep(fresh(c, { ca: true, member: cert(59), client: cert(100) }))).toMatchObject({ kind: 'issue-certificates', which: ['client'] });
  });
  it('issues a certificate missing from its Secret (or one that does not parse)', () => {
    expect(nextStep(fresh(c, { ca: true, client: cert(1) }))).toMatchObject({ kind: 'issue-certificates', which: ['member'], message: 'issuing the members\' certificate (Secret demo-tls-member)' });
  });
  it('a cluster without TLS has no certificates phase', () => {
    expect(nextStep(fresh(cluster(undefined))).kind).toBe('write-member-entries');
    expect(nextStep(fresh(cluster({ enabled: false }))).kind).toBe('write-member-entries');
  });
});

describe('certificates of a TLS cluster (cert-manager)', () => {
  const c = cluster({ enabled: true, issuerRef: { name: 'etcd-ca', kind: 'ClusterIssuer' } });
  it('asks cert-manager for both Certificates, then waits for the Secrets', () => {
    expect(nextStep(fresh(c, { ca: false }))).toEqual({ kind: 'request-certificates', message: 'asking cert-manager (ClusterIssuer etcd-ca) for the certificates of demo' });
    expect(nextStep(fresh(c, { ca: false, requested: { member: true, client: false } })).kind).toBe('request-certificates');
    expect(nextStep(fresh(c, { ca: false, requested: { member: true, client: true }, client: cert(1) }))).toEqual({
      kind: 'wait', reason: 'WaitingForCertificates', requeueMs: 2000,
      message: 'waiting for cert-manager (ClusterIssuer etcd-ca) to issue Secret demo-tls-member (Certificates of the same names)',
    });
  });
  it('renews nothing itself (cert-manager does) and goes on once the Secrets hold certificates', () => {
    expect(nextStep(fresh(c, { ca: false, requested: { member: true, client: true }, member: cert(80), client: cert(80) })).kind).toBe('write-member-entries');
  });
});
