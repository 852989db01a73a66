// `kubectl etcd status|list|members` through the real kubectl on the local cluster, and an interactive
// `scale` answered "n" in a real terminal (tmux). Run with ETCDOP_TEST_CLUSTER=plugin.
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { run, waitFor } from '../helpers/cluster.js';
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
