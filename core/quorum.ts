// Quorum arithmetic (SPEC.md, "Admission policy"): how many voting members etcd needs, and how many
// failures a cluster survives, counted on healthy members.

export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Failures a cluster of n voting members survives when every one of them is healthy. */
export function faultTolerance(n: number): number {
  return n <= 0 ? 0 : n - quorum(n);
}

/**
 * Failures a cluster of `votingCount` voting members survives with `healthy` of them healthy; negative when
 * quorum is already lost (by that many members).
 */
export function tolerates(healthy: number, votingCount: number): number {
  return healthy - quorum(votingCount);
}
