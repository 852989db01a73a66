import type { EtcdClusterStatus } from '../../core/api.js';
import { clusterWarnings, DEFAULT_QUOTA_BYTES } from '../../core/warnings.js';

const now = new Date('2026-11-24T12:00:00Z');
const m = (name: string, healthy = true, isLearner = false) => ({ name, id: '1', isLearner, healthy });
const codes = (status: EtcdClusterStatus, more: Partial<Parameters<typeof clusterWarnings>[0]> = {}) =>
  clusterWarnings({ specSize: status.size ?? 3, generation: 1, status, members: [], now, ...more }).map((w) => w.code);

describe('clusterWarnings', () => {
  test('none for a healthy odd cluster', () => {
    expect(codes({ size: 3, observedGeneration: 1, members: [m('a-0'), m('a-1'), m('a-2')] })).toEqual([]);
  });

  test('even size', () => {
    expect(codes({ size: 4, observedGeneration: 1, members: [m('a-0'), m('a-1'), m('a-2'), m('a-3')] })).toEqual(['EvenSize']);
  });

  test('stale status: the controller has not observed the latest generation', () => {
    expect(codes({ size: 3, observedGeneration: 1 }, { generation: 2 })).toEqual(['StatusStale']);
  });

  test('unhealthy member', () => {
    expect(codes({ size: 3, observedGeneration: 1, members: [m('a-0'), m('a-1', false), m('a-2')] })).toEqual(['MemberUnhealthy']);
  });

  test('what etcd reports wrong on a member (alarms, no leader), beside its being unhealthy', () => {
    const alarmed = { ...m('a-1', false), alarms: ['memberID:1 alarm:NOSPACE', 'etcdserver: no leader'] };
    const status = { size: 3, observedGeneration: 1, members: [m('a-0'), alarmed, m('a-2')] };
    expect(codes(status)).toEqual(['MemberUnhealthy', 'MemberAlarm']);
    expect(clusterWarnings({ specSize: 3, status, members: [], now }).at(-1)!.message).toBe('a-1: etcd reports memberID:1 alarm:NOSPACE; etcdserver: no leader');
  });

  test('learner: fine for 2 minutes after its pod was created, stuck after', () => {
    const status = { size: 1, observedGeneration: 1, members: [m('a-0'), m('a-1', true, true)] };
    expect(codes(status, { members: [{ name: 'a-1', podCreatedAt: '2026-11-24T11:59:00Z' }] })).toEqual([]);
    expect(codes(status, { members: [{ name: 'a-1', podCreatedAt: '2026-11-24T11:57:00Z' }] })).toEqual(['LearnerStuck']);
  });

  test('learner without a pod: counted from when the resize started', () => {
    const status: EtcdClusterStatus = {
      size: 1, observedGeneration: 1, members: [m('a-0'), m('a-1', true, true)],
      conditions: [{ type: 'Progressing', status: 'True', reason: 'AddingMember', message: '', lastTransitionTime: '2026-11-24T11:50:00Z' }],
    };
    expect(codes(status)).toEqual(['LearnerStuck']);
  });

  test('DB above 80% of the 2 GiB default quota', () => {
    const status = { size: 1, observedGeneration: 1, members: [m('a-0')] };
    expect(codes(status, { members: [{ name: 'a-0', dbSize: 0.79 * DEFAULT_QUOTA_BYTES }] })).toEqual([]);
    expect(codes(status, { members: [{ name: 'a-0', dbSize: 0.81 * DEFAULT_QUOTA_BYTES }] })).toEqual(['DbNearQuota']);
  });

  test('DB near the cluster\'s own quota (spec.etcdOptions.quotaBackendBytes), named as such', () => {
    const status = { size: 1, observedGeneration: 1, members: [m('a-0')] };
    const quotaBytes = 8 * 1024 ** 3;
    expect(codes(status, { quotaBytes, members: [{ name: 'a-0', dbSize: 0.81 * DEFAULT_QUOTA_BYTES }] })).toEqual([]);
    const w = clusterWarnings({ specSize: 1, status, quotaBytes, members: [{ name: 'a-0', dbSize: 7 * 1024 ** 3 }], now });
    expect(w.map((x) => x.message)).toEqual(['a-0: database is 88% of its 8 GiB quota: compact and defragment, or raise spec.etcdOptions.quotaBackendBytes, before etcd raises a NOSPACE alarm']);
  });

  test('voting members sharing a node beyond what the cluster tolerates losing', () => {
    const status = { size: 3, observedGeneration: 1, members: [m('a-0'), m('a-1'), m('a-2')] };
    const on = (...nodes: string[]) => nodes.map((node, k) => ({ name: `a-${k}`, node }));
    expect(codes(status, { members: on('n1', 'n2', 'n3') })).toEqual([]);
    expect(codes(status, { members: on('n1', 'n1', 'n2') })).toEqual(['SharedNode']);
    const w = clusterWarnings({ specSize: 3, status, members: on('n1', 'n1', 'n1'), now });
    expect(w[0].message).toMatch(/^a-0, a-1, a-2 run on one node \(n1\): losing it loses 3 of 3 voting members, more than the 1 tolerated; /);
    // Five members tolerate two: two on one node is fine, three is not; a learner does not count.
    const five = { size: 5, observedGeneration: 1, members: [m('a-0'), m('a-1'), m('a-2'), m('a-3'), m('a-4', true, true)] };
    expect(codes({ ...five, size: 4 }, { members: on('n1', 'n1', 'n2', 'n3', 'n1') })).toEqual(['EvenSize', 'SharedNode']);
    const fiveVoting = { size: 5, observedGeneration: 1, members: [0, 1, 2, 3, 4].map((k) => m(`a-${k}`)) };
    expect(codes(fiveVoting, { members: on('n1', 'n1', 'n2', 'n3', 'n4') })).toEqual([]);
    expect(codes(fiveVoting, { members: on('n1', 'n1', 'n1', 'n3', 'n4') })).toEqual(['SharedNode']);
    // One member: nothing to spread.
    expect(codes({ size: 1, observedGeneration: 1, members: [m('a-0')] }, { members: on('n1') })).toEqual([]);
  });
});
