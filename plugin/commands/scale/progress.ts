// What `scale --wait` reports while the controller works, and when it is done. Pure.
import type { EtcdCluster } from '../../../core/api.js';
import { findCondition } from '../../../core/conditions.js';
import { voting } from '../../../core/membership.js';

/**
 * Done: the controller has seen the change, etcd has exactly `target` voting members and no learner, phase
 * Running, and every member is ready (healthy in etcd and its pod Ready): what `kubectl get` READY shows.
 * Also done when the controller recorded the resize complete and the cluster is Degraded for another reason
 * (a shrink that kept an unhealthy member): waiting would not make that member healthy.
 */
export function resizeDone(c: EtcdCluster, target: number, generation: number): boolean {
  const st = c.status;
  if (!st || (st.observedGeneration ?? 0) < generation) return false;
  const learners = (st.members ?? []).some((m) => m.isLearner);
  if (st.size !== target || learners) return false;
  if (st.phase === 'Running' && st.readyReplicas === target) return true;
  const last = st.lastResize;
  return st.phase === 'Degraded' && last?.to === target && last.completedAt !== undefined;
}

/** One line: where the resize is, e.g. "2/3 voting, learner demo-2, phase Scaling, step: AddingMember: promoting demo-2". */
export function progressLine(c: EtcdCluster, target: number): string {
  const st = c.status;
  const learners = (st?.members ?? []).filter((m) => m.isLearner).map((m) => m.name);
  const parts = [`${st?.size ?? voting(st).length}/${target} voting`, `${st?.readyReplicas ?? 0} ready`];
  if (learners.length) parts.push(`learner ${learners.join(', ')}`);
  parts.push(`phase ${st?.phase ?? 'unknown'}`);
  const p = findCondition(st, 'Progressing');
  if (p?.status === 'True') parts.push(`step: ${p.reason}: ${p.message}`);
  const degraded = findCondition(st, 'Degraded');
  if (degraded?.status === 'True') parts.push(`degraded: ${degraded.message}`);
  return parts.join(', ');
}
