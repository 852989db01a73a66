// The TLS lines of a member's etcd config file, and URLs by scheme.
import { parse } from 'yaml';
import { formatEntry, parseEntry, type MemberStartEntry } from '../../core/member-entry.js';
import { clientURL, ordinalFromPeerURL, peerURL } from '../../core/member-naming.js';
import { MEMBER_TLS_DIR, memberTlsConfig } from '../../core/tls-config.js';

const security = (dir: string) => ({ 'cert-file': `${dir}/tls.crt`, 'key-file': `${dir}/tls.key`, 'trusted-ca-file': `${dir}/ca.crt`, 'client-cert-auth': true });

describe('memberTlsConfig', () => {
  it('off: http, and only the plain metrics/health listener', () => {
    const c = memberTlsConfig(false);
    expect(c.scheme).toBe('http');
    expect(parse(c.lines.join('\n'))).toEqual({ 'listen-metrics-urls': 'http://0.0.0.0:2381' });
  });
  it('on: https, both transports with client certificates required, files of the mounted Secret', () => {
    const c = memberTlsConfig(true);
    expect(c.scheme).toBe('https');
    expect(parse(c.lines.join('\n'))).toEqual({
      'listen-metrics-urls': 'http://0.0.0.0:2381',
      'client-transport-security': security(MEMBER_TLS_DIR),
      'peer-transport-security': security(MEMBER_TLS_DIR),
    });
    expect(MEMBER_TLS_DIR).toBe('/etc/etcd-tls/member');
  });
  it('another directory and metrics URL (tests on loopback), quoted whatever they hold', () => {
    const c = memberTlsConfig(true, { certDir: "/tmp/it's: #here", metricsURL: 'http://127.0.0.1:1234' });
    expect(parse(c.lines.join('\n'))).toMatchObject({ 'listen-metrics-urls': 'http://127.0.0.1:1234', 'peer-transport-security': security("/tmp/it's: #here") });
  });
  it('in a start entry (tls on), the file stays valid YAML and the entry reads back unchanged', () => {
    const entry: MemberStartEntry = { state: 'existing', initialCluster: 'demo-0=https://demo-0.demo.ns1.svc:2380', addedAt: '2026-01-01T00:00:00Z', memberId: 'abc' };
    const text = formatEntry({ cluster: 'demo', namespace: 'ns1', token: 't', tls: true }, 'demo-0', entry);
    expect(parse(text)).toMatchObject({ name: 'demo-0', 'client-transport-security': security(MEMBER_TLS_DIR) });
    expect(parseEntry(text)).toEqual(entry);
  });
});

describe('member URLs by scheme', () => {
  it('http by default, https when asked; the ordinal reads from either', () => {
    expect(peerURL('demo', 'ns1', 2)).toBe('http://demo-2.demo.ns1.svc:2380');
    expect(peerURL('demo', 'ns1', 2, 'https')).toBe('https://demo-2.demo.ns1.svc:2380');
    expect(clientURL('demo', 'ns1', 0, 'https')).toBe('https://demo-0.demo.ns1.svc:2379');
    expect(ordinalFromPeerURL('demo', 'ns1', peerURL('demo', 'ns1', 7, 'https'))).toBe(7);
  });
});
