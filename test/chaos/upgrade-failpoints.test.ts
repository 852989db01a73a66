// Reliability (`make chaos`): a version upgrade on the local cluster (real kubelets, etcd 3.4.23 and 3.5.16
// images): a 3-member cluster at 3.4.23 rolled to 3.5.16 under the acknowledged-write checker, with the
// controller SIGKILLed at every failure point a rollout crosses (controller/failpoints.ts UPGRADE_FAILPOINTS,
// after-pod-delete, after-move-leader) and a member frozen mid-rollout, which pauses the rollout until it is
// back. The controller runs as a host process, the webhook in a pod. (`make test` upgrades one member with the
// controller killed at the two upgrade failure points, and the webhook's V10 denials: test/e2e/upgrade.test.ts.)
import { jest } from '@jest/globals';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { EtcdCluster } from '../../core/api.js';
import { clientURL } from '../../core/member-naming.js';
import { UPGRADE_FAILPOINTS } from '../../controller/failpoints.js';
import { waitFor } from '../helpers/cluster.js';
import type { AckWriter } from '../helpers/writer.js';
import { crashAt, describeReport, markRestarts, progress, startWriter, type ChaosEnv } from './chaos-harness.js';
import { Controllers, etcdctl, etcdctlLeaderId, etcdctlMembers, kubectlOf, type ControllerProcess } from '../e2e/controller-harness.js';
import { NAME, pluginEnv, type PluginEnv } from '../e2e/plugin-harness.js';
import { installWebhook, type InstalledWebhook } from '../e2e/webhook-harness.js';

jest.setTimeout(20 * 60_000);

const FROM = '3.4.23';
const TO = '3.5.16';
let p: PluginEnv;
let env: ChaosEnv;
let webhook: InstalledWebhook | undefined;
const controllers = new Controllers();
const endpoints = () => [0, 1, 2].map((k) => clientURL(NAME, p.ns, k));
let frozen: number | undefined;
/** Stopped in afterAll too, so a failed test leaves no timer or writer running. */
let stopMarks: (() => void) | undefined;
let writer: AckWriter | undefined;

beforeAll(async () => {
  p = await pluginEnv('upgrade', 3, { version: FROM });
  webhook = await installWebhook(p.tc, p.ns, p.ns);
  const kc = new KubeConfig();
  kc.loadFromFile(p.tc.kubeconfig);
  env = { tc: p.tc, kubectl: kubectlOf(p.tc), kube: { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) }, ns: p.ns };
  await p.settled(3);
}, 600_000);

afterAll(async () => {
  stopMarks?.();
  await writer?.stop().catch(() => undefined);
  if (frozen) process.kill(frozen, 'SIGCONT');
  await controllers.stopAll();
  await p?.close();
  await webhook?.remove();
});

const patchVersion = (version: string) =>
  p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { version } })]);

/** Each member's own answer: the version it runs, by name. */
async function runningVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, e] of endpoints().entries()) {
    const s = JSON.parse(await etcdctl(e, ['endpoint', 'status', '-w', 'json'])) as { Status: { version: string } }[];
    out[`${NAME}-${k}`] = s[0].Status.version;
  }
  return out;
}

/** The member that says it leads, asked one by one (one is restarting: etcdctl over all would fail). */
async function leaderOfAnswering(): Promise<string | undefined> {
  for (const e of endpoints()) {
    const id = await etcdctlLeaderId(e).catch(() => undefined);
    if (id) return id;
  }
  return undefined;
}

const podJson = async (name: string) => JSON.parse(await env.kubectl(['-n', p.ns, 'get', 'pod', name, '-o', 'json'])) as {
  metadata: { uid: string; deletionTimestamp?: string };
  spec: { containers: { name: string; image: string }[] };
};
const stsImage = async () => (await env.kubectl(['-n', p.ns, 'get', 'statefulset', NAME, '-o', 'jsonpath={.spec.template.spec.containers[?(@.name=="etcd")].image}'])).trim();

const crash = (fp: string, cause?: () => Promise<void>) => crashAt('upgrade', (vars) => controllers.start(p.tc.kubeconfig, p.ns, vars), fp, cause);

