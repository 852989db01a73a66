// Reliability (d): every webhook pod down (its Deployment scaled to 0) with the operator deployed as users
// deploy it (localcluster/scripts/deploy-operator.sh) on an instance of its own. failurePolicy Fail: a
// resize is denied, by spec edit and by /scale, with a message that says the webhook could not be called;
// nothing else breaks (etcd serves, the controller keeps writing status, other objects are admitted);
// when the webhook is back, the resize goes through.
import { jest } from '@jest/globals';
import { join } from 'node:path';
import { clientURL } from '../../core/member-naming.js';
import { ROOT, run, waitFor } from '../helpers/cluster.js';
import { etcdctl, getCluster } from '../e2e/controller-harness.js';
import { chaosEnv, createCluster, progress, resize, waitRunning, type ChaosEnv } from './chaos-harness.js';

jest.setTimeout(15 * 60_000);

const NAME = 'nohook';
const SYSTEM_NS = 'etcd-operator-system';
let env: ChaosEnv;
let replicas = '';

async function webhookReplicas(n: string): Promise<void> {
  await env.kubectl(['-n', SYSTEM_NS, 'scale', 'deployment', 'etcd-webhook', `--replicas=${n}`]);
}

beforeAll(async () => {
  env = await chaosEnv('chaos-nohook', 'operator');
  const deployed = await run('bash', [join(ROOT, 'localcluster/scripts/deploy-operator.sh'), env.tc.kubeconfig], { timeoutMs: 300_000 });
  if (deployed.code !== 0) throw new Error(`deploy-operator.sh failed:\n${deployed.stdout}${deployed.stderr}`);
  replicas = (await env.kubectl(['-n', SYSTEM_NS, 'get', 'deployment', 'etcd-webhook', '-o', 'jsonpath={.spec.replicas}'])).trim();
});

afterAll(async () => {
  if (replicas) await webhookReplicas(replicas);
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

it('denies resizes while the webhook is down, says why, breaks nothing else, and recovers', async () => {
  await createCluster(env, NAME, 1);
  await waitRunning(env, NAME, 1);

  await webhookReplicas('0');
  await waitFor(async () => (await env.kubectl(['-n', SYSTEM_NS, 'get', 'pods', '-l', 'app.kubernetes.io/name=etcd-webhook', '-o', 'name'])).trim() === '',
    { timeoutMs: 120_000, intervalMs: 1000, what: 'every etcd-webhook pod gone' });

  const byPatch = await env.tc.kubectl(['-n', env.ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"size":3}}']);
  const byScale = await env.tc.kubectl(['-n', env.ns, 'scale', 'etcdcluster', NAME, '--replicas=3']);
  progress('chaos-nohook', `patch: ${byPatch.stderr.trim()}\nscale: ${byScale.stderr.trim()}`);
  for (const r of [byPatch, byScale]) {
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/failed calling webhook "(validate|mutate)\.etcd\.k8s-operator\.io"/);
  }
  expect((await getCluster(env.kubectl, env.ns, NAME)).spec.size).toBe(1);

  // Nothing else breaks: etcd serves, other objects are admitted, the controller still writes status.
  await etcdctl(clientURL(NAME, env.ns, 0), ['put', 'while-webhook-down', 'yes']);
  expect((await etcdctl(clientURL(NAME, env.ns, 0), ['get', 'while-webhook-down', '--print-value-only'])).trim()).toBe('yes');
  await env.kubectl(['-n', env.ns, 'create', 'configmap', 'unrelated', '--from-literal=a=b']);
  await env.kubectl(['-n', env.ns, 'delete', 'pod', `${NAME}-0`, '--grace-period=0', '--force']);
  await waitFor(async () => ((await getCluster(env.kubectl, env.ns, NAME)).status?.readyReplicas ?? 1) === 0,
    { timeoutMs: 60_000, intervalMs: 300, what: 'status to show the restarted member not ready' });
  await waitRunning(env, NAME, 1);
  expect((await etcdctl(clientURL(NAME, env.ns, 0), ['get', 'while-webhook-down', '--print-value-only'])).trim()).toBe('yes');

  // Back: the resize is admitted (and recorded by the validating webhook) and done.
  await webhookReplicas(replicas);
  await env.kubectl(['-n', SYSTEM_NS, 'rollout', 'status', 'deployment/etcd-webhook', '--timeout=120s']);
  await waitFor(async () => (await env.tc.kubectl(['-n', env.ns, 'scale', 'etcdcluster', NAME, '--replicas=3', '--dry-run=server'])).code === 0,
    { timeoutMs: 60_000, intervalMs: 1000, what: 'the webhook to answer again' });
  await resize(env, NAME, 3);
  await waitRunning(env, NAME, 3);
  expect((await getCluster(env.kubectl, env.ns, NAME)).status?.lastResize).toMatchObject({ from: 1, to: 3, requestedBy: 'admin' });
});
