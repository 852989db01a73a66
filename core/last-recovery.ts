// status.lastRecovery, pure: begun by the controller's begin-recovery step; `forcedAt` when the chosen member
// is first seen leading a cluster of itself (from then on its entry no longer asks etcd to force it); completed
// once the cluster is back at spec.size with every member healthy and Ready.
import type { Recovery } from './api.js';
import type { ObservedMember, Step } from './reconcile-step.js';

export interface LastRecoveryInput {
  prev?: Recovery;
  step: Step;
  members?: ObservedMember[];
  authoritative: boolean;
  readyPods: Set<string>;
  size: number;
  now: string;
}

export function nextLastRecovery(i: LastRecoveryInput): Recovery | undefined {
  if (i.step.kind === 'begin-recovery') return i.step.recovery;
  const { prev } = i;
  if (!prev || prev.completedAt || !i.members) return prev;
  const next: Recovery = { ...prev };
  if (!next.forcedAt && i.authoritative && i.members.length === 1 && i.members[0].id === prev.id) next.forcedAt = i.now;
  const voting = i.members.filter((m) => !m.isLearner);
  const back = i.authoritative && voting.length === i.size && i.members.length === i.size && voting.every((m) => m.healthy && i.readyPods.has(m.name));
  if (next.forcedAt && back) next.completedAt = i.now;
  return next;
}
