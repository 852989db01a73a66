// Reliability (c): an etcd member goes down in the middle of a resize. The operator is deployed as users
// deploy it (localcluster/scripts/deploy-operator.sh: manifests/overlays/local, controller and webhook in
// pods) on an instance of its own. "Member down" is its etcd process frozen with SIGSTOP (found through its
// node's containerd): it holds its sockets but answers nothing, as a hung or partitioned member does, and the
// kubelet does not restart it within a scenario (the liveness probe waits 4 minutes of silence); SIGCONT brings
// it back.
// Checked: no member is added while it is down, status turns Degraded naming it, the webhook denies what
// V2/V4/V5 deny, the resize resumes once it is back, and a writer loses no acknowledged write.
import { jest } from '@jest/globals';
import { join } from 'node:path';
import { clientURL } from '../../core/member-naming.js';
import { findCondition } from '../../core/conditions.js';
import { ROOT, run, waitFor } from '../helpers/cluster.js';
import type { AckWriter } from '../helpers/writer.js';
import { etcdctlMembers, getCluster } from '../e2e/controller-harness.js';
import { chaosEnv, createCluster, describeReport, progress, resize, startWriter, waitRunning, type ChaosEnv } from './chaos-harness.js';

jest.setTimeout(25 * 60_000);

const NAME = 'down';
let env: ChaosEnv;
let writer: AckWriter | undefined;
const frozen = new Set<number>();

async function freeze(pod: string): Promise<void> {
  const pid = await env.tc.containerPid(env.ns, pod, 'etcd');
  process.kill(pid, 'SIGSTOP');
  frozen.add(pid);
  progress('chaos-down', `froze ${pod} (pid ${pid})`);
}

function thawAll(): void {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Already gone.
    }
  }
  frozen.clear();
}

const endpointsUpTo = (n: number) => Array.from({ length: n }, (_, k) => clientURL(NAME, env.ns, k));

/** A server-side dry run of a resize through /scale: the stderr of the denial, or throws when allowed. */
async function deniedScale(to: number): Promise<string> {
  const r = await env.tc.kubectl(['-n', env.ns, 'scale', 'etcdcluster', NAME, `--replicas=${to}`, '--dry-run=server']);
  if (r.code === 0) throw new Error(`resize to ${to} was allowed: ${r.stdout}`);
  return r.stderr;
}

async function waitDegradedNaming(member: string): Promise<string> {
  let message = '';
  await waitFor(async () => {
    const c = await getCluster(env.kubectl, env.ns, NAME);
    const d = findCondition(c.status, 'Degraded');
    message = `phase ${c.status?.phase}, Degraded=${d?.status}: ${d?.message}`;
    return d?.status === 'True' && !!d.message?.includes(member);
  }, { timeoutMs: 90_000, intervalMs: 1000, what: `status Degraded naming ${member} (last: ${message})` });
  return message;
}

beforeAll(async () => {
  env = await chaosEnv('chaos-down', 'operator');
  const deployed = await run('bash', [join(ROOT, 'localcluster/scripts/deploy-operator.sh'), env.tc.kubeconfig], { timeoutMs: 300_000 });
  if (deployed.code !== 0) throw new Error(`deploy-operator.sh failed:\n${deployed.stdout}${deployed.stderr}`);
});

afterAll(async () => {
  thawAll();
  await writer?.stop();
  if (env?.ns) await env.tc.discardNamespace(env.ns);
});

it('takes no unsafe step while a member is down mid-resize, says so, denies V2/V4/V5, and resumes', async () => {
  await createCluster(env, NAME, 3);
  await waitRunning(env, NAME, 3);
  writer = await startWriter(env, NAME, 'chaos-down', 20 * 60_000);

  // 3 -> 5; once etcd has accepted the first new member, member 1 goes down.
  writer.mark('3->5, member 1 down');
  await resize(env, NAME, 5);
  await waitFor(async () => (await etcdctlMembers(endpointsUpTo(3))).length >= 4, { timeoutMs: 120_000, intervalMs: 300, what: `${NAME}-3 added` });
  await freeze(`${NAME}-1`);
  progress('chaos-down', `mid-resize: ${await waitDegradedNaming(`${NAME}-1`)}`);
  // No member is added while one is down: the list stays as it is for 20 s.
  const healthy = [0, 2, 3].map((k) => clientURL(NAME, env.ns, k));
  const before = (await etcdctlMembers(healthy)).map((m) => m.name || m.peerURL).sort();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    expect((await etcdctlMembers(healthy)).length).toBeLessThanOrEqual(before.length);
  }
  expect(before.filter((n) => n.includes(`${NAME}-4`))).toEqual([]);
  // The webhook denies both directions while the resize is blocked (V3 in progress, or V4/V5 as such).
  expect(await deniedScale(7)).toMatch(/V3|V4/);
  expect(await deniedScale(1)).toMatch(/V3|V5/);

  writer.mark('member 1 back, resize resumes');
  thawAll();
  await waitRunning(env, NAME, 5, 300_000);

  // At rest with member 1 down: V4 on growth, V5 on a shrink that would need it, V2 once quorum is lost.
  writer.mark('at 5, member 1 down');
  await freeze(`${NAME}-1`);
  await waitDegradedNaming(`${NAME}-1`);
  const v4 = await deniedScale(7);
  expect(v4).toMatch(/V4: /);
  expect(v4).toContain(`${NAME}-1`);
  const v5 = await deniedScale(1);
  expect(v5).toMatch(/V5: /);
  expect(v5).toContain(`${NAME}-1`);

  writer.mark('at 5, members 1-3 down (quorum lost)');
  await freeze(`${NAME}-2`);
  await freeze(`${NAME}-3`);
  let lastV2 = '';
  await waitFor(async () => {
    lastV2 = await deniedScale(3);
    return /V2: /.test(lastV2);
  }, { timeoutMs: 90_000, intervalMs: 2000, what: `a V2 denial (last: ${lastV2})` });
  // Quorum lost: Available False (QuorumLost) and Degraded True; the phase is Degraded, not Failed, until the
  // loss has lasted FAILED_AFTER_MS (a person is needed only then: SPEC.md, "Truthful record").
  const lost = await getCluster(env.kubectl, env.ns, NAME);
  progress('chaos-down', `quorum lost: phase ${lost.status?.phase}, Degraded: ${findCondition(lost.status, 'Degraded')?.message}`);
  expect(findCondition(lost.status, 'Available')).toMatchObject({ status: 'False', reason: 'QuorumLost' });
  expect(lost.status?.phase).toBe('Degraded');
  expect(findCondition(lost.status, 'Degraded')?.status).toBe('True');

  writer.mark('all back');
  thawAll();
  await waitRunning(env, NAME, 5, 300_000);
  await new Promise((r) => setTimeout(r, 2000));
  const w = writer;
  writer = undefined;
  const report = await w.stop();
  const missing = await w.verify(clientURL(NAME, env.ns, 0));
  progress('chaos-down', describeReport(report, missing));
  expect(report.acknowledged).toBeGreaterThan(1000);
  expect(missing).toEqual([]);
});
