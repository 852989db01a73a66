// Admission rules about the object itself rather than its size (SPEC.md, "Bad input at admission"): a name
// that can become every object the controller makes (V6), and spec fields the controller applies only when it
// creates the cluster (V7), and the pod settings it merges into the etcd pods (V11). Pure; never bypassed by
// force-resize.
import { isPlainObject } from './admission-review.js';
import { DEFAULT_ETCD_VERSION } from './api.js';
import { etcdOptionProblems, normalizeOptions } from './etcd-options.js';
import { podTemplateProblems } from './pod-template-rules.js';
import { quantityValue } from './quantity.js';

export interface ObjectFinding {
  rule: 'V6' | 'V7' | 'V11';
  message: string;
}

/** A label value, and a DNS label (pod hostnames, Service names), hold at most 63 characters. */
export const LABEL_VALUE_MAX = 63;
/**
 * The StatefulSet labels every pod controller-revision-hash=NAME-<hash>, the hash a 32-bit number written in
 * at most 10 characters: the tightest of the limits (the pod hostname NAME-8 and Service NAME-client fit
 * in it), so the longest name is 63 - 1 - 10 = 52.
 */
export const REVISION_HASH_MAX = 10;
export const MAX_NAME_LENGTH = LABEL_VALUE_MAX - 1 - REVISION_HASH_MAX;
/** DNS-1035 label: Service names (NAME, NAME-client) must be one. */
export const NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const NAME_RULE = `a name must be a DNS-1035 label (a lower-case letter first, then lower-case letters, digits or '-', ` +
  `ending with a letter or digit) of at most ${MAX_NAME_LENGTH} characters (each pod is labelled ` +
  `controller-revision-hash=NAME-<hash of up to ${REVISION_HASH_MAX} characters>, and a label value holds at most ${LABEL_VALUE_MAX})`;

/** V6 on CREATE; a name still to be generated (generateName) is checked by the schema once it exists. */
export function checkName(name: string | undefined): ObjectFinding | undefined {
  if (!name) return undefined;
  const problem = name.length > MAX_NAME_LENGTH
    ? `it is ${name.length} characters, ${name.length - MAX_NAME_LENGTH} more than the ${MAX_NAME_LENGTH} that fit`
    : NAME_PATTERN.test(name) ? undefined : namePatternProblem(name);
  if (!problem) return undefined;
  const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
  return {
    rule: 'V6',
    message: `V6: the name "${shown}" cannot become the pods, Services and labels of an etcd cluster: ${problem}. ` +
      `${NAME_RULE[0].toUpperCase()}${NAME_RULE.slice(1)}. Choose another name.`,
  };
}

function namePatternProblem(name: string): string {
  if (!/^[a-z]/.test(name)) return `it starts with ${JSON.stringify(name[0])}, not a lower-case letter`;
  const bad = [...name].find((ch) => !/[-a-z0-9]/.test(ch));
  if (bad !== undefined) return `it contains ${JSON.stringify(bad)}`;
  return 'it ends with \'-\'';
}

/** Fields as the controller would use them, so that spelling a default out is not a change. */
function effectiveStorage(storage: unknown): { size: number | string; storageClassName: string; emptyDir: boolean } {
  const s = isPlainObject(storage) ? storage : {};
  const size = typeof s.size === 'string' ? s.size : '1Gi';
  return { size: quantityValue(size) ?? size, storageClassName: typeof s.storageClassName === 'string' ? s.storageClassName : '', emptyDir: s.emptyDir === true };
}

function describeStorage(storage: unknown): string {
  const s = isPlainObject(storage) ? storage : {};
  if (s.emptyDir === true) return 'emptyDir';
  const parts = [`size ${typeof s.size === 'string' ? s.size : '1Gi'}`];
  if (typeof s.storageClassName === 'string') parts.push(`storageClassName ${s.storageClassName}`);
  return parts.join(', ');
}

/** spec.version as the controller reads it: the default when absent. */
export function versionOf(spec: unknown): string {
  const s = isPlainObject(spec) ? spec : {};
  return typeof s.version === 'string' ? s.version : DEFAULT_ETCD_VERSION;
}

/**
 * V7 on UPDATE: storage is read once, when the StatefulSet (whose volume claim template cannot change) is
 * created: a change would be accepted and applied to nothing, so it is denied with what to do instead. So is a
 * change of spec.tls: no member can switch alone.
 * (A version change is rolled out: rule V10, core/version-policy.ts.)
 */
