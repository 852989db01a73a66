// Reliability (a): no lost writes. A writer puts keys (200/s) through the client Service's ready endpoints
// while the operator (bin/etcd-controller as a host process) resizes 1 -> 3 -> 5 -> 3 -> 1; every
// acknowledged key is read back at the end, and the longest window of failed puts is reported per step.
import { jest } from '@jest/globals';
import { clientURL } from '../../core/member-naming.js';
import { etcdctlMembers, startController, type ControllerProcess } from '../e2e/controller-harness.js';
import { chaosEnv, createCluster, describeReport, progress, resize, startWriter, waitRunning, type ChaosEnv } from './chaos-harness.js';

jest.setTimeout(20 * 60_000);

const NAME = 'writes';
let env: ChaosEnv;
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  env = await chaosEnv('chaos-writes');
});

afterAll(async () => {
  await controller?.stop();
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

it('reads back every acknowledged write after 1 -> 3 -> 5 -> 3 -> 1', async () => {
  controller = startController(env.tc.kubeconfig, env.ns);
  await createCluster(env, NAME, 1);
  await waitRunning(env, NAME, 1);
  const writer = await startWriter(env, NAME, 'chaos-writes', 15 * 60_000);
  await new Promise((r) => setTimeout(r, 2000));

  const seconds: Record<string, number> = {};
  for (const [from, to] of [[1, 3], [3, 5], [5, 3], [3, 1]]) {
    const step = `${from}->${to}`;
    writer.mark(step);
    const t = Date.now();
    await resize(env, NAME, to);
    await waitRunning(env, NAME, to);
    seconds[step] = (Date.now() - t) / 1000;
    progress('chaos-writes', `${step} done in ${seconds[step]} s, ${writer.acknowledged} puts acknowledged so far`);
  }
  writer.mark('after');
  await new Promise((r) => setTimeout(r, 2000));
  const report = await writer.stop();
  const missing = await writer.verify(clientURL(NAME, env.ns, 0));
  progress('chaos-writes', `step wall times (s): ${JSON.stringify(seconds)}\n${describeReport(report, missing)}`);

  expect(report.acknowledged).toBeGreaterThan(2000);
  expect(missing).toEqual([]);
  const members = await etcdctlMembers([clientURL(NAME, env.ns, 0)]);
  expect(members.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`)).toEqual([`${NAME}-0`]);
});
