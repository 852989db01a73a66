// RFC 6902 JSONPatch on an admitted object's annotations.
import { isPlainObject } from '../core/admission-review.js';

export interface JsonPatchOp { op: 'remove'; path: string }

/** RFC 6901: '~' -> '~0' first, then '/' -> '~1'. */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Patch removing those of `keys` that `object` has among its annotations; [] when it has none of them. */
export function annotationRemovals(object: unknown, keys: readonly string[]): JsonPatchOp[] {
  const annotations = isPlainObject(object) && isPlainObject(object.metadata) ? object.metadata.annotations : undefined;
  if (!isPlainObject(annotations)) return [];
  return keys.filter((k) => k in annotations).map((k) => ({ op: 'remove', path: `/metadata/annotations/${escapePointer(k)}` }));
}
