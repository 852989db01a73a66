import { Annotations } from '../../core/api.js';
import { RECORD_ANNOTATIONS } from '../../core/resize-record.js';
import { annotationRemovals, escapePointer, type JsonPatchOp } from '../../webhook/patch.js';

// A minimal RFC 6902 "remove" applier (RFC 6901 pointers), enough to check the patches do what they claim.
function applyPatch(doc: unknown, ops: JsonPatchOp[]): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    expect(op.op).toBe('remove');
    const tokens = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop() as string;
    let target: Record<string, unknown> = out;
    for (const t of tokens) {
      if (typeof target[t] !== 'object' || target[t] === null) throw new Error(`path ${op.path}: ${t} does not exist`);
      target = target[t] as Record<string, unknown>;
    }
    // RFC 6902: removing a member that is not there fails the whole patch.
    if (!(last in target)) throw new Error(`path ${op.path}: nothing to remove`);
    delete target[last];
  }
  return out;
}

describe('annotationRemovals (no recorded intent on the EtcdCluster)', () => {
  it('escapes "/" as ~1 and "~" as ~0', () => {
    expect(escapePointer('etcd.k8s-operator.io/intended-size')).toBe('etcd.k8s-operator.io~1intended-size');
    expect(escapePointer('a~b/c')).toBe('a~0b~1c');
  });

  it('removes the record annotations present and keeps every other one', () => {
    const obj = { metadata: { name: 'demo', annotations: { keep: 'me', [Annotations.intendedSize]: '1', [Annotations.requestedBy]: 'alice', [Annotations.forceResize]: 'true' } }, spec: { size: 5 } };
    const ops = annotationRemovals(obj, RECORD_ANNOTATIONS);
    expect(ops.map((o) => o.path)).toEqual(['/metadata/annotations/etcd.k8s-operator.io~1intended-size', '/metadata/annotations/etcd.k8s-operator.io~1resize-requested-by']);
    expect(applyPatch(obj, ops)).toEqual({ metadata: { name: 'demo', annotations: { keep: 'me', [Annotations.forceResize]: 'true' } }, spec: { size: 5 } });
  });

  it('makes no patch when there is nothing to remove', () => {
    expect(annotationRemovals({ metadata: { name: 'demo' } }, RECORD_ANNOTATIONS)).toEqual([]);
    expect(annotationRemovals({ metadata: { annotations: { keep: 'me' } } }, RECORD_ANNOTATIONS)).toEqual([]);
    expect(annotationRemovals({ spec: {} }, RECORD_ANNOTATIONS)).toEqual([]);
    expect(annotationRemovals('junk', RECORD_ANNOTATIONS)).toEqual([]);
  });
});
