// The steps the controller takes for a resize (SPEC.md, etcd-controller) and, after every action, the cluster
// as it will then be: voting members, how many of them are healthy, quorum, and the failures it tolerates,
// counted on healthy members only. What `kubectl etcd scale` shows before asking to proceed, and what the
// policy's V5, W2 and W4 are stated in. Pure: callers pass the status they read.
import type { EtcdClusterStatus, MemberStatus } from './api.js';
import { memberName, ordinalOf, pvcName } from './member-naming.js';
import { joiningOrdinal, leavingOrder, voting } from './membership.js';
import { faultTolerance, quorum, tolerates } from './quorum.js';

export type PlanAction = 'add-learner' | 'start-pod' | 'promote' | 'move-leader' | 'remove-member' | 'delete-pvc';

/** The cluster right after an action. */
export interface Figures {
  votingAfter: number;
  healthyAfter: number;
  quorumAfter: number;
  /** Failures tolerated, healthy members only; negative: quorum lost. */
  toleratesAfter: number;
}

export interface PlanAct extends Figures {
  action: PlanAction;
  member: string;
  text: string;
}

/** One member joining or leaving: its actions in order, and the cluster right after its membership change. */
export interface PlanStep {
  member: string;
  acts: PlanAct[];
  voting: number;
  healthy: number;
  quorum: number;
  tolerates: number;
  /** Unhealthy voting members still in the cluster after this step. */
  unhealthyKept: string[];
  /** Fewer failures tolerated after this step than before the resize started. */
  lessTolerantThanBefore: boolean;
}

export interface ResizePlan {
  cluster: string;
  from: number;
  to: number;
  steps: PlanStep[];
  /** Failures tolerated now and when done, healthy members only (negative: quorum lost). */
  toleratesBefore: number;
  toleratesAfter: number;
  /** Unhealthy voting members now, and those the resize keeps. */
  unhealthyNow: string[];
  unhealthyKept: string[];
}

type Planned = Pick<MemberStatus, 'name' | 'healthy'>;

/**
 * `from` is the number of voting members now (planStart). Once the cluster is formed the plan works on
 * etcd's voting members as status lists them, with their health; before, on `from` healthy members.
 * Members join at the lowest free ordinals and leave from the highest ordinal down, one at a time
 * (core/membership.ts, the rule the controller follows).
 */
export function planResize(cluster: string, from: number, to: number, status?: EtcdClusterStatus): ResizePlan {
  const listed = voting(status);
  const members: Planned[] = listed.length > 0 ? listed : Array.from({ length: from }, (_, k) => ({ name: memberName(cluster, k), healthy: true }));
  const kept = new Map(members.map((m) => [m.name, m]));
  const unhealthy = () => [...kept.values()].filter((m) => !m.healthy).map((m) => m.name);
  const figures = (): Figures => {
    const v = kept.size;
    const h = v - unhealthy().length;
    return { votingAfter: v, healthyAfter: h, quorumAfter: quorum(v), toleratesAfter: tolerates(h, v) };
  };
  const before = figures().toleratesAfter;
  const unhealthyNow = unhealthy();
  const steps: PlanStep[] = [];
  const act = (action: PlanAction, member: string, text: string): PlanAct => ({ action, member, text, ...figures() });
  const step = (member: string, acts: PlanAct[]): PlanStep => {
    const f = figures();
    return {
      member, acts, voting: f.votingAfter, healthy: f.healthyAfter, quorum: f.quorumAfter, tolerates: f.toleratesAfter,
      unhealthyKept: unhealthy(), lessTolerantThanBefore: f.toleratesAfter < before,
    };
  };

  const taken = members.map((m) => ordinalOf(m.name, cluster)).filter((k): k is number => k !== undefined);
  for (let n = members.length; n < to; n++) {
    const k = joiningOrdinal(taken);
    taken.push(k);
    const name = memberName(cluster, k);
    const acts = [act('add-learner', name, `add ${name} as learner`), act('start-pod', name, `start pod ${name}`)];
    // Promoted once caught up: a healthy voting member from then on.
    kept.set(name, { name, healthy: true });
    acts.push(act('promote', name, `promote ${name}`));
    steps.push(step(name, acts));
  }

  // Where leadership goes after a move is etcd's choice: from then on a victim "may" lead.
  let leader = status?.leader;
  const leaving = leavingOrder(members, (m) => ordinalOf(m.name, cluster)).slice(0, Math.max(0, members.length - to));
  for (const victim of leaving) {
    const name = victim.name;
    const ordinal = ordinalOf(name, cluster)!;
    const acts: PlanAct[] = [];
    if (leader === undefined) acts.push(act('move-leader', name, `move leadership off ${name} (if it leads)`));
    else if (leader === name) acts.push(act('move-leader', name, `move leadership off ${name} (it leads now)`));
    kept.delete(name);
    acts.push(act('remove-member', name, `remove ${name}`));
    const s = step(name, acts);
    s.acts.push(act('delete-pvc', name, `delete PVC ${pvcName(cluster, ordinal)}`));
    steps.push(s);
    if (leader === name) leader = undefined;
  }
  return { cluster, from: members.length, to, steps, toleratesBefore: before, toleratesAfter: figures().toleratesAfter, unhealthyNow, unhealthyKept: unhealthy() };
}

/** The member count a plan starts from: etcd's voting members once formed, else what spec.size asks. */
export function planStart(specSize: number, status?: EtcdClusterStatus): number {
  const v = voting(status).length;
  return v > 0 ? v : specSize;
}

/** Every action of the plan in order, each with the cluster right after it (`kubectl etcd scale -o json`). */
export function planActions(plan: ResizePlan): PlanAct[] {
  return plan.steps.flatMap((s) => s.acts);
}

function figuresText(s: PlanStep): string {
  const healthy = s.healthy < s.voting ? `, healthy ${s.healthy}` : '';
  const tol = s.tolerates < 0 ? 'quorum LOST' : `tolerates ${s.tolerates}`;
  return `(voting ${s.voting}${healthy}, quorum ${s.quorum}, ${tol})`;
}

/**
 * One line per step, e.g. "add demo-1 as learner, start pod demo-1, promote demo-1 (voting 2, quorum 2, tolerates 0)";
 * the healthy count shows when some member is not. For a removal the PVC deletion comes after the figures, as
 * it happens after the membership change.
 */
export function planLines(plan: ResizePlan): string[] {
  return plan.steps.map((s) => {
    const membership = s.acts.filter((a) => a.action !== 'delete-pvc').map((a) => a.text).join(', ');
    const after = s.acts.filter((a) => a.action === 'delete-pvc').map((a) => `, ${a.text}`).join('');
    return `${membership} ${figuresText(s)}${after}`;
  });
}

/** "Tolerates 1 failure now (2 with every member healthy), 0 when done." */
export function planSummary(plan: ResizePlan): string {
  const b = plan.toleratesBefore;
  const whenHealthy = plan.unhealthyNow.length > 0 ? ` (${faultTolerance(plan.from)} with every member healthy)` : '';
  const now = b < 0 ? 'Quorum is LOST now' : `Tolerates ${b} failure${b === 1 ? '' : 's'} now${whenHealthy}`;
  return `${now}, ${plan.toleratesAfter < 0 ? 'quorum LOST' : plan.toleratesAfter} when done.`;
}
