// status.lastResize (SPEC.md, "Truthful record"), pure: one record per resize, whichever way it was asked for
// and however many come in a row. A resize begins on the first pass that sees spec.size differ from the
// target last recorded; it keeps what it began with (from = voting members then, who asked, when) and is
// completed once, when etcd settles at the target. Everything it needs is in status and the
// ResizeRequested Events, so a restarted controller carries on with the same record.
import type { LastResize } from './api.js';
import { resizeRecordFor, type ResizeEventLike } from './resize-record.js';

export interface LastResizeInput {
  /** status.lastResize as stored. */
  prev?: LastResize;
  /** spec.size. */
  target: number;
  /** The cluster reached its first size before (growing to it is creation, not a resize). */
  everRunning: boolean;
  /** Voting members in etcd's list now; undefined while the list is unknown. */
  votingNow?: number;
  /** status.size as last written. */
  lastSize?: number;
  /** The cluster's ResizeRequested Events, read when a resize begins (beginsResize). */
  requests?: ResizeEventLike[];
  /** etcd has exactly `target` voting members, no learner, no step of the resize is left, healthy members' pods Ready. */
  settled: boolean;
  /** RFC 3339. */
  now: string;
}

type Begins = Pick<LastResizeInput, 'prev' | 'target' | 'everRunning' | 'lastSize'>;

/** This pass starts a new resize: the only time the request behind it has to be looked up. */
export function beginsResize({ prev, target, everRunning, lastSize }: Begins): boolean {
  if (prev) return prev.to !== target;
  return everRunning && lastSize !== undefined && lastSize !== target;
}

export function nextLastResize(i: LastResizeInput): LastResize | undefined {
  const { prev } = i;
  if (!beginsResize(i)) {
    if (!prev || prev.to !== i.target || prev.completedAt || !i.settled) return prev;
    return { ...prev, completedAt: notBefore(i.now, prev.startedAt) };
  }
  // A resize that replaces one still running (a reversal) begins from where that one got to.
  const request = resizeRecordFor(i.requests ?? [], i.target, prev?.startedAt);
  const next: LastResize = { from: i.votingNow ?? i.lastSize ?? prev?.to ?? i.target, to: i.target };
  if (request?.requestedBy) next.requestedBy = request.requestedBy;
  next.startedAt = request?.requestedAt ?? i.now;
  if (i.settled) next.completedAt = notBefore(i.now, next.startedAt);
  return next;
}

/** completedAt never precedes startedAt, even when the webhook's clock runs ahead of the controller's. */
function notBefore(now: string, startedAt: string | undefined): string {
  return startedAt !== undefined && Date.parse(startedAt) > Date.parse(now) ? startedAt : now;
}
