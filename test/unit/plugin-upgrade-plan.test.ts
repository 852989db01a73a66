// `kubectl etcd upgrade`'s pure parts: the plan as text and as the dry run's document, and what its progress
// says and when it is done, from fixed EtcdClusters.
import type { Condition, EtcdCluster, LastUpgrade, MemberStatus } from '../../core/api.js';
import { planUpgrade } from '../../core/version-policy.js';
import { colorsFor } from '../../plugin/cli/output.js';
import { stepText, upgradeDocument, upgradePlanText } from '../../plugin/commands/upgrade/plan.js';
import { onVersionText, rolloutHeld, upgradeDone, upgradeProgressLine } from '../../plugin/commands/upgrade/progress.js';
import { releaseOf } from '../../plugin/commands/upgrade/run.js';
import { member } from './plugin-fixtures.js';

const plain = colorsFor('never', { isTTY: true });
const on = (version: string, extra: Partial<MemberStatus> = {}) => (i: number) => member(i, { version, ...extra });
const status = (members: MemberStatus[], leader = 'demo-0') => ({ members, leader });

describe('upgrade plan text', () => {
  test('followers from the highest ordinal down, leadership moved off the leader, the leader last', () => {
    const plan = planUpgrade('3.4.23', '3.5.16', status([0, 1, 2].map(on('3.4.23')), 'demo-1'));
    expect(upgradePlanText(plan, 'demo', 'ns', '3.4.0', plain)).toEqual([
      'Plan: upgrade demo (namespace ns) from etcd 3.4.23 to 3.5.16, one member at a time: followers first (highest ordinal down), the leader last',
      '  1. restart demo-2 on 3.5.16: tolerates 0 failures while it restarts (healthy 2 of 3, quorum 2)',
      '  2. restart demo-0 on 3.5.16: tolerates 0 failures while it restarts (healthy 2 of 3, quorum 2)',
      '  3. move leadership off demo-1 to another member',
      '  4. restart demo-1 on 3.5.16: tolerates 0 failures while it restarts (healthy 2 of 3, quorum 2)',
      '  Tolerates 1 failure now; 0 failures while a member restarts.',
      "  etcd's cluster version (3.4.0) moves to 3.5 once every member runs 3.5.16; going back to 3.4 is possible only until the first member runs 3.5.16 (V10).",
    ]);
  });

  test('members on the version already are marked done; five members tolerate one failure while each restarts', () => {
    const members = [0, 1, 2, 3, 4].map((i) => member(i % 3, { name: `demo-${i}`, version: i >= 3 ? '3.5.17' : '3.5.16' }));
    const lines = upgradePlanText(planUpgrade('3.5.16', '3.5.17', status(members)), 'demo', 'ns', '3.5.0', plain);
    expect(lines.slice(1, 3)).toEqual(['  1. restart demo-4 on 3.5.17: done (it runs 3.5.17 already)', '  2. restart demo-3 on 3.5.17: done (it runs 3.5.17 already)']);
    expect(lines[3]).toBe('  3. restart demo-2 on 3.5.17: tolerates 1 failure while it restarts (healthy 4 of 5, quorum 3)');
    expect(lines).toContain('  Tolerates 2 failures now; 1 failure while a member restarts.');
    // Within a minor: nothing one-way to warn about.
    expect(lines.join('\n')).not.toContain('cluster version');
  });

  test('one member: no quorum while it restarts, said in red; every member done: nothing restarts', () => {
    const one = planUpgrade('3.5.16', '3.5.17', status([member(0, { version: '3.5.16' })]));
    expect(stepText(one.steps[0], '3.5.17')).toBe('restart demo-0 on 3.5.17: no quorum while it restarts (healthy 0 of 1, quorum 1): etcd is unavailable until it is back');
    expect(upgradePlanText(one, 'demo', 'ns', '3.5.0', plain)).toContain('  Tolerates 0 failures now; no quorum while a member restarts.');
    expect(upgradePlanText(one, 'demo', 'ns', '3.5.0', colorsFor('always', {}))[1]).toContain('\x1b[31m');
    const done = planUpgrade('3.5.16', '3.5.17', status([0, 1, 2].map(on('3.5.17'))));
    expect(upgradePlanText(done, 'demo', 'ns', '3.5.0', plain).slice(-1)).toEqual(['  Every member runs 3.5.17 already: nothing restarts.']);
  });

  test('unhealthy members the rollout waits for are named', () => {
    const plan = planUpgrade('3.5.16', '3.5.17', status([on('3.5.16')(0), on('3.5.16', { healthy: false })(1), on('3.5.16', { healthy: false })(2)]));
    expect(upgradePlanText(plan, 'demo', 'ns', '3.5.0', plain).slice(-1)).toEqual(['  Waits for unhealthy members demo-1, demo-2: the rollout pauses until every member is healthy.']);
  });

  test('the dry run document: the plan as core/version-policy.ts makes it and the verdict', () => {
    const plan = planUpgrade('3.4.23', '3.5.16', status([0, 1, 2].map(on('3.4.23'))));
    const verdict = { allowed: true, by: 'server' as const, warnings: [] };
    const doc = upgradeDocument(plan, 'demo', 'ns', verdict);
    expect(Object.keys(doc)).toEqual(['cluster', 'namespace', 'from', 'to', 'toleratesNow', 'steps', 'unhealthy', 'verdict']);
    expect(doc.steps.map((s) => `${s.action} ${s.member}`)).toEqual(['restart demo-2', 'restart demo-1', 'move-leader demo-0', 'restart demo-0']);
    expect(doc).toMatchObject({ from: '3.4.23', to: '3.5.16', toleratesNow: 1, unhealthy: [], verdict });
  });

  test('an image tag\'s "v" is dropped; anything else is left for the policy to judge', () => {
    expect(releaseOf('v3.5.16')).toBe('3.5.16');
    expect(releaseOf('3.5.16')).toBe('3.5.16');
    expect(releaseOf('vnext')).toBe('vnext');
  });
});

