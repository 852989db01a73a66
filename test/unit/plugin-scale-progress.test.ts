import type { EtcdCluster, MemberStatus } from '../../core/api.js';
import { progressLine, resizeDone } from '../../plugin/commands/scale/progress.js';

const member = (i: number, isLearner = false): MemberStatus => ({ name: `demo-${i}`, id: `${i}`.padStart(16, '0'), isLearner, healthy: true });

function cluster(size: number, ready: number, opts: { learner?: boolean; phase?: 'Running' | 'Scaling'; observed?: number } = {}): EtcdCluster {
  const members = Array.from({ length: size }, (_, i) => member(i));
  if (opts.learner) members.push(member(size, true));
  return {
    metadata: { name: 'demo', generation: 2 },
    spec: { size: 3 },
    status: { observedGeneration: opts.observed ?? 2, size, readyReplicas: ready, phase: opts.phase ?? 'Running', members },
  };
}

describe('scale --wait: when a resize is done', () => {
  it('is done only when etcd has the target voting members, no learner, Running, and all of them ready', () => {
    expect(resizeDone(cluster(3, 3), 3, 2)).toBe(true);
  });
  it('is not done while a member is not ready yet (READY 2 of 3 must not be reported as done)', () => {
    expect(resizeDone(cluster(3, 2), 3, 2)).toBe(false);
  });
  it('is not done with a learner, before the controller saw the change, or while Scaling', () => {
    expect(resizeDone(cluster(3, 3, { learner: true }), 3, 2)).toBe(false);
    expect(resizeDone(cluster(3, 3, { observed: 1 }), 3, 2)).toBe(false);
    expect(resizeDone(cluster(3, 3, { phase: 'Scaling' }), 3, 2)).toBe(false);
    expect(resizeDone(cluster(2, 2), 3, 2)).toBe(false);
  });
  it('is done when the controller recorded the resize complete and only an unhealthy member keeps it Degraded', () => {
    const c = cluster(3, 2, { phase: 'Running' });
    c.status!.phase = 'Degraded';
    expect(resizeDone(c, 3, 2)).toBe(false);
    c.status!.lastResize = { from: 5, to: 3, startedAt: '2026-01-01T00:00:00Z', completedAt: '2026-01-01T00:00:03Z' };
    expect(resizeDone(c, 3, 2)).toBe(true);
    c.status!.lastResize = { from: 5, to: 3, startedAt: '2026-01-01T00:00:00Z' };
    expect(resizeDone(c, 3, 2)).toBe(false);
  });
  it('progress names voting and ready counts and the learner', () => {
    expect(progressLine(cluster(2, 2, { learner: true, phase: 'Scaling' }), 3)).toBe('2/3 voting, 2 ready, learner demo-2, phase Scaling');
  });
});
