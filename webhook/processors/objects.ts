// Reading the parts of untrusted request objects the policy needs. The API server sends schema-valid
// objects, but nothing a client sends may crash a processor, so every field is checked for its type.
import { field, isPlainObject, stringField, type AdmissionRequest } from '../../core/admission-review.js';
import { Annotations, type Condition, type EtcdClusterStatus, type LastResize, type LastUpgrade, type MemberRepair, type MemberStatus, type Recovery } from '../../core/api.js';
import type { PolicyVerdict } from '../../core/policy.js';
import type { ClusterRef } from '../resize-events.js';
import type { Decision, ProcessorContext } from './types.js';

export function numberField(value: unknown, ...path: string[]): number | undefined {
  const v = field(value, ...path);
  return typeof v === 'number' ? v : undefined;
}

export function isForceResize(object: unknown): boolean {
  return field(object, 'metadata', 'annotations', Annotations.forceResize) === 'true';
}

export function requesterOf(userInfo: unknown): string {
  return stringField(userInfo, 'username') ?? '';
}

/**
 * An allowed request that changes the size is recorded (a ResizeRequested Event) before the answer; never on a
 * dry run. The time has milliseconds: status.lastResize takes it as the resize's start.
 */
export async function recordResize(req: AdmissionRequest, ctx: ProcessorContext, verdict: PolicyVerdict, ref: ClusterRef,
  oldSize: number | undefined, newSize: unknown, via: string): Promise<void> {
  if (!verdict.allowed || req.dryRun === true || oldSize === undefined || typeof newSize !== 'number' || newSize === oldSize) return;
  await ctx.recorder.record(ref, { from: oldSize, to: newSize, requestedBy: requesterOf(req.userInfo), requestedAt: ctx.now().toISOString() }, via);
}

export function statusOf(object: unknown): EtcdClusterStatus | undefined {
  const s = field(object, 'status');
  if (!isPlainObject(s)) return undefined;
  const members = Array.isArray(s.members) ? s.members.filter(isMember) : undefined;
  const conditions = Array.isArray(s.conditions) ? s.conditions.filter(isCondition) : undefined;
  const last = s.lastResize;
  const lastResize = isPlainObject(last) && typeof last.from === 'number' && typeof last.to === 'number' ? last as unknown as LastResize : undefined;
  const rp = s.lastRepair;
  const lastRepair = isPlainObject(rp) && typeof rp.member === 'string' && typeof rp.startedAt === 'string' ? rp as unknown as MemberRepair : undefined;
  const pendingRepairs = Array.isArray(s.pendingRepairs)
    ? s.pendingRepairs.filter((p): p is MemberRepair => isPlainObject(p) && typeof p.member === 'string' && typeof p.startedAt === 'string')
    : undefined;
  const rc = s.lastRecovery;
  const lastRecovery = isPlainObject(rc) && typeof rc.member === 'string' && typeof rc.startedAt === 'string' ? rc as unknown as Recovery : undefined;
  const up = s.lastUpgrade;
  const lastUpgrade = isPlainObject(up) && typeof up.from === 'string' && typeof up.to === 'string' && typeof up.startedAt === 'string' ? up as unknown as LastUpgrade : undefined;
  return {
    observedGeneration: numberField(s, 'observedGeneration'), members, conditions, lastResize, lastRepair, pendingRepairs, lastRecovery, lastUpgrade,
    leader: stringField(s, 'leader'), clusterVersion: stringField(s, 'clusterVersion'),
  };
}

function isMember(m: unknown): m is MemberStatus {
  // Optional figures, when present, are numbers (the policy compares them).
  if (isPlainObject(m) && ['raftTerm', 'raftIndex', 'revision'].some((k) => m[k] !== undefined && typeof m[k] !== 'number')) return false;
  return isPlainObject(m) && typeof m.name === 'string' && typeof m.isLearner === 'boolean' && typeof m.healthy === 'boolean';
}

function isCondition(c: unknown): c is Condition {
  return isPlainObject(c) && typeof c.type === 'string' && typeof c.status === 'string' && (c.message === undefined || typeof c.message === 'string');
}

export function verdictDecision(kind: Decision['kind'], verdict: PolicyVerdict): Decision {
  if (!verdict.allowed) {
    return { kind, rule: verdict.rule, response: { allowed: false, status: { code: 403, reason: 'Forbidden', message: verdict.message ?? '' } } };
  }
  return { kind, response: verdict.warnings.length > 0 ? { allowed: true, warnings: verdict.warnings } : { allowed: true } };
}
