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
});
