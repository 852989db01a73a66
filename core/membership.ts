// The member views every rule is stated in (SPEC.md, "Admission policy"), and the one rule of who leaves a
// shrinking cluster and where a new member joins: the policy, the plan and the controller's step all use it.
import type { EtcdClusterStatus, MemberStatus } from './api.js';
import { ordinalOf } from './member-naming.js';

export function voting(status: EtcdClusterStatus | undefined): MemberStatus[] {
  return (status?.members ?? []).filter((m) => !m.isLearner);
}

export function healthyVoting(status: EtcdClusterStatus | undefined): MemberStatus[] {
  return voting(status).filter((m) => m.healthy);
}

export function isFormed(status: EtcdClusterStatus | undefined): boolean {
  return (status?.members?.length ?? 0) > 0;
}

/** How a list names its members' ordinals (undefined: not one of this controller's members). */
export type OrdinalOf<T> = (m: T) => number | undefined;

const nameOrdinal = (m: { name: string }) => ordinalOf(m.name);

/** By ordinal, as numbers; members without one last, by name. */
export function byOrdinal<T extends { name: string }>(members: T[], ordinal: OrdinalOf<T> = nameOrdinal): T[] {
  return [...members].sort((a, b) => {
    const x = ordinal(a);
    const y = ordinal(b);
    if (x !== undefined && y !== undefined) return x - y;
    if (x !== undefined || y !== undefined) return x !== undefined ? -1 : 1;
    return a.name.localeCompare(b.name);
  });
}

/**
 * Who leaves a shrinking cluster, first to last: this controller's members, highest ordinal first (a
 * StatefulSet only ever removes its highest pod, so a member in the middle cannot go). A member without an
 * ordinal of ours is never chosen.
 */
export function leavingOrder<T>(members: T[], ordinal: OrdinalOf<T>): T[] {
  return members
    .filter((m) => ordinal(m) !== undefined)
    .sort((a, b) => ordinal(b)! - ordinal(a)!);
}

/** Where the next member joins: the lowest ordinal no member holds. */
export function joiningOrdinal(taken: Iterable<number>): number {
  const held = new Set(taken);
  let k = 0;
  while (held.has(k)) k++;
  return k;
}
