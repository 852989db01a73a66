import type { EtcdClusterStatus } from '../../core/api.js';
import { evaluateResize } from '../../core/policy.js';
import { planActions, planLines, planResize, planStart, planSummary } from '../../core/resize-plan.js';

const members = (n: number, leader = 'demo-0'): EtcdClusterStatus => ({
  size: n,
  leader,
  members: Array.from({ length: n }, (_, i) => ({ name: `demo-${i}`, id: (i + 1).toString(16).padStart(16, '0'), isLearner: false, healthy: true })),
});

describe('planResize', () => {
  test('1 -> 3: a learner at a time, each promoted, with quorum and tolerance after each', () => {
    const plan = planResize('demo', 1, 3, members(1));
    expect(planLines(plan)).toEqual([
      'add demo-1 as learner, start pod demo-1, promote demo-1 (voting 2, quorum 2, tolerates 0)',
      'add demo-2 as learner, start pod demo-2, promote demo-2 (voting 3, quorum 2, tolerates 1)',
    ]);
    expect(plan.toleratesBefore).toBe(0);
    expect(plan.toleratesAfter).toBe(1);
    expect(plan.steps.map((s) => s.lessTolerantThanBefore)).toEqual([false, false]);
  });

  test('3 -> 5: the 4-member step tolerates no more than 3 members do', () => {
    const plan = planResize('demo', 3, 5, members(3));
    expect(planLines(plan)).toEqual([
      'add demo-3 as learner, start pod demo-3, promote demo-3 (voting 4, quorum 3, tolerates 1)',
      'add demo-4 as learner, start pod demo-4, promote demo-4 (voting 5, quorum 3, tolerates 2)',
    ]);
    expect(plan.steps.every((s) => !s.lessTolerantThanBefore)).toBe(true);
  });

  test('5 -> 3: highest ordinal first, leadership moved only off a leader, PVC deleted after the removal', () => {
    expect(planLines(planResize('demo', 5, 3, members(5, 'demo-0')))).toEqual([
      'remove demo-4 (voting 4, quorum 3, tolerates 1), delete PVC data-demo-4',
      'remove demo-3 (voting 3, quorum 2, tolerates 1), delete PVC data-demo-3',
    ]);
    expect(planLines(planResize('demo', 5, 3, members(5, 'demo-4')))).toEqual([
      'move leadership off demo-4 (it leads now), remove demo-4 (voting 4, quorum 3, tolerates 1), delete PVC data-demo-4',
      // etcd picks the next leader: it may be demo-3.
      'move leadership off demo-3 (if it leads), remove demo-3 (voting 3, quorum 2, tolerates 1), delete PVC data-demo-3',
    ]);
    expect(planLines(planResize('demo', 5, 3, members(5, 'demo-3')))[0]).toBe('remove demo-4 (voting 4, quorum 3, tolerates 1), delete PVC data-demo-4');
    expect(planLines(planResize('demo', 5, 3, members(5, 'demo-3')))[1]).toMatch(/^move leadership off demo-3 \(it leads now\)/);
  });

  test('5 -> 3 with no known leader says "if it leads" for every victim', () => {
    const plan = planResize('demo', 5, 3);
    expect(plan.steps.map((s) => s.acts.map((a) => a.action))).toEqual([
      ['move-leader', 'remove-member', 'delete-pvc'],
      ['move-leader', 'remove-member', 'delete-pvc'],
    ]);
    expect(plan.steps[0].acts[0].text).toBe('move leadership off demo-4 (if it leads)');
  });

  test('3 -> 1: flags the steps that tolerate fewer failures than before', () => {
    const plan = planResize('demo', 3, 1, members(3));
    expect(planLines(plan)).toEqual([
      'remove demo-2 (voting 2, quorum 2, tolerates 0), delete PVC data-demo-2',
      'remove demo-1 (voting 1, quorum 1, tolerates 0), delete PVC data-demo-1',
    ]);
    expect(plan.steps.map((s) => s.lessTolerantThanBefore)).toEqual([true, true]);
    expect([plan.toleratesBefore, plan.toleratesAfter]).toEqual([1, 0]);
  });

  test('no change, no steps', () => {
    expect(planResize('demo', 3, 3, members(3)).steps).toEqual([]);
  });

  test('members are ordered by ordinal from 10 on (never as text)', () => {
    const plan = planResize('big', 12, 9);
    expect(plan.steps.map((s) => s.member)).toEqual(['big-11', 'big-10', 'big-9']);
  });
});

