// A version upgrade on the local cluster, in the form `make test` runs: one member at etcd 3.4.23 rolled to
// 3.5.16 with the controller SIGKILLed at both upgrade failure points (controller/failpoints.ts UPGRADE_FAILPOINTS)
// and a fresh controller finishing it; paths etcd cannot take denied by the webhook (V10). The 3-member rollout
// under writes, with every failure point it crosses and a member frozen mid-rollout, is `make chaos`
// (test/chaos/upgrade-failpoints.test.ts). The controller runs as a host process, the webhook in a pod.
import { jest } from '@jest/globals';
import { clientURL } from '../../core/member-naming.js';
import { UPGRADE_FAILPOINTS } from '../../controller/failpoints.js';
import { waitFor } from '../helpers/cluster.js';
import { crashAt } from '../chaos/chaos-harness.js';
import { Controllers, etcdctl, etcdctlMembers } from './controller-harness.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';
import { installWebhook, type InstalledWebhook } from './webhook-harness.js';

jest.setTimeout(10 * 60_000);

const FROM = '3.4.23';
const TO = '3.5.16';
let p: PluginEnv;
let webhook: InstalledWebhook | undefined;
const controllers = new Controllers();
const endpoint = () => clientURL(NAME, p.ns, 0);

beforeAll(async () => {
  p = await pluginEnv('upgrade', 1, { version: FROM });
  webhook = await installWebhook(p.tc, p.ns, p.ns);
  await p.settled(1);
}, 600_000);

afterAll(async () => {
  await controllers.stopAll();
  await p?.close();
  await webhook?.remove();
});

const patchVersion = (version: string) =>
  p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { version } })]);
const kubectlOut = async (args: string[]) => {
  const r = await p.tc.kubectl(['-n', p.ns, ...args]);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const runningVersion = async () => (JSON.parse(await etcdctl(endpoint(), ['endpoint', 'status', '-w', 'json'])) as { Status: { version: string } }[])[0].Status.version;
const podUid = () => kubectlOut(['get', 'pod', `${NAME}-0`, '-o', 'jsonpath={.metadata.uid}']);
const stsImage = () => kubectlOut(['get', 'statefulset', NAME, '-o', 'jsonpath={.spec.template.spec.containers[?(@.name=="etcd")].image}']);
const crash = (fp: string, cause?: () => Promise<void>) => crashAt('upgrade', (vars) => controllers.start(p.tc.kubeconfig, p.ns, vars), fp, cause);

test('a skipped minor (3.4 -> 3.6) is denied by the webhook, naming the path to take', async () => {
  const r = await patchVersion('3.6.5');
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('V10: cannot upgrade demo from etcd 3.4.23 to 3.6.5 directly: etcd upgrades one minor version at a time');
  expect(r.stderr).toContain('Upgrade to 3.5 first');
  expect((await p.get()).spec.version).toBe(FROM);
});

test('3.4.23 -> 3.5.16 with the controller killed at both upgrade failure points: the member keeps its ID and its data', async () => {
  await etcdctl(endpoint(), ['put', 'before-upgrade', 'kept']);
  const [before] = await etcdctlMembers([endpoint()]);
  expect(await runningVersion()).toBe(FROM);
  await p.controller.stop();
  const uid = await podUid();
  const t0 = Date.now();

  // The record comes first: a controller killed right after it has restarted nothing, the template is old.
  expect(UPGRADE_FAILPOINTS).toEqual(['after-upgrade-begin', 'after-template-update']);
  await crash('after-upgrade-begin', async () => expect((await patchVersion(TO)).code).toBe(0));
  const begun = await p.get();
  expect(begun.status?.lastUpgrade).toMatchObject({ from: FROM, to: TO, requestedBy: 'admin' });
  expect(begun.status?.lastUpgrade?.completedAt).toBeUndefined();
  expect(await stsImage()).toBe(`gcr.io/etcd-development/etcd:v${FROM}`);

  // Then the template: a controller killed right after it has restarted nothing either.
  await crash('after-template-update');
  expect(await stsImage()).toBe(`gcr.io/etcd-development/etcd:v${TO}`);
  expect(await podUid()).toBe(uid);

  // A fresh controller restarts the only member and finishes.
  controllers.start(p.tc.kubeconfig, p.ns);
  const done = await waitFor(async () => {
    const c = await p.get();
    return c.status?.lastUpgrade?.completedAt && c.status.phase === 'Running' && c.status.readyReplicas === 1 ? c : undefined;
  }, { timeoutMs: 300_000, intervalMs: 1000, what: 'the upgrade completed' });
  console.log(`upgrade e2e: 1 member ${FROM} -> ${TO} with 2 controller kills took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  expect(await podUid()).not.toBe(uid);
  expect(await runningVersion()).toBe(TO);
  const [after] = await etcdctlMembers([endpoint()]);
  expect({ name: after.name, id: after.id }).toEqual({ name: before.name, id: before.id });
  expect((await etcdctl(endpoint(), ['get', 'before-upgrade', '--print-value-only'])).trim()).toBe('kept');
  const s = done.status!;
  expect(s.clusterVersion).toBe('3.5.0');
  expect(s.members?.map((m) => m.version)).toEqual([TO]);
  expect(Date.parse(s.lastUpgrade!.completedAt!)).toBeGreaterThan(Date.parse(s.lastUpgrade!.startedAt));
  const events = await kubectlOut(['get', 'events', '--field-selector', `involvedObject.name=${NAME}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  expect(events).toMatch(/^UpgradeStarted: upgrading etcd 3\.4\.23 -> 3\.5\.16 \(requested by admin\)/m);
  expect(events).toMatch(/^PodRestarted: upgrade 3\.4\.23 -> 3\.5\.16: restarting demo-0 on etcd 3\.5\.16 \(the only member/m);
  expect(events).toMatch(/^UpgradeCompleted: upgraded etcd 3\.4\.23 -> 3\.5\.16 in [\d.]+ s; cluster version 3\.5\.0/m);
});

test('a minor downgrade (3.5 -> 3.4) is denied once the cluster runs 3.5', async () => {
  const r = await patchVersion(FROM);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('V10: cannot downgrade demo from etcd 3.5.16 to 3.4.23');
  expect(r.stderr).toContain('cluster version 3.5.0');
  expect((await p.get()).spec.version).toBe(TO);
});
