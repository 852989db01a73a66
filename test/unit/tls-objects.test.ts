// The Secrets and cert-manager Certificates of a TLS cluster: one set of names and SANs for both paths.
import { issueMember, makeCa } from '../../controller/certificates.js';
import { parseCertificate } from '../../core/cert-renewal.js';
import {
  caFromSecret,
  caSecret,
  caSecretName,
  clientCertificate,
  clientTlsSecret,
  clientTlsSecretName,
  issuedFromSecret,
  memberCertificate,
  memberTlsSecret,
  memberTlsSecretName,
} from '../../core/tls-objects.js';

const id = { cluster: 'demo', namespace: 'ns1' };
const decode = (v: string | undefined) => Buffer.from(v ?? '', 'base64').toString();
const issued = { certPem: 'CERT', keyPem: 'KEY', caPem: 'CA' };

describe('Secrets', () => {
  it('names', () => {
    expect([caSecretName('demo'), memberTlsSecretName('demo'), clientTlsSecretName('demo')]).toEqual(['demo-ca', 'demo-tls-member', 'demo-tls-client']);
  });
  it('NAME-ca holds the CA certificate and key, and reads back', () => {
    const s = caSecret(id, { certPem: 'CA', keyPem: 'CAKEY' });
    expect(s).toMatchObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'demo-ca', namespace: 'ns1' }, type: 'Opaque' });
    expect(decode(s.data!['ca.crt'])).toBe('CA');
    expect(decode(s.data!['ca.key'])).toBe('CAKEY');
    expect(caFromSecret(s)).toEqual({ certPem: 'CA', keyPem: 'CAKEY' });
  });
  it('NAME-tls-member and NAME-tls-client: kubernetes.io/tls with ca.crt, as cert-manager writes them', () => {
    for (const [s, name] of [
      [memberTlsSecret(id, issued), 'demo-tls-member'],
      [clientTlsSecret(id, issued), 'demo-tls-client'],
    ] as const) {
      expect(s).toMatchObject({ kind: 'Secret', metadata: { name, namespace: 'ns1' }, type: 'kubernetes.io/tls' });
      expect(Object.keys(s.data!).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
      expect(issuedFromSecret(s)).toEqual(issued);
    }
  });
  it('a Secret missing a file reads as not there yet', () => {
    const s = memberTlsSecret(id, issued);
    delete s.data!['ca.crt'];
    expect(issuedFromSecret(s)).toBeUndefined();
    expect(caFromSecret({ data: { 'ca.crt': 'eA==' } })).toBeUndefined();
    expect(issuedFromSecret({})).toBeUndefined();
  });
});

describe('cert-manager Certificates', () => {
  const issuerRef = { name: 'corp', kind: 'ClusterIssuer' };
  const renewal = { duration: '2160h', renewBefore: '720h', privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' } };

  it('member: the Secret the operator path fills, the same names as an operator-made certificate', async () => {
    const cert = memberCertificate(id, issuerRef);
    const now = new Date();
    const own = parseCertificate((await issueMember(await makeCa('x', now), id, now)).certPem);
    expect(cert).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'demo-tls-member', namespace: 'ns1' },
      spec: {
        secretName: 'demo-tls-member',
        commonName: 'demo.ns1.svc',
        dnsNames: own.dnsNames,
        ipAddresses: own.ipAddresses,
        usages: ['digital signature', 'server auth', 'client auth'],
        ...renewal,
        issuerRef,
      },
    });
  });
  it('client: client auth only, the issuer group kept when given', () => {
    const cert = clientCertificate(id, { ...issuerRef, group: 'cas-issuer.jetstack.io' });
    expect(cert.metadata).toEqual({ name: 'demo-tls-client', namespace: 'ns1' });
    expect(cert.spec).toEqual({
      secretName: 'demo-tls-client',
      commonName: 'etcd-k8s-operator',
      usages: ['digital signature', 'client auth'],
      ...renewal,
      issuerRef: { name: 'corp', kind: 'ClusterIssuer', group: 'cas-issuer.jetstack.io' },
    });
  });
});