describe('planResize counts healthy members only', () => {
  const sick = (n: number, ...down: number[]) => {
    const st = members(n);
    for (const k of down) st.members![k].healthy = false;
    return st;
  };

  test('5 -> 3 with demo-2 down: tolerates 1 now and 0 after each step (demo-2 stays, demo-4 and demo-3 go)', () => {
    const plan = planResize('demo', 5, 3, sick(5, 2));
    expect([plan.toleratesBefore, plan.toleratesAfter]).toEqual([1, 0]);
    expect(planLines(plan)).toEqual([
      'remove demo-4 (voting 4, healthy 3, quorum 3, tolerates 0), delete PVC data-demo-4',
      'remove demo-3 (voting 3, healthy 2, quorum 2, tolerates 0), delete PVC data-demo-3',
    ]);
    expect(planSummary(plan)).toBe('Tolerates 1 failure now (2 with every member healthy), 0 when done.');
    expect(plan.unhealthyKept).toEqual(['demo-2']);
    expect(plan.steps.map((s) => s.unhealthyKept)).toEqual([['demo-2'], ['demo-2']]);
  });

  test('every action carries the cluster right after it: a learner does not vote, a promotion adds a healthy voter', () => {
    expect(planActions(planResize('demo', 3, 4, sick(3, 0))).map(({ action, member, votingAfter, healthyAfter, quorumAfter, toleratesAfter }) =>
      [action, member, votingAfter, healthyAfter, quorumAfter, toleratesAfter])).toEqual([
      ['add-learner', 'demo-3', 3, 2, 2, 0],
      ['start-pod', 'demo-3', 3, 2, 2, 0],
      ['promote', 'demo-3', 4, 3, 3, 0],
    ]);
    expect(planActions(planResize('demo', 3, 2, members(3, 'demo-2'))).map((a) => [a.action, a.votingAfter, a.healthyAfter, a.toleratesAfter])).toEqual([
      ['move-leader', 3, 3, 1], ['remove-member', 2, 2, 0], ['delete-pvc', 2, 2, 0],
    ]);
  });

  test('an unhealthy member that leaves costs nothing; a step that would lose quorum says so', () => {
    expect(planResize('demo', 5, 3, sick(5, 4, 3)).toleratesAfter).toBe(1);
    const lost = planResize('demo', 3, 1, sick(3, 0));
    expect(planLines(lost)[1]).toBe('remove demo-1 (voting 1, healthy 0, quorum 1, quorum LOST), delete PVC data-demo-1');
    expect(planSummary(lost)).toBe('Tolerates 0 failures now (1 with every member healthy), quorum LOST when done.');
    expect(planSummary(planResize('demo', 3, 5, sick(3, 1, 2)))).toMatch(/^Quorum is LOST now, /);
  });

  test('members join at the lowest free ordinal, as the controller adds them', () => {
    const st = members(3);
    st.members!.splice(1, 1);
    expect(planResize('demo', 2, 4, st).steps.map((s) => s.member)).toEqual(['demo-1', 'demo-3']);
  });
});

describe('planStart', () => {
  test("etcd's voting members once formed, spec.size before", () => {
    expect(planStart(3, members(2))).toBe(2);
    expect(planStart(3, { members: [] })).toBe(3);
    expect(planStart(3, undefined)).toBe(3);
  });
});

describe('the preflight that precedes a plan (shared policy)', () => {
  const req = (status: EtcdClusterStatus, oldSize: number, newSize: number) =>
    evaluateResize({ operation: 'UPDATE', oldSize, newSize, status, generation: 1, name: 'demo' });

  test('W1 and W2 come with an allowed plan', () => {
    expect(req(members(3), 3, 4).warnings.map((w) => w.slice(0, 2))).toEqual(['W1']);
    expect(req(members(3), 3, 1).warnings.map((w) => w.slice(0, 2))).toEqual(['W2']);
  });

  test('growing with an unhealthy member is denied (V4); shrinking past quorum is denied (V5)', () => {
    const st = members(3);
    st.members![1].healthy = false;
    expect(req(st, 3, 5)).toMatchObject({ allowed: false, rule: 'V4' });
    const five = members(5);
    five.members![0].healthy = false;
    five.members![1].healthy = false;
    expect(req(five, 5, 3)).toMatchObject({ allowed: false, rule: 'V5' });
  });
});
