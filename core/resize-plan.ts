// The steps the controller takes for a resize (SPEC.md, etcd-controller), with the quorum and the failures
// tolerated after each membership change: what `kubectl etcd scale` shows before asking to proceed.
// Pure: callers pass the status they read.
import type { EtcdClusterStatus } from './api.js';
import { memberName, pvcName } from './member-naming.js';
import { faultTolerance, quorum, voting } from './quorum.js';

export type PlanAction = 'add-learner' | 'start-pod' | 'promote' | 'move-leader' | 'remove-member' | 'delete-pvc';

export interface PlanAct {
  action: PlanAction;
  text: string;
}

/** One member joining or leaving: its actions in order, then the cluster right after its membership change. */
export interface PlanStep {
  member: string;
  acts: PlanAct[];
  voting: number;
  quorum: number;
  tolerates: number;
  /** Fewer failures tolerated after this step than before the resize started. */
  lessTolerantThanBefore: boolean;
}

export interface ResizePlan {
  cluster: string;
  from: number;
  to: number;
  steps: PlanStep[];
  /** Failures tolerated before the first step and after the last. */
  toleratesBefore: number;
  toleratesAfter: number;
}

/**
 * `from` is the number of voting members now: etcd's list when the cluster is formed, else spec.size.
 * Members join at the next ordinals and leave from the highest ordinal down, one at a time.
 */
export function planResize(cluster: string, from: number, to: number, status?: EtcdClusterStatus): ResizePlan {
  const before = faultTolerance(from);
  const steps: PlanStep[] = [];
  const figures = (n: number) => ({ voting: n, quorum: quorum(n), tolerates: faultTolerance(n), lessTolerantThanBefore: faultTolerance(n) < before });
  for (let k = from; k < to; k++) {
    const name = memberName(cluster, k);
    steps.push({
      member: name,
      acts: [
        { action: 'add-learner', text: `add ${name} as learner` },
        { action: 'start-pod', text: `start pod ${name}` },
        { action: 'promote', text: `promote ${name}` },
      ],
      ...figures(k + 1),
    });
  }
  // Where leadership goes after a move is etcd's choice: from then on a victim "may" lead.
  let leader = status?.leader;
  for (let k = from - 1; k >= to; k--) {
    const name = memberName(cluster, k);
    const acts: PlanAct[] = [];
    if (leader === undefined) acts.push({ action: 'move-leader', text: `move leadership off ${name} (if it leads)` });
    else if (leader === name) acts.push({ action: 'move-leader', text: `move leadership off ${name} (it leads now)` });
    acts.push({ action: 'remove-member', text: `remove ${name}` });
    acts.push({ action: 'delete-pvc', text: `delete PVC ${pvcName(cluster, k)}` });
    steps.push({ member: name, acts, ...figures(k) });
    if (leader === name) leader = undefined;
  }
  return { cluster, from, to, steps, toleratesBefore: before, toleratesAfter: faultTolerance(to) };
}

/** The member count a plan starts from: etcd's voting members once formed, else what spec.size asks. */
export function planStart(specSize: number, status?: EtcdClusterStatus): number {
  const v = voting(status).length;
  return v > 0 ? v : specSize;
}

/**
 * One line per step, e.g. "add demo-1 as learner, start pod demo-1, promote demo-1 (voting 2, quorum 2, tolerates 0)";
 * for a removal the PVC deletion comes after the figures, as it happens after the membership change.
 */
export function planLines(plan: ResizePlan): string[] {
  return plan.steps.map((s) => {
    const membership = s.acts.filter((a) => a.action !== 'delete-pvc').map((a) => a.text).join(', ');
    const after = s.acts.filter((a) => a.action === 'delete-pvc').map((a) => `, ${a.text}`).join('');
    return `${membership} (voting ${s.voting}, quorum ${s.quorum}, tolerates ${s.tolerates})${after}`;
  });
}