describe('upgrade progress and done', () => {
  const T0 = '2026-11-24T12:00:00.000Z';
  const T1 = '2026-11-24T12:01:02.000Z';
  function rolling(versions: string[], o: { upgrade?: LastUpgrade; clusterVersion?: string; observed?: number; conditions?: Condition[] } = {}): EtcdCluster {
    return {
      metadata: { name: 'demo', generation: 3 },
      spec: { size: 3, version: '3.5.16' },
      status: {
        observedGeneration: o.observed ?? 3, phase: 'Running', size: 3, leader: 'demo-0',
        members: versions.map((v, i) => member(i, v ? { version: v } : {})),
        ...(o.upgrade ? { lastUpgrade: o.upgrade } : {}),
        clusterVersion: o.clusterVersion ?? '3.4.0',
        conditions: o.conditions ?? [],
      },
    };
  }
  const open: LastUpgrade = { from: '3.4.23', to: '3.5.16', startedAt: T0 };
  const done: LastUpgrade = { ...open, completedAt: T1 };
  const cond = (type: string, reason: string, message: string): Condition => ({ type, status: 'True', reason, message, lastTransitionTime: T0 });

  test('done only once the record of this upgrade is complete and the cluster version reached the minor', () => {
    const all = ['3.5.16', '3.5.16', '3.5.16'];
    expect(upgradeDone(rolling(all, { upgrade: done, clusterVersion: '3.5.0' }), '3.5.16', 3)).toBe(true);
    // Every member on the version is not done: the record is open, or the cluster version is behind.
    expect(upgradeDone(rolling(all, { upgrade: open, clusterVersion: '3.5.0' }), '3.5.16', 3)).toBe(false);
    expect(upgradeDone(rolling(all, { upgrade: done, clusterVersion: '3.4.0' }), '3.5.16', 3)).toBe(false);
    // Another upgrade's record, or one from before the controller saw this change, is not this one.
    expect(upgradeDone(rolling(all, { upgrade: { ...done, to: '3.5.15' }, clusterVersion: '3.5.0' }), '3.5.16', 3)).toBe(false);
    expect(upgradeDone(rolling(all, { upgrade: done, clusterVersion: '3.5.0', observed: 2 }), '3.5.16', 3)).toBe(false);
    // A patch release: the cluster version stays at the minor, and that is reached.
    expect(upgradeDone(rolling(all, { upgrade: { from: '3.5.15', to: '3.5.16', startedAt: T0, completedAt: T1 }, clusterVersion: '3.5.0' }), '3.5.16', 3)).toBe(true);
  });

  test('the line: waiting for the controller until it recorded the upgrade', () => {
    expect(upgradeProgressLine(rolling(['3.4.23', '3.4.23', '3.4.23'], { observed: 2 }), '3.5.16', 3)).toBe('waiting for the controller, 0 of 3 members on 3.5.16, cluster version 3.4.0');
  });

  test('the line: members on the new version with their names, the step, and what holds the rollout', () => {
    const step = cond('Progressing', 'Upgrading', 'upgrade 3.4.23 -> 3.5.16: restarting demo-1 on etcd 3.5.16 (a follower; 1 of 3 members restarted)');
    const c = rolling(['3.4.23', '', '3.5.16'], { upgrade: open, conditions: [step] });
    expect(upgradeProgressLine(c, '3.5.16', 3)).toBe('1 of 3 members on 3.5.16 (demo-2), cluster version 3.4.0, step: Upgrading: upgrade 3.4.23 -> 3.5.16: restarting demo-1 on etcd 3.5.16 (a follower; 1 of 3 members restarted)');
    const stuck = cond('Degraded', 'RolloutStuck', 'upgrade 3.4.23 -> 3.5.16 stopped (1 of 3 members restarted): demo-1 has not come back 2m after its restart (CrashLoopBackOff); fix it');
    c.status!.conditions = [step, stuck];
    expect(upgradeProgressLine(c, '3.5.16', 3)).toMatch(/, RolloutStuck: upgrade 3\.4\.23 -> 3\.5\.16 stopped \(1 of 3 members restarted\): demo-1 has not come back/);
    // A member coming back from its restart is the rollout's normal course, not something holding it.
    c.status!.conditions = [step, cond('Degraded', 'MemberRestarting', 'waiting for demo-1 to come back')];
    expect(rolloutHeld(c.status)).toBeUndefined();
    expect(upgradeProgressLine(c, '3.5.16', 3)).not.toContain('MemberRestarting');
  });

  test('members on a version: voting members only, named', () => {
    const c = rolling(['3.5.16', '3.4.23', '3.5.16']);
    c.status!.members!.push(member(2, { name: 'demo-3', isLearner: true, version: '3.5.16' }));
    expect(onVersionText(c.status, '3.5.16')).toBe('2 of 3 members on 3.5.16 (demo-0, demo-2)');
    expect(onVersionText(c.status, '3.6.0')).toBe('0 of 3 members on 3.6.0');
  });
});
