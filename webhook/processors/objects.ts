// Reading the parts of untrusted request objects the policy needs. The API server sends schema-valid
// objects, but nothing a client sends may crash a processor, so every field is checked for its type.
import { field, isPlainObject, stringField } from '../../core/admission-review.js';
import { Annotations, type Condition, type EtcdClusterStatus, type LastResize, type MemberStatus } from '../../core/api.js';
import type { PolicyVerdict } from '../../core/policy.js';
import type { Decision } from './types.js';

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

/** RFC 3339 UTC to the second, the way Kubernetes writes times. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function statusOf(object: unknown): EtcdClusterStatus | undefined {
  const s = field(object, 'status');
  if (!isPlainObject(s)) return undefined;
  const members = Array.isArray(s.members) ? s.members.filter(isMember) : undefined;
  const conditions = Array.isArray(s.conditions) ? s.conditions.filter(isCondition) : undefined;
  const last = s.lastResize;
  const lastResize = isPlainObject(last) && typeof last.from === 'number' && typeof last.to === 'number' ? last as unknown as LastResize : undefined;
  return { observedGeneration: numberField(s, 'observedGeneration'), members, conditions, lastResize };
}

function isMember(m: unknown): m is MemberStatus {
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
