// The TLS objects of one EtcdCluster, whichever path makes the certificates: the operator's own CA
// (Secret NAME-ca, controller/certificates.ts) or cert-manager (Certificate objects with the same names,
// SANs and usages). Both end in Secrets NAME-tls-member and NAME-tls-client with the layout cert-manager
// writes (tls.crt, tls.key, ca.crt), so nothing downstream cares which path made them. Pure.
import type { V1Secret } from '@kubernetes/client-node';
import { SCHEMA_MAX_SIZE, type IssuerRef } from './api.js';
import { memberHost } from './member-naming.js';

export type { IssuerRef } from './api.js';

export const caSecretName = (cluster: string) => `${cluster}-ca`;
export const memberTlsSecretName = (cluster: string) => `${cluster}-tls-member`;
export const clientTlsSecretName = (cluster: string) => `${cluster}-tls-client`;

/** Common name of the controller's client certificate (etcd takes it as the user name once auth is on). */
export const CONTROLLER_CLIENT_CN = 'etcd-k8s-operator';

export const CA_VALIDITY_DAYS = 5 * 365;
export const LEAF_VALIDITY_DAYS = 90;

export interface ClusterIdentity {
  cluster: string;
  namespace: string;
}

/**
 * Every member shares one certificate, as server and as peer. The wildcards cover MEMBER.CLUSTER.NAMESPACE.svc
 * (member URLs); the .cluster.local form is what a reverse lookup of a peer's pod IP answers, which etcd checks
 * a peer's client certificate against. The client Service names serve in-cluster clients; localhost and
 * 127.0.0.1 serve a client inside the pod (etcd's own gateway, etcdctl in the container).
 */
export function memberDnsNames({ cluster, namespace }: ClusterIdentity): string[] {
  return [
    // Each member by name too: etcd checks a peer's certificate against the peer's address by a reverse lookup
    // (wildcards match its answer) and then by looking up the names that are not wildcards, so these let peers
    // in whatever a reverse lookup answers (or whether the cluster domain is cluster.local).
    ...Array.from({ length: SCHEMA_MAX_SIZE }, (_, k) => memberHost(cluster, namespace, k)),
    `*.${cluster}.${namespace}.svc`,
    `*.${cluster}.${namespace}.svc.cluster.local`,
    `${cluster}-client.${namespace}.svc`,
    `${cluster}-client.${namespace}.svc.cluster.local`,
    `${cluster}-client`,
    'localhost',
  ];
}

export const MEMBER_IP_ADDRESSES = ['127.0.0.1'];

export const memberCommonName = ({ cluster, namespace }: ClusterIdentity) => `${cluster}.${namespace}.svc`;

/** PEM text of a CA: its certificate and its private key. */
export interface CaPem {
  certPem: string;
  keyPem: string;
}

/** PEM text of an issued certificate, with the CA certificate that verifies it. */
export interface IssuedPem {
  certPem: string;
  keyPem: string;
  caPem: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined) => (text === undefined ? undefined : Buffer.from(text, 'base64').toString());

export function caSecret(id: ClusterIdentity, ca: CaPem): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: caSecretName(id.cluster), namespace: id.namespace },
    type: 'Opaque',
    data: { 'ca.crt': b64(ca.certPem), 'ca.key': b64(ca.keyPem) },
  };
}

function tlsSecret(name: string, namespace: string, issued: IssuedPem): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(issued.certPem), 'tls.key': b64(issued.keyPem), 'ca.crt': b64(issued.caPem) },
  };
}

export const memberTlsSecret = (id: ClusterIdentity, issued: IssuedPem) => tlsSecret(memberTlsSecretName(id.cluster), id.namespace, issued);
export const clientTlsSecret = (id: ClusterIdentity, issued: IssuedPem) => tlsSecret(clientTlsSecretName(id.cluster), id.namespace, issued);

/** The CA held in Secret NAME-ca; undefined when a key is missing. */
export function caFromSecret(secret: V1Secret): CaPem | undefined {
  const certPem = unb64(secret.data?.['ca.crt']);
  const keyPem = unb64(secret.data?.['ca.key']);
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** The files of a NAME-tls-* Secret (either path); undefined when one is missing (cert-manager not done yet). */
export function issuedFromSecret(secret: V1Secret): IssuedPem | undefined {
  const certPem = unb64(secret.data?.['tls.crt']);
  const keyPem = unb64(secret.data?.['tls.key']);
  const caPem = unb64(secret.data?.['ca.crt']);
  return certPem && keyPem && caPem ? { certPem, keyPem, caPem } : undefined;
}

// The cert-manager path.

/** The part of cert-manager.io/v1 Certificate the operator writes. */
export interface CertManagerCertificate {
  apiVersion: 'cert-manager.io/v1';
  kind: 'Certificate';
  metadata: { name: string; namespace: string };
  spec: {
    secretName: string;
    commonName: string;
    dnsNames?: string[];
    ipAddresses?: string[];
    usages: string[];
    duration: string;
    renewBefore: string;
    privateKey: { algorithm: 'ECDSA'; size: 256; rotationPolicy: 'Always' };
    issuerRef: { name: string; kind: string; group?: string };
  };
}

function certificate(name: string, namespace: string, issuerRef: IssuerRef, subject: Pick<CertManagerCertificate['spec'], 'commonName' | 'dnsNames' | 'ipAddresses' | 'usages'>): CertManagerCertificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    // Named as the Secret it fills: one name to look for either way.
    metadata: { name, namespace },
    spec: {
      secretName: name,
      ...subject,
      // 90 days, renewed with 30 left: the 2/3 point renewalDue uses on the operator's own path.
      duration: `${LEAF_VALIDITY_DAYS * 24}h`,
      renewBefore: `${(LEAF_VALIDITY_DAYS / 3) * 24}h`,
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: issuerRef.name, kind: issuerRef.kind ?? 'Issuer', ...(issuerRef.group ? { group: issuerRef.group } : {}) },
    },
  };
}

export function memberCertificate(id: ClusterIdentity, issuerRef: IssuerRef): CertManagerCertificate {
  return certificate(memberTlsSecretName(id.cluster), id.namespace, issuerRef, {
    commonName: memberCommonName(id),
    dnsNames: memberDnsNames(id),
    ipAddresses: MEMBER_IP_ADDRESSES,
    usages: ['digital signature', 'server auth', 'client auth'],
  });
}

export function clientCertificate(id: ClusterIdentity, issuerRef: IssuerRef): CertManagerCertificate {
  return certificate(clientTlsSecretName(id.cluster), id.namespace, issuerRef, {
    commonName: CONTROLLER_CLIENT_CN,
    usages: ['digital signature', 'client auth'],
  });
}
