// RFC 7386 JSON merge patches computed from what is stored to what is wanted. A merge patch merges nested
// objects key by key, so a key simply left out keeps its stored value (that kept a finished resize's
// completedAt in the next one's status.lastResize): every key that should go is sent as null.
import { isPlainObject } from './admission-review.js';

/** The merge patch that turns `from` into `to` (arrays and scalars are replaced whole). */
export function mergePatchFor(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (to[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    patch[key] = isPlainObject(value) && isPlainObject(from[key]) ? mergePatchFor(from[key], value) : value;
  }
  return patch;
}
