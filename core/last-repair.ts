// status.lastRepair (SPEC.md, "Self-healing"), pure: one record per replacement, begun by the controller's
// begin-repair step and completed once, when the member at the replaced ordinal is a healthy voting member
// under a new ID with its pod Ready. A restarted controller carries on from the record in status. Members removed
// ahead of their replacement wait in status.pendingRepairs.
import type { MemberRepair } from './api.js';
import type { ObservedMember, Step } from './reconcile-step.js';

export interface LastRepairInput {
  prev?: MemberRepair;
  step: Step;
  /** etcd's member list this pass; undefined while unknown. */
  members?: ObservedMember[];
  readyPods: Set<string>;
  size: number;
  /** RFC 3339. */
  now: string;
}

const notBefore = (now: string, startedAt: string) => (Date.parse(startedAt) > Date.parse(now) ? startedAt : now);
const ordinalOf = (name: string) => Number(/-(\d+)$/.exec(name)?.[1] ?? Number.NaN);

export function nextLastRepair(i: LastRepairInput): MemberRepair | undefined {
  if (i.step.kind === 'begin-repair') return i.step.repair;
  const { prev } = i;
  if (!prev || prev.completedAt || !i.members) return prev;
  const next: MemberRepair = { ...prev };
  const replacement = i.members.find((m) => m.name === prev.member && m.id !== prev.oldId);
  if (replacement) next.newId = replacement.id;
  const oldGone = !i.members.some((m) => m.id === prev.oldId);
  const done = replacement && !replacement.isLearner && replacement.healthy && i.readyPods.has(prev.member);
  // A shrink took the ordinal away meanwhile: the member is gone and nothing is to be added back.
  const shrunkAway = oldGone && ordinalOf(prev.member) >= i.size;
  if (oldGone && (done || shrunkAway)) next.completedAt = notBefore(i.now, prev.startedAt);
  return next;
}

/**
 * status.pendingRepairs: a queue-repair step adds its record, the begin-repair that takes it up (or a shrink that
 * takes its ordinal away) drops it. Undefined when empty.
 */
export function nextPendingRepairs(prev: MemberRepair[] | undefined, step: Step, size: number): MemberRepair[] | undefined {
  let next = prev ?? [];
  if (step.kind === 'queue-repair' && !next.some((p) => p.oldId === step.repair.oldId)) next = [...next, step.repair];
  if (step.kind === 'begin-repair') next = next.filter((p) => p.oldId !== step.repair.oldId);
  next = next.filter((p) => ordinalOf(p.member) < size);
  return next.length ? next : undefined;
}
