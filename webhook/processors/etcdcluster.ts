// The EtcdCluster main resource: validation by the shared policy (name, fields applied only at creation, the
// resize rules), with every allowed resize recorded as a ResizeRequested Event; and the mutation, which keeps
// the object free of any recorded intent (SPEC.md, "Truthful record") and refuses unusable names before the
// schema's terser message would.
import { field, stringField, type AdmissionRequest } from '../../core/admission-review.js';
import { checkName, versionOf } from '../../core/object-rules.js';
import { UPGRADE_REQUESTED_REASON, upgradeRequestValue } from '../../core/last-upgrade.js';
import type { ClusterRef } from '../resize-events.js';
import { Annotations } from '../../core/api.js';
import { isClusterName, type RestoreSource } from '../../core/backup-rules.js';
import { evaluateAdmission, evaluateRecover, evaluateReplace, type PolicyVerdict } from '../../core/policy.js';
import { parseReplaceRequest, RECOVERY_REQUESTED_REASON, REPLACE_REQUESTED_REASON, requestAnnotations } from '../../core/repair.js';
import { RECORD_ANNOTATIONS } from '../../core/resize-record.js';
import { backupsPvcName } from '../../core/snapshot-files.js';
import { withinLookupTime } from '../lookups.js';
import { annotationRemovals } from '../patch.js';
import { isForceResize, numberField, recordResize, requesterOf, statusOf, verdictDecision } from './objects.js';
import type { Decision, ProcessorContext } from './types.js';

type Operation = 'CREATE' | 'UPDATE';

const nameOf = (req: AdmissionRequest) => req.name || stringField(req.object, 'metadata', 'name');

export async function validateEtcdCluster(req: AdmissionRequest & { operation: Operation }, ctx: ProcessorContext): Promise<Decision> {
  const oldSize = numberField(req.oldObject, 'spec', 'size');
  const newSize = field(req.object, 'spec', 'size');
  const name = nameOf(req);
  const [missingPriorityClass, restoreSource] = await Promise.all([missingPriorityClassOf(req, ctx), restoreSourceOf(req, ctx)]);
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
    ...(missingPriorityClass ? { missingPriorityClass } : {}),
    ...(restoreSource ? { restoreSource } : {}),
  });
  const asked = verdict.allowed && req.operation === 'UPDATE' ? requestOf(req, name) : undefined;
  const final = asked ? { ...asked.verdict, warnings: [...verdict.warnings, ...asked.verdict.warnings] } : verdict;
  if (name && req.namespace) {
    const uid = stringField(req.oldObject, 'metadata', 'uid') ?? stringField(req.object, 'metadata', 'uid');
    const ref = { namespace: req.namespace, name, uid };
    await recordResize(req, ctx, final, ref, oldSize, newSize, 'an update of the EtcdCluster');
    await recordUpgrade(req, ctx, final, ref);
    if (asked?.target && final.allowed && req.dryRun !== true) {
      const by = requesterOf(req.userInfo);
      const { member, id } = asked.target;
      await ctx.recorder.recordRequest(ref, {
        reason: asked.kind.reason,
        message: `${asked.kind.what} ${member} (${id}) requested by ${by || 'an unknown user'}`,
        annotations: requestAnnotations(asked.kind.key, `${member}/${id}`, by, ctx.now().toISOString()),
      });
    }
  }
  return verdictDecision('EtcdCluster', final);
}

/**
 * A priorityClassName the request sets anew that names no PriorityClass: the StatefulSet would take it, and the
 * first member restarted would get no pod. Asked only when it changes; a failed lookup denies nothing.
 */
async function missingPriorityClassOf(req: AdmissionRequest, ctx: ProcessorContext): Promise<string | undefined> {
  const wanted = stringField(req.object, 'spec', 'podTemplate', 'spec', 'priorityClassName');
  if (!wanted || !ctx.priorityClassExists || wanted === stringField(req.oldObject, 'spec', 'podTemplate', 'spec', 'priorityClassName')) return undefined;
  return (await ctx.priorityClassExists(wanted)) === false ? wanted : undefined;
}

