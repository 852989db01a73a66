// Who asked for a resize, from what to what, and when: written by the mutating webhook as annotations on the
// EtcdCluster, or (for /scale, which cannot carry annotations) as the annotations of a ResizeRequested Event.
// The controller reads either with the same parser to fill status.lastResize.
import { Annotations } from './api.js';

export const RESIZE_REQUESTED_REASON = 'ResizeRequested';

export interface ResizeRecord {
  from: number;
  to: number;
  requestedBy?: string;
  /** RFC 3339 UTC */
  requestedAt?: string;
}

/** The four annotations of a record (what the mutating webhook patches in and the /scale Event carries). */
export function resizeRecordAnnotations(record: ResizeRecord): Record<string, string> {
  return {
    [Annotations.intendedSize]: String(record.to),
    [Annotations.previousSize]: String(record.from),
    [Annotations.requestedBy]: record.requestedBy ?? '',
    [Annotations.requestedAt]: record.requestedAt ?? '',
  };
}

/** A record needs both sizes; a CREATE (intended-size alone) is not a resize. Empty strings read as absent. */
export function parseResizeRecord(annotations: Record<string, string> | undefined): ResizeRecord | undefined {
  if (!annotations) return undefined;
  const to = parseSize(annotations[Annotations.intendedSize]);
  const from = parseSize(annotations[Annotations.previousSize]);
  if (to === undefined || from === undefined) return undefined;
  const record: ResizeRecord = { from, to };
  if (annotations[Annotations.requestedBy]) record.requestedBy = annotations[Annotations.requestedBy];
  if (annotations[Annotations.requestedAt]) record.requestedAt = annotations[Annotations.requestedAt];
  return record;
}

/** The shape of core/v1 Event this needs (structural, so callers pass client-node's CoreV1Event as is). */
export interface ResizeEventLike {
  reason?: string;
  metadata?: { annotations?: Record<string, string>; creationTimestamp?: Date | string };
}

/** The newest ResizeRequested Event recording a resize to `size`, as a record; undefined when none does. */
export function latestResizeRecord(events: ResizeEventLike[], size: number): ResizeRecord | undefined {
  let best: { record: ResizeRecord; at: number } | undefined;
  for (const e of events) {
    if (e.reason !== RESIZE_REQUESTED_REASON) continue;
    const record = parseResizeRecord(e.metadata?.annotations);
    if (!record || record.to !== size) continue;
    const at = Date.parse(record.requestedAt ?? String(e.metadata?.creationTimestamp ?? '')) || 0;
    if (!best || at >= best.at) best = { record, at };
  }
  return best?.record;
}

export function resizeEventMessage(record: ResizeRecord, via: string): string {
  return `resize ${record.from} -> ${record.to} requested by ${record.requestedBy || 'an unknown user'} via ${via}`;
}

function parseSize(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}