test('3.4.23 -> 3.5.16 under writes: every failure point crossed, a frozen member pauses it, no write lost', async () => {
  const before = await etcdctlMembers(endpoints());
  expect(await runningVersions()).toEqual({ 'demo-0': FROM, 'demo-1': FROM, 'demo-2': FROM });
  const w = await startWriter(env, NAME, 'upgrade', 15 * 60_000);
  writer = w;
  stopMarks = markRestarts(env, NAME, w);
  await new Promise((r) => setTimeout(r, 2000));
  await p.controller.stop();
  const t0 = Date.now();
  const uids = Object.fromEntries(await Promise.all([0, 1, 2].map(async (k) => [`${NAME}-${k}`, (await podJson(`${NAME}-${k}`)).metadata.uid] as const)));

  // The record comes first: a controller killed right after it has restarted nothing, the template is old.
  expect(UPGRADE_FAILPOINTS).toEqual(['after-upgrade-begin', 'after-template-update']);
  await crash('after-upgrade-begin', async () => {
    const r = await patchVersion(TO);
    expect(r.code).toBe(0);
  });
  const begun = await waitFor(async () => { const c = await p.get(); return c.status?.lastUpgrade ? c : undefined; }, { timeoutMs: 30_000, what: 'status.lastUpgrade' });
  expect(begun.status?.lastUpgrade).toMatchObject({ from: FROM, to: TO, requestedBy: 'admin' });
  expect(begun.status?.lastUpgrade?.completedAt).toBeUndefined();
  expect(await stsImage()).toBe(`gcr.io/etcd-development/etcd:v${FROM}`);

  await crash('after-template-update');
  expect(await stsImage()).toBe(`gcr.io/etcd-development/etcd:v${TO}`);
  for (const [pod, uid] of Object.entries(uids)) expect((await podJson(pod)).metadata.uid).toBe(uid);

  // The first restart (a follower), the controller killed right after the delete.
  w.mark('first restart, controller dead');
  await crash('after-pod-delete');
  const leader = await leaderOfAnswering();
  const first = await waitFor(async () => {
    for (const [pod, uid] of Object.entries(uids)) {
      const now = await podJson(pod).catch(() => undefined);
      if (!now || now.metadata.uid !== uid || now.metadata.deletionTimestamp) return pod;
    }
    return undefined;
  }, { timeoutMs: 60_000, what: 'the first restarted pod' });
  expect(before.find((m) => m.name === first)?.id).not.toBe(leader);
  await waitFor(async () => (await runningVersions().catch(() => ({} as Record<string, string>)))[first] === TO, { timeoutMs: 180_000, intervalMs: 1000, what: `${first} back on ${TO}` });

  // A member not yet restarted freezes: a fresh controller pauses the rollout, naming it, and restarts nothing.
  const sick = [0, 1, 2].map((k) => `${NAME}-${k}`).find((m) => m !== first && before.find((x) => x.name === m)?.id !== leader)!;
  frozen = await p.tc.containerPid(p.ns, sick, 'etcd');
  process.kill(frozen, 'SIGSTOP');
  w.mark(`${sick} frozen`);
  let watcher: ControllerProcess = controllers.start(p.tc.kubeconfig, p.ns);
  const paused = await waitFor(async () => {
    const d = (await p.get()).status?.conditions?.find((c) => c.type === 'Degraded');
    return d?.reason === 'RolloutPaused' ? d : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500, what: 'Degraded RolloutPaused' });
  expect(paused.message).toContain(`${sick} is unhealthy`);
  expect(paused.message).toContain('it resumes once every member is healthy');
  await new Promise((r) => setTimeout(r, 5000));
  for (const [pod, uid] of Object.entries(uids)) if (pod !== first) expect((await podJson(pod)).metadata.uid).toBe(uid);
  await watcher.stop();

  // Back: the rollout resumes; the controller is killed once more right after moving leadership off the
  // last member, then a fresh one finishes.
  process.kill(frozen, 'SIGCONT');
  frozen = undefined;
  w.mark(`${sick} back`);
  await crash('after-move-leader');
  watcher = controllers.start(p.tc.kubeconfig, p.ns);
  const done = await waitFor(async () => {
    const c = await p.get();
    return c.status?.lastUpgrade?.completedAt && c.status.phase === 'Running' && c.status.readyReplicas === 3 ? c : undefined;
  }, { timeoutMs: 480_000, intervalMs: 1000, what: 'the upgrade completed' });
  const took = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  stopMarks();
  stopMarks = undefined;
  writer = undefined;
  const report = await w.stop();
  const missing = await w.verify(endpoints()[0]);
  progress('upgrade', describeReport(report, missing));
  console.log(`upgrade e2e: ${FROM} -> ${TO} with 4 controller kills and a pause took ${took.toFixed(1)} s; longest failure window per phase (ms): ${JSON.stringify(report.longestWindowMs)}`);
  expect(report.acknowledged).toBeGreaterThan(1000);
  expect(missing).toEqual([]);

  // Every member runs 3.5.16 under its old ID, etcd's cluster version is 3.5, and status says the same.
  expect(await runningVersions()).toEqual({ 'demo-0': TO, 'demo-1': TO, 'demo-2': TO });
  const after = await etcdctlMembers(endpoints());
  expect(after.map((m) => `${m.name} ${m.id} ${m.isLearner}`).sort()).toEqual(before.map((m) => `${m.name} ${m.id} false`).sort());
  const version = (await (await fetch(`${endpoints()[0]}/version`)).json()) as { etcdcluster: string };
  expect(version.etcdcluster).toBe('3.5.0');
  checkStatus(done);
  const events = await env.kubectl(['-n', p.ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  expect(events).toMatch(/^UpgradeStarted: upgrading etcd 3\.4\.23 -> 3\.5\.16 \(requested by admin\)/m);
  expect(events).toMatch(/^UpgradeCompleted: upgraded etcd 3\.4\.23 -> 3\.5\.16 in [\d.]+ s; cluster version 3\.5\.0/m);
  // One per member, each announced even when the controller was killed right after the restart.
  const restarts = events.split('\n').filter((l) => /^PodRestarted: upgrade 3\.4\.23 -> 3\.5\.16: restarting/.test(l));
  expect([...new Set(restarts.map((l) => /restarting (\S+)/.exec(l)![1]))].sort()).toEqual(['demo-0', 'demo-1', 'demo-2']);
  await watcher.stop();
});

function checkStatus(c: EtcdCluster): void {
  const s = c.status!;
  expect(s.clusterVersion).toBe('3.5.0');
  expect(s.members?.map((m) => m.version)).toEqual([TO, TO, TO]);
  expect(s.lastUpgrade).toMatchObject({ from: FROM, to: TO, requestedBy: 'admin' });
  expect(Date.parse(s.lastUpgrade!.completedAt!)).toBeGreaterThan(Date.parse(s.lastUpgrade!.startedAt));
  expect(s.conditions?.find((x) => x.type === 'Degraded')?.status).toBe('False');
}
