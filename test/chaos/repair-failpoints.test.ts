// Crash safety of self-healing on the local cluster: the controller SIGKILLed at each failure point a
// replacement or a recovery adds (controller/failpoints.ts REPAIR_FAILPOINTS), then a fresh controller must
// finish the job: every ordinal a voting member again, the replaced one under a new ID and never two members
// for one ordinal, the data all there. The annotations are written as the webhook would let them through.
import { jest } from '@jest/globals';
import { Annotations, type EtcdCluster } from '../../core/api.js';
import { clientURL } from '../../core/member-naming.js';
import { REPAIR_FAILPOINTS, type Failpoint } from '../../controller/failpoints.js';
import { waitFor } from '../helpers/cluster.js';
import { chaosEnv, crashAt, waitRunning, type ChaosEnv } from './chaos-harness.js';
import { Controllers, etcdctl, etcdctlMembers, getCluster } from '../e2e/controller-harness.js';

jest.setTimeout(15 * 60_000);

const NAME = 'heal';
let env: ChaosEnv;
const controllers = new Controllers();
const launch = (vars: Record<string, string> = {}) => controllers.start(env.tc.kubeconfig, env.ns, vars);
const endpoints = () => [0, 1, 2].map((k) => clientURL(NAME, env.ns, k));
const timings: Record<string, number> = {};
let recoveries = 0;

beforeAll(async () => {
  env = await chaosEnv('heal-crash');
  const c = launch();
  await env.kubectl(['-n', env.ns, 'apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 3, storage: { size: '64Mi' } } }),
  });
  await waitRunning(env, NAME, 3, 300_000);
  await c.stop();
}, 600_000);

afterEach(async () => {
  await controllers.stopAll();
});

afterAll(async () => {
  if (Object.keys(timings).length) console.log(`repair failpoints e2e (s): ${JSON.stringify(timings)}`);
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

/** Deletes a member's claim and pod: its disk is gone, the StatefulSet brings both back with the claim empty. */
async function loseDisk(k: number): Promise<void> {
  await env.kubectl(['-n', env.ns, 'delete', 'pvc', `data-${NAME}-${k}`, '--wait=false']);
  await env.kubectl(['-n', env.ns, 'delete', 'pod', `${NAME}-${k}`, '--wait=false']);
}

async function annotate(key: string, value: string): Promise<void> {
  await env.kubectl(['-n', env.ns, 'annotate', '--overwrite', 'etcdcluster', NAME, `${key}=${value}`]);
}

async function idOf(member: string): Promise<string> {
  return (await etcdctlMembers(endpoints())).find((m) => m.name === member)!.id;
}

/** Three healthy voting members named for ordinals 0-2, none with an ID from `gone`, Running at 3 with the record completed. */
async function healed(record: (c: EtcdCluster) => boolean, gone: string[]): Promise<void> {
  await waitFor(async () => {
    const c = await getCluster(env.kubectl, env.ns, NAME);
    return c.status?.phase === 'Running' && c.status.readyReplicas === 3 && record(c);
  }, { timeoutMs: 480_000, intervalMs: 1000, what: `${NAME} healed and Running at 3` });
  await waitRunning(env, NAME, 3);
  const members = await etcdctlMembers(endpoints());
  expect(members.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).sort()).toEqual([0, 1, 2].map((k) => `${NAME}-${k}`));
  for (const id of gone) expect(members.some((m) => m.id === id)).toBe(false);
  for (const k of [0, 1, 2]) {
    // From each member itself: every key written before the failure.
    const keys = await etcdctl(endpoints()[k], ['get', 'kept-', '--prefix', '--keys-only', '--consistency=s']);
    expect(keys.split('\n').filter(Boolean)).toHaveLength(20);
  }
}

/** A controller that kills itself at `fp`, the failure started by `cause` once it runs; then a fresh one. */
async function crashThenResume(fp: Failpoint, cause: () => Promise<void>): Promise<void> {
  await crashAt('repair-failpoints', launch, fp, cause);
  launch();
}

// Each point crossed by an operation that always takes it. after-pod-delete: a requested replacement (the
// removed member's pod, from before the new learner was added, goes with its volume) and a recovery (the
// survivor restarted to force a new cluster). A lost disk's pod may not need it: its guard, rerun by the
// kubelet's init-container retries, passes once its ConfigMap volume shows the new learner's entry.
const plan: [Failpoint, 'requested replace' | 'lost disk' | 'recovery'][] = [
  ['after-repair-begin', 'lost disk'],
  ['after-pod-delete', 'requested replace'],
  ['after-recovery-begin', 'recovery'],
  ['after-pod-delete', 'recovery'],
];

it('plans a kill at every failure point of self-healing', () => {
  expect([...new Set(plan.map(([fp]) => fp))].sort()).toEqual([...REPAIR_FAILPOINTS].sort());
});

it.each(plan)('finishes after a SIGKILL at %s (%s)', async (fp, operation) => {
  for (let i = 0; i < 20; i++) await etcdctl(endpoints()[0], ['put', `kept-${i}`, operation]);
  const t0 = Date.now();
  if (operation === 'requested replace') {
    const old = await idOf(`${NAME}-1`);
    await crashThenResume(fp, () => annotate(Annotations.replace, `${NAME}-1/${old}`));
    await healed((c) => c.status?.lastRepair?.oldId === old && !!c.status.lastRepair.completedAt, [old]);
  } else if (operation === 'lost disk') {
    const old = await idOf(`${NAME}-2`);
    await crashThenResume(fp, () => loseDisk(2));
    await healed((c) => c.status?.lastRepair?.oldId === old && c.status.lastRepair.reason === 'DataLost' && !!c.status.lastRepair.completedAt, [old]);
  } else {
    // A different survivor each time: a request for the same member and ID is carried out once.
    const k = recoveries++ % 3;
    const [a, b] = [0, 1, 2].filter((j) => j !== k);
    const survivor = await idOf(`${NAME}-${k}`);
    const lost = [await idOf(`${NAME}-${a}`), await idOf(`${NAME}-${b}`)];
    // A controller sees the loss (status must say QuorumLost before recover is allowed), then goes.
    const watcher = launch();
    await loseDisk(a);
    await loseDisk(b);
    await waitFor(async () => (await getCluster(env.kubectl, env.ns, NAME)).status?.conditions?.some((c) => c.type === 'Available' && c.reason === 'QuorumLost'),
      { timeoutMs: 180_000, intervalMs: 1000, what: 'Available False, QuorumLost' });
    await watcher.stop();
    await crashThenResume(fp, () => annotate(Annotations.recover, `${NAME}-${k}/${survivor}`));
    await healed((c) => c.status?.lastRecovery?.id === survivor && !!c.status.lastRecovery.completedAt, lost);
    expect(await idOf(`${NAME}-${k}`)).toBe(survivor);
    // Forced once: the survivor's entry no longer asks for a new cluster.
    const entry = await env.kubectl(['-n', env.ns, 'get', 'configmap', `${NAME}-members`, '-o', `jsonpath={.data.${NAME}-${k}}`]);
    expect(entry).not.toContain('force-new-cluster: true');
  }
  timings[`${fp} (${operation})`] = (Date.now() - t0) / 1000;
});
