// The etcdclusters/scale subresource: the request carries an autoscaling/v1 Scale (sizes in spec.replicas);
// status, generation and force-resize come from the EtcdCluster, read from the watch cache.
import { field, stringField, type AdmissionRequest } from '../../core/admission-review.js';
import { evaluateResize } from '../../core/policy.js';
import { isForceResize, numberField, recordResize, statusOf, verdictDecision } from './objects.js';
import type { Decision, ProcessorContext } from './types.js';

export async function validateScale(req: AdmissionRequest & { operation: 'CREATE' | 'UPDATE' }, ctx: ProcessorContext): Promise<Decision> {
  const namespace = req.namespace ?? stringField(req.object, 'metadata', 'namespace');
  const name = req.name ?? stringField(req.object, 'metadata', 'name');
  if (!namespace || !name) {
    return { kind: 'Scale', response: { allowed: false, status: { code: 400, reason: 'BadRequest', message: 'Scale request names no namespace/name of the EtcdCluster' } } };
  }
  const cluster = await ctx.clusters.get(namespace, name);
  const oldSize = numberField(req.oldObject, 'spec', 'replicas');
  const newSize = field(req.object, 'spec', 'replicas');
  const verdict = evaluateResize({
    operation: req.operation,
    oldSize,
    newSize,
    status: statusOf(cluster),
    generation: numberField(cluster, 'metadata', 'generation'),
    // A Scale carries no annotations: the user sets force-resize on the EtcdCluster before scaling.
    forceResize: isForceResize(cluster),
    maxSize: ctx.maxSize,
    name,
  });
  const uid = stringField(cluster, 'metadata', 'uid') ?? stringField(req.object, 'metadata', 'uid');
  await recordResize(req, ctx, verdict, { namespace, name, uid }, oldSize, newSize, 'the /scale subresource');
  return verdictDecision('Scale', verdict);
}