/**
 * At CREATE with spec.bootstrap.fromSnapshot: whether the source's backups PVC is in the namespace and which snapshots
 * the source EtcdCluster lists (V13). The API server checks neither, and the restore Job would wait on a missing PVC
 * or fail on a missing file. Asked only of a valid cluster name (V13 denies the others by their shape).
 */
async function restoreSourceOf(req: AdmissionRequest, ctx: ProcessorContext): Promise<RestoreSource | undefined> {
  const cluster = stringField(req.object, 'spec', 'bootstrap', 'fromSnapshot', 'cluster');
  const namespace = req.namespace;
  if (req.operation !== 'CREATE' || !namespace || !isClusterName(cluster)) return undefined;
  const [pvcExists, listed] = await Promise.all([
    ctx.pvcExists ? ctx.pvcExists(namespace, backupsPvcName(cluster)) : undefined,
    withinLookupTime(ctx.clusters.get(namespace, cluster).then(listedSnapshots)),
  ]);
  return { namespace, pvcExists, listed };
}

/** The snapshot names in an EtcdCluster's status.backup.snapshots; 'none' without the cluster or the list. */
function listedSnapshots(cluster: unknown): string[] | 'none' {
  const list = field(cluster, 'status', 'backup', 'snapshots');
  return Array.isArray(list) ? list.map((s) => stringField(s, 'name')).filter((n): n is string => n !== undefined) : 'none';
}

/** An allowed version change, recorded as an UpgradeRequested Event (who asked, from what to what). */
async function recordUpgrade(req: AdmissionRequest, ctx: ProcessorContext, verdict: PolicyVerdict, ref: ClusterRef): Promise<void> {
  if (!verdict.allowed || req.dryRun === true || req.operation !== 'UPDATE') return;
  const from = versionOf(field(req.oldObject, 'spec'));
  const to = versionOf(field(req.object, 'spec'));
  if (from === to) return;
  const by = requesterOf(req.userInfo);
  await ctx.recorder.recordRequest(ref, {
    reason: UPGRADE_REQUESTED_REASON,
    message: `upgrade of etcd ${from} -> ${to} requested by ${by || 'an unknown user'}`,
    annotations: requestAnnotations(Annotations.upgrade, upgradeRequestValue(from, to), by, ctx.now().toISOString()),
  });
}

/** Requests made with an annotation "MEMBER/ID" on the EtcdCluster, each judged by its rule and recorded as an Event. */
const REQUESTS = [
  { key: Annotations.replace, rule: 'V8' as const, reason: REPLACE_REQUESTED_REASON, what: 'replacement of', evaluate: evaluateReplace, command: 'replace' },
  { key: Annotations.recover, rule: 'V9' as const, reason: RECOVERY_REQUESTED_REASON, what: 'recovery from', evaluate: evaluateRecover, command: 'recover' },
];

/** A new request annotation (`kubectl etcd replace`, `recover`): judged on the status the request was made against. */
function requestOf(req: AdmissionRequest, name: string | undefined): { verdict: PolicyVerdict; kind: (typeof REQUESTS)[number]; target?: { member: string; id: string } } | undefined {
  for (const kind of REQUESTS) {
    const value = field(req.object, 'metadata', 'annotations', kind.key);
    if (value === undefined || value === field(req.oldObject, 'metadata', 'annotations', kind.key)) continue;
    const asked = typeof value === 'string' ? parseReplaceRequest(value) : undefined;
    if (!asked) {
      const message = `${kind.rule}: ${kind.key} must be MEMBER/ID (the member's name and its 16-hex-digit etcd ID, as kubectl etcd status shows them); ` +
        `got ${JSON.stringify(value)}. Use kubectl etcd ${kind.command} ${name ?? 'NAME'}${kind.command === 'replace' ? ' MEMBER' : ''}.`;
      return { kind, verdict: { allowed: false, rule: kind.rule, message, warnings: [], bypassed: [] } };
    }
    const verdict = kind.evaluate({ name: name ?? 'the cluster', ...asked, status: statusOf(req.oldObject), generation: numberField(req.oldObject, 'metadata', 'generation') });
    if (!verdict.allowed) return { kind, verdict };
    return { kind, verdict, target: asked };
  }
  return undefined;
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
