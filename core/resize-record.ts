// Who asked for a resize, from what to what, and when. The validating webhook records every accepted resize,
// whichever way it came (an update of the EtcdCluster or its /scale subresource, which cannot carry
// annotations), as a ResizeRequested Event on the EtcdCluster whose annotations hold the record, written before
// it answers: so the record exists before the resize does, and nothing writes to the EtcdCluster for it. The
// controller reads the newest one when it sees the resize begin and keeps it in status.lastResize.
import { Annotations } from './api.js';

export const RESIZE_REQUESTED_REASON = 'ResizeRequested';

export interface ResizeRecord {
  /** spec.size before the request. */
  from: number;
  to: number;
  requestedBy?: string;
  /** RFC 3339 UTC, milliseconds: when the webhook accepted the request. */
  requestedAt?: string;
}

/**
 * The annotation keys of a record. They are an Event's, never the EtcdCluster's: a /scale resize could not
 * update them there, so an intent recorded on the object could be false (the mutating webhook removes any).
 */
export const RECORD_ANNOTATIONS = [Annotations.intendedSize, Annotations.previousSize, Annotations.requestedBy, Annotations.requestedAt] as const;

/** The four annotations of a ResizeRequested Event. */
export function resizeRecordAnnotations(record: ResizeRecord): Record<string, string> {
  return {
    [Annotations.intendedSize]: String(record.to),
    [Annotations.previousSize]: String(record.from),
    [Annotations.requestedBy]: record.requestedBy ?? '',
    [Annotations.requestedAt]: record.requestedAt ?? '',
  };
}

/** A record needs both sizes. Empty strings read as absent. */
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

/**
 * The request behind a resize to `size`: the newest ResizeRequested Event for that size, and (when given)
 * requested after `after`, so that an old request for the same size never stands for a new resize.
 */
export function resizeRecordFor(events: ResizeEventLike[], size: number, after?: string): ResizeRecord | undefined {
  const floor = after === undefined ? Number.NEGATIVE_INFINITY : Date.parse(after);
  let best: { record: ResizeRecord; at: number } | undefined;
  for (const e of events) {
    if (e.reason !== RESIZE_REQUESTED_REASON) continue;
    const record = parseResizeRecord(e.metadata?.annotations);
    if (!record || record.to !== size) continue;
    const at = Date.parse(record.requestedAt ?? String(e.metadata?.creationTimestamp ?? '')) || 0;
    if (at <= floor) continue;
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
