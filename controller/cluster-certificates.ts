// The I/O of a TLS cluster's certificates (core/certificate-step.ts decides): read what the Secrets (and,
// with cert-manager, the Certificate objects) hold; issue certificates from the operator's own CA into
// Secrets; ask cert-manager for them. Every object is owned by the EtcdCluster and labelled as its others.
import type { V1Secret } from '@kubernetes/client-node';
import type { EtcdCluster } from '../core/api.js';
import { parseCertificate } from '../core/cert-renewal.js';
import type { CertificateKind, CertificateSeen, ObservedTls } from '../core/certificate-step.js';
import {
  caFromSecret, caSecret, caSecretName, clientCertificate, clientTlsSecret, clientTlsSecretName, CONTROLLER_CLIENT_CN,
  issuedFromSecret, memberCertificate, memberTlsSecret, memberTlsSecretName, type ClusterIdentity,
} from '../core/tls-objects.js';
import { issueClient, issueMember, makeCa } from './certificates.js';
import type { EtcdClientCredentials } from './etcd-admin.js';
import { isNotFound, type Kube } from './kube.js';
import { owned } from './objects.js';

const CERT_MANAGER = { group: 'cert-manager.io', version: 'v1', plural: 'certificates' };

export interface SeenCertificates {
  tls: ObservedTls;
  /** The controller's client certificate, when its Secret holds one. */
  credentials?: EtcdClientCredentials;
}

function seen(secret: V1Secret | undefined): CertificateSeen | undefined {
  const issued = secret && issuedFromSecret(secret);
  if (!issued) return undefined;
  try {
    const c = parseCertificate(issued.certPem);
    return { serial: c.serial, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() };
  } catch {
    return undefined;
  }
}

const identity = (c: EtcdCluster): ClusterIdentity => ({ cluster: c.metadata.name!, namespace: c.metadata.namespace! });

export class ClusterCertificates {
  constructor(private readonly kube: Kube) {}

  private secret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.kube.read<V1Secret>('v1', 'Secret', namespace, name);
  }

  private async certificateExists(namespace: string, name: string): Promise<boolean> {
    try {
      await this.kube.custom.getNamespacedCustomObject({ ...CERT_MANAGER, namespace, name });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async observe(c: EtcdCluster): Promise<SeenCertificates> {
    const { cluster, namespace } = identity(c);
    const viaCertManager = !!c.spec.tls?.issuerRef;
    const [ca, member, client, requested] = await Promise.all([
      viaCertManager ? undefined : this.secret(namespace, caSecretName(cluster)),
      this.secret(namespace, memberTlsSecretName(cluster)),
      this.secret(namespace, clientTlsSecretName(cluster)),
      viaCertManager
        ? Promise.all([this.certificateExists(namespace, memberTlsSecretName(cluster)), this.certificateExists(namespace, clientTlsSecretName(cluster))])
        : undefined,
    ]);
    const tls: ObservedTls = { ca: !!ca && !!caFromSecret(ca), member: seen(member), client: seen(client) };
    if (requested) tls.requested = { member: requested[0], client: requested[1] };
    const issued = client && issuedFromSecret(client);
    return { tls, ...(issued && tls.client ? { credentials: { ca: issued.caPem, cert: issued.certPem, key: issued.keyPem } } : {}) };
  }

  /** Issue from the operator's CA (a new one first when asked): the Secrets created, or replaced when renewed. */
  async issue(c: EtcdCluster, which: CertificateKind[]): Promise<string[]> {
    const id = identity(c);
    const now = new Date();
    let ca = which.includes('ca') ? await makeCa(`${id.cluster}.${id.namespace} etcd CA`, now) : undefined;
    if (ca) await this.write(c, caSecret(id, ca));
    ca ??= caFromSecret((await this.secret(id.namespace, caSecretName(id.cluster))) ?? {});
    if (!ca) throw new Error(`Secret ${caSecretName(id.cluster)} holds no CA certificate and key`);
    const done: string[] = [];
    if (which.includes('member')) {
      const issued = await issueMember(ca, id, now);
      await this.write(c, memberTlsSecret(id, issued));
      done.push(`${memberTlsSecretName(id.cluster)} (serial ${parseCertificate(issued.certPem).serial})`);
    }
    if (which.includes('client')) {
      const issued = await issueClient(ca, CONTROLLER_CLIENT_CN, now);
      await this.write(c, clientTlsSecret(id, issued));
      done.push(`${clientTlsSecretName(id.cluster)} (serial ${parseCertificate(issued.certPem).serial})`);
    }
    return done;
  }

  /** The cert-manager Certificates (named as the Secrets they fill), created once; cert-manager renews them. */
  async request(c: EtcdCluster): Promise<void> {
    const id = identity(c);
    const issuer = c.spec.tls!.issuerRef!;
    for (const cert of [memberCertificate(id, issuer), clientCertificate(id, issuer)]) {
      try {
        await this.kube.counted('create', 'certificates', this.kube.custom.createNamespacedCustomObject({ ...CERT_MANAGER, namespace: id.namespace, body: owned(c, cert) }));
      } catch (err) {
        if ((err as { code?: number }).code === 409) continue;
        if (isNotFound(err)) throw new Error('cert-manager is not installed (no cert-manager.io/v1 Certificate API): install it, or leave spec.tls.issuerRef out to use a CA of the operator\'s own');
        throw err;
      }
    }
  }

  private async write(c: EtcdCluster, secret: V1Secret): Promise<void> {
    const body = owned(c, secret);
    const existing = await this.secret(body.metadata!.namespace!, body.metadata!.name!);
    if (existing) {
      await this.kube.counted('replace', 'secrets', this.kube.core.replaceNamespacedSecret({ name: body.metadata!.name!, namespace: body.metadata!.namespace!, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } } }));
    } else {
      await this.kube.ensureCreated(body, 'secrets');
    }
  }
}
