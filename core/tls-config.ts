// The TLS part of a member's etcd config file (core/member-entry.ts writes the rest). With --config-file etcd
// reads no flags, so TLS is YAML keys there: client-transport-security and peer-transport-security, both
// with client-cert-auth (a client or peer without a certificate from the cluster's CA is refused). etcd
// reads cert-file/key-file on every TLS handshake, so a renewed Secret (the kubelet swaps the mounted files)
// is used without a restart; trusted-ca-file is read once at start. The metrics listener stays plain HTTP:
// the kubelet's probes carry no client certificate, and it serves no key-value API. Pure.
import type { EtcdCluster } from './api.js';
import { METRICS_PORT } from './member-naming.js';

/** Where the etcd container mounts Secret NAME-tls-member (tls.crt, tls.key, ca.crt). */
export const MEMBER_TLS_DIR = '/etc/etcd-tls/member';
export type UrlScheme = 'http' | 'https';

/** Whether the cluster runs mutual TLS, and so the scheme of every member URL. */
export const tlsEnabled = (c: EtcdCluster) => c.spec.tls?.enabled === true;
export const schemeOf = (c: EtcdCluster): UrlScheme => (tlsEnabled(c) ? 'https' : 'http');

export interface MemberTlsConfig {
  /** Scheme of the member's client and peer URLs (listen and advertise). */
  scheme: UrlScheme;
  /** Lines of the etcd config file: the metrics listener and, with TLS, the two transport-security blocks. */
  lines: string[];
}

export interface MemberTlsOptions {
  /** Directory holding tls.crt, tls.key and ca.crt. */
  certDir?: string;
  metricsURL?: string;
}

// JSON strings are YAML double-quoted scalars: safe whatever the path holds.
const q = (v: string) => JSON.stringify(v);

function transportSecurity(key: string, certDir: string): string[] {
  return [
    `${key}:`,
    `  cert-file: ${q(`${certDir}/tls.crt`)}`,
    `  key-file: ${q(`${certDir}/tls.key`)}`,
    `  trusted-ca-file: ${q(`${certDir}/ca.crt`)}`,
    '  client-cert-auth: true',
  ];
}

export function memberTlsConfig(enabled: boolean, opts: MemberTlsOptions = {}): MemberTlsConfig {
  const certDir = opts.certDir ?? MEMBER_TLS_DIR;
  const metrics = `listen-metrics-urls: ${q(opts.metricsURL ?? `http://0.0.0.0:${METRICS_PORT}`)}`;
  if (!enabled) return { scheme: 'http', lines: [metrics] };
  return {
    scheme: 'https',
    lines: [metrics, ...transportSecurity('client-transport-security', certDir), ...transportSecurity('peer-transport-security', certDir)],
  };
}
