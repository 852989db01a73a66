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

/** The cluster as a plan changes it, action by action: what each act and step reports its figures from. */
class PlanBuilder {
  readonly kept: Map<string, Planned>;
  readonly steps: PlanStep[] = [];
  readonly before: number;
  readonly unhealthyNow: string[];

  constructor(members: Planned[]) {
    this.kept = new Map(members.map((m) => [m.name, m]));
    this.before = this.figures().toleratesAfter;
    this.unhealthyNow = this.unhealthy();
  }

  unhealthy(): string[] {
    return [...this.kept.values()].filter((m) => !m.healthy).map((m) => m.name);
  }

  figures(): Figures {
    const v = this.kept.size;
    const h = v - this.unhealthy().length;
    return { votingAfter: v, healthyAfter: h, quorumAfter: quorum(v), toleratesAfter: tolerates(h, v) };
  }

  act(action: PlanAction, member: string, text: string): PlanAct {
    return { action, member, text, ...this.figures() };
  }

  step(member: string, acts: PlanAct[]): PlanStep {
    const f = this.figures();
    const s = {
      member, acts, voting: f.votingAfter, healthy: f.healthyAfter, quorum: f.quorumAfter, tolerates: f.toleratesAfter,
      unhealthyKept: this.unhealthy(), lessTolerantThanBefore: f.toleratesAfter < this.before,
    };
    this.steps.push(s);
    return s;
  }

  /** Leadership off (when it may lead), the removal, then its volume: one step. */
  remove(cluster: string, name: string, leader: string | undefined, why = ''): void {
    const acts: PlanAct[] = [];
    if (leader === undefined) acts.push(this.act('move-leader', name, `move leadership off ${name} (if it leads)`));
    else if (leader === name) acts.push(this.act('move-leader', name, `move leadership off ${name} (it leads now)`));
    this.kept.delete(name);
    acts.push(this.act('remove-member', name, `remove ${name}${why}`));
    const s = this.step(name, acts);
    s.acts.push(this.act('delete-pvc', name, `delete PVC ${pvcName(cluster, ordinalOf(name, cluster)!)}`));
  }

  /** A new learner at the ordinal, its pod, promoted once caught up: a healthy voting member from then on. */
  add(name: string, what = 'as learner'): void {
    const acts = [this.act('add-learner', name, `add ${name} ${what}`), this.act('start-pod', name, `start pod ${name}`)];
    this.kept.set(name, { name, healthy: true });
    acts.push(this.act('promote', name, `promote ${name}`));
    this.step(name, acts);
  }

  plan(cluster: string, from: number, to: number): ResizePlan {
    return { cluster, from, to, steps: this.steps, toleratesBefore: this.before, toleratesAfter: this.figures().toleratesAfter, unhealthyNow: this.unhealthyNow, unhealthyKept: this.unhealthy() };
  }
}

export interface PlanOptions {
  /** repair.policy Auto: a shrink replaces the unhealthy members it keeps (the controller's KeptByShrink). */
  replaceKept?: boolean;
}

/**
 * `from` is the number of voting members now (planStart). Once the cluster is formed the plan works on
 * etcd's voting members as status lists them, with their health; before, on `from` healthy members.
 * Members join at the lowest free ordinals and leave from the highest ordinal down, one at a time
 * (core/membership.ts, the rule the controller follows).
 */
export function planResize(cluster: string, from: number, to: number, status?: EtcdClusterStatus, opts: PlanOptions = {}): ResizePlan {
  const listed = voting(status);
  const members: Planned[] = listed.length > 0 ? listed : Array.from({ length: from }, (_, k) => ({ name: memberName(cluster, k), healthy: true }));
  const b = new PlanBuilder(members);
  const taken = members.map((m) => ordinalOf(m.name, cluster)).filter((k): k is number => k !== undefined);
  for (let n = members.length; n < to; n++) {
    const k = joiningOrdinal(taken);
    taken.push(k);
    b.add(memberName(cluster, k));
  }
  // Where leadership goes after a move is etcd's choice: from then on a victim "may" lead.
  let leader = status?.leader;
  const leaving = leavingOrder(members, (m) => ordinalOf(m.name, cluster)).slice(0, Math.max(0, members.length - to));
  for (const victim of leaving) {
    b.remove(cluster, victim.name, leader);
    if (leader === victim.name) leader = undefined;
  }
  if (opts.replaceKept && to < members.length) {
    // As the controller does: only where removing it leaves the others a healthy quorum.
    for (const sick of b.unhealthy()) {
      const others = [...b.kept.values()].filter((m) => m.name !== sick);
      const healthy = others.filter((m) => m.healthy).length;
      if (others.length > 0 && healthy >= quorum(others.length)) replaceIn(b, cluster, sick, leader, ' (unhealthy, kept by the shrink)');
    }
  }
  return b.plan(cluster, members.length, to);
}

function replaceIn(b: PlanBuilder, cluster: string, name: string, leader: string | undefined, why: string): void {
  b.remove(cluster, name, leader, why);
  b.add(name, 'again as a new learner');
}

/** `kubectl etcd replace`: the member removed (its volume with it) and added again as a new learner, promoted. */
export function planReplace(cluster: string, member: string, status?: EtcdClusterStatus): ResizePlan {
  const members = voting(status);
  const b = new PlanBuilder(members);
  replaceIn(b, cluster, member, status?.leader, '');
  return b.plan(cluster, members.length, members.length);
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