export function checkSpecChange(cluster: string, oldSpec: unknown, newSpec: unknown): ObjectFinding | undefined {
  const o = isPlainObject(oldSpec) ? oldSpec : {};
  const n = isPlainObject(newSpec) ? newSpec : {};
  if (JSON.stringify(effectiveStorage(o.storage)) !== JSON.stringify(effectiveStorage(n.storage))) {
    return {
      rule: 'V7',
      message: `V7: spec.storage of ${cluster} cannot change (from ${describeStorage(o.storage)} to ${describeStorage(n.storage)}): ` +
        `each member's volume is made from it when the cluster is created, and a StatefulSet's volume claim template cannot change, ` +
        `so the change would apply to nothing. Keep spec.storage as it is; for other storage, create a new EtcdCluster with it and ` +
        `move the data (etcdctl snapshot save, then restore into the new cluster), or expand the PVCs ` +
        `data-${cluster}-K yourself if their StorageClass allows volume expansion.`,
    };
  }
  const tlsOld = describeTls(o.tls);
  const tlsNew = describeTls(n.tls);
  if (tlsOld !== tlsNew) {
    return {
      rule: 'V7',
      message: `V7: spec.tls of ${cluster} cannot change on a running cluster (from ${tlsOld} to ${tlsNew}): every member and client would ` +
        `have to switch at the same moment, or peers stop hearing each other and clients are cut off. Keep spec.tls as it is; for ` +
        `another setting, create a new EtcdCluster with it and move the data (etcdctl snapshot save, then restore into the new cluster).`,
    };
  }
  return undefined;
}

/** spec.tls as the controller applies it: off, or on with the operator's CA or a cert-manager issuer. */
function describeTls(tls: unknown): string {
  const t = isPlainObject(tls) ? tls : {};
  if (t.enabled !== true) return 'TLS off';
  const ref = isPlainObject(t.issuerRef) ? t.issuerRef : undefined;
  return ref ? `TLS from cert-manager ${typeof ref.kind === 'string' ? ref.kind : 'Issuer'} ${String(ref.name)}` : 'TLS from the operator\'s own CA';
}

/**
 * V11 on CREATE, and on UPDATE when they change (an object admitted before keeps being resizable): spec.podTemplate
 * and spec.etcdOptions hold only what the controller can apply.
 */
export function checkPodSettings(cluster: string, spec: unknown, oldSpec?: unknown, missingPriorityClass?: string): ObjectFinding | undefined {
  if (oldSpec !== undefined && !changedPodSettings(oldSpec, spec).length) return undefined;
  const s = isPlainObject(spec) ? spec : {};
  const problems = [...podTemplateProblems(s.podTemplate), ...etcdOptionProblems(s.etcdOptions)];
  if (missingPriorityClass) {
    problems.push(`spec.podTemplate.spec.priorityClassName "${missingPriorityClass}" names no PriorityClass (kubectl get priorityclasses lists them): ` +
      'the pods of the members restarted would not be created');
  }
  if (!problems.length) return undefined;
  return {
    rule: 'V11',
    message: `V11: the pod settings of ${cluster} cannot be applied: ${problems.join('; ')}. Fix ${problems.length > 1 ? 'these fields' : 'this field'} ` +
      `and apply again (SPEC.md, "Security and pods", lists what spec.podTemplate and spec.etcdOptions take).`,
  };
}

const podSettings = (spec: unknown) => {
  const s = isPlainObject(spec) ? spec : {};
  return { podTemplate: JSON.stringify(s.podTemplate ?? {}), etcdOptions: JSON.stringify(normalizeOptions(s.etcdOptions as never)) };
};

function changedPodSettings(oldSpec: unknown, newSpec: unknown): string[] {
  const a = podSettings(oldSpec);
  const b = podSettings(newSpec);
  return (['podTemplate', 'etcdOptions'] as const).filter((k) => a[k] !== b[k]).map((k) => `spec.${k}`);
}

/** W9 on UPDATE: a change of the pod settings restarts every member, one at a time (core/rollout.ts). */
export function podSettingsWarning(cluster: string, oldSpec: unknown, newSpec: unknown): string | undefined {
  const changed = changedPodSettings(oldSpec, newSpec);
  if (!changed.length) return undefined;
  return `W9: ${changed.join(' and ')} changed: every member of ${cluster} restarts to apply it, one at a time (followers first, ` +
    `the leader last with leadership moved off it, each healthy and caught up before the next); kubectl etcd status ${cluster} shows the progress`;
}
