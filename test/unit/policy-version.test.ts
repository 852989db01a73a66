// Rule V10 (a version change: one minor up or any patch, one change at a time), W7/W8, and the upgrade plan,
// as the webhook (through evaluateAdmission) and the plugin's preflight see them.
import type { EtcdClusterStatus, MemberStatus } from '../../core/api.js';
import { compareVersions, minorOf, versionPath } from '../../core/etcd-version.js';
import { evaluateAdmission } from '../../core/policy.js';
import { evaluateVersionChange, planUpgrade } from '../../core/version-policy.js';

const m = (k: number, patch: Partial<MemberStatus> = {}): MemberStatus => ({
  name: `demo-${k}`, id: (0xabc0 + k).toString(16).padStart(16, '0'), isLearner: false, healthy: true, version: '3.4.23', ...patch,
});
const healthy3: EtcdClusterStatus = { phase: 'Running', size: 3, leader: 'demo-0', members: [m(0), m(1), m(2)], observedGeneration: 4 };
const change = (oldVersion: string, newVersion: string, status: EtcdClusterStatus = healthy3) =>
  evaluateVersionChange({ name: 'demo', oldVersion, newVersion, status, generation: 4 });

describe('etcd versions', () => {
  it('tells a patch change, one minor up, a downgrade, a skipped minor and a major change apart', () => {
    expect(versionPath('3.5.16', '3.5.16')).toEqual({ kind: 'same' });
    expect(versionPath('3.5.30', '3.5.16')).toEqual({ kind: 'patch' });
    expect(versionPath('3.4.23', '3.5.16')).toEqual({ kind: 'upgrade' });
    expect(versionPath('3.5.16', '3.4.23')).toEqual({ kind: 'downgrade' });
    expect(versionPath('3.4.23', '3.6.5')).toEqual({ kind: 'skipped', via: '3.5' });
    expect(versionPath('3.5.16', '4.0.0')).toEqual({ kind: 'major' });
    expect(versionPath('3.5.16', 'latest')).toEqual({ kind: 'unparsable', which: 'to' });
  });

  it('reads minors of versions and cluster versions, and orders releases', () => {
    expect(minorOf('3.5.16')).toBe('3.5');
    expect(minorOf('3.5.0')).toBe('3.5');
    expect(minorOf('v3.4.23')).toBe('3.4');
    expect(minorOf(undefined)).toBeUndefined();
    expect(compareVersions('3.5.9', '3.5.16')).toBeLessThan(0);
    expect(compareVersions('3.6.0', '3.5.30')).toBeGreaterThan(0);
  });
});

