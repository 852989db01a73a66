// `kubectl etcd scale` on the local cluster: 1 -> 3 to Running with progress, a timeout (exit 3) that
// leaves the resize running, and an unsafe resize while one runs (exit 2, nothing changed).
// Run with ETCDOP_TEST_CLUSTER=plugin.
import { jest } from '@jest/globals';
import { waitFor } from '../helpers/cluster.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';

jest.setTimeout(15 * 60_000);

let p: PluginEnv;

beforeAll(async () => {
  p = await pluginEnv('plugin-scale', 1);
  await p.settled(1);
});

afterAll(async () => {
  await p?.close();
});

test('scale --yes 1 -> 3 reaches Running with exit 0, progress on stderr', async () => {
  const r = await p.etcd(['scale', NAME, '-n', p.ns, '--replicas', '3', '--yes'], 600_000);
  expect(r.stderr).not.toMatch(/^error/m);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`1. add ${NAME}-1 as learner, start pod ${NAME}-1, promote ${NAME}-1 (voting 2, quorum 2, tolerates 0)`);
  expect(r.stdout).toContain(`${NAME}: resized 1 -> 3`);
  // Progress lines show the step reached (non-TTY: one line per change).
  expect(r.stderr).toMatch(/\[\d+[smh]\S*\] \d\/3 voting/);
  expect(r.stderr).toMatch(new RegExp(`learner ${NAME}-[12]`));
  const c = await p.get();
  expect(c.status).toMatchObject({ phase: 'Running', size: 3 });
  expect(c.status!.members!.filter((m) => !m.isLearner)).toHaveLength(3);
});

// A ResourceQuota of the pods there are holds the 3 -> 4 resize after its learner add (pod demo-3 cannot be
// created), so the next test's resize is refused while this one still runs, however fast the machine is.
const HOLD = 'hold-new-pods';

test('a timeout exits 3 and says how to follow the resize, which goes on', async () => {
  const pods = (await p.tc.kubectl(['-n', p.ns, 'get', 'pods', '-o', 'name'])).stdout.trim().split('\n').length;
  const quota = await p.tc.kubectl(['-n', p.ns, 'create', 'quota', HOLD, `--hard=pods=${pods}`]);
  expect(quota.code).toBe(0);
  await waitFor(async () => {
    const r = await p.tc.kubectl(['-n', p.ns, 'get', 'quota', HOLD, '-o', 'jsonpath={.status.used.pods}']);
    return r.stdout.trim() === String(pods);
  }, { timeoutMs: 60_000, what: 'the quota to count the pods' });
  const r = await p.etcd(['scale', NAME, '-n', p.ns, '--replicas', '4', '--yes', '--timeout', '1s']);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain('W1: an even size (4)');
  expect(r.stderr).toMatch(/timed out after 1s waiting for demo to reach 4 members/);
  expect(r.stderr).toContain(`kubectl etcd status ${NAME} -n ${p.ns} --watch`);
  expect((await p.get()).spec.size).toBe(4);
});

test('an unsafe resize while one runs exits 2 with the policy message and changes nothing', async () => {
  const before = await p.get();
  expect(before.status!.lastResize).toMatchObject({ from: 3, to: 4 });
  expect(before.status!.lastResize!.completedAt).toBeUndefined();
  const r = await p.etcd(['scale', NAME, '-n', p.ns, '--replicas', '1', '--yes']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error: V3: a resize of demo/m);
  const after = await p.get();
  expect(after.spec.size).toBe(4);
  expect(after.metadata.generation).toBe(before.metadata.generation);
  // The resize it interrupted completes once its pod can be created.
  expect((await p.tc.kubectl(['-n', p.ns, 'delete', 'quota', HOLD])).code).toBe(0);
  await p.settled(4, 600_000);
});
