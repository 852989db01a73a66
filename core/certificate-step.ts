// The certificates of a TLS cluster (spec.tls), before anything that needs them and on every pass after:
// with the operator's own CA, the controller issues them (Secret NAME-ca, then NAME-tls-member and
// NAME-tls-client) and renews each at 2/3 of its lifetime; with spec.tls.issuerRef, it asks cert-manager
// (Certificate objects of the same Secret names) and waits for the Secrets. Pure: the controller reads the
// Secrets, this decides.
import type { Observed, Step } from './reconcile-step.js';
import { renewalDue } from './cert-renewal.js';
import { tlsEnabled } from './tls-config.js';
import { caSecretName, clientTlsSecretName, memberTlsSecretName } from './tls-objects.js';

/** What a Secret's certificate says, when it holds one that parses. */
export interface CertificateSeen {
  serial: string;
  notBefore: string;
  notAfter: string;
}

export interface ObservedTls {
  /** Secret NAME-ca holds a CA certificate and key (the operator's path). */
  ca: boolean;
  member?: CertificateSeen;
  client?: CertificateSeen;
  /** cert-manager's path: the Certificate objects that exist, by which Secret they make. */
  requested?: { member: boolean; client: boolean };
}

export type CertificateKind = 'ca' | 'member' | 'client';

const due = (c: CertificateSeen | undefined, now: number) => !c || renewalDue(new Date(c.notBefore), new Date(c.notAfter), new Date(now));

export function certificateStep(o: Observed): Step | undefined {
  if (!tlsEnabled(o.cluster)) return undefined;
  const name = o.cluster.metadata.name!;
  const tls: ObservedTls = o.tls ?? { ca: false };
  if (o.cluster.spec.tls?.issuerRef) {
    const issuer = o.cluster.spec.tls.issuerRef;
    if (!tls.requested?.member || !tls.requested.client) {
      return { kind: 'request-certificates', message: `asking cert-manager (${issuer.kind ?? 'Issuer'} ${issuer.name}) for the certificates of ${name}` };
    }
    const missing = [!tls.member && memberTlsSecretName(name), !tls.client && clientTlsSecretName(name)].filter(Boolean);
    if (missing.length) {
      return {
        kind: 'wait',
        reason: 'WaitingForCertificates',
        message: `waiting for cert-manager (${issuer.kind ?? 'Issuer'} ${issuer.name}) to issue Secret ${missing.join(' and ')} (Certificates of the same names)`,
        requeueMs: 2000,
      };
    }
    return undefined;
  }
  const which: CertificateKind[] = [];
  if (!tls.ca) which.push('ca');
  // A new CA makes the leaves it signs new too; otherwise each is renewed on its own schedule.
  if (!tls.ca || due(tls.member, o.now)) which.push('member');
  if (!tls.ca || due(tls.client, o.now)) which.push('client');
  if (!which.length) return undefined;
  const what = which.map((w) => (w === 'ca' ? `a CA (Secret ${caSecretName(name)})` : w === 'member' ? `the members' certificate (Secret ${memberTlsSecretName(name)})` : `the controller's client certificate (Secret ${clientTlsSecretName(name)})`));
  const renewing = tls.ca && which.every((w) => (w === 'member' ? tls.member : tls.client));
  return { kind: 'issue-certificates', which, message: `${renewing ? 'renewing' : 'issuing'} ${what.join(', ')}` };
}
