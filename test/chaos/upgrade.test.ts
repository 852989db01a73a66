// Reliability: a 5-member cluster upgraded from etcd 3.4.23 to 3.5.16 with `kubectl etcd upgrade` under the
// acknowledged-write checker (200 puts/s through the client Service), the controller a host process: every
// acknowledged write reads back, the failure window of each member's restart is reported, and every member
// runs 3.5.16 under its old ID with etcd's cluster version 3.5. (The 3-member upgrade with the controller
// killed at every failure point and a member frozen mid-rollout is test/chaos/upgrade-failpoints.test.ts.)
import { jest } from '@jest/globals';
import { clientURL } from '../../core/member-naming.js';
import { resolve } from 'node:path';
import { ROOT, run, waitFor } from '../helpers/cluster.js';
import { Controllers, etcdctl, etcdctlMembers, getCluster } from '../e2e/controller-harness.js';
import { chaosEnv, describeReport, markRestarts, progress, startWriter, waitRunning, type ChaosEnv } from './chaos-harness.js';

jest.setTimeout(20 * 60_000);

const NAME = 'up5';
const FROM = '3.4.23';
const TO = '3.5.16';
let env: ChaosEnv;
const controllers = new Controllers();

beforeAll(async () => {
  env = await chaosEnv('chaos-upgrade');
  controllers.start(env.tc.kubeconfig, env.ns);
});

afterAll(async () => {
  await controllers.stopAll();
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

it('upgrades 5 members 3.4.23 -> 3.5.16 one at a time, leader last, losing no acknowledged write', async () => {
  await env.kubectl(['-n', env.ns, 'apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 5, version: FROM, storage: { size: '64Mi' } } }),
  });
  await waitRunning(env, NAME, 5, 480_000);
  const urls = [0, 1, 2, 3, 4].map((k) => clientURL(NAME, env.ns, k));
  const before = await etcdctlMembers(urls);
  const writer = await startWriter(env, NAME, 'chaos-upgrade', 15 * 60_000);
  const stopMarks = markRestarts(env, NAME, writer);
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = Date.now();
  // As a user would: `kubectl etcd upgrade` (plan, server dry run, change, progress until done).
  const r = await run('kubectl', ['etcd', 'upgrade', NAME, '-n', env.ns, '--version', TO, '--yes', '--timeout', '15m'], {
    env: { KUBECONFIG: env.tc.kubeconfig, PATH: `${resolve(ROOT, 'bin')}:${process.env.PATH}`, NO_COLOR: '1' }, timeoutMs: 16 * 60_000,
  });
  expect({ code: r.code, stderr: r.code ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toContain(`Plan: upgrade ${NAME} (namespace ${env.ns}) from etcd ${FROM} to ${TO}`);
  expect(r.stdout).toMatch(new RegExp(`${NAME}: upgraded ${FROM.replace(/\./g, '\\.')} -> ${TO.replace(/\./g, '\\.')}; 5 members on ${TO.replace(/\./g, '\\.')}, cluster version 3\\.5\\.0`));
  const done = await waitFor(async () => {
    const c = await getCluster(env.kubectl, env.ns, NAME);
    return c.status?.lastUpgrade?.to === TO && c.status.lastUpgrade.completedAt && c.status.phase === 'Running' ? c : undefined;
  }, { timeoutMs: 600_000, intervalMs: 1000, what: `${NAME} upgraded to ${TO}` });
  const took = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  stopMarks();
  const report = await writer.stop();
  const missing = await writer.verify(urls[0]);
  progress('chaos-upgrade', describeReport(report, missing));
  console.log(`upgrade chaos: 5 members ${FROM} -> ${TO} in ${took.toFixed(1)} s; longest failure window per phase (ms): ${JSON.stringify(report.longestWindowMs)}`);
  expect(report.acknowledged).toBeGreaterThan(1000);
  expect(missing).toEqual([]);
  // One phase per member restarted, each a restart the controller announced.
  expect(Object.keys(report.longestWindowMs).filter((p) => p.startsWith('restart ')).sort()).toEqual([0, 1, 2, 3, 4].map((k) => `restart ${NAME}-${k}`));
  for (const u of urls) {
    const s = JSON.parse(await etcdctl(u, ['endpoint', 'status', '-w', 'json'])) as { Status: { version: string } }[];
    expect(s[0].Status.version).toBe(TO);
  }
  const after = await etcdctlMembers(urls);
  expect(after.map((m) => `${m.name} ${m.id} ${m.isLearner}`).sort()).toEqual(before.map((m) => `${m.name} ${m.id} false`).sort());
  expect(done.status?.clusterVersion).toBe('3.5.0');
  expect(done.status?.members?.map((m) => m.version)).toEqual([TO, TO, TO, TO, TO]);
  // The leader restarted last: leadership was moved off it first (a LeaderMoved Event before its restart).
  const events = await env.kubectl(['-n', env.ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME}`, '--sort-by=.lastTimestamp', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  const restarts = events.split('\n').filter((l) => l.startsWith('PodRestarted: '));
  expect(restarts).toHaveLength(5);
  expect(events).toMatch(/LeaderMoved: moved leadership from \S+ to \S+ before restarting/);
});