describe('V10', () => {
  it('allows one minor up and patch changes both ways', () => {
    expect(change('3.4.23', '3.5.16')).toEqual({ allowed: true, warnings: [], bypassed: [] });
    expect(change('3.5.30', '3.5.16').allowed).toBe(true);
    expect(change('3.5.16', '3.5.30').allowed).toBe(true);
  });

  it('denies a minor downgrade, naming the versions and what is allowed instead', () => {
    const v = change('3.5.16', '3.4.23', { ...healthy3, clusterVersion: '3.5.0', members: healthy3.members!.map((x) => ({ ...x, version: '3.5.16' })) });
    expect(v.allowed).toBe(false);
    expect(v.message).toMatch(/^V10: cannot downgrade demo from etcd 3\.5\.16 to 3\.4\.23/);
    expect(v.message).toContain('cluster version 3.5.0');
    expect(v.message).toContain('Patch releases within 3.5 are allowed both ways');
  });

  it('denies a skipped minor, naming the path to take', () => {
    const v = change('3.4.23', '3.6.5');
    expect(v.allowed).toBe(false);
    expect(v.message).toContain('V10: cannot upgrade demo from etcd 3.4.23 to 3.6.5 directly: etcd upgrades one minor version at a time');
    expect(v.message).toContain('Upgrade to 3.5 first');
  });

  it('denies a version change while a resize, a replacement or another upgrade runs', () => {
    const resizing: EtcdClusterStatus = { ...healthy3, conditions: [{ type: 'Progressing', status: 'True', reason: 'Resizing', message: 'adding demo-3 as a learner', lastTransitionTime: 't' }] };
    expect(change('3.4.23', '3.5.16', resizing).message).toMatch(/V10: cannot change the version of demo \(3\.4\.23 -> 3\.5\.16\) now: a change \(Resizing: adding demo-3 as a learner\) is in progress/);
    const repairing: EtcdClusterStatus = { ...healthy3, lastRepair: { member: 'demo-1', oldId: m(1).id, reason: 'DataLost', message: 'x', startedAt: 't' } };
    expect(change('3.4.23', '3.5.16', repairing).message).toContain('the replacement of demo-1 (DataLost) is in progress');
    const upgrading: EtcdClusterStatus = { ...healthy3, members: [m(0), m(1), m(2, { version: '3.5.16' })], lastUpgrade: { from: '3.4.23', to: '3.5.16', startedAt: 't' } };
    expect(change('3.5.16', '3.5.17', upgrading).message).toContain('the upgrade 3.4.23 -> 3.5.16 (1 of 3 members on 3.5.16) is in progress');
    const unobserved: EtcdClusterStatus = { ...healthy3, observedGeneration: 3 };
    expect(change('3.4.23', '3.5.16', unobserved).message).toContain('not yet observed by the controller');
  });

  it('lets an open upgrade go back while no member runs the new minor, and not once one does', () => {
    const open = { from: '3.4.23', to: '3.5.16', startedAt: 't' };
    const none: EtcdClusterStatus = { ...healthy3, members: [m(0), m(1), m(2, { healthy: false, version: undefined })], lastUpgrade: open };
    const back = change('3.5.16', '3.4.23', none);
    expect(back.allowed).toBe(true);
    expect(back.warnings.join('\n')).toContain('W7: demo: going back to 3.4.23');
    const one: EtcdClusterStatus = { ...none, members: [m(0), m(1), m(2, { version: '3.5.16' })] };
    expect(change('3.5.16', '3.4.23', one).message).toMatch(/^V10: cannot downgrade/);
  });

  it('denies a version and a size change in one request', () => {
    const v = evaluateVersionChange({ name: 'demo', oldVersion: '3.4.23', newVersion: '3.5.16', status: healthy3, generation: 4, sizeChanges: true });
    expect(v.message).toContain('change spec.version (3.4.23 -> 3.5.16) and spec.size in separate requests');
  });

  it('denies an upgrade without quorum, and warns of unhealthy members and of a cluster that stops while a member restarts', () => {
    const lost: EtcdClusterStatus = { ...healthy3, members: [m(0), m(1, { healthy: false }), m(2, { healthy: false })] };
    expect(change('3.4.23', '3.5.16', lost).message).toContain('quorum is lost (1 of 3 voting members healthy, quorum 2)');
    const sick: EtcdClusterStatus = { ...healthy3, members: [m(0), m(1), m(2, { healthy: false })] };
    const v = change('3.4.23', '3.5.16', sick);
    expect(v.allowed).toBe(true);
    expect(v.warnings[0]).toBe('W7: demo has unhealthy member(s) demo-2: the rollout to 3.5.16 waits until every member is healthy (kubectl etcd status demo)');
    expect(v.warnings[1]).toMatch(/^W8: while each member restarts on 3\.5\.16, demo has no quorum \(1 healthy of 3, quorum 2\)/);
    const single: EtcdClusterStatus = { ...healthy3, size: 1, members: [m(0)] };
    expect(change('3.4.23', '3.5.16', single).warnings).toEqual([expect.stringMatching(/^W8: .*0 healthy of 1, quorum 1/)]);
  });

  it('is applied by the webhook policy on UPDATE, with the rule V10, and never on CREATE', () => {
    const base = { oldSize: 3, newSize: 3, status: healthy3, generation: 4, name: 'demo' };
    const denied = evaluateAdmission({ ...base, operation: 'UPDATE', oldSpec: { size: 3, version: '3.5.16' }, newSpec: { size: 3, version: '3.4.23' } });
    expect(denied).toMatchObject({ allowed: false, rule: 'V10' });
    const allowed = evaluateAdmission({ ...base, operation: 'UPDATE', oldSpec: { size: 3, version: '3.4.23' }, newSpec: { size: 3, version: '3.5.16' } });
    expect(allowed).toMatchObject({ allowed: true, warnings: [] });
    const created = evaluateAdmission({ operation: 'CREATE', newSize: 3, newSpec: { size: 3, version: '3.6.5' }, name: 'demo' });
    expect(created.allowed).toBe(true);
  });

  it('V3 names a running upgrade when a resize is asked for during it', () => {
    const upgrading: EtcdClusterStatus = { ...healthy3, members: [m(0), m(1), m(2, { version: '3.5.16' })], lastUpgrade: { from: '3.4.23', to: '3.5.16', startedAt: 't' } };
    const v = evaluateAdmission({ operation: 'UPDATE', oldSize: 3, newSize: 5, status: upgrading, generation: 4, name: 'demo', oldSpec: { size: 3, version: '3.5.16' }, newSpec: { size: 5, version: '3.5.16' } });
    expect(v).toMatchObject({ allowed: false, rule: 'V3' });
    expect(v.message).toContain('an upgrade of demo from etcd 3.4.23 to 3.5.16 is in progress (1 of 3 members on 3.5.16)');
  });
});

describe('planUpgrade', () => {
  it('restarts followers from the highest ordinal down, then the leader after leadership moves off it', () => {
    const plan = planUpgrade('3.4.23', '3.5.16', { ...healthy3, leader: 'demo-1' });
    expect(plan.steps.map((s) => `${s.action} ${s.member}`)).toEqual(['restart demo-2', 'restart demo-0', 'move-leader demo-1', 'restart demo-1']);
    expect(plan.toleratesNow).toBe(1);
    expect(plan.steps.find((s) => s.action === 'restart')).toMatchObject({ voting: 3, healthy: 2, quorum: 2, tolerates: 0 });
  });

  it('marks members already on the new version done, counts unhealthy ones as already down', () => {
    const status: EtcdClusterStatus = { ...healthy3, members: [m(0), m(1, { healthy: false }), m(2, { version: '3.5.16' })] };
    const plan = planUpgrade('3.4.23', '3.5.16', status);
    expect(plan.steps.find((s) => s.member === 'demo-2')).toMatchObject({ done: true, healthy: 2 });
    expect(plan.steps.find((s) => s.member === 'demo-1')).toMatchObject({ healthy: 2, tolerates: 0 });
    expect(plan.steps.find((s) => s.member === 'demo-0' && s.action === 'restart')).toMatchObject({ healthy: 1, tolerates: -1 });
    expect(plan.unhealthy).toEqual(['demo-1']);
  });
});
