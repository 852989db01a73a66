// Routes an admission request to the processor for its kind: the EtcdCluster main resource or its /scale.
import type { AdmissionRequest } from '../core/admission-review.js';
import { KIND, PLURAL } from '../core/api.js';
import { mutateEtcdCluster, validateEtcdCluster } from './processors/etcdcluster.js';
import { validateScale } from './processors/scale.js';
import type { Decision, ProcessorContext } from './processors/types.js';

export type Endpoint = 'validate' | 'mutate';

export async function admit(endpoint: Endpoint, req: AdmissionRequest, ctx: ProcessorContext): Promise<Decision> {
  const operation = req.operation;
  if (!isResizeOperation(operation)) {
    return { kind: 'other', response: { allowed: true }, note: `operation ${String(operation)} is not intercepted` };
  }
  const op = { ...req, operation };
  if (req.subResource === 'scale') {
    // A Scale cannot carry annotations, and the record is an Event the validating side writes.
    return endpoint === 'validate' ? validateScale(op, ctx) : { kind: 'Scale', response: { allowed: true } };
  }
  const isCluster = !req.subResource && (req.resource?.resource === PLURAL || req.kind?.kind === KIND);
  if (!isCluster) return { kind: 'other', response: { allowed: true }, note: 'not an EtcdCluster or its /scale' };
  return endpoint === 'validate' ? validateEtcdCluster(op, ctx) : mutateEtcdCluster(op);
}

function isResizeOperation(op: string | undefined): op is 'CREATE' | 'UPDATE' {
  return op === 'CREATE' || op === 'UPDATE';
}
