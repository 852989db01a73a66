// Quorum arithmetic and the member views every rule is stated in (SPEC.md, "Admission policy").
import type { EtcdClusterStatus, MemberStatus } from './api.js';

export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Failures a cluster of n voting members survives. */
export function faultTolerance(n: number): number {
  return n <= 0 ? 0 : n - quorum(n);
}

/** The number after the last '-' of a member/pod name; NaN when there is none. Never sort names as text. */
export function ordinalOf(name: string): number {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : Number.NaN;
}

export function voting(status: EtcdClusterStatus | undefined): MemberStatus[] {
  return (status?.members ?? []).filter((m) => !m.isLearner);
}

export function healthyVoting(status: EtcdClusterStatus | undefined): MemberStatus[] {
  return voting(status).filter((m) => m.healthy);
}

export function isFormed(status: EtcdClusterStatus | undefined): boolean {
  return (status?.members?.length ?? 0) > 0;
}

export function byOrdinal<T extends { name: string }>(members: T[]): T[] {
  return [...members].sort((a, b) => ordinalOf(a.name) - ordinalOf(b.name));
}
