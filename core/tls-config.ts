// The TLS part of a member's etcd config file (core/member-entry.ts writes the rest). With --config-file etcd
// reads no flags, so TLS is YAML keys there: client-transport-security and peer-transport-security, both
// with client-cert-auth (a client or peer without a certificate from the cluster's CA is refused). etcd
// reads cert-file/key-file on every TLS handshake, so a renewed Secret (the kubelet swaps the mounted files)
// is used without a restart; trusted-ca-file is read once at start. Pure.

/** Where the etcd container mounts Secret NAME-tls-member (tls.crt, tls.key, ca.crt). */
export const MEMBER_TLS_DIR = '/etc/etcd-tls/member';
/**
 * Plain-HTTP /health and /metrics: the kubelet's probes carry no client certificate. Separate from the client
 * port, so it serves nothing else (no key-value API without TLS).
 */
export const METRICS_PORT = 2381;

export type UrlScheme = 'http' | 'https';

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
