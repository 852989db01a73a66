// Reliability (b): the controller SIGKILLed at every failure point of a resize (ETCDOP_FAILPOINTS, see
// controller/failpoints.ts), growing and shrinking, with a writer putting keys through the client Service
// the whole time. After each kill a fresh controller must converge with no stray or duplicate member, and
// at the end every acknowledged write must read back.
import { jest } from '@jest/globals';
import { RESIZE_FAILPOINTS, type Failpoint } from '../../controller/failpoints.js';
import { clientURL } from '../../core/member-naming.js';
import type { AckWriter } from '../helpers/writer.js';
import { Controllers, etcdctl, etcdctlMembers } from '../e2e/controller-harness.js';
import { chaosEnv, createCluster, describeReport, exitWithin, progress, resize, startWriter, waitRunning, type ChaosEnv } from './chaos-harness.js';

jest.setTimeout(40 * 60_000);

const NAME = 'crash';
let env: ChaosEnv;
let writer: AckWriter;
const controllers = new Controllers();
const launch = (vars: Record<string, string> = {}) => controllers.start(env.tc.kubeconfig, env.ns, vars);
const endpointsUpTo = (n: number) => Array.from({ length: n }, (_, k) => clientURL(NAME, env.ns, k));

// Every failure point, each crossed by a resize that takes the step; grow and shrink both covered.
const plan: [Failpoint, number, number][] = [
  ['after-learner-add', 1, 2],
  ['after-configmap', 2, 3],
  ['after-sts-grow', 3, 4],
  ['after-promote', 4, 5],
  ['after-move-leader', 5, 4],
  ['after-member-remove', 4, 3],
  ['after-sts-shrink', 3, 2],
  ['before-pvc-delete', 2, 1],
];

beforeAll(async () => {
  env = await chaosEnv('chaos-crash');
  const c = launch();
  await createCluster(env, NAME, 1);
  await waitRunning(env, NAME, 1);
  await c.stop();
  writer = await startWriter(env, NAME, 'chaos-crash', 35 * 60_000);
});

afterAll(async () => {
  await controllers.stopAll();
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

it('plans a kill at every failure point', () => {
  expect(plan.map(([fp]) => fp).sort()).toEqual([...RESIZE_FAILPOINTS].sort());
});

it.each(plan)('converges after a SIGKILL at %s (resize %i -> %i), no stray member', async (fp, from, to) => {
  if (fp === 'after-move-leader') {
    // The move is only taken when the member to remove leads: make it lead.
    const victim = (await etcdctlMembers(endpointsUpTo(from))).find((m) => m.name === `${NAME}-${from - 1}`)!;
    await etcdctl(endpointsUpTo(from).join(','), ['move-leader', victim.id]);
  }
  writer.mark(`${from}->${to} killed ${fp}`);
  progress('chaos-crash', `${fp}: ${from} -> ${to}`);
  const crashing = launch({ ETCDOP_FAILPOINTS: fp });
  await resize(env, NAME, to);
  const exit = await exitWithin(crashing, 120_000);
  if (!exit) await crashing.stop();
  expect(exit?.signal).toBe('SIGKILL');
  expect(crashing.log.join('\n')).toContain(`failpoint ${fp} reached`);

  const fresh = launch();
  await waitRunning(env, NAME, to);
  const members = await etcdctlMembers(endpointsUpTo(to + 1));
  expect(members.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).sort()).toEqual(endpointsUpTo(to).map((_, k) => `${NAME}-${k}`).sort());
  await fresh.stop();
});

it('loses no acknowledged write across all the kills', async () => {
  writer.mark('after');
  await new Promise((r) => setTimeout(r, 2000));
  const report = await writer.stop();
  const missing = await writer.verify(clientURL(NAME, env.ns, 0));
  progress('chaos-crash', describeReport(report, missing));
  expect(report.acknowledged).toBeGreaterThan(2000);
  expect(missing).toEqual([]);
});
