// RFC 6902 JSONPatch that sets annotations without disturbing the ones already there.
import { isPlainObject } from '../core/admission-review.js';

export interface JsonPatchOp { op: 'add'; path: string; value: unknown }

/** RFC 6901: '~' -> '~0' first, then '/' -> '~1'. */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Patch setting `set` on `object`'s annotations; adds metadata.annotations when absent. [] when there is no metadata. */
export function annotationPatch(object: unknown, set: Record<string, string>): JsonPatchOp[] {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) return [];
  const existing = object.metadata.annotations;
  if (!isPlainObject(existing)) return [{ op: 'add', path: '/metadata/annotations', value: set }];
  // 'add' on an existing member replaces it, so one op per key works whether or not the key exists.
  return Object.entries(set).map(([key, value]) => ({ op: 'add', path: `/metadata/annotations/${escapePointer(key)}`, value }));
}
