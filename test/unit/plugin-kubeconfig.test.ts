import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, ConfigError, readKubeConfigFiles } from '../../plugin/kube/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'plugin-kc-'));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

const a = file('a.yaml', `
apiVersion: v1
kind: Config
current-context: ctx-a
clusters:
- name: c1
  cluster: {server: "https://a.example:6443", certificate-authority: ca.crt}
users:
- name: u1
  user: {tokenFile: token.txt}
contexts:
- name: ctx-a
  context: {cluster: c1, user: u1, namespace: team-a}
- name: shared
  context: {cluster: c1, user: u1}
`);
const b = file('b.yaml', `
current-context: ctx-b
clusters:
- name: c2
  cluster: {server: "https://b.example:6443", insecure-skip-tls-verify: true}
users:
- name: u2
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ${join(dir, 'cred.sh')}, args: [x], env: [{name: WHO, value: me}]}
contexts:
- name: ctx-b
  context: {cluster: c2, user: u2}
- name: shared
  context: {cluster: c2, user: u2, namespace: from-b}
`);
file('ca.crt', 'CA-PEM');
file('token.txt', 'tok-from-file\n');
file('cred.sh', '#!/bin/sh\necho "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"exec-$WHO-$1\\"}}"\n');
chmodSync(join(dir, 'cred.sh'), 0o755);

describe('kubeconfig as kubectl reads it', () => {
  const saved = process.env.KUBECONFIG;
  beforeEach(() => { process.env.KUBECONFIG = `${a}:${b}`; });
  afterAll(() => { process.env.KUBECONFIG = saved; });

  test('$KUBECONFIG files merge, the first to name an entry or current-context wins', () => {
    const m = readKubeConfigFiles();
    expect(m.currentContext).toBe('ctx-a');
    expect([...m.contexts.keys()]).toEqual(['ctx-a', 'shared', 'ctx-b']);
    expect(m.contexts.get('shared')!.entry).toEqual({ cluster: 'c1', user: 'u1' });
  });

  test("current context: its namespace, token file and CA resolved next to the file that names them", async () => {
    const c = await connect();
    expect(c.server.href).toBe('https://a.example:6443/');
    expect(c.namespace).toBe('team-a');
    expect(c.headers.Authorization).toBe('Bearer tok-from-file');
    expect(String(c.tls.ca)).toBe('CA-PEM');
  });

  test('--context: no namespace means "default"; exec credential plugins run with their args and env', async () => {
    const c = await connect({ context: 'ctx-b' });
    expect(c.namespace).toBe('default');
    expect(c.tls.rejectUnauthorized).toBe(false);
    expect(c.headers.Authorization).toBe('Bearer exec-me-x');
  });

  test('--kubeconfig replaces $KUBECONFIG; unknown contexts and missing files are clear errors', async () => {
    expect((await connect({ kubeconfig: b })).context).toBe('ctx-b');
    await expect(connect({ context: 'nope' })).rejects.toThrow(new ConfigError('context "nope" not found in kubeconfig'));
    await expect(connect({ kubeconfig: join(dir, 'missing') })).rejects.toThrow(/missing does not exist/);
  });
});
