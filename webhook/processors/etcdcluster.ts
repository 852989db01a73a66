// The EtcdCluster main resource: validation by the shared policy, and the mutation that records who
// asked for a resize (annotations, SPEC.md "Annotations").
import { field, stringField, type AdmissionRequest } from '../../core/admission-review.js';
import { Annotations } from '../../core/api.js';
import { evaluateResize, isValidSize } from '../../core/policy.js';
import { resizeRecordAnnotations } from '../../core/resize-record.js';
import { annotationPatch } from '../patch.js';
import { isForceResize, numberField, requesterOf, rfc3339, statusOf, verdictDecision } from './objects.js';
import type { Decision, ProcessorContext } from './types.js';

type Operation = 'CREATE' | 'UPDATE';

export function validateEtcdCluster(req: AdmissionRequest & { operation: Operation }, ctx: ProcessorContext): Decision {
  const verdict = evaluateResize({
    operation: req.operation,
    oldSize: numberField(req.oldObject, 'spec', 'size'),
    newSize: field(req.object, 'spec', 'size'),
    // On UPDATE the status of object and oldObject are the same; the old one is what the policy is stated in.
    status: req.operation === 'UPDATE' ? statusOf(req.oldObject) : undefined,
    generation: numberField(req.oldObject, 'metadata', 'generation'),
    forceResize: isForceResize(req.object),
    maxSize: ctx.maxSize,
    name: req.name ?? stringField(req.object, 'metadata', 'name'),
  });
  return verdictDecision('EtcdCluster', verdict);
}

export function mutateEtcdCluster(req: AdmissionRequest & { operation: Operation }, ctx: ProcessorContext): Decision {
  const newSize = field(req.object, 'spec', 'size');
  const oldSize = numberField(req.oldObject, 'spec', 'size');
  // An invalid size gets no record: the validating webhook denies it (V1).
  if (!isValidSize(newSize, ctx.maxSize)) return { kind: 'EtcdCluster', response: { allowed: true }, note: 'invalid size: left to validation' };
  let set: Record<string, string>;
  if (req.operation === 'CREATE') {
    set = { [Annotations.intendedSize]: String(newSize) };
  } else if (oldSize !== undefined && newSize !== oldSize) {
    set = resizeRecordAnnotations({ from: oldSize, to: newSize, requestedBy: requesterOf(req.userInfo), requestedAt: rfc3339(ctx.now()) });
  } else {
    return { kind: 'EtcdCluster', response: { allowed: true } };
  }
  const patch = annotationPatch(req.object, set);
  if (patch.length === 0) return { kind: 'EtcdCluster', response: { allowed: true }, note: 'object has no metadata to annotate' };
  return {
    kind: 'EtcdCluster',
    response: { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
  };
}
