import { Annotations } from '../../core/api.js';
import { annotationPatch, escapePointer, type JsonPatchOp } from '../../webhook/patch.js';

// A minimal RFC 6902 "add" applier (RFC 6901 pointers), enough to check the patches do what they claim.
function applyPatch(doc: unknown, ops: JsonPatchOp[]): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    expect(op.op).toBe('add');
    const tokens = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop() as string;
    let target: Record<string, unknown> = out;
    for (const t of tokens) {
      if (typeof target[t] !== 'object' || target[t] === null) throw new Error(`path ${op.path}: ${t} does not exist`);
      target = target[t] as Record<string, unknown>;
    }
    target[last] = structuredClone(op.value);
  }
  return out;
}

const set = { [Annotations.intendedSize]: '5', [Annotations.previousSize]: '3' };

describe('annotationPatch', () => {
  it('escapes "/" as ~1 and "~" as ~0', () => {
    expect(escapePointer('etcd.k8s-operator.io/intended-size')).toBe('etcd.k8s-operator.io~1intended-size');
    expect(escapePointer('a~b/c')).toBe('a~0b~1c');
  });

  it('keeps existing annotations and replaces the recorded ones', () => {
    const obj = { metadata: { name: 'demo', annotations: { keep: 'me', [Annotations.intendedSize]: '3' } }, spec: { size: 5 } };
    const ops = annotationPatch(obj, set);
    expect(ops.map((o) => o.path)).toEqual(['/metadata/annotations/etcd.k8s-operator.io~1intended-size', '/metadata/annotations/etcd.k8s-operator.io~1previous-size']);
    expect(applyPatch(obj, ops)).toEqual({ metadata: { name: 'demo', annotations: { keep: 'me', ...set } }, spec: { size: 5 } });
  });

  it('adds metadata.annotations when absent', () => {
    const obj = { metadata: { name: 'demo' } };
    const ops = annotationPatch(obj, set);
    expect(ops).toEqual([{ op: 'add', path: '/metadata/annotations', value: set }]);
    expect(applyPatch(obj, ops)).toEqual({ metadata: { name: 'demo', annotations: set } });
  });

  it('makes no patch for an object without metadata', () => {
    expect(annotationPatch({ spec: {} }, set)).toEqual([]);
    expect(annotationPatch('junk', set)).toEqual([]);
  });
});
