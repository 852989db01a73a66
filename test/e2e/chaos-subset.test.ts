// The short reliability subset of `make test` (the full suite is test/chaos, `make chaos`): a writer puts
// keys through the client Service's endpoints while the operator (bin/etcd-controller as a host process)
// resizes 1 -> 3 -> 1, the shrink crossing one failure point (SIGKILL right after the member removal, then a
// fresh controller). Every acknowledged write must read back; no stray member may remain.
import { jest } from '@jest/globals';
import { clientURL } from '../../core/member-naming.js';
import { chaosEnv, createCluster, describeReport, exitWithin, progress, resize, startWriter, waitRunning, type ChaosEnv } from '../chaos/chaos-harness.js';
import { Controllers, etcdctlMembers } from './controller-harness.js';

jest.setTimeout(12 * 60_000);

const NAME = 'chaos';
let env: ChaosEnv;
const controllers = new Controllers();
const launch = (vars: Record<string, string> = {}) => controllers.start(env.tc.kubeconfig, env.ns, vars);

beforeAll(async () => {
  env = await chaosEnv('chaos-subset');
});

afterAll(async () => {
  await controllers.stopAll();
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

it('loses no acknowledged write during 1 -> 3 -> 1 with the controller killed after a member removal', async () => {
  let controller = launch();
  await createCluster(env, NAME, 1);
  await waitRunning(env, NAME, 1);

  const writer = await startWriter(env, NAME, 'chaos-subset', 10 * 60_000);
  await new Promise((r) => setTimeout(r, 2000));

  writer.mark('1->3');
  await resize(env, NAME, 3);
  await waitRunning(env, NAME, 3);
  await controller.stop();

  writer.mark('3->1, controller SIGKILLed after member remove');
  const crashing = launch({ ETCDOP_FAILPOINTS: 'after-member-remove' });
  await resize(env, NAME, 1);
  const exit = await exitWithin(crashing, 120_000);
  expect(exit?.signal).toBe('SIGKILL');
  expect(crashing.log.join('\n')).toContain('failpoint after-member-remove reached');
  controller = launch();
  await waitRunning(env, NAME, 1);
  await new Promise((r) => setTimeout(r, 2000));

  const report = await writer.stop();
  const missing = await writer.verify(clientURL(NAME, env.ns, 0));
  progress('chaos-subset', describeReport(report, missing));
  expect(report.acknowledged).toBeGreaterThan(1000);
  expect(missing).toEqual([]);

  const members = await etcdctlMembers([clientURL(NAME, env.ns, 0)]);
  expect(members.map((m) => m.name)).toEqual([`${NAME}-0`]);
  expect(members[0].isLearner).toBe(false);
  await controller.stop();
});
