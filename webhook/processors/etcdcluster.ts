// The EtcdCluster main resource: validation by the shared policy (name, fields applied only at creation, the
// resize rules), with every allowed resize recorded as a ResizeRequested Event; and the mutation, which keeps
// the object free of any recorded intent (SPEC.md, "Truthful record") and refuses unusable names before the
// schema's terser message would.
import { field, stringField, type AdmissionRequest } from '../../core/admission-review.js';
import { checkName } from '../../core/object-rules.js';
import { Annotations } from '../../core/api.js';
import { evaluateAdmission, evaluateReplace, type PolicyVerdict } from '../../core/policy.js';
import { parseReplaceRequest, REPLACE_REQUESTED_REASON, replaceRequestAnnotations } from '../../core/repair.js';
import { RECORD_ANNOTATIONS } from '../../core/resize-record.js';
import { annotationRemovals } from '../patch.js';
import { isForceResize, numberField, recordResize, requesterOf, statusOf, verdictDecision } from './objects.js';
import type { Decision, ProcessorContext } from './types.js';

type Operation = 'CREATE' | 'UPDATE';

const nameOf = (req: AdmissionRequest) => req.name || stringField(req.object, 'metadata', 'name');

export async function validateEtcdCluster(req: AdmissionRequest & { operation: Operation }, ctx: ProcessorContext): Promise<Decision> {
  const oldSize = numberField(req.oldObject, 'spec', 'size');
  const newSize = field(req.object, 'spec', 'size');
  const name = nameOf(req);
  const verdict = evaluateAdmission({
    operation: req.operation,
    oldSize,
    newSize,
    oldSpec: field(req.oldObject, 'spec'),
    newSpec: field(req.object, 'spec'),
    // On UPDATE the status of object and oldObject are the same; the old one is what the policy is stated in.
    status: req.operation === 'UPDATE' ? statusOf(req.oldObject) : undefined,
    generation: numberField(req.oldObject, 'metadata', 'generation'),
    forceResize: isForceResize(req.object),
    maxSize: ctx.maxSize,
    name,
  });
  const replace = verdict.allowed && req.operation === 'UPDATE' ? replacement(req, name) : undefined;
  const final = replace ? { ...replace.verdict, warnings: [...verdict.warnings, ...replace.verdict.warnings] } : verdict;
  if (name && req.namespace) {
    const uid = stringField(req.oldObject, 'metadata', 'uid') ?? stringField(req.object, 'metadata', 'uid');
    const ref = { namespace: req.namespace, name, uid };
    await recordResize(req, ctx, final, ref, oldSize, newSize, 'an update of the EtcdCluster');
    if (replace?.asked && final.allowed && req.dryRun !== true) {
      const by = requesterOf(req.userInfo);
      await ctx.recorder.recordRequest(ref, {
        reason: REPLACE_REQUESTED_REASON,
        message: `replacement of ${replace.asked.member} (${replace.asked.id}) requested by ${by || 'an unknown user'}`,
        annotations: replaceRequestAnnotations(replace.asked.member, replace.asked.id, by, ctx.now().toISOString()),
      });
    }
  }
  return verdictDecision('EtcdCluster', final);
}

/** A new replace annotation (`kubectl etcd replace`): judged by V8 on the status the request was made against. */
function replacement(req: AdmissionRequest, name: string | undefined): { verdict: PolicyVerdict; asked?: { member: string; id: string } } | undefined {
  const value = field(req.object, 'metadata', 'annotations', Annotations.replace);
  if (value === undefined || value === field(req.oldObject, 'metadata', 'annotations', Annotations.replace)) return undefined;
  const asked = typeof value === 'string' ? parseReplaceRequest(value) : undefined;
  if (!asked) {
    return { verdict: { allowed: false, rule: 'V8', message: `V8: ${Annotations.replace} must be MEMBER/ID (the member's name and its 16-hex-digit etcd ID, as kubectl etcd status shows them); got ${JSON.stringify(value)}. Use kubectl etcd replace ${name ?? 'NAME'} MEMBER.`, warnings: [], bypassed: [] } };
  }
  return { verdict: evaluateReplace({ name: name ?? 'the cluster', ...asked, status: statusOf(req.oldObject), generation: numberField(req.oldObject, 'metadata', 'generation') }), asked };
}

export function mutateEtcdCluster(req: AdmissionRequest & { operation: Operation }): Decision {
  // Mutating admission runs before the schema: the name's denial here says which limit and why.
  const badName = req.operation === 'CREATE' ? checkName(nameOf(req)) : undefined;
  if (badName) return { kind: 'EtcdCluster', rule: badName.rule, response: { allowed: false, status: { code: 403, reason: 'Forbidden', message: badName.message } } };
  // A record of intent on the object could not be kept true through /scale: any (left by an earlier version,
  // or written by hand) is removed; the record lives in ResizeRequested Events and status.lastResize.
  const patch = annotationRemovals(req.object, RECORD_ANNOTATIONS);
  if (patch.length === 0) return { kind: 'EtcdCluster', response: { allowed: true } };
  return {
    kind: 'EtcdCluster',
    response: { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
    note: 'removed recorded-intent annotations',
  };
}
