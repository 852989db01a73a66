// Plans count healthy members only (SPEC.md, "Truthful record"), on the local cluster: a 5-member cluster
// (repair.policy Manual, so nothing replaces it) with demo-2's etcd frozen. `kubectl etcd scale --dry-run
// -o json` then plans with the true tolerance at every step, a shrink that keeps demo-2 says so, and the
// shrink itself completes.
import { jest } from '@jest/globals';
import { quorum } from '../../core/quorum.js';
import { waitFor } from '../helpers/cluster.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';

jest.setTimeout(15 * 60_000);

const SICK = `${NAME}-2`;
let p: PluginEnv;
/** The host PID of demo-2's etcd, frozen. */
let frozen: number | undefined;

interface PlanDoc {
  from: number;
  to: number;
  toleratesNow: number;
  steps: { action: string; member: string; votingAfter: number; healthyAfter: number; quorumAfter: number; toleratesAfter: number }[];
  verdict: { allowed: boolean; by: string; rule?: string; message?: string; warnings: string[] };
}

beforeAll(async () => {
  // Manual repair: the controller must keep demo-2 as it is, so the plans below see it down.
  p = await pluginEnv('plan-sick', 5, { repair: { policy: 'Manual' } });
  await p.settled(5, 400_000);
  await stopMember(SICK);
}, 900_000);

afterAll(async () => {
  if (frozen) process.kill(frozen, 'SIGCONT');
  await p?.close();
});

/**
 * Stops a member's etcd for good: its process frozen (SIGSTOP through the node's containerd), as a hung disk
 * or a wedged process would. Nothing restarts it within this file's run (the liveness probe waits 4 minutes of
 * silence), and nothing the controller writes brings it back: the shrink rewrites the members' ConfigMap, which
 * would undo a bad entry.
 */
async function stopMember(member: string): Promise<void> {
  frozen = await p.tc.containerPid(p.ns, member, 'etcd');
  process.kill(frozen, 'SIGSTOP');
  await waitFor(async () => {
    const s = (await p.get()).status;
    return s?.phase === 'Degraded' && s.members?.find((m) => m.name === member)?.healthy === false && s.size === 5;
  }, { timeoutMs: 120_000, intervalMs: 1000, what: `${member} reported unhealthy` });
}

async function planJson(replicas: number): Promise<{ code: number; doc: PlanDoc }> {
  const r = await p.etcd(['scale', NAME, '-n', p.ns, '--replicas', String(replicas), '--dry-run', '-o', 'json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as PlanDoc };
}

test('--dry-run -o json: the true tolerance now and after every action, counting healthy members only', async () => {
  const before = await p.get();
  const { code, doc } = await planJson(3);
  expect(code).toBe(0);
  expect(doc).toMatchObject({ from: 5, to: 3, toleratesNow: 1 });
  // demo-4 and demo-3 (healthy) leave; demo-2 (down) stays.
  const removals = doc.steps.filter((s) => s.action === 'remove-member');
  expect(removals).toEqual([
    { action: 'remove-member', member: `${NAME}-4`, votingAfter: 4, healthyAfter: 3, quorumAfter: 3, toleratesAfter: 0 },
    { action: 'remove-member', member: `${NAME}-3`, votingAfter: 3, healthyAfter: 2, quorumAfter: 2, toleratesAfter: 0 },
  ]);
  expect(doc.steps.filter((s) => s.action === 'delete-pvc').map((s) => s.member)).toEqual([`${NAME}-4`, `${NAME}-3`]);
  for (const s of doc.steps) {
    expect(s.quorumAfter).toBe(quorum(s.votingAfter));
    expect(s.toleratesAfter).toBe(s.healthyAfter - s.quorumAfter);
    expect(s.healthyAfter).toBeLessThan(s.votingAfter);
  }
  // Allowed by the server's dry run, with the words of the webhook's policy: demo-2 is kept, nothing is tolerated.
  expect(doc.verdict).toMatchObject({ allowed: true, by: 'server' });
  expect(doc.verdict.warnings).toContainEqual(expect.stringMatching(new RegExp(`^W4: shrinking ${NAME} from 5 to 3 keeps unhealthy ${SICK} `)));
  expect(doc.verdict.warnings).toContainEqual(expect.stringMatching(/^W2: when resized from 5 to 3, demo tolerates no failure \(2 healthy of 3 voting, quorum 2\)/));
  const after = await p.get();
  expect(after.spec.size).toBe(5);
  expect(after.metadata.generation).toBe(before.metadata.generation);
});

test('--dry-run as text: the plan says what is tolerated and that demo-2 stays, where the user would confirm', async () => {
  const r = await p.etcd(['scale', NAME, '-n', p.ns, '--replicas', '3', '--dry-run']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/remove demo-4 \(voting 4, healthy 3, quorum 3, tolerates 0\), delete PVC data-demo-4/);
  expect(r.stdout).toMatch(/remove demo-3 \(voting 3, healthy 2, quorum 2, tolerates 0\), delete PVC data-demo-3/);
  expect(r.stdout).toContain('Tolerates 1 failure now (2 with every member healthy), 0 when done.');
  expect(r.stdout).toContain('Verdict: allowed by the API server (dry run)');
  expect(r.stderr).toContain(`Warning: W4: shrinking ${NAME} from 5 to 3 keeps unhealthy ${SICK}`);
});

test('--dry-run of a grow with demo-2 down: denied (V4), exit 2, the plan still shown', async () => {
  const { code, doc } = await planJson(7);
  expect(code).toBe(2);
  expect(doc.toleratesNow).toBe(1);
  expect(doc.verdict).toMatchObject({ allowed: false, by: 'preflight', rule: 'V4' });
  expect(doc.verdict.message).toContain(SICK);
  expect((await p.get()).spec.size).toBe(5);
});

test('the shrink keeping demo-2 warns that it does, completes, and says the cluster is still Degraded', async () => {
  const r = await p.etcd(['scale', NAME, '-n', p.ns, '--replicas', '3', '--yes', '--timeout', '5m'], 400_000);
  expect(r.stderr).toContain(`Warning: W4: shrinking ${NAME} from 5 to 3 keeps unhealthy ${SICK}`);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`${NAME}: resized 5 -> 3; 3 voting members, but Degraded: .*${SICK}`));
  const c = await p.get();
  expect(c.status).toMatchObject({ size: 3, phase: 'Degraded' });
  expect(c.status!.lastResize).toMatchObject({ from: 5, to: 3 });
  expect(c.status!.lastResize!.completedAt).toBeDefined();
  expect(c.status!.members!.map((m) => [m.name, m.healthy])).toEqual([[`${NAME}-0`, true], [`${NAME}-1`, true], [SICK, false]]);
});
