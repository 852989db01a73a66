// `kubectl etcd status|list|members` through the real kubectl on the local cluster (also as a ServiceAccount with
// only the read-only plugin role), and an interactive `scale` answered "n" in a real terminal (tmux). Run with
// ETCDOP_TEST_CLUSTER=plugin.
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, run, waitFor } from '../helpers/cluster.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';

jest.setTimeout(10 * 60_000);

let p: PluginEnv;

beforeAll(async () => {
  p = await pluginEnv('plugin-status', 1);
  await p.settled(1);
});

afterAll(async () => {
  await p?.close();
});

test('status NAME: every section, with each member\'s figures as the controller read them (status.members)', async () => {
  const r = await p.etcd(['status', NAME, '-n', p.ns]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n').filter((l) => /^\S/.test(l))).toEqual(['Summary', 'Resize', 'Repair', 'Upgrade', 'Members', 'Conditions', 'Events', 'Warnings']);
  expect(r.stdout).toMatch(/Phase:\s+Running/);
  expect(r.stdout).toMatch(/Quorum:\s+1 of 1 \(1 healthy\), tolerates 0 failures now/);
  // Version, DB size, term and index as the controller read them from etcd, READ their age (kubectl's AGE form);
  // the leader's lag against its own figures is 0.
  expect(r.stdout).toMatch(new RegExp(`${NAME}-0\\s+[0-9a-f]{16}\\s+leader\\s+healthy\\s+3\\.\\d+\\.\\d+\\s+\\d+(\\.\\d)? KiB\\s+\\d+\\s+\\d+\\s+0\\s+(\\d+[smhd])+\\s+yes\\s+\\d+`));
  expect(r.stdout).toContain("READ: how long ago the controller read each member's figures; LAG only against the leader's read within 5s.");
});

test('the namespace of the context is used without -n, as kubectl does', async () => {
  const r = await p.etcd(['status', NAME]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`EtcdCluster "${NAME}" in namespace "default" not found`);
  expect(r.stderr).toContain('kubectl etcd list -A');
});

test('list -A: one line for the cluster with its namespace', async () => {
  const r = await p.etcd(['list', '-A']);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')[0].split(/\s{3,}/)).toEqual(['NAMESPACE', 'NAME', 'DESIRED', 'MEMBERS', 'READY', 'PHASE', 'LEADER', 'AGE']);
  expect(r.stdout).toMatch(new RegExp(`^${p.ns}\\s+${NAME}\\s+1\\s+1\\s+1\\s+Running\\s+${NAME}-0\\s`, 'm'));
});

test('-o json parses and its status equals `kubectl get etcdcluster -o json` .status', async () => {
  // Compare two reads of the same resourceVersion (the controller may write status in between).
  await waitFor(async () => {
    const r = await p.etcd(['status', NAME, '-n', p.ns, '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const c = await p.get();
    if (c.metadata.resourceVersion !== report.metadata.resourceVersion) return false;
    expect(report.status).toEqual(c.status);
    expect(report.members[0]).toMatchObject({ name: `${NAME}-0`, role: 'leader', podReady: true });
    expect(typeof report.members[0].raftIndex).toBe('number');
    // The member's figures are the ones in status, read by the controller (the plugin asks no member).
    const { version, dbSize, raftTerm, raftIndex, readAt } = c.status!.members![0];
    expect(report.members[0]).toMatchObject({ version, dbSize, raftTerm, raftIndex, readAt, lag: 0 });
    return true;
  }, { timeoutMs: 30_000, what: 'two reads at the same resourceVersion' });
});

test('members NAME: the member table alone', async () => {
  const r = await p.etcd(['members', NAME, '-n', p.ns]);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+ID\s+ROLE\s+HEALTH/);
  expect(r.stdout).toMatch(new RegExp(`^${NAME}-0\\s+[0-9a-f]{16}\\s+leader`, 'm'));
});

test('an interactive scale answered "n" in a real terminal changes nothing', async () => {
  const before = await p.get();
  const session = `plugin-e2e-${randomBytes(3).toString('hex')}`;
  const envs = Object.entries(p.env).map(([k, v]) => `${k}='${v}'`).join(' ');
  const cmd = `env ${envs} kubectl etcd scale ${NAME} -n ${p.ns} --replicas 3; echo EXIT=$?; sleep 120`;
  const tmux = (args: string[]) => run('tmux', args, { timeoutMs: 10_000 });
  const started = await tmux(['new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd]);
  expect(started.stderr).toBe('');
  try {
    const pane = () => tmux(['capture-pane', '-p', '-t', session, '-S', '-100']).then((r) => r.stdout);
    await waitFor(async () => (await pane()).includes('Proceed? [y/N]'), { timeoutMs: 30_000, what: 'the confirmation prompt' });
    expect(await pane()).toContain('add demo-1 as learner, start pod demo-1, promote demo-1 (voting 2, quorum 2, tolerates 0)');
    await tmux(['send-keys', '-t', session, 'n', 'Enter']);
    const text = await waitFor(async () => { const t = await pane(); return /EXIT=\d+/.test(t) ? t : undefined; }, { timeoutMs: 30_000, what: 'the plugin to exit' });
    expect(text).toContain('EXIT=1');
    expect(text).toContain('aborted; nothing changed');
  } finally {
    await tmux(['kill-session', '-t', session]);
  }
  const after = await p.get();
  expect(after.spec.size).toBe(1);
  expect(after.metadata.generation).toBe(before.metadata.generation);
});

test('status NAME as a ServiceAccount bound only to manifests/rbac/plugin-viewer.yaml: figures shown, no pods/proxy, no writes', async () => {
  const must = async (args: string[], input?: string, kubeconfig = p.tc.kubeconfig) => {
    const r = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { input, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await must(['apply', '-f', resolve(ROOT, 'manifests/rbac/plugin-viewer.yaml')]);
  await must(['-n', p.ns, 'create', 'serviceaccount', 'viewer']);
  await must(['-n', p.ns, 'create', 'rolebinding', 'viewer', '--clusterrole=etcd-plugin-viewer', `--serviceaccount=${p.ns}:viewer`]);
  // Kubernetes 1.20 makes a token Secret for each ServiceAccount.
  const secret = await waitFor(async () => (await must(['-n', p.ns, 'get', 'serviceaccount', 'viewer', '-o', 'jsonpath={.secrets[0].name}'])) || undefined,
    { timeoutMs: 60_000, what: 'the token Secret of ServiceAccount viewer' });
  const token = Buffer.from(await must(['-n', p.ns, 'get', 'secret', secret, '-o', 'jsonpath={.data.token}']), 'base64').toString();
  const admin = JSON.parse(await must(['config', 'view', '--raw', '--minify', '-o', 'json'])) as { clusters: { name: string; cluster: Record<string, unknown> }[] };
  const kubeconfig = `${p.tc.kubeconfig}.viewer-${randomBytes(3).toString('hex')}`;
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', clusters: admin.clusters, users: [{ name: 'viewer', user: { token } }],
    contexts: [{ name: 'viewer', context: { cluster: admin.clusters[0].name, user: 'viewer', namespace: p.ns } }], 'current-context': 'viewer',
  }));
  try {
    const r = await run('kubectl', ['etcd', 'status', NAME], { env: { ...p.env, KUBECONFIG: kubeconfig }, timeoutMs: 60_000 });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`${NAME}-0\\s+[0-9a-f]{16}\\s+leader\\s+healthy\\s+3\\.\\d+\\.\\d+\\s+\\d+(\\.\\d)? KiB\\s+\\d+\\s+\\d+\\s+0\\s+(\\d+[smhd])+\\s+yes\\s+\\d+`));
    expect(r.stdout).not.toMatch(/Could not read/);
    // The role reads and nothing else: no pods/proxy (a write path into etcd), no change to the cluster.
    const can = (verb: string, what: string) => run('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'can-i', verb, what], { timeoutMs: 30_000 });
    expect((await can('get', 'etcdclusters')).stdout.trim()).toBe('yes');
    for (const [verb, what] of [['create', 'pods/proxy'], ['get', 'pods/proxy'], ['patch', 'etcdclusters'], ['patch', 'etcdclusters.etcd.k8s-operator.io/scale'], ['create', 'pods/exec']]) {
      expect({ verb, what, answer: (await can(verb, what)).stdout.trim() }).toEqual({ verb, what, answer: 'no' });
    }
    const scale = await run('kubectl', ['etcd', 'scale', NAME, '--replicas', '3', '--yes'], { env: { ...p.env, KUBECONFIG: kubeconfig }, timeoutMs: 60_000 });
    expect(scale.code).not.toBe(0);
    expect(scale.stderr).toMatch(/forbidden/i);
  } finally {
    rmSync(kubeconfig, { force: true });
    await must(['delete', 'clusterrole', 'etcd-plugin-viewer', '--ignore-not-found']);
  }
});
